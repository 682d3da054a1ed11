//! Checking a finished download before it gets its name: against the checksum the
//! user gave (`--sha256`, `--sha512`) and the one the server announced
//! (`Repr-Digest`, RFC 9530; `Digest`, RFC 3230; `Content-MD5`). A mismatch keeps
//! the file aside under another name, never under the one asked for.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use md5::Md5;
use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256, Sha512};

use super::error::{ErrorStatus, InvalidRequest, TransferError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    Md5,
    Sha256,
    Sha512,
}

impl Algorithm {
    fn name(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Sha256 => "SHA-256",
            Self::Sha512 => "SHA-512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Self::Md5 => 32,
            Self::Sha256 => 64,
            Self::Sha512 => 128,
        }
    }
}

/// A digest of the whole file, in lowercase hex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checksum {
    pub algorithm: Algorithm,
    pub hex: String,
}

impl Checksum {
    /// A checksum the user typed: hex of the algorithm's length, any case.
    pub fn parse(algorithm: Algorithm, text: &str) -> Result<Self, InvalidRequest> {
        let hex = text.trim().to_ascii_lowercase();
        if hex.len() != algorithm.hex_len() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(InvalidRequest::InvalidChecksum {
                algorithm: algorithm.name(),
                digits: algorithm.hex_len(),
            });
        }
        Ok(Self { algorithm, hex })
    }

    fn from_base64(algorithm: Algorithm, text: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .ok()?;
        let hex = hex_of(&bytes);
        (hex.len() == algorithm.hex_len()).then_some(Self { algorithm, hex })
    }
}

/// The digest a server announced for the whole file, strongest first. `whole_body`:
/// the answer carries the whole file (a 200), so `Digest` and `Content-MD5`, which
/// describe the bytes sent, describe the file; `Repr-Digest` always does.
pub fn announced(headers: &HeaderMap, whole_body: bool) -> Option<Checksum> {
    let text = |name: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",")
    };
    // Repr-Digest: a structured dictionary, `sha-256=:BASE64:, sha-512=:BASE64:`.
    let repr = text("repr-digest");
    let mut best: Option<Checksum> = None;
    for member in repr.split(',') {
        let Some((key, value)) = member.split_once('=') else {
            continue;
        };
        let algorithm = match key.trim().to_ascii_lowercase().as_str() {
            "sha-256" => Algorithm::Sha256,
            "sha-512" => Algorithm::Sha512,
            _ => continue,
        };
        let value = value.trim().trim_matches(':');
        if let Some(found) = Checksum::from_base64(algorithm, value)
            && best
                .as_ref()
                .is_none_or(|b| b.algorithm == Algorithm::Sha256)
        {
            best = Some(found);
        }
    }
    if best.is_some() || !whole_body {
        return best;
    }
    // Digest (RFC 3230): `SHA-256=BASE64, MD5=BASE64`.
    for member in text("digest").split(',') {
        let Some((key, value)) = member.split_once('=') else {
            continue;
        };
        let algorithm = match key.trim().to_ascii_lowercase().as_str() {
            "sha-512" => Algorithm::Sha512,
            "sha-256" => Algorithm::Sha256,
            "md5" => Algorithm::Md5,
            _ => continue,
        };
        if let Some(found) = Checksum::from_base64(algorithm, value)
            && best
                .as_ref()
                .is_none_or(|b| strength(b.algorithm) < strength(algorithm))
        {
            best = Some(found);
        }
    }
    best.or_else(|| Checksum::from_base64(Algorithm::Md5, &text("content-md5")))
}

fn strength(algorithm: Algorithm) -> u8 {
    match algorithm {
        Algorithm::Md5 => 0,
        Algorithm::Sha256 => 1,
        Algorithm::Sha512 => 2,
    }
}

/// Where a file that failed its check is kept: next to the destination.
pub fn aside_path(destination: &Path) -> PathBuf {
    let mut name = destination.as_os_str().to_owned();
    name.push(".checksum-mismatch");
    PathBuf::from(name)
}

/// Hash `path` once for every algorithm wanted and compare; the first mismatch,
/// with who announced the expected value.
pub async fn verify(
    path: PathBuf,
    wanted: Vec<(Checksum, &'static str)>,
) -> Result<(), TransferError> {
    if wanted.is_empty() {
        return Ok(());
    }
    tokio::task::spawn_blocking(move || verify_blocking(&path, &wanted))
        .await
        .unwrap_or_else(|e| Err(TransferError::new(ErrorStatus::Unknown, e.to_string())))
}

fn verify_blocking(path: &Path, wanted: &[(Checksum, &'static str)]) -> Result<(), TransferError> {
    let reading = |e: std::io::Error| TransferError::io("reading the download to check it", &e);
    let mut file = std::fs::File::open(path).map_err(reading)?;
    let has = |a: Algorithm| wanted.iter().any(|(c, _)| c.algorithm == a);
    let mut md5 = has(Algorithm::Md5).then(Md5::new);
    let mut sha256 = has(Algorithm::Sha256).then(Sha256::new);
    let mut sha512 = has(Algorithm::Sha512).then(Sha512::new);
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer).map_err(reading)?;
        if n == 0 {
            break;
        }
        let chunk = &buffer[..n];
        if let Some(h) = &mut md5 {
            h.update(chunk);
        }
        if let Some(h) = &mut sha256 {
            h.update(chunk);
        }
        if let Some(h) = &mut sha512 {
            h.update(chunk);
        }
    }
    let md5 = md5.map(|h| hex_of(&h.finalize()));
    let sha256 = sha256.map(|h| hex_of(&h.finalize()));
    let sha512 = sha512.map(|h| hex_of(&h.finalize()));
    for (expected, from) in wanted {
        let actual = match expected.algorithm {
            Algorithm::Md5 => &md5,
            Algorithm::Sha256 => &sha256,
            Algorithm::Sha512 => &sha512,
        };
        if actual.as_deref() != Some(expected.hex.as_str()) {
            return Err(TransferError::new(
                ErrorStatus::ChecksumMismatch,
                format!(
                    "the file's {} is {}, not {} as {from} says",
                    expected.algorithm.name(),
                    actual.as_deref().unwrap_or("?"),
                    expected.hex
                ),
            ));
        }
    }
    Ok(())
}

fn hex_of(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    const HELLO_SHA256: &str = "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=";
    const HELLO_MD5: &str = "XUFAKrxLKna5cZ2REBfFkg==";

    #[test]
    fn the_strongest_announced_digest_wins_and_partial_bodies_trust_only_repr_digest() {
        let found = announced(
            &headers(&[(
                "digest",
                &format!("MD5={HELLO_MD5}, SHA-256={HELLO_SHA256}"),
            )]),
            true,
        )
        .unwrap();
        assert_eq!(found.algorithm, Algorithm::Sha256);
        assert_eq!(
            found.hex,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        let md5 = announced(&headers(&[("content-md5", HELLO_MD5)]), true).unwrap();
        assert_eq!(md5.hex, "5d41402abc4b2a76b9719d911017c592");
        // A 206 carries a part: its Content-MD5 and Digest say nothing of the file.
        assert_eq!(
            announced(&headers(&[("content-md5", HELLO_MD5)]), false),
            None
        );
        let repr = headers(&[("repr-digest", &format!("sha-256=:{HELLO_SHA256}:"))]);
        assert_eq!(
            announced(&repr, false).unwrap().algorithm,
            Algorithm::Sha256
        );
        // Garbage is ignored, not trusted.
        assert_eq!(announced(&headers(&[("content-md5", "%%%")]), true), None);
    }

    #[test]
    fn typed_checksums_must_have_the_algorithms_length() {
        assert!(Checksum::parse(Algorithm::Sha256, "abc").is_err());
        assert!(Checksum::parse(Algorithm::Sha256, &"g".repeat(64)).is_err());
        let upper = "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824";
        assert_eq!(
            Checksum::parse(Algorithm::Sha256, upper).unwrap().hex,
            upper.to_ascii_lowercase()
        );
    }
}
