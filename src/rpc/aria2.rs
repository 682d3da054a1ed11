//! Ferry's operations in aria2's words: 16-hex-digit GIDs, status names, error
//! codes, the status struct with its numbers as strings, and the options that
//! `addUri` takes.

use std::path::PathBuf;

use serde_json::{Map, Value, json};

use super::jsonrpc::RpcError;
use crate::engine::{
    self, Checksum, ChecksumAlgorithm, Engine, ErrorStatus, Header, Kind, OperationId, Request,
    Snapshot, Status,
};

/// A GID: the first 16 hex digits of the operation's id, stable for its life.
pub(super) fn gid(id: OperationId) -> String {
    id.to_string().replace('-', "")[..16].to_owned()
}

/// The download a GID (or a unique prefix of one) names.
pub(super) fn find(engine: &Engine, given: &Value) -> Result<Snapshot, RpcError> {
    let Some(text) = given.as_str() else {
        return Err(RpcError::invalid_params("a GID is a string"));
    };
    let text = text.to_ascii_lowercase();
    if text.is_empty() || text.len() > 16 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(RpcError::aria2(format!("Bad GID {text}")));
    }
    let mut found = engine
        .list()
        .into_iter()
        .filter(|s| s.kind == Kind::Download && gid(s.id).starts_with(&text));
    match (found.next(), found.next()) {
        (Some(one), None) => Ok(one),
        (None, _) => Err(RpcError::aria2(format!("GID {text} is not found"))),
        (Some(_), Some(_)) => Err(RpcError::aria2(format!("GID {text} is ambiguous"))),
    }
}

/// aria2's word for where a download is.
pub(super) fn status_word(status: Status) -> &'static str {
    match status {
        Status::Running => "active",
        Status::Idle
        | Status::PausedNoNetwork
        | Status::PausedCostedNetwork
        | Status::PausedSystemPolicy
        | Status::PausedBySchedule => "waiting",
        Status::PausedByApplication => "paused",
        Status::Completed => "complete",
        Status::Canceled => "removed",
        Status::Error | Status::NeedsNewAddress => "error",
    }
}

/// aria2's exit code for a failure (its `errorCode`).
pub(super) fn error_code(status: ErrorStatus) -> u32 {
    match status {
        ErrorStatus::Timeout | ErrorStatus::RequestTimeout => 2,
        ErrorStatus::NotFound | ErrorStatus::Gone => 3,
        ErrorStatus::RequestedRangeNotSatisfiable => 8,
        ErrorStatus::DiskFull => 9,
        ErrorStatus::PermissionDenied | ErrorStatus::FileSystemError => 16,
        ErrorStatus::HostNameNotResolved => 19,
        ErrorStatus::InvalidResponse | ErrorStatus::UnexpectedStatusCode => 22,
        ErrorStatus::TooManyRedirects | ErrorStatus::HttpsToHttpOnRedirection => 23,
        ErrorStatus::Unauthorized
        | ErrorStatus::Forbidden
        | ErrorStatus::ProxyAuthenticationRequired => 24,
        ErrorStatus::ChecksumMismatch => 32,
        ErrorStatus::CannotConnect | ErrorStatus::ConnectionReset => 6,
        _ => 1,
    }
}

/// Where a download's file is (or will be), and its folder.
fn paths(snapshot: &Snapshot) -> (String, String) {
    let file = snapshot
        .destination
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let dir = match (&snapshot.destination, &snapshot.target) {
        (Some(path), _) => path.parent().map(|p| p.display().to_string()),
        (None, Some(engine::Target::Folder(folder))) => Some(folder.display().to_string()),
        (None, Some(engine::Target::File(file))) => file.parent().map(|p| p.display().to_string()),
        (None, None) => None,
    };
    (file, dir.unwrap_or_default())
}

/// Bytes per piece in the numbers aria2 reports (Ferry has no pieces).
const PIECE: u64 = 1 << 20;

/// The `files` entry of a download (Ferry downloads one file per operation).
pub(super) fn files(snapshot: &Snapshot) -> Value {
    let (path, _) = paths(snapshot);
    json!([{
        "index": "1",
        "path": path,
        "length": snapshot.total.unwrap_or(0).to_string(),
        "completedLength": snapshot.bytes.to_string(),
        "selected": "true",
        "uris": uris(snapshot),
    }])
}

pub(super) fn uris(snapshot: &Snapshot) -> Value {
    json!([{ "uri": snapshot.url, "status": "used" }])
}

/// Connections in use now.
fn connections(snapshot: &Snapshot) -> usize {
    if snapshot.status != Status::Running {
        return 0;
    }
    let open = snapshot
        .segments
        .iter()
        .filter(|s| s.done < s.end.saturating_sub(s.start))
        .count();
    open.max(1)
}

/// aria2's status struct, with only `keys` when some are asked for.
pub(super) fn status(snapshot: &Snapshot, keys: Option<&[String]>) -> Value {
    let (_, dir) = paths(snapshot);
    let total = snapshot.total.unwrap_or(0);
    let mut all = Map::new();
    let mut put = |key: &str, value: Value| {
        if keys.is_none_or(|keys| keys.iter().any(|k| k == key)) {
            all.insert(key.to_owned(), value);
        }
    };
    put("gid", gid(snapshot.id).into());
    put("status", status_word(snapshot.status).into());
    put("totalLength", total.to_string().into());
    put("completedLength", snapshot.bytes.to_string().into());
    put("uploadLength", "0".into());
    put("downloadSpeed", (snapshot.speed as u64).to_string().into());
    put("uploadSpeed", "0".into());
    put("connections", connections(snapshot).to_string().into());
    put("pieceLength", PIECE.to_string().into());
    put("numPieces", total.div_ceil(PIECE).to_string().into());
    put("dir", dir.into());
    put("files", files(snapshot));
    if let Some(error) = &snapshot.error
        && matches!(snapshot.status, Status::Error | Status::NeedsNewAddress)
    {
        let message = if snapshot.status == Status::NeedsNewAddress {
            format!(
                "{} (the address stopped serving the file; give a new one with changeUri)",
                error.message
            )
        } else {
            error.message.clone()
        };
        put("errorCode", error_code(error.status).to_string().into());
        put("errorMessage", message.into());
    }
    Value::Object(all)
}

/// `keys` as a client sends them: absent, or an array of names.
pub(super) fn keys(value: Option<&Value>) -> Result<Option<Vec<String>>, RpcError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(names)) => names
            .iter()
            .map(|n| {
                n.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| RpcError::invalid_params("keys are strings"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(RpcError::invalid_params("keys is an array of names")),
    }
}

/// A size as aria2 writes them: bytes, or with K or M (1024-based).
pub(super) fn size(text: &str) -> Result<u64, RpcError> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().last() {
        Some((at, c)) if c.eq_ignore_ascii_case(&'k') => (&text[..at], 1024),
        Some((at, c)) if c.eq_ignore_ascii_case(&'m') => (&text[..at], 1024 * 1024),
        _ => (text, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .ok_or_else(|| RpcError::aria2(format!("not a size: {text}")))
}

/// A string option: aria2's clients send every option value as a string (some
/// send numbers and booleans too).
pub(super) fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The request `addUri` asks for, with its options applied; options aria2 has
/// and Ferry does not are left out.
pub(super) fn download_request(
    uri: &str,
    options: &Map<String, Value>,
    default_dir: &std::path::Path,
) -> Result<Request, RpcError> {
    // Front ends send options they leave empty (AriaNg's form): as if absent.
    let get = |key: &str| {
        options
            .get(key)
            .and_then(text_of)
            .filter(|value| !value.trim().is_empty())
    };
    let mut request = Request::download(uri, None);
    let dir = get("dir").map(PathBuf::from);
    if let Some(dir) = dir.as_ref().filter(|d| !d.is_absolute()) {
        return Err(RpcError::aria2(format!(
            "dir must be an absolute path: {}",
            dir.display()
        )));
    }
    match (dir, get("out")) {
        (dir, Some(name)) => {
            if name.contains('/') || name.is_empty() {
                return Err(RpcError::aria2(format!("out must be a file name: {name}")));
            }
            let dir = dir.unwrap_or_else(|| default_dir.to_owned());
            std::fs::create_dir_all(&dir)
                .map_err(|e| RpcError::aria2(format!("cannot make {}: {e}", dir.display())))?;
            request.destination = Some(dir.join(name));
        }
        (Some(dir), None) => {
            request.destination = Some(dir);
            request.into_folder = true;
        }
        (None, None) => {}
    }
    for line in header_lines(options.get("header"))?
        .into_iter()
        .filter(|l| !l.trim().is_empty())
    {
        let Some((name, value)) = line.split_once(':') else {
            return Err(RpcError::aria2(format!("not a header: {line}")));
        };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("cookie") {
            // Kept as cookies: the secret store, not the database.
            request.cookies.extend(
                value
                    .split(';')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned),
            );
        } else {
            request.headers.push(Header {
                name: name.to_owned(),
                value: value.to_owned(),
            });
        }
    }
    if let Some(agent) = get("user-agent") {
        request.headers.push(Header {
            name: "User-Agent".into(),
            value: agent,
        });
    }
    if let Some(referer) = get("referer").filter(|r| r != "*") {
        request.headers.push(Header {
            name: "Referer".into(),
            value: referer,
        });
    }
    if let Some(limit) = get("max-download-limit") {
        request.limit = Some(size(&limit)?).filter(|l| *l > 0);
    }
    let counts = ["split", "max-connection-per-server"]
        .iter()
        .filter_map(|key| get(key))
        .map(|n| {
            n.trim()
                .parse::<u8>()
                .map_err(|_| RpcError::aria2(format!("not a count: {n}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    request.connections = counts.into_iter().min().map(|n| n.clamp(1, 32));
    if let Some(checksum) = get("checksum") {
        request.checksum = Some(checksum_of(&checksum)?);
    }
    if let Some(proxy) = get("all-proxy").filter(|p| !p.is_empty()) {
        request.proxy = Some(proxy);
    }
    if let (Some(user), password) = (get("http-user"), get("http-passwd")) {
        request = request.auth(user, password.unwrap_or_default());
    }
    request.paused = get("pause").is_some_and(|p| p == "true");
    request.overwrite = get("allow-overwrite").is_some_and(|p| p == "true");
    Ok(request)
}

/// `header` is one line or an array of lines.
fn header_lines(value: Option<&Value>) -> Result<Vec<String>, RpcError> {
    match value {
        None => Ok(Vec::new()),
        Some(Value::String(line)) => Ok(vec![line.clone()]),
        Some(Value::Array(lines)) => lines
            .iter()
            .map(|l| {
                l.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| RpcError::aria2("header lines are strings"))
            })
            .collect(),
        Some(_) => Err(RpcError::aria2("header is a string or an array of strings")),
    }
}

/// `sha-256=hex` (aria2's `checksum` option).
fn checksum_of(text: &str) -> Result<Checksum, RpcError> {
    let (kind, hex) = text
        .split_once('=')
        .ok_or_else(|| RpcError::aria2(format!("checksum is TYPE=DIGEST: {text}")))?;
    let algorithm = match kind.trim().to_ascii_lowercase().as_str() {
        "md5" => ChecksumAlgorithm::Md5,
        "sha-256" => ChecksumAlgorithm::Sha256,
        "sha-512" => ChecksumAlgorithm::Sha512,
        other => {
            return Err(RpcError::aria2(format!(
                "checksum type {other} is not supported (md5, sha-256, sha-512)"
            )));
        }
    };
    Checksum::parse(algorithm, hex).map_err(|e| RpcError::aria2(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_aria2_writes_them() {
        assert_eq!(size("0").unwrap(), 0);
        assert_eq!(size("500K").unwrap(), 500 * 1024);
        assert_eq!(size("2m").unwrap(), 2 << 20);
        assert_eq!(size(" 1234 ").unwrap(), 1234);
        assert!(size("1G").is_err() && size("").is_err() && size("K").is_err());
    }

    #[test]
    fn options_become_a_request() {
        let options = json!({
            "dir": "/tmp/x",
            "out": "f.iso",
            "header": ["Cookie: a=1; b=2", "Authorization: Bearer t", "X-Y: z"],
            "user-agent": "UA/1",
            "referer": "http://page/",
            "max-download-limit": "1M",
            "split": "8",
            "max-connection-per-server": "4",
            "checksum": "sha-256=".to_owned() + &"ab".repeat(32),
            "pause": "true",
            "some-option-ferry-does-not-have": "x",
        });
        let dir = tempfile::tempdir().unwrap();
        let mut options = options.as_object().unwrap().clone();
        options.insert("dir".into(), dir.path().display().to_string().into());
        let r = download_request("http://h/f", &options, dir.path()).unwrap();
        assert_eq!(r.destination, Some(dir.path().join("f.iso")));
        assert_eq!(r.cookies, ["a=1", "b=2"]);
        let names: Vec<_> = r.headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["Authorization", "X-Y", "User-Agent", "Referer"]);
        assert_eq!(r.limit, Some(1 << 20));
        assert_eq!(
            r.connections,
            Some(4),
            "the smaller of split and per-server"
        );
        assert!(r.checksum.is_some() && r.paused);
        let bad = json!({"checksum": "crc32=00"});
        assert!(download_request("http://h/f", bad.as_object().unwrap(), dir.path()).is_err());
        let empty = json!({"dir": "", "out": "", "header": [""], "referer": ""});
        let r = download_request("http://h/f", empty.as_object().unwrap(), dir.path()).unwrap();
        assert!(
            r.destination.is_none() && r.headers.is_empty(),
            "empty is absent"
        );
        let relative = json!({"dir": "made-here", "out": "f"});
        assert!(download_request("http://h/f", relative.as_object().unwrap(), dir.path()).is_err());
        assert!(
            !std::path::Path::new("made-here").exists(),
            "nothing made in the working folder"
        );
    }
}
