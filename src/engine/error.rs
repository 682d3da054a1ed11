//! Errors: why a transfer failed (a stable [`ErrorStatus`] plus a message), why a
//! request was refused, and why an engine call could not be carried out.

use std::error::Error as _;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Stable failure kinds, after the seed's `WebErrorStatus`. Scripts match on these
/// names (`--json`), the UI maps each to its words, the scheduler decides retries on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorStatus {
    Unknown,
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Gone,
    ProxyAuthenticationRequired,
    RequestTimeout,
    RequestedRangeNotSatisfiable,
    TooManyRequests,
    /// Any other 4xx answer.
    ClientError,
    /// Any 5xx answer.
    ServerError,
    /// A status the engine does not know what to do with (1xx, 3xx without a location…).
    UnexpectedStatusCode,
    HostNameNotResolved,
    CannotConnect,
    Timeout,
    ConnectionReset,
    TooManyRedirects,
    HttpsToHttpOnRedirection,
    CertificateInvalid,
    /// The server broke the protocol or lied (length, ranges).
    InvalidResponse,
    DiskFull,
    PermissionDenied,
    /// The local file could not be written or read for another reason.
    FileSystemError,
    /// A file being uploaded changed (size or modification time) since the upload was created.
    SourceChanged,
    /// A file to upload is gone or cannot be read.
    SourceMissing,
    /// The server refuses a body this large (413, or a tus server's `Tus-Max-Size`).
    PayloadTooLarge,
    /// The server does not speak the protocol asked for (a tus version it lacks…).
    ProtocolNotSupported,
    /// The address names a folder where a file was expected (an FTP directory).
    IsADirectory,
    /// The finished file is not what its checksum (given or announced) says.
    ChecksumMismatch,
}

impl ErrorStatus {
    /// Whether an automatic retry can help. 4xx answers other than 408/429 will not
    /// change by asking again; a full disk or a refused write need the user.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::Unknown
                | Self::RequestTimeout
                | Self::TooManyRequests
                | Self::ServerError
                | Self::HostNameNotResolved
                | Self::CannotConnect
                | Self::Timeout
                | Self::ConnectionReset
                | Self::InvalidResponse
        )
    }

    /// The status for an HTTP answer that is not a success.
    pub fn from_http(code: u16) -> Self {
        match code {
            400 => Self::BadRequest,
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            407 => Self::ProxyAuthenticationRequired,
            408 => Self::RequestTimeout,
            410 => Self::Gone,
            413 => Self::PayloadTooLarge,
            416 => Self::RequestedRangeNotSatisfiable,
            429 => Self::TooManyRequests,
            _ if (400..500).contains(&code) => Self::ClientError,
            _ if (500..600).contains(&code) => Self::ServerError,
            _ => Self::UnexpectedStatusCode,
        }
    }

    pub fn from_io(error: &io::Error) -> Self {
        match error.kind() {
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => Self::DiskFull,
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
                Self::PermissionDenied
            }
            _ => Self::FileSystemError,
        }
    }
}

/// A failed attempt: what the scheduler and the user see.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TransferError {
    pub status: ErrorStatus,
    pub message: String,
    /// The HTTP status code, when the failure was an answer.
    pub http_status: Option<u16>,
    /// From `Retry-After`: the server asked us to wait this long.
    pub retry_after: Option<Duration>,
}

impl TransferError {
    pub fn new(status: ErrorStatus, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            http_status: None,
            retry_after: None,
        }
    }

    /// A local file operation failed; `what` says which ("writing /a/b.part").
    pub fn io(what: &str, error: &io::Error) -> Self {
        let status = ErrorStatus::from_io(error);
        let message = match status {
            ErrorStatus::DiskFull => format!("no space left on the device while {what}"),
            ErrorStatus::PermissionDenied => format!("permission denied while {what}"),
            _ => format!("{what}: {error}"),
        };
        Self::new(status, message)
    }

    /// Map a reqwest failure to a stable status, looking through its causes. The
    /// URL in the message loses any user name and password: messages are logged
    /// and persisted.
    pub fn from_reqwest(mut error: reqwest::Error) -> Self {
        if let Some(url) = error.url_mut() {
            let _ = url.set_username("");
            let _ = url.set_password(None);
        }
        let error = &error;
        if let Some(redirect) = find_source::<RedirectRefused>(error) {
            return Self::new(redirect.status(), redirect.to_string());
        }
        if let Some(source) = find_source::<SourceProblem>(error) {
            return source.to_transfer_error();
        }
        if let Some(malformed) = find_source::<hyper::Error>(error).filter(|e| e.is_parse()) {
            // hyper refused what the server sent: a malformed status line or
            // header, too many headers, a head that never ends.
            return Self::new(
                ErrorStatus::InvalidResponse,
                format!("the server's answer is not valid HTTP: {malformed}"),
            );
        }
        let detail = chain(error);
        let status = if error.is_timeout() {
            ErrorStatus::Timeout
        } else if error.is_dns() {
            ErrorStatus::HostNameNotResolved
        } else if error.is_redirect() {
            ErrorStatus::TooManyRedirects
        } else if detail.contains("invalid HTTP") {
            ErrorStatus::InvalidResponse
        } else if let Some(io) = find_source::<io::Error>(error) {
            match io.kind() {
                io::ErrorKind::ConnectionRefused
                | io::ErrorKind::HostUnreachable
                | io::ErrorKind::NetworkUnreachable
                | io::ErrorKind::AddrNotAvailable => ErrorStatus::CannotConnect,
                io::ErrorKind::TimedOut => ErrorStatus::Timeout,
                _ if error.is_connect() && detail.contains("certificate") => {
                    ErrorStatus::CertificateInvalid
                }
                _ if error.is_connect() => ErrorStatus::CannotConnect,
                _ => ErrorStatus::ConnectionReset,
            }
        } else if detail.contains("certificate") || detail.contains("Certificate") {
            ErrorStatus::CertificateInvalid
        } else if error.is_connect() {
            ErrorStatus::CannotConnect
        } else if error.is_body() || error.is_decode() || error.is_request() {
            ErrorStatus::ConnectionReset
        } else {
            ErrorStatus::Unknown
        };
        Self::new(status, detail)
    }
}

/// A file being uploaded is not the version the operation was created with.
/// Raised from inside a request body stream, found again in reqwest's error.
#[derive(Clone, Debug, thiserror::Error)]
pub(super) enum SourceProblem {
    #[error("{0} changed while it was being uploaded; nothing was kept as complete")]
    Changed(PathBuf),
    #[error("{0} changed since the upload was created (size or modification time)")]
    ChangedSinceCreation(PathBuf),
    #[error("{path} cannot be read any more: {reason}")]
    Missing { path: PathBuf, reason: String },
}

impl SourceProblem {
    pub(super) fn to_transfer_error(&self) -> TransferError {
        let status = match self {
            Self::Changed(_) | Self::ChangedSinceCreation(_) => ErrorStatus::SourceChanged,
            Self::Missing { .. } => ErrorStatus::SourceMissing,
        };
        TransferError::new(status, self.to_string())
    }
}

/// Why a redirect was not followed (given to reqwest's redirect policy, found again
/// in the error's causes).
#[derive(Clone, Debug, thiserror::Error)]
pub(super) enum RedirectRefused {
    #[error("too many redirects (more than {0})")]
    TooMany(usize),
    #[error("refused a redirect from https to plain http ({0})")]
    Downgrade(String),
}

impl RedirectRefused {
    fn status(&self) -> ErrorStatus {
        match self {
            Self::TooMany(_) => ErrorStatus::TooManyRedirects,
            Self::Downgrade(_) => ErrorStatus::HttpsToHttpOnRedirection,
        }
    }
}

fn find_source<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut current = Some(error);
    while let Some(err) = current {
        if let Some(found) = err.downcast_ref::<T>() {
            return Some(found);
        }
        current = err.source();
    }
    None
}

/// "outer: inner: innermost", without repeating a cause already in the text above it.
fn chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(err) = source {
        let part = err.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = err.source();
    }
    text
}

/// The persisted form of the last failure, as `--json` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    pub status: ErrorStatus,
    pub message: String,
    #[serde(default)]
    pub http_status: Option<u16>,
}

impl From<&TransferError> for ErrorInfo {
    fn from(error: &TransferError) -> Self {
        Self {
            status: error.status,
            message: error.message.clone(),
            http_status: error.http_status,
        }
    }
}

/// A request refused at creation: nothing was persisted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRequest {
    #[error("not a valid URL: {input:?} ({reason})")]
    NotAUrl { input: String, reason: String },
    #[error("unsupported URL scheme {scheme:?}: Ferry transfers over http, https, ftp and ftps")]
    UnsupportedScheme { scheme: String },
    #[error("an FTP upload sends one file as it is: multipart and tus need http or https")]
    FtpUploadMode,
    #[error(
        "certificate checks can be turned off for HTTPS only; FTPS keeps them (trust the server's certificate with extra_root_certificates)"
    )]
    InsecureFtp,
    #[error("the URL has no host: {0:?}")]
    NoHost(String),
    #[error("the destination folder {0} does not exist")]
    FolderMissing(PathBuf),
    #[error("{0} is not a folder")]
    NotAFolder(PathBuf),
    #[error("cannot write to the destination folder {path}: {reason}")]
    FolderNotWritable { path: PathBuf, reason: String },
    #[error("the destination path must be absolute: {0}")]
    RelativePath(PathBuf),
    #[error("invalid header {name:?}: {reason}")]
    InvalidHeader { name: String, reason: String },
    #[error("no file to upload")]
    NoSources,
    #[error("the file to upload {0} does not exist")]
    SourceMissing(PathBuf),
    #[error("{0} is not a file (folders are not uploaded)")]
    SourceNotAFile(PathBuf),
    #[error("cannot read the file to upload {path}: {reason}")]
    SourceUnreadable { path: PathBuf, reason: String },
    #[error("this upload sends one file; give one per operation, or use multipart")]
    OneSourceOnly,
    #[error(
        "multipart/form-data is sent with POST; with PUT each file is sent as it is, one request per file"
    )]
    MultipartNeedsPost,
    #[error("invalid form field name {0:?}")]
    InvalidFieldName(String),
    #[error("no group named {0:?}; create it first (ferry group create)")]
    NoSuchGroup(String),
    #[error(
        "the group {0:?} is enabled and its action is on its way; operations join a group before it is enabled"
    )]
    GroupClosed(String),
    #[error("invalid group name {name:?}: {reason}")]
    InvalidGroupName { name: String, reason: String },
    #[error("a group named {0:?} already exists")]
    GroupExists(String),
    #[error("the completion action needs a program to run")]
    EmptyAction,
    #[error("a user name cannot contain ':' or control characters")]
    InvalidUser,
    #[error("invalid cookie {0:?}: expected name=value")]
    InvalidCookie(String),
    #[error("invalid proxy {proxy}: {reason}")]
    InvalidProxy { proxy: String, reason: String },
    #[error("invalid {algorithm} checksum: expected {digits} hexadecimal digits")]
    InvalidChecksum {
        algorithm: &'static str,
        digits: usize,
    },
    #[error("too many {what}: {count} (at most {max})")]
    TooMany {
        what: &'static str,
        count: usize,
        max: usize,
    },
    #[error("{what} is too long: {len} bytes (at most {max})")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_are_final_except_408_and_429() {
        for code in [400, 401, 403, 404, 410, 418] {
            assert!(!ErrorStatus::from_http(code).is_retryable(), "{code}");
        }
        for code in [408, 429, 500, 502, 503] {
            assert!(ErrorStatus::from_http(code).is_retryable(), "{code}");
        }
        assert_eq!(ErrorStatus::from_http(404), ErrorStatus::NotFound);
        assert_eq!(ErrorStatus::from_http(503), ErrorStatus::ServerError);
    }

    #[test]
    fn disk_full_is_named_and_not_retried() {
        let err = TransferError::io("writing x", &io::Error::from(io::ErrorKind::StorageFull));
        assert_eq!(err.status, ErrorStatus::DiskFull);
        assert!(!err.status.is_retryable());
        assert!(err.message.contains("no space"));
    }
}

/// How many failures an operation remembers.
pub const FAILURES_KEPT: usize = 5;

/// One failed attempt, as details list them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub at: super::time::Millis,
    pub error: ErrorInfo,
    /// The automatic retries used before it (0: the first try, or a run the
    /// user started again).
    #[serde(default)]
    pub attempt: u32,
}
