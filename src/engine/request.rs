//! What a caller asks for (a [`Request`]), and the operation's first record made
//! from it once it is admitted.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::integrity::Checksum;
use super::operation::*;
use super::time::now_millis;

/// A user name and password for the server.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Auth {
    pub user: String,
    pub password: String,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("user", &self.user)
            .field("password", &"…")
            .finish()
    }
}

/// What the caller asks for. Validated by [`crate::engine::Engine::create`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub kind: Kind,
    pub url: String,
    /// A file path, or a folder that receives a name chosen from the response.
    /// `None`: the engine's default folder.
    #[serde(default)]
    pub destination: Option<PathBuf>,
    /// `destination` is a folder (created if missing), never a file's name: what
    /// a window's folder field or `-o dir/` mean. Without it, an existing folder
    /// is still taken as one, and any other path names the file.
    #[serde(default)]
    pub into_folder: bool,
    #[serde(default)]
    pub headers: Vec<Header>,
    #[serde(default)]
    pub policy: CostPolicy,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub priority: Priority,
    /// The server's user name and password (also taken from the URL).
    #[serde(default)]
    pub auth: Option<Auth>,
    /// A proxy for this operation (`http://`, `https://`, `socks5://`, `socks5h://`),
    /// with its credentials in the URL if it needs them. `None`: the global setting,
    /// else the environment (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`).
    #[serde(default)]
    pub proxy: Option<String>,
    /// Cookies sent with the operation's requests, in `Set-Cookie` syntax
    /// (`name=value`, optionally `; Domain=…; Path=…; Secure`).
    #[serde(default)]
    pub cookies: Vec<String>,
    /// Replace an existing file at the destination instead of choosing a free name.
    #[serde(default)]
    pub overwrite: bool,
    /// Accept any TLS certificate for this operation's HTTPS requests (a device or
    /// test server with a self-signed one). Only ever per operation, never a
    /// setting; the operation carries it where it is shown, as a warning.
    #[serde(default)]
    pub insecure: bool,
    /// For uploads: the files and how they are sent.
    #[serde(default)]
    pub upload: Option<UploadSpec>,
    /// For downloads: the file's checksum, checked before it gets its name.
    #[serde(default)]
    pub checksum: Option<Checksum>,
    /// This operation's own bandwidth limit, bytes per second.
    #[serde(default)]
    pub limit: Option<u64>,
    /// Connections for one download (`None`: the setting's).
    #[serde(default)]
    pub connections: Option<u8>,
    /// Its category, chosen by the user (`None`: from its name and type).
    #[serde(default)]
    pub category: Option<super::category::Category>,
    /// Create a second operation even when the same one (same address and
    /// destination, or same target and files) has not ended yet; otherwise the
    /// request attaches to that one.
    #[serde(default)]
    pub duplicate: bool,
    /// Create it paused ("start later"): it waits for a resume.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
}

impl Request {
    pub fn download(url: impl Into<String>, destination: impl Into<Option<PathBuf>>) -> Self {
        Self {
            kind: Kind::Download,
            url: url.into(),
            destination: destination.into(),
            into_folder: false,
            headers: Vec::new(),
            policy: CostPolicy::Default,
            group: None,
            priority: Priority::Normal,
            auth: None,
            proxy: None,
            cookies: Vec::new(),
            overwrite: false,
            insecure: false,
            upload: None,
            checksum: None,
            limit: None,
            connections: None,
            category: None,
            duplicate: false,
            paused: false,
        }
    }

    /// Download `url` into `folder` (made if missing), named from the response.
    pub fn download_into(url: impl Into<String>, folder: PathBuf) -> Self {
        Self {
            into_folder: true,
            ..Self::download(url, Some(folder))
        }
    }

    /// Upload `sources` to `url` (POST of one file unless told otherwise).
    pub fn upload(url: impl Into<String>, sources: Vec<PathBuf>) -> Self {
        Self {
            kind: Kind::Upload,
            url: url.into(),
            destination: None,
            into_folder: false,
            headers: Vec::new(),
            policy: CostPolicy::Default,
            group: None,
            priority: Priority::Normal,
            auth: None,
            proxy: None,
            cookies: Vec::new(),
            overwrite: false,
            insecure: false,
            checksum: None,
            limit: None,
            connections: None,
            category: None,
            duplicate: false,
            paused: false,
            upload: Some(UploadSpec {
                sources,
                method: Method::Post,
                mode: UploadMode::Single,
            }),
        }
    }

    pub fn method(mut self, method: Method) -> Self {
        if let Some(upload) = &mut self.upload {
            upload.method = method;
        }
        self
    }

    pub fn mode(mut self, mode: UploadMode) -> Self {
        if let Some(upload) = &mut self.upload {
            upload.mode = mode;
        }
        self
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push(Header {
            name: name.into(),
            value: value.into(),
        });
        self
    }

    pub fn policy(mut self, policy: CostPolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = priority;
        self
    }

    pub fn auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth = Some(Auth {
            user: user.into(),
            password: password.into(),
        });
        self
    }

    /// Accept any TLS certificate for this operation (see [`Request::insecure`]).
    pub fn insecure(mut self) -> Self {
        self.insecure = true;
        self
    }

    pub fn proxy(mut self, proxy: impl Into<String>) -> Self {
        self.proxy = Some(proxy.into());
        self
    }

    pub fn cookie(mut self, cookie: impl Into<String>) -> Self {
        self.cookies.push(cookie.into());
        self
    }

    /// Make a second operation even if the same one is unfinished (see
    /// [`Request::duplicate`]).
    pub fn duplicate(mut self, duplicate: bool) -> Self {
        self.duplicate = duplicate;
        self
    }

    pub fn overwrite(mut self, overwrite: bool) -> Self {
        self.overwrite = overwrite;
        self
    }

    pub fn checksum(mut self, checksum: Checksum) -> Self {
        self.checksum = Some(checksum);
        self
    }

    /// Download over this many connections at most (1 to 32).
    pub fn connections(mut self, connections: u8) -> Self {
        self.connections = Some(connections.clamp(1, MAX_CONNECTIONS));
        self
    }

    /// Bytes per second for this operation (`None` or 0: no limit of its own).
    pub fn limit(mut self, limit: Option<u64>) -> Self {
        self.limit = limit.filter(|l| *l > 0);
        self
    }
}

/// The first record of an operation, made from its admitted request.
impl Snapshot {
    pub(crate) fn new(seq: u64, request: &Request, url: String, target: Option<Target>) -> Self {
        let now = now_millis();
        let destination = match &target {
            Some(Target::File(path)) => Some(path.clone()),
            _ => None,
        };
        Self {
            id: OperationId::new(),
            seq,
            kind: request.kind,
            url,
            target,
            upload: None,
            response: None,
            destination,
            status: Status::Idle,
            bytes: 0,
            total: None,
            speed: 0.0,
            eta_secs: None,
            headers: request.headers.clone(),
            policy: request.policy,
            group: request.group.clone(),
            priority: request.priority,
            queue_rank: 0,
            secrets: SecretSummary::default(),
            proxy: None,
            overwrite: request.overwrite,
            insecure: request.insecure,
            checksum: request.checksum.clone(),
            limit: request.limit.filter(|l| *l > 0),
            connections: request.connections.map(|c| c.clamp(1, MAX_CONNECTIONS)),
            category: request.category.unwrap_or_default(),
            category_chosen: request.category.is_some(),
            segments: Vec::new(),
            validators: Validators::default(),
            attempts: 0,
            high_water: 0,
            retry_at: None,
            waits_until: None,
            error: None,
            failures: Vec::new(),
            created_at: now,
            updated_at: now,
            finished_at: None,
        }
    }
}
