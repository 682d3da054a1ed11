//! An operation's secrets: the server's and the proxy's passwords, header values
//! that are credentials (`Authorization`, `Cookie`, `Proxy-Authorization`) and the
//! cookies given at creation. They live in the OS keyring (the Secret Service on
//! Linux) under the operation's id; where there is none, in a file readable by the
//! user only (`secrets.json`, mode 0600) in the data directory. Never in the
//! database, never in the log.

use std::collections::BTreeMap;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::operation::{Header, OperationId};

/// What one operation keeps secret.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secrets {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_password: Option<String>,
    /// Header values that are credentials.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Header>,
    /// Cookies in `Set-Cookie` syntax, scoped to the operation's URL unless they say
    /// otherwise (`Domain=`, `Path=`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cookies: Vec<String>,
}

impl Secrets {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// Headers whose values are credentials.
pub fn is_sensitive_header(name: &str) -> bool {
    ["authorization", "proxy-authorization", "cookie"]
        .iter()
        .any(|s| name.eq_ignore_ascii_case(s))
}

/// Where secrets are kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// The OS keyring when one answers, else the file.
    #[default]
    Auto,
    /// The 0600 file in the data directory.
    File,
}

#[derive(Clone, Debug)]
pub struct SecretStore {
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    Keyring,
    File {
        path: PathBuf,
        /// One writer at a time; the file is read and rewritten whole.
        lock: Arc<tokio::sync::Mutex<()>>,
    },
}

const SERVICE: &str = "ferry";

#[derive(Debug, thiserror::Error)]
#[error("cannot keep the operation's secrets: {0}")]
pub struct SecretError(String);

impl SecretStore {
    /// Pick where secrets go; the notice says so when it is the file.
    pub async fn open(data_dir: &std::path::Path, backend: Backend) -> (Self, Option<String>) {
        let file = Self {
            kind: Kind::File {
                path: data_dir.join("secrets.json"),
                lock: Arc::new(tokio::sync::Mutex::new(())),
            },
        };
        if backend == Backend::File {
            return (file, None);
        }
        match keyring_answers().await {
            Ok(()) => {
                tracing::info!("secrets are kept in the system keyring");
                (
                    Self {
                        kind: Kind::Keyring,
                    },
                    None,
                )
            }
            Err(reason) => {
                let notice = format!(
                    "no system keyring ({reason}): passwords and cookies are kept in {} (readable by you only)",
                    data_dir.join("secrets.json").display()
                );
                (file, Some(notice))
            }
        }
    }

    pub async fn put(&self, id: OperationId, secrets: &Secrets) -> Result<(), SecretError> {
        if secrets.is_empty() {
            return self.delete(id).await;
        }
        let text = serde_json::to_string(secrets).map_err(|e| SecretError(e.to_string()))?;
        match &self.kind {
            Kind::Keyring => {
                blocking(move || keyring::Entry::new(SERVICE, &id.to_string())?.set_password(&text))
                    .await
            }
            Kind::File { path, lock } => {
                let _guard = lock.lock().await;
                let mut all = read_file(path)?;
                all.insert(id.to_string(), secrets.clone());
                write_file(path, &all)
            }
        }
    }

    /// The operation's secrets (none if it has none or they cannot be read: the
    /// request then goes without them and the server says what is missing).
    pub async fn get(&self, id: OperationId) -> Secrets {
        let found = match &self.kind {
            Kind::Keyring => {
                let text = blocking(move || {
                    match keyring::Entry::new(SERVICE, &id.to_string())?.get_password() {
                        Err(keyring::Error::NoEntry) => Ok(String::new()),
                        other => other,
                    }
                })
                .await;
                text.and_then(|text| {
                    if text.is_empty() {
                        Ok(Secrets::default())
                    } else {
                        serde_json::from_str(&text).map_err(|e| SecretError(e.to_string()))
                    }
                })
            }
            Kind::File { path, lock } => {
                let _guard = lock.lock().await;
                read_file(path).map(|mut all| all.remove(&id.to_string()).unwrap_or_default())
            }
        };
        found.unwrap_or_else(|e| {
            tracing::warn!(%id, error = %e, "cannot read the operation's secrets");
            Secrets::default()
        })
    }

    pub async fn delete(&self, id: OperationId) -> Result<(), SecretError> {
        match &self.kind {
            Kind::Keyring => {
                blocking(move || {
                    match keyring::Entry::new(SERVICE, &id.to_string())?.delete_credential() {
                        Err(keyring::Error::NoEntry) => Ok(()),
                        other => other,
                    }
                })
                .await
            }
            Kind::File { path, lock } => {
                let _guard = lock.lock().await;
                let mut all = read_file(path)?;
                if all.remove(&id.to_string()).is_some() {
                    write_file(path, &all)?;
                }
                Ok(())
            }
        }
    }
}

/// Whether the keyring answers (a missing entry is an answer).
async fn keyring_answers() -> Result<(), String> {
    let probe = blocking(
        || match keyring::Entry::new(SERVICE, "probe")?.get_password() {
            Ok(_) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e),
        },
    );
    match tokio::time::timeout(std::time::Duration::from_secs(3), probe).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.0),
        Err(_) => Err("it did not answer within 3 s".into()),
    }
}

/// Keyring calls block (they talk D-Bus synchronously): off the runtime's threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> keyring::Result<T> + Send + 'static,
) -> Result<T, SecretError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| SecretError(e.to_string()))?
        .map_err(|e| SecretError(e.to_string()))
}

fn read_file(path: &std::path::Path) -> Result<BTreeMap<String, Secrets>, SecretError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| SecretError(format!("{} is damaged: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(SecretError(format!("cannot read {}: {e}", path.display()))),
    }
}

/// Replace the file whole, created 0600, synced, renamed over the old one.
fn write_file(path: &std::path::Path, all: &BTreeMap<String, Secrets>) -> Result<(), SecretError> {
    use std::io::Write as _;
    let fail = |e: std::io::Error| SecretError(format!("cannot write {}: {e}", path.display()));
    let bytes = serde_json::to_vec(all).map_err(|e| SecretError(e.to_string()))?;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    let _ = std::fs::remove_file(&temporary);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .map_err(fail)?;
    file.write_all(&bytes).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    std::fs::rename(&temporary, path).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[tokio::test]
    async fn the_file_store_keeps_secrets_private_and_forgets_them() {
        let dir = tempfile::tempdir().unwrap();
        let (store, notice) = SecretStore::open(dir.path(), Backend::File).await;
        assert!(notice.is_none());
        let id = OperationId::new();
        let secrets = Secrets {
            password: Some("hunter2".into()),
            ..Secrets::default()
        };
        store.put(id, &secrets).await.unwrap();
        assert_eq!(store.get(id).await, secrets);
        let path = dir.path().join("secrets.json");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        store.delete(id).await.unwrap();
        assert_eq!(store.get(id).await, Secrets::default());
        assert!(!std::fs::read_to_string(&path).unwrap().contains("hunter2"));
    }

    #[test]
    fn credential_headers_are_recognised() {
        assert!(is_sensitive_header("Authorization"));
        assert!(is_sensitive_header("COOKIE"));
        assert!(!is_sensitive_header("Accept"));
    }
}
