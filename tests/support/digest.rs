//! The server's side of HTTP Digest authentication (RFC 7616) for the test server:
//! one fixed challenge (SHA-256, qop=auth) and the check of an answer to it.

use std::collections::HashMap;

use sha2::{Digest as _, Sha256};

const REALM: &str = "ferry-test";
const NONCE: &str = "7ypf-xlj9XXwfDPEoM4URrv-xwf94BcCAzFZH4GiTo0v";

/// The head of a 401 that asks for Digest credentials.
pub async fn refuse<S: tokio::io::AsyncWrite + Unpin>(stream: &mut S) {
    let headers = vec![
        ("WWW-Authenticate".into(), challenge()),
        ("Content-Length".into(), "0".into()),
    ];
    let _ = super::server::write_head(stream, 401, "Unauthorized", &headers).await;
}

/// The `WWW-Authenticate` value of a 401.
pub fn challenge() -> String {
    format!("Digest realm=\"{REALM}\", qop=\"auth\", algorithm=SHA-256, nonce=\"{NONCE}\"")
}

/// Whether `authorization` answers the challenge for `method` on `target` with
/// this user and password.
pub fn verifies(
    authorization: Option<&str>,
    method: &str,
    target: &str,
    user: &str,
    password: &str,
) -> bool {
    let Some(params) = authorization.and_then(|a| a.strip_prefix("Digest ")) else {
        return false;
    };
    let params = parse(params);
    let get = |key: &str| params.get(key).map(String::as_str);
    if get("username") != Some(user)
        || get("realm") != Some(REALM)
        || get("nonce") != Some(NONCE)
        || get("uri") != Some(target)
        || get("qop") != Some("auth")
    {
        return false;
    }
    let (Some(nc), Some(cnonce), Some(response)) = (get("nc"), get("cnonce"), get("response"))
    else {
        return false;
    };
    let hash = |text: String| format!("{:x}", Sha256::digest(text.as_bytes()));
    let ha1 = hash(format!("{user}:{REALM}:{password}"));
    let ha2 = hash(format!("{method}:{target}"));
    response == hash(format!("{ha1}:{NONCE}:{nc}:{cnonce}:auth:{ha2}"))
}

/// `key=value, key="quoted, value"` pairs.
fn parse(text: &str) -> HashMap<String, String> {
    let mut params = HashMap::new();
    let mut rest = text.trim();
    while let Some((key, after)) = rest.split_once('=') {
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let (value, after) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"').unwrap_or(quoted.len());
                (&quoted[..end], quoted.get(end + 1..).unwrap_or(""))
            }
            None => {
                let end = after.find(',').unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        params.insert(key, value.trim().to_owned());
        rest = after.trim_start_matches([',', ' ']);
    }
    params
}
