//! Cookies for the command line: `--cookie name=value` and the Netscape
//! `cookies.txt` format that browsers' exporters, curl, wget and aria2 write. Only the
//! cookies the URL would receive are kept, in `Set-Cookie` syntax for the engine.

use std::path::Path;

/// The cookies of a cookies.txt text that a request to `url` would carry.
pub(super) fn from_netscape(text: &str, url: &reqwest::Url, now_secs: u64) -> Vec<String> {
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    let path = url.path();
    let https = url.scheme() == "https";
    let mut cookies = Vec::new();
    for line in text.lines() {
        // `#HttpOnly_` marks an http-only cookie; other `#` lines are comments.
        let line = line.strip_prefix("#HttpOnly_").unwrap_or(line);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [
            domain,
            subdomains,
            cookie_path,
            secure,
            expires,
            name,
            value,
        ] = fields[..]
        else {
            continue;
        };
        let domain = domain.trim_start_matches('.').to_ascii_lowercase();
        let subdomains = subdomains.eq_ignore_ascii_case("TRUE");
        let domain_matches =
            host == domain || (subdomains && host.ends_with(&format!(".{domain}")));
        let path_matches = path.starts_with(cookie_path)
            && (path.len() == cookie_path.len()
                || cookie_path.ends_with('/')
                || path[cookie_path.len()..].starts_with('/'));
        let secure = secure.eq_ignore_ascii_case("TRUE");
        let expires: u64 = expires.trim().parse().unwrap_or(0);
        let alive = expires == 0 || expires > now_secs;
        if !(domain_matches && path_matches && (https || !secure) && alive) || name.is_empty() {
            continue;
        }
        let mut cookie = format!("{name}={value}; Path={cookie_path}");
        if subdomains {
            cookie.push_str(&format!("; Domain={domain}"));
        }
        if secure {
            cookie.push_str("; Secure");
        }
        cookies.push(cookie);
    }
    cookies
}

/// Read a cookies.txt file and keep what `url` would receive.
pub(super) fn from_file(file: &Path, url: &str) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read the cookies file {}: {e}", file.display()))?;
    let url = reqwest::Url::parse(url).map_err(|e| format!("not a valid URL: {url:?} ({e})"))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Ok(from_netscape(&text, &url, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# Netscape HTTP Cookie File\n\
        .example.org\tTRUE\t/\tFALSE\t0\tsession\tabc\n\
        #HttpOnly_files.example.org\tFALSE\t/dl\tFALSE\t4102444800\ttoken\tt0k\n\
        files.example.org\tFALSE\t/other\tFALSE\t0\twrong_path\tx\n\
        example.org\tFALSE\t/\tTRUE\t0\tsecure_only\ty\n\
        .example.org\tTRUE\t/\tFALSE\t1000\texpired\tz\n\
        elsewhere.net\tTRUE\t/\tFALSE\t0\tforeign\tw\n\
        broken line\n";

    #[test]
    fn only_the_cookies_the_url_would_get_are_kept() {
        let url = reqwest::Url::parse("http://files.example.org/dl/big.iso").unwrap();
        let cookies = from_netscape(FILE, &url, 2_000_000_000);
        assert_eq!(
            cookies,
            [
                "session=abc; Path=/; Domain=example.org",
                "token=t0k; Path=/dl",
            ]
        );
        let secure = reqwest::Url::parse("https://example.org/x").unwrap();
        let cookies = from_netscape(FILE, &secure, 2_000_000_000);
        assert!(
            cookies.iter().any(|c| c.starts_with("secure_only=y")),
            "{cookies:?}"
        );
    }
}
