//! FTP and FTPS (explicit TLS, `AUTH TLS`) with suppaftp: the session (connect,
//! TLS, login, binary type), passive data connections (EPSV, falling back to PASV),
//! and FTP replies mapped to stable statuses. Downloads and uploads live in their
//! own modules; both run under the same timeouts, retries and persistence as HTTP.

mod download;
mod upload;

use std::sync::Arc;
use std::time::Duration;

use suppaftp::tokio::{AsyncRustlsConnector, AsyncRustlsFtpStream};
use suppaftp::types::FileType;
use suppaftp::{FtpError, Mode};

use super::error::{ErrorStatus, TransferError};
use super::operation::{Kind, Snapshot};
use super::options::Options;
use super::run::{Interrupt, RunContext, RunEnd};
use super::secrets::Secrets;

pub(super) use upload::abandon as abandon_upload;

/// Run one attempt of an FTP(S) download or upload.
pub(super) async fn run(context: &mut RunContext, snapshot: Snapshot, secrets: &Secrets) -> RunEnd {
    match snapshot.kind {
        Kind::Download => download::run(context, snapshot, secrets).await,
        Kind::Upload => upload::run(context, snapshot, secrets).await,
    }
}

type Transfer = suppaftp::tokio::TransferStream<suppaftp::tokio::AsyncRustlsStream>;

/// The stored URL and the file's path on the server (percent-decoded).
fn remote_path(snapshot: &Snapshot) -> Result<(reqwest::Url, String), TransferError> {
    let url = reqwest::Url::parse(&snapshot.url).map_err(|e| {
        TransferError::new(ErrorStatus::Unknown, format!("stored URL is invalid: {e}"))
    })?;
    let path = percent_encoding::percent_decode_str(url.path())
        .decode_utf8_lossy()
        .into_owned();
    Ok((url, path))
}

/// Connect (TLS first for `ftps://`), log in (anonymously unless the operation has
/// a user) and switch to binary; given up at once on a stop.
async fn connect(
    context: &mut RunContext,
    url: &reqwest::Url,
    snapshot: &Snapshot,
    secrets: &Secrets,
) -> Result<AsyncRustlsFtpStream, Interrupt> {
    let options = context.options().clone();
    let user = snapshot.secrets.user.as_deref();
    tokio::select! {
        stop = context.stopped() => Err(Interrupt::Stop(stop)),
        session = open_session(url, user, secrets.password.as_deref(), &options) => Ok(session?),
    }
}

/// A logged-in session in binary mode, each step under the configured timeouts.
async fn open_session(
    url: &reqwest::Url,
    user: Option<&str>,
    password: Option<&str>,
    options: &Options,
) -> Result<AsyncRustlsFtpStream, TransferError> {
    let host = url
        .host_str()
        .unwrap_or("")
        .trim_matches(['[', ']'])
        .to_owned();
    let port = url.port().unwrap_or(21);
    let timeout = options.timeouts.connect;
    let lookup = tokio::net::lookup_host((host.as_str(), port));
    let address = match tokio::time::timeout(timeout, lookup).await {
        Err(_) => {
            return Err(TransferError::new(
                ErrorStatus::Timeout,
                "resolving the host timed out",
            ));
        }
        Ok(Err(e)) => {
            return Err(TransferError::new(
                ErrorStatus::HostNameNotResolved,
                format!("cannot resolve {host}: {e}"),
            ));
        }
        Ok(Ok(mut addresses)) => addresses.next().ok_or_else(|| {
            TransferError::new(
                ErrorStatus::HostNameNotResolved,
                format!("{host} has no address"),
            )
        })?,
    };
    let mut ftp = AsyncRustlsFtpStream::connect_timeout(address, timeout)
        .await
        .map_err(|e| ftp_error(e, "connecting"))?;
    if url.scheme() == "ftps" {
        let connector = tls_connector(&options.extra_root_certificates)?;
        ftp = within(options, ftp.into_secure(connector, &host))
            .await?
            .map_err(|e| ftp_error(e, "starting TLS"))?;
    }
    let user = user.unwrap_or("anonymous");
    let password = password.unwrap_or("anonymous@");
    within(options, ftp.login(user, password))
        .await?
        .map_err(|e| ftp_error(e, "logging in"))?;
    within(options, ftp.transfer_type(FileType::Binary))
        .await?
        .map_err(|e| ftp_error(e, "switching to binary"))?;
    Ok(ftp)
}

/// A control command under the response timeout.
async fn within<T>(
    options: &Options,
    command: impl Future<Output = suppaftp::FtpResult<T>>,
) -> Result<suppaftp::FtpResult<T>, TransferError> {
    let timeout = options.timeouts.response;
    tokio::time::timeout(timeout, command).await.map_err(|_| {
        TransferError::new(
            ErrorStatus::Timeout,
            format!(
                "no answer from the FTP server within {} s",
                timeout.as_secs_f64()
            ),
        )
    })
}

/// A control command under the response timeout, given up at once on a stop.
async fn step<T>(
    context: &mut RunContext,
    command: impl Future<Output = suppaftp::FtpResult<T>>,
) -> Result<suppaftp::FtpResult<T>, Interrupt> {
    let options = context.options().clone();
    tokio::select! {
        stop = context.stopped() => Err(Interrupt::Stop(stop)),
        answered = within(&options, command) => Ok(answered?),
    }
}

/// The commands that open a data connection.
#[derive(Clone, Copy)]
enum DataCommand<'p> {
    Retrieve(&'p str),
    Store(&'p str),
    Append(&'p str),
}

/// Open a data connection for `command` in extended passive mode, or plain
/// passive where the server does not know EPSV. When the transfer starts at an
/// offset, `REST` goes first.
async fn open_data(
    context: &mut RunContext,
    ftp: &mut AsyncRustlsFtpStream,
    rest: Option<u64>,
    command: DataCommand<'_>,
) -> Result<Transfer, Interrupt> {
    let what = match command {
        DataCommand::Retrieve(_) => "starting the download",
        DataCommand::Store(_) | DataCommand::Append(_) => "starting the upload",
    };
    for mode in [Mode::ExtendedPassive, Mode::Passive] {
        ftp.set_mode(mode);
        if let Some(offset) = rest {
            let offset = usize::try_from(offset).unwrap_or(usize::MAX);
            step(context, ftp.resume_transfer(offset))
                .await?
                .map_err(|e| ftp_error(e, "resuming"))?;
        }
        let opened = match command {
            DataCommand::Retrieve(path) => step(context, ftp.retr_as_stream(path)).await?,
            DataCommand::Store(path) => step(context, ftp.put_with_stream(path)).await?,
            DataCommand::Append(path) => step(context, ftp.append_with_stream(path)).await?,
        };
        match opened {
            Ok(stream) => return Ok(stream),
            Err(FtpError::UnexpectedResponse(response))
                if mode == Mode::ExtendedPassive
                    && matches!(response.status.code(), 500 | 501 | 502 | 504) =>
            {
                tracing::debug!(id = %context.id(), "no EPSV; trying PASV");
            }
            Err(error) => return Err(ftp_error(error, what).into()),
        }
    }
    Err(TransferError::new(
        ErrorStatus::ProtocolNotSupported,
        "the server accepts no passive data connection",
    )
    .into())
}

/// Say goodbye politely, without waiting long for it.
async fn quit(ftp: &mut AsyncRustlsFtpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(2), ftp.quit()).await;
}

/// The system's certificate authorities and the configured extra ones.
fn tls_connector(extra: &[std::path::PathBuf]) -> Result<AsyncRustlsConnector, TransferError> {
    use suppaftp::tokio_rustls::TlsConnector;
    use suppaftp::tokio_rustls::rustls;
    use suppaftp::tokio_rustls::rustls::pki_types::CertificateDer;
    use suppaftp::tokio_rustls::rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    for path in extra {
        if let Ok(certs) = CertificateDer::pem_file_iter(path) {
            roots.add_parsable_certificates(certs.filter_map(Result::ok));
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| TransferError::new(ErrorStatus::Unknown, e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(AsyncRustlsConnector::from(TlsConnector::from(Arc::new(
        config,
    ))))
}

/// An FTP failure as a stable status: 530 is a refused login, 550 a missing file
/// (or one we may not touch), 4xx replies are temporary (retried).
fn ftp_error(error: FtpError, what: &str) -> TransferError {
    match error {
        FtpError::ConnectionError(e) => connection_error(&e, what),
        FtpError::SecureError(e) => {
            // Only a refused certificate is the user's to fix (and final); a
            // garbled handshake (plain text where a TLS record was due, an
            // alert) is the server's glitch and worth another try.
            let status = if e.to_ascii_lowercase().contains("certificate") {
                ErrorStatus::CertificateInvalid
            } else {
                ErrorStatus::InvalidResponse
            };
            TransferError::new(status, format!("{what}: TLS failed: {e}"))
        }
        FtpError::UnexpectedResponse(response) => {
            let code = response.status.code();
            let text = String::from_utf8_lossy(&response.body).trim().to_owned();
            let status = match code {
                530 | 532 => ErrorStatus::Unauthorized,
                550 => ErrorStatus::NotFound,
                553 => ErrorStatus::Forbidden,
                400..=499 => ErrorStatus::ServerError,
                _ => ErrorStatus::UnexpectedStatusCode,
            };
            TransferError::new(status, format!("{what}: the server answered {text}"))
        }
        FtpError::BadResponse => TransferError::new(
            ErrorStatus::InvalidResponse,
            format!("{what}: the server's answer is not FTP"),
        ),
        other => TransferError::new(ErrorStatus::Unknown, format!("{what}: {other}")),
    }
}

fn connection_error(error: &std::io::Error, what: &str) -> TransferError {
    use std::io::ErrorKind;
    let status = match error.kind() {
        ErrorKind::ConnectionRefused
        | ErrorKind::HostUnreachable
        | ErrorKind::NetworkUnreachable
        | ErrorKind::AddrNotAvailable => ErrorStatus::CannotConnect,
        ErrorKind::TimedOut => ErrorStatus::Timeout,
        _ => ErrorStatus::ConnectionReset,
    };
    TransferError::new(status, format!("{what}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(code: u32) -> FtpError {
        let status = suppaftp::Status::from(code);
        FtpError::UnexpectedResponse(suppaftp::types::Response::new(status, b"x".to_vec()))
    }

    #[test]
    fn replies_map_to_stable_statuses() {
        assert_eq!(ftp_error(reply(530), "x").status, ErrorStatus::Unauthorized);
        assert_eq!(ftp_error(reply(550), "x").status, ErrorStatus::NotFound);
        for temporary in [421, 425, 426] {
            let status = ftp_error(reply(temporary), "x").status;
            assert!(status.is_retryable(), "{temporary}: {status:?}");
        }
    }

    #[test]
    fn only_a_refused_certificate_is_a_certificate_problem() {
        let refused = FtpError::SecureError("invalid peer certificate: UnknownIssuer".into());
        let refused = ftp_error(refused, "starting TLS");
        assert_eq!(refused.status, ErrorStatus::CertificateInvalid);
        assert!(!refused.status.is_retryable());
        // What a server that answers in plain text after AUTH TLS produces.
        let garbled =
            FtpError::SecureError("received corrupt message of type InvalidContentType".into());
        let garbled = ftp_error(garbled, "starting TLS");
        assert_eq!(garbled.status, ErrorStatus::InvalidResponse);
        assert!(garbled.status.is_retryable());
    }
}
