//! A forward HTTP proxy for tests: it wants `Proxy-Authorization` (basic), answers
//! 407 without it, and relays requests in absolute form to their origin, counting
//! what it relayed. One request per connection (it asks for `Connection: close`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};

pub struct TestProxy {
    pub port: u16,
    relayed: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestProxy {
    pub async fn start(user: &str, password: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let wanted = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        );
        let relayed = Arc::new(AtomicUsize::new(0));
        let refused = Arc::new(AtomicUsize::new(0));
        let (r, f) = (Arc::clone(&relayed), Arc::clone(&refused));
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (wanted, r, f) = (wanted.clone(), Arc::clone(&r), Arc::clone(&f));
                tokio::spawn(async move {
                    let _ = relay(client, &wanted, &r, &f).await;
                });
            }
        });
        Self {
            port,
            relayed,
            refused,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn relayed(&self) -> usize {
        self.relayed.load(Ordering::SeqCst)
    }

    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }
}

async fn relay(
    client: TcpStream,
    wanted: &str,
    relayed: &AtomicUsize,
    refused: &AtomicUsize,
) -> std::io::Result<()> {
    let mut client = BufReader::new(client);
    let mut request_line = String::new();
    client.read_line(&mut request_line).await?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        client.read_line(&mut line).await?;
        if line.trim_end().is_empty() {
            break;
        }
        headers.push(line.trim_end().to_owned());
    }
    let authorized = headers.iter().any(|h| {
        h.split_once(':').is_some_and(|(name, value)| {
            name.eq_ignore_ascii_case("proxy-authorization") && value.trim() == wanted
        })
    });
    if !authorized {
        refused.fetch_add(1, Ordering::SeqCst);
        client
            .get_mut()
            .write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"proxy\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .await?;
        return Ok(());
    }
    // "GET http://host:port/path HTTP/1.1" → origin and "GET /path HTTP/1.1".
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let rest = target.strip_prefix("http://").unwrap_or(target);
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut origin = TcpStream::connect(authority).await?;
    let mut head = format!(
        "{method} {} HTTP/1.1\r\n",
        if path.is_empty() { "/" } else { path }
    );
    for header in &headers {
        let name = header.split(':').next().unwrap_or("");
        if !["proxy-authorization", "connection", "proxy-connection"]
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n))
        {
            head.push_str(header);
            head.push_str("\r\n");
        }
    }
    head.push_str("Connection: close\r\n\r\n");
    origin.write_all(head.as_bytes()).await?;
    relayed.fetch_add(1, Ordering::SeqCst);
    // The answer goes back as it is; the request had no body (GET).
    let mut answer = Vec::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let client = client.get_mut();
    loop {
        let n = origin.read(&mut buffer).await?;
        if n == 0 {
            break;
        }
        answer.clear();
        answer.extend_from_slice(&buffer[..n]);
        client.write_all(&answer).await?;
    }
    client.shutdown().await
}
