//! File names from the network: `Content-Disposition` (RFC 6266 / RFC 8187), the URL
//! path, and the sanitising that keeps whatever a server sends inside the folder the
//! user chose. Also the free-name rule (`name (1).ext`) for existing files.

use std::path::{Path, PathBuf};

use percent_encoding::percent_decode_str;

/// Longest name we create, in bytes: 255 (the common file-system limit) minus room
/// for the `.part` suffix.
const MAX_NAME_BYTES: usize = 250;

/// The name a download should get, from the response's `Content-Disposition` if it
/// has a usable one, else from the URL path; always a safe single component.
pub fn choose(content_disposition: Option<&str>, url: &reqwest::Url) -> String {
    content_disposition
        .and_then(from_content_disposition)
        .and_then(|name| sanitize(&name))
        .or_else(|| from_url(url).and_then(|name| sanitize(&name)))
        .unwrap_or_else(|| fallback_name(url))
}

fn fallback_name(url: &reqwest::Url) -> String {
    url.host_str()
        .and_then(sanitize)
        // A host name may be 253 bytes: the suffix must not push the name past the limit.
        .map_or_else(
            || "download".to_owned(),
            |host| truncate_keeping_extension(&format!("{host}.download"), MAX_NAME_BYTES),
        )
}

/// The `filename*` parameter if present and decodable, else `filename`.
pub fn from_content_disposition(header: &str) -> Option<String> {
    let params = parameters(header);
    let extended = params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("filename*"))
        .and_then(|(_, v)| decode_ext_value(v));
    extended.or_else(|| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("filename"))
            .map(|(_, v)| v.clone())
    })
}

/// Split `type; a=b; c="d;e"` into its parameters, unquoting quoted strings.
fn parameters(header: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut rest = match header.find(';') {
        Some(i) => &header[i + 1..],
        None => return params,
    };
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        if rest.is_empty() {
            break;
        }
        let Some(eq) = rest.find('=') else { break };
        let name = rest[..eq].trim().to_owned();
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            out.push(escaped);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    _ => out.push(c),
                }
            }
            value = out;
            rest = &quoted[end.min(quoted.len())..];
        } else {
            let end = rest.find(';').unwrap_or(rest.len());
            value = rest[..end].trim().to_owned();
            rest = &rest[end..];
        }
        params.push((name, value));
    }
    params
}

/// RFC 8187 `charset'language'percent-encoded`. UTF-8 and ISO-8859-1 are understood.
fn decode_ext_value(value: &str) -> Option<String> {
    let mut parts = value.splitn(3, '\'');
    let charset = parts.next()?;
    let _language = parts.next()?;
    let encoded = parts.next()?;
    let bytes: Vec<u8> = percent_decode_str(encoded).collect();
    if charset.eq_ignore_ascii_case("utf-8") {
        String::from_utf8(bytes).ok()
    } else if charset.eq_ignore_ascii_case("iso-8859-1") {
        Some(bytes.iter().map(|&b| char::from(b)).collect())
    } else {
        None
    }
}

/// The last non-empty segment of the URL path, percent-decoded.
pub fn from_url(url: &reqwest::Url) -> Option<String> {
    let segment = url.path_segments()?.rev().find(|s| !s.is_empty())?;
    Some(percent_decode_str(segment).decode_utf8_lossy().into_owned())
}

/// Make `name` safe as one file name inside a chosen folder, or `None` if nothing
/// usable is left. Only the last component of a path is kept; control characters and
/// characters other systems forbid become `_`; leading dots (hidden files, `..`) and
/// trailing dots and spaces go; the length is capped, keeping the extension.
pub fn sanitize(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' ']);
    if trimmed.is_empty() || trimmed.chars().all(|c| c == '_') {
        return None;
    }
    Some(truncate_keeping_extension(trimmed, MAX_NAME_BYTES))
}

fn truncate_keeping_extension(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let (stem, ext) = split_extension(name);
    // Keep a short extension; a "long extension" is really part of the name.
    let ext = if ext.len() <= 16 { ext } else { "" };
    let budget = max - ext.len();
    let mut cut = budget.min(stem.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{ext}", &stem[..cut])
}

/// `("archive.tar", ".gz")`; names without a dot, or starting with one, have no extension.
fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    }
}

/// The first of `name`, `name (1)`, `name (2)`… for which `is_free` holds.
pub fn free_variant(path: &Path, mut is_free: impl FnMut(&Path) -> bool) -> PathBuf {
    if is_free(path) {
        return path.to_owned();
    }
    let parent = path.parent().unwrap_or(Path::new(""));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (stem, ext) = split_extension(&name);
    (1u32..)
        .map(|n| parent.join(format!("{stem} ({n}){ext}")))
        .find(|candidate| is_free(candidate))
        .unwrap_or_else(|| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> reqwest::Url {
        reqwest::Url::parse(s).unwrap()
    }

    #[test]
    fn extended_filename_wins_and_is_decoded() {
        let h = "attachment; filename=\"naive.txt\"; filename*=UTF-8''na%C3%AFve.txt";
        assert_eq!(from_content_disposition(h).unwrap(), "naïve.txt");
        let h = "attachment; filename*=iso-8859-1'en'%E9t%E9.txt";
        assert_eq!(from_content_disposition(h).unwrap(), "été.txt");
    }

    #[test]
    fn quoted_names_keep_semicolons_and_escapes() {
        let h = r#"attachment; filename="a;b \"c\".txt"; size=3"#;
        assert_eq!(from_content_disposition(h).unwrap(), "a;b \"c\".txt");
        assert_eq!(
            from_content_disposition("inline; FILENAME=plain.bin").unwrap(),
            "plain.bin"
        );
        assert_eq!(from_content_disposition("attachment"), None);
    }

    #[test]
    fn hostile_names_become_one_safe_component() {
        assert_eq!(sanitize("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(sanitize("..\\..\\boot.ini").unwrap(), "boot.ini");
        assert_eq!(sanitize("a\u{0}b\nc\u{7f}.txt").unwrap(), "a_b_c_.txt");
        assert_eq!(sanitize(".bashrc").unwrap(), "bashrc");
        assert_eq!(sanitize("..").as_deref(), None);
        assert_eq!(sanitize("").as_deref(), None);
        assert_eq!(sanitize("dir/").as_deref(), None);
        assert_eq!(sanitize(" . ").as_deref(), None);
        assert_eq!(sanitize("what?.txt").unwrap(), "what_.txt");
    }

    #[test]
    fn long_names_are_cut_on_a_char_boundary_keeping_the_extension() {
        let long = format!("{}.tar.gz", "é".repeat(300));
        let cut = sanitize(&long).unwrap();
        assert!(cut.len() <= MAX_NAME_BYTES, "{}", cut.len());
        assert!(cut.ends_with(".gz"));
    }

    #[test]
    fn names_come_from_the_url_when_the_header_has_none() {
        assert_eq!(
            choose(None, &url("http://h/a/b/file%20x.iso")),
            "file x.iso"
        );
        assert_eq!(
            choose(Some("attachment"), &url("http://h/d/x.bin?q=1")),
            "x.bin"
        );
        assert_eq!(
            choose(None, &url("http://example.org/")),
            "example.org.download"
        );
        assert_eq!(
            choose(Some("attachment; filename=\"\""), &url("http://h/..")),
            "h.download"
        );
    }

    #[test]
    fn free_variants_count_up_before_the_extension() {
        let taken = ["/d/a.txt", "/d/a (1).txt"];
        let free = free_variant(Path::new("/d/a.txt"), |p| {
            !taken.contains(&p.to_str().unwrap())
        });
        assert_eq!(free, Path::new("/d/a (2).txt"));
        let free = free_variant(Path::new("/d/README"), |p| p != Path::new("/d/README"));
        assert_eq!(free, Path::new("/d/README (1)"));
    }
}
