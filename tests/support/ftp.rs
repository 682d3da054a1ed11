//! An FTP(S) server for tests: libunftp over a folder, anonymous or with one user,
//! optionally with explicit TLS (the `localhost` certificate of `tls/`), recording
//! the files it sent and received and how many bytes each time.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use libunftp::notification::{DataEvent, DataListener, EventMeta};
use unftp_core::auth::{AuthenticationError, Authenticator, Credentials, Principal};

pub struct TestFtp {
    pub port: u16,
    sent: Arc<Mutex<Vec<(String, u64)>>>,
    received: Arc<Mutex<Vec<(String, u64)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestFtp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Debug)]
struct OneUser {
    user: String,
    password: String,
}

#[async_trait::async_trait]
impl Authenticator for OneUser {
    async fn authenticate(
        &self,
        username: &str,
        creds: &Credentials,
    ) -> Result<Principal, AuthenticationError> {
        if username != self.user {
            return Err(AuthenticationError::BadUser);
        }
        if creds.password.as_deref() != Some(self.password.as_str()) {
            return Err(AuthenticationError::BadPassword);
        }
        Ok(Principal {
            username: username.to_owned(),
        })
    }
}

/// Completed transfers: `RETR`s (sent) and `STOR`/`APPE`s (received).
#[derive(Debug)]
struct Transfers {
    sent: Arc<Mutex<Vec<(String, u64)>>>,
    received: Arc<Mutex<Vec<(String, u64)>>>,
}

#[async_trait::async_trait]
impl DataListener for Transfers {
    async fn receive_data_event(&self, event: DataEvent, _meta: EventMeta) {
        match event {
            DataEvent::Got { path, bytes } => self.sent.lock().unwrap().push((path, bytes)),
            DataEvent::Put { path, bytes } => self.received.lock().unwrap().push((path, bytes)),
            _ => {}
        }
    }
}

impl TestFtp {
    /// Serve `root`; `user` (name, password) instead of anonymous logins; `tls` for
    /// FTPS.
    pub async fn start(root: &Path, user: Option<(&str, &str)>, tls: bool) -> Self {
        let root: PathBuf = root.to_owned();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let received = Arc::new(Mutex::new(Vec::new()));
        let storage = Box::new(move || unftp_sbe_fs::Filesystem::new(root.clone()).unwrap());
        let mut builder = match user {
            Some((user, password)) => libunftp::ServerBuilder::with_authenticator(
                storage,
                Arc::new(OneUser {
                    user: user.to_owned(),
                    password: password.to_owned(),
                }),
            ),
            None => libunftp::ServerBuilder::new(storage),
        }
        .notify_data(Transfers {
            sent: Arc::clone(&sent),
            received: Arc::clone(&received),
        })
        .passive_ports(40000..=44999);
        if tls {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/tls");
            builder = builder.ftps(dir.join("localhost.pem"), dir.join("localhost.key"));
        }
        let server = builder.build().expect("the FTP server builds");
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let task = tokio::spawn(async move {
            let _ = server.listen(format!("127.0.0.1:{port}")).await;
        });
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        Self {
            port,
            sent,
            received,
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("ftp://127.0.0.1:{}{path}", self.port)
    }

    /// Every completed `RETR`: the path and the bytes sent.
    pub fn sent(&self) -> Vec<(String, u64)> {
        self.sent.lock().unwrap().clone()
    }

    /// Every completed `STOR` or `APPE`: the path and the bytes received.
    pub fn received(&self) -> Vec<(String, u64)> {
        self.received.lock().unwrap().clone()
    }
}
