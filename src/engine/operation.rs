//! The operation model: ids, the status machine, and the record (snapshot) the
//! engine hands out. Everything here is plain data (serde), shared by the store,
//! the agent protocol and every front end.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::integrity::Checksum;
use uuid::Uuid;

use super::error::{ErrorInfo, FAILURES_KEPT, Failure};
use super::time::Millis;

/// Identifies one operation for its whole life, across agent restarts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OperationId(Uuid);

impl OperationId {
    pub fn new() -> Self {
        Self(Uuid::new_v4())
    }

    /// The first 8 hex digits: what tables show and what people type.
    pub fn short(&self) -> String {
        self.0.simple().to_string()[..8].to_owned()
    }

    pub fn as_u128(&self) -> u128 {
        self.0.as_u128()
    }

    pub fn from_u128(value: u128) -> Self {
        Self(Uuid::from_u128(value))
    }

    /// Whether `prefix` (with or without dashes, any case) starts this id.
    pub fn matches_prefix(&self, prefix: &str) -> bool {
        let wanted: String = prefix
            .chars()
            .filter(|c| *c != '-')
            .flat_map(char::to_lowercase)
            .collect();
        !wanted.is_empty() && self.0.simple().to_string().starts_with(&wanted)
    }
}

impl Default for OperationId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for OperationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for OperationId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// What an operation moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Download,
    Upload,
}

/// Which protocol moves an operation's bytes. It follows from the address's scheme
/// (checked at creation: http, https, ftp or ftps), so it is read from the address
/// rather than stored beside it, where the two could disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Http,
    Ftp,
}

impl Protocol {
    pub fn of_scheme(scheme: &str) -> Self {
        if scheme.eq_ignore_ascii_case("ftp") || scheme.eq_ignore_ascii_case("ftps") {
            Self::Ftp
        } else {
            Self::Http
        }
    }

    pub fn of_url(url: &str) -> Self {
        Self::of_scheme(url.split_once(':').map_or("", |(scheme, _)| scheme))
    }
}

/// The HTTP method of an upload (the seed's default is POST).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    #[default]
    Post,
    Put,
}

impl Method {
    pub fn as_reqwest(self) -> reqwest::Method {
        match self {
            Self::Post => reqwest::Method::POST,
            Self::Put => reqwest::Method::PUT,
        }
    }
}

/// A text field of a multipart upload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormField {
    pub name: String,
    pub value: String,
}

/// How the files of an upload are sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum UploadMode {
    /// One file as the request body.
    #[default]
    Single,
    /// All files in one `multipart/form-data` request. Each file part is named
    /// `field` (when given) or `File0`, `File1`… as in the seed.
    Multipart {
        #[serde(default)]
        field: Option<String>,
        #[serde(default)]
        form: Vec<FormField>,
    },
    /// The tus 1.0 resumable upload protocol; the URL is the creation endpoint.
    Tus,
}

/// What to upload and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadSpec {
    pub sources: Vec<PathBuf>,
    #[serde(default)]
    pub method: Method,
    #[serde(default)]
    pub mode: UploadMode,
}

/// When an operation may use the network (the seed's `BackgroundTransferCostPolicy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CostPolicy {
    UnrestrictedOnly,
    #[default]
    Default,
    Always,
}

impl CostPolicy {
    /// The spelling of the command line (`unrestricted-only`, `default`, `always`).
    pub fn as_kebab(&self) -> &'static str {
        match self {
            Self::UnrestrictedOnly => "unrestricted-only",
            Self::Default => "default",
            Self::Always => "always",
        }
    }
}

/// Which queued operation starts first when a slot frees up (then creation order).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
}

impl Priority {
    /// The spelling of the command line (`high`, `normal`, `low`).
    pub fn as_kebab(&self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Normal => "normal",
            Self::High => "high",
        }
    }
}

/// One custom request header, sent on every request of the operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// Where the bytes of a download go, as decided at creation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Exactly this file (a free variant of it when it exists and overwrite is off).
    File(PathBuf),
    /// A file in this folder, named from the response.
    Folder(PathBuf),
}

/// The status machine; names follow the seed (`BackgroundTransferStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    /// Queued: waiting for a free slot or for the time of its next retry.
    Idle,
    Running,
    PausedByApplication,
    PausedNoNetwork,
    PausedCostedNetwork,
    PausedSystemPolicy,
    /// Outside the hours a schedule gives it (F25); `waits_until` says when it
    /// may run next.
    PausedBySchedule,
    /// The address stopped serving the file (403, 404 or 410) after bytes came:
    /// they are kept, and it waits for a new address (`Engine::refresh`).
    NeedsNewAddress,
    Completed,
    Canceled,
    Error,
}

impl Status {
    /// Completed, canceled or failed: nothing will move it again by itself.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Completed | Self::Canceled | Self::Error)
    }

    /// Nothing will move it again by itself: finished, or waiting for the user to
    /// give it a new address. What `ferry get` and `ferry wait` wait for.
    pub fn is_settled(self) -> bool {
        self.is_finished() || self == Self::NeedsNewAddress
    }

    /// Not done, and nobody has to act for it to go on: running, queued, or
    /// paused by the network, the power saver, its hours. What "when the queue
    /// is done" waits for.
    pub fn goes_on_by_itself(self) -> bool {
        !self.is_settled() && self != Self::PausedByApplication
    }

    pub fn is_paused(self) -> bool {
        matches!(
            self,
            Self::PausedByApplication
                | Self::PausedNoNetwork
                | Self::PausedCostedNetwork
                | Self::PausedSystemPolicy
                | Self::PausedBySchedule
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "Idle",
            Self::Running => "Running",
            Self::PausedByApplication => "PausedByApplication",
            Self::PausedNoNetwork => "PausedNoNetwork",
            Self::PausedCostedNetwork => "PausedCostedNetwork",
            Self::PausedSystemPolicy => "PausedSystemPolicy",
            Self::PausedBySchedule => "PausedBySchedule",
            Self::NeedsNewAddress => "NeedsNewAddress",
            Self::Completed => "Completed",
            Self::Canceled => "Canceled",
            Self::Error => "Error",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The secrets an operation has, by name only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretSummary {
    /// The server's user name (its password is secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_user: Option<String>,
    /// Names of headers whose values are secret.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cookies: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl SecretSummary {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// What the server said about the resource, used to resume only the same version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validators {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// The digest of the whole file the server announced for this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Checksum>,
    /// The media type the server gave it (`text/html`…), lower case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

impl Validators {
    /// The value for `If-Range`: a strong ETag, else Last-Modified (RFC 9110 §13.1.5:
    /// weak ETags may not be used there).
    pub fn if_range(&self) -> Option<&str> {
        match &self.etag {
            Some(etag) if !etag.starts_with("W/") => Some(etag),
            _ => self.last_modified.as_deref(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }

    /// Whether the server said this is a web page.
    pub fn is_web_page(&self) -> bool {
        matches!(
            self.content_type.as_deref(),
            Some("text/html" | "application/xhtml+xml")
        )
    }
}

/// A file to upload as it was when the operation was created: a later change of
/// size or modification time means another version, never sent as a mix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub path: PathBuf,
    pub size: u64,
    /// Nanoseconds since the Unix epoch.
    pub modified_ns: u64,
}

/// An upload's plan and what it learned along the way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadState {
    pub method: Method,
    pub mode: UploadMode,
    pub sources: Vec<Source>,
    /// tus: the upload's own URL, from the creation response.
    #[serde(default)]
    pub tus_url: Option<String>,
    /// FTP: a `STOR` of ours has begun, so a partial file on the server is ours to
    /// continue (a file that was there before is replaced, never appended to).
    #[serde(default)]
    pub ftp_started: bool,
}

impl UploadState {
    pub fn total(&self) -> u64 {
        self.sources.iter().map(|s| s.size).sum()
    }
}

/// What the server answered to an upload: kept for the user and for scripts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerResponse {
    pub status: u16,
    pub headers: Vec<Header>,
    /// The start of the body (at most 64 KiB), as text (invalid UTF-8 replaced).
    pub body: String,
    /// The body was longer than what is kept.
    #[serde(default)]
    pub truncated: bool,
}

// Defaults left out of records and answers: with tens of thousands of operations
// the JSON is most of what the agent reads at start and sends for `list`.
#[allow(clippy::trivially_copy_pass_by_ref)] // shaped for `skip_serializing_if`
fn is_false(value: &bool) -> bool {
    !*value
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_nothing(value: &u64) -> bool {
    *value == 0
}

/// Everything known about one operation, as persisted and as shown.
///
/// `speed` and `eta` are live figures, never persisted. `bytes` is live while running
/// and the last checkpoint otherwise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub id: OperationId,
    /// Creation order; the queue is first-in first-out on it.
    pub seq: u64,
    pub kind: Kind,
    pub url: String,
    /// Downloads: where the bytes go.
    pub target: Option<Target>,
    /// Uploads: what is sent and how.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload: Option<UploadState>,
    /// Uploads: the server's answer, once there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ServerResponse>,
    /// The file the bytes end up in, once known (a folder target learns it from the
    /// first response).
    pub destination: Option<PathBuf>,
    pub status: Status,
    pub bytes: u64,
    pub total: Option<u64>,
    #[serde(default)]
    pub speed: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Header>,
    pub policy: CostPolicy,
    pub group: Option<String>,
    #[serde(default)]
    pub priority: Priority,
    /// Its rank in its priority class once moved (0: never; [`Snapshot::rank`]).
    #[serde(default, skip_serializing_if = "is_nothing")]
    pub queue_rank: u64,
    /// What is kept secret for this operation, named but not shown (the values are
    /// in the keyring or the secrets file).
    #[serde(default, skip_serializing_if = "SecretSummary::is_empty")]
    pub secrets: SecretSummary,
    /// The operation's own proxy, without its credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub overwrite: bool,
    /// TLS certificates are not checked for this operation (`--insecure`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub insecure: bool,
    /// The checksum the user gave for the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
    /// Its own bandwidth limit, bytes per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Connections it may use (`None`: the setting's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections: Option<u8>,
    /// What kind of file it is: the user's choice, else from its name (and the
    /// server's media type once it answered).
    #[serde(default)]
    pub category: super::category::Category,
    /// The user chose `category`: the name does not change it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub category_chosen: bool,
    /// A segmented download's parts and how much of each is safely on disk; empty
    /// for a download written in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<Segment>,
    pub validators: Validators,
    /// Automatic retries used since the last success or manual resume.
    pub attempts: u32,
    /// The furthest offset any attempt reached: retries only reset when it grows.
    #[serde(default, skip_serializing_if = "is_nothing")]
    pub high_water: u64,
    /// While `Idle` after a failure: when the next attempt may start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<Millis>,
    /// While `PausedBySchedule`: when a schedule lets it run next (none
    /// within a week: no time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waits_until: Option<Millis>,
    pub error: Option<ErrorInfo>,
    /// The last failures, oldest first, each with when it came and the retry
    /// it used ([`FAILURES_KEPT`] at most; the last is `error` when it stands).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<Failure>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub finished_at: Option<Millis>,
}

impl Snapshot {
    /// A failure: it stands as the operation's error, and joins the last ones.
    pub fn record_failure(&mut self, error: ErrorInfo) {
        if self.failures.len() >= FAILURES_KEPT {
            self.failures.remove(0);
        }
        self.failures.push(Failure {
            at: super::time::now_millis(),
            error: error.clone(),
            attempt: self.attempts,
        });
        self.error = Some(error);
    }

    pub fn protocol(&self) -> Protocol {
        Protocol::of_url(&self.url)
    }

    /// The name people recognise: the destination's file name, the first file of
    /// an upload, else the URL's last segment.
    pub fn display_name(&self) -> String {
        if let Some(name) = self.destination.as_deref().and_then(Path::file_name) {
            return name.to_string_lossy().into_owned();
        }
        if let Some(upload) = &self.upload {
            let first = upload.sources.first().and_then(|s| s.path.file_name());
            if let Some(first) = first {
                let first = first.to_string_lossy();
                return match upload.sources.len() {
                    1 => first.into_owned(),
                    n => format!("{first} (+{} more)", n - 1),
                };
            }
        }
        let trimmed = self.url.split(['?', '#']).next().unwrap_or(&self.url);
        trimmed
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.url)
            .to_owned()
    }

    /// Where the bytes live until the download completes.
    pub fn part_path(&self) -> Option<PathBuf> {
        self.destination.as_deref().map(part_path)
    }

    /// Forget progress so the next attempt starts from byte zero.
    pub(crate) fn reset_progress(&mut self) {
        self.bytes = 0;
        self.total = None;
        self.validators = Validators::default();
        self.high_water = 0;
        self.response = None;
        self.segments.clear();
        if matches!(self.target, Some(Target::Folder(_))) {
            self.destination = None;
        }
        if let Some(upload) = &mut self.upload {
            upload.tus_url = None;
            upload.ftp_started = false;
            self.total = Some(upload.total());
        }
    }
}

/// The most connections one download may use.
pub const MAX_CONNECTIONS: u8 = 32;

/// One part of a segmented download: bytes `start..end` of the file, of which the
/// first `done` are synced to disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub start: u64,
    pub end: u64,
    pub done: u64,
}

/// `<destination>.part`.
pub(super) fn part_path(destination: &Path) -> PathBuf {
    let mut name = destination.as_os_str().to_owned();
    name.push(".part");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests;
