//! Checks done at creation, so that a request that can never succeed is refused with
//! a reason before anything is persisted.

use std::path::{Path, PathBuf};

use std::os::unix::fs::MetadataExt as _;

use super::error::InvalidRequest;
use super::operation::{
    Header, Protocol, SecretSummary, Source, Target, UploadMode, UploadSpec, UploadState,
};
use super::request::Request;
use super::secrets::{Secrets, is_sensitive_header};

/// Bounds on what one request may carry. Whoever talks to the agent's socket
/// gets an answer in proportion: no request makes it hold or store without end.
pub mod limits {
    pub const URL_BYTES: usize = 16 * 1024;
    pub const HEADERS: usize = 100;
    pub const HEADER_BYTES: usize = 16 * 1024;
    pub const COOKIES: usize = 300;
    pub const COOKIE_BYTES: usize = 8 * 1024;
    pub const SOURCES: usize = 10_000;
    pub const FORM_FIELDS: usize = 1_000;
    pub const FORM_FIELD_BYTES: usize = 64 * 1024;
    pub const NAME_BYTES: usize = 1024;
}

/// The sizes and counts of a request, against [`limits`].
pub fn sizes(request: &Request) -> Result<(), InvalidRequest> {
    use limits::*;
    let count = |what, count: usize, max: usize| {
        if count > max {
            Err(InvalidRequest::TooMany { what, count, max })
        } else {
            Ok(())
        }
    };
    let long = |what, len: usize, max: usize| {
        if len > max {
            Err(InvalidRequest::TooLong { what, len, max })
        } else {
            Ok(())
        }
    };
    long("the URL", request.url.len(), URL_BYTES)?;
    count("headers", request.headers.len(), HEADERS)?;
    for header in &request.headers {
        long(
            "a header",
            header.name.len() + header.value.len(),
            HEADER_BYTES,
        )?;
    }
    count("cookies", request.cookies.len(), COOKIES)?;
    for cookie in &request.cookies {
        long("a cookie", cookie.len(), COOKIE_BYTES)?;
    }
    if let Some(group) = &request.group {
        long("the group name", group.len(), NAME_BYTES)?;
    }
    if let Some(proxy) = &request.proxy {
        long("the proxy", proxy.len(), URL_BYTES)?;
    }
    if let Some(spec) = &request.upload {
        count("files to upload", spec.sources.len(), SOURCES)?;
        if matches!(spec.mode, UploadMode::Multipart { .. })
            && spec.method != super::operation::Method::Post
        {
            // A PUT stores its body as the resource: a multipart envelope would be
            // stored as the file.
            return Err(InvalidRequest::MultipartNeedsPost);
        }
        if let UploadMode::Multipart { field, form } = &spec.mode {
            count("form fields", form.len(), FORM_FIELDS)?;
            for f in form {
                long(
                    "a form field",
                    f.name.len() + f.value.len(),
                    FORM_FIELD_BYTES,
                )?;
            }
            if let Some(field) = field {
                long("the field name", field.len(), NAME_BYTES)?;
            }
        }
    }
    Ok(())
}

/// Schemes this build can transfer.
const SCHEMES: &[&str] = &["http", "https", "ftp", "ftps"];

/// Whether a URL is FTP(S), not HTTP(S).
pub fn is_ftp(url: &reqwest::Url) -> bool {
    Protocol::of_scheme(url.scheme()) == Protocol::Ftp
}

/// An FTP upload is one file by `STOR` (no method, multipart or tus); a URL that
/// ends in `/` names the folder, and the file keeps its name in it.
pub fn ftp_upload(url: &mut reqwest::Url, upload: &UploadState) -> Result<(), InvalidRequest> {
    if upload.mode != UploadMode::Single {
        return Err(InvalidRequest::FtpUploadMode);
    }
    if url.path().ends_with('/') {
        let name = upload.sources[0]
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or(InvalidRequest::FtpUploadMode)?;
        url.path_segments_mut()
            .map_err(|()| InvalidRequest::FtpUploadMode)?
            .pop_if_empty()
            .push(&name);
    }
    Ok(())
}

/// Parse and check the URL.
pub fn url(input: &str) -> Result<reqwest::Url, InvalidRequest> {
    let trimmed = input.trim();
    let url = reqwest::Url::parse(trimmed).map_err(|e| InvalidRequest::NotAUrl {
        input: input.to_owned(),
        reason: e.to_string(),
    })?;
    if !SCHEMES.contains(&url.scheme()) {
        return Err(InvalidRequest::UnsupportedScheme {
            scheme: url.scheme().to_owned(),
        });
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(InvalidRequest::NoHost(input.to_owned()));
    }
    Ok(url)
}

pub fn headers(request: &Request) -> Result<(), InvalidRequest> {
    for header in &request.headers {
        let invalid = |reason: &str| InvalidRequest::InvalidHeader {
            name: header.name.clone(),
            reason: reason.to_owned(),
        };
        reqwest::header::HeaderName::from_bytes(header.name.as_bytes())
            .map_err(|_| invalid("not a valid header name"))?;
        reqwest::header::HeaderValue::from_str(&header.value)
            .map_err(|_| invalid("the value has characters a header cannot carry"))?;
    }
    Ok(())
}

/// What a request keeps secret, taken out of it: the password (given, or in the
/// URL, which is stored without it), credential headers, cookies and the proxy's
/// password. Returns the secrets, their summary and the proxy without credentials.
pub fn secrets(
    request: &mut Request,
    url: &mut reqwest::Url,
) -> Result<(Secrets, SecretSummary, Option<String>), InvalidRequest> {
    let mut secrets = Secrets::default();
    let mut summary = SecretSummary::default();
    if !url.username().is_empty() || url.password().is_some() {
        let user = decode(url.username());
        let password = url.password().map(decode).unwrap_or_default();
        let _ = url.set_username("");
        let _ = url.set_password(None);
        if request.auth.is_none() {
            request.auth = Some(super::request::Auth { user, password });
        }
    }
    if let Some(auth) = request.auth.take() {
        if auth.user.contains(':') || auth.user.chars().any(char::is_control) {
            return Err(InvalidRequest::InvalidUser);
        }
        summary.user = Some(auth.user);
        secrets.password = Some(auth.password);
    }
    let (sensitive, plain): (Vec<Header>, Vec<Header>) = std::mem::take(&mut request.headers)
        .into_iter()
        .partition(|h| is_sensitive_header(&h.name));
    request.headers = plain;
    summary.headers = sensitive.iter().map(|h| h.name.clone()).collect();
    secrets.headers = sensitive;
    for cookie in &request.cookies {
        let pair = cookie.split(';').next().unwrap_or("");
        let valid = pair.split_once('=').is_some_and(|(name, _)| {
            !name.trim().is_empty() && !name.contains(|c: char| c.is_control() || c == ' ')
        });
        if !valid || cookie.chars().any(char::is_control) {
            return Err(InvalidRequest::InvalidCookie(pair.to_owned()));
        }
    }
    summary.cookies = request.cookies.len();
    secrets.cookies = std::mem::take(&mut request.cookies);
    let proxy = match request.proxy.take() {
        None => None,
        Some(text) => {
            let (clean, user, password) = proxy(&text)?;
            summary.proxy_user = user;
            secrets.proxy_password = password;
            Some(clean)
        }
    };
    Ok((secrets, summary, proxy))
}

/// A proxy URL: its scheme is one Ferry speaks; credentials are taken out.
pub fn proxy(text: &str) -> Result<(String, Option<String>, Option<String>), InvalidRequest> {
    let invalid = |reason: &str| InvalidRequest::InvalidProxy {
        proxy: super::redact_url(text),
        reason: reason.to_owned(),
    };
    let mut url = reqwest::Url::parse(text.trim()).map_err(|e| invalid(&e.to_string()))?;
    if !["http", "https", "socks5", "socks5h"].contains(&url.scheme()) {
        return Err(invalid("the scheme must be http, https, socks5 or socks5h"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host"));
    }
    let user = (!url.username().is_empty()).then(|| decode(url.username()));
    let password = url.password().map(decode);
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Ok((url.to_string(), user, password))
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Decide where the bytes go: the destination as given (a folder when it names an
/// existing folder or ends with a separator, else a file), or the default folder.
/// The folder must exist and be writable.
pub fn target(
    destination: Option<&Path>,
    into_folder: bool,
    default_folder: &Path,
) -> Result<Target, InvalidRequest> {
    let Some(path) = destination else {
        make_folder(default_folder)?;
        return Ok(Target::Folder(default_folder.to_owned()));
    };
    if !path.is_absolute() {
        return Err(InvalidRequest::RelativePath(path.to_owned()));
    }
    let names_folder = into_folder || path.as_os_str().to_string_lossy().ends_with('/');
    if names_folder {
        // What curl --create-dirs and wget -P do; a folder is never taken for a
        // file's name (a window once saved a download as `~/Downloads` itself).
        make_folder(path)?;
    }
    if path.is_dir() {
        ensure_writable_folder(path)?;
        // Rebuilt from components: no trailing slash, no `.` segments.
        return Ok(Target::Folder(path.components().collect()));
    }
    if names_folder {
        return Err(InvalidRequest::NotAFolder(path.to_owned()));
    }
    let parent = path.parent().unwrap_or(Path::new("/"));
    ensure_writable_folder(parent)?;
    Ok(Target::File(path.to_owned()))
}

/// What a path segment must escape (RFC 3986: controls, space, and the
/// characters that would end or change the segment); the rest of a name, dots and
/// non-ASCII letters included, goes as it is (a few servers do not decode `%2E`).
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Where one file of a one-request-per-file upload goes: a target ending in `/`
/// is a folder (WebDAV, a bucket), and each file gets its own name there; any
/// other target is used as it is. The one rule for the CLI, the window and
/// whatever else builds uploads.
pub fn upload_url_for_file(target: &str, file: &Path) -> String {
    match (target.ends_with('/'), file.file_name()) {
        (true, Some(name)) => {
            let name = name.to_string_lossy();
            format!(
                "{target}{}",
                percent_encoding::utf8_percent_encode(&name, SEGMENT)
            )
        }
        _ => target.to_owned(),
    }
}

/// Check an upload's files (they exist, are files, can be read) and record each
/// one's size and modification time, so a later change is noticed.
pub fn upload(spec: Option<&UploadSpec>) -> Result<UploadState, InvalidRequest> {
    let spec = spec.ok_or(InvalidRequest::NoSources)?;
    if spec.sources.is_empty() {
        return Err(InvalidRequest::NoSources);
    }
    if spec.sources.len() > 1 && !matches!(spec.mode, UploadMode::Multipart { .. }) {
        return Err(InvalidRequest::OneSourceOnly);
    }
    if matches!(spec.mode, UploadMode::Multipart { .. })
        && spec.method != super::operation::Method::Post
    {
        // A PUT stores its body as the resource: a multipart envelope would be
        // stored as the file.
        return Err(InvalidRequest::MultipartNeedsPost);
    }
    if let UploadMode::Multipart { field, form } = &spec.mode {
        let names = field.iter().chain(form.iter().map(|f| &f.name));
        for name in names {
            if name.is_empty() || name.chars().any(|c| c.is_control() || c == '"') {
                return Err(InvalidRequest::InvalidFieldName(name.clone()));
            }
        }
    }
    let sources = spec
        .sources
        .iter()
        .map(|path| source(path))
        .collect::<Result<_, _>>()?;
    Ok(UploadState {
        method: spec.method,
        mode: spec.mode.clone(),
        sources,
        tus_url: None,
        ftp_started: false,
    })
}

fn source(path: &Path) -> Result<Source, InvalidRequest> {
    if !path.is_absolute() {
        return Err(InvalidRequest::RelativePath(path.to_owned()));
    }
    let meta =
        std::fs::metadata(path).map_err(|_| InvalidRequest::SourceMissing(path.to_owned()))?;
    if !meta.is_file() {
        return Err(InvalidRequest::SourceNotAFile(path.to_owned()));
    }
    std::fs::File::open(path).map_err(|e| InvalidRequest::SourceUnreadable {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    Ok(Source {
        path: path.to_owned(),
        size: meta.len(),
        modified_ns: modified_ns(&meta),
    })
}

/// Modification time in nanoseconds since the epoch (good until 2554): what
/// fingerprints a version.
pub fn modified_ns(meta: &std::fs::Metadata) -> u64 {
    let secs = u64::try_from(meta.mtime()).unwrap_or(0);
    let nanos = u64::try_from(meta.mtime_nsec()).unwrap_or(0);
    secs.saturating_mul(1_000_000_000).saturating_add(nanos)
}

/// Existence and permission bits are not enough (read-only mounts, ACLs, root):
/// create and remove a probe file.
/// Create `folder` and its parents if missing, with the user's mode (0777 less
/// the umask, as `mkdir -p`). A file in the way is left alone (and refused later).
fn make_folder(folder: &Path) -> Result<(), InvalidRequest> {
    if folder.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(folder).map_err(|e| InvalidRequest::FolderNotWritable {
        path: folder.to_owned(),
        reason: e.to_string(),
    })
}

fn ensure_writable_folder(folder: &Path) -> Result<(), InvalidRequest> {
    match std::fs::metadata(folder) {
        Err(_) => return Err(InvalidRequest::FolderMissing(folder.to_owned())),
        Ok(meta) if !meta.is_dir() => return Err(InvalidRequest::NotAFolder(folder.to_owned())),
        Ok(_) => {}
    }
    let probe: PathBuf = folder.join(format!(".ferry-probe-{}", uuid::Uuid::new_v4().simple()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(InvalidRequest::FolderNotWritable {
            path: folder.to_owned(),
            reason: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_beyond_the_limits_are_refused() {
        let mut request = Request::download("https://example.org/a", None);
        assert!(sizes(&request).is_ok());
        request.headers = (0..=limits::HEADERS)
            .map(|i| Header {
                name: format!("X-{i}"),
                value: "v".into(),
            })
            .collect();
        assert!(matches!(
            sizes(&request),
            Err(InvalidRequest::TooMany {
                what: "headers",
                ..
            })
        ));
        request.headers.truncate(1);
        request.headers[0].value = "v".repeat(limits::HEADER_BYTES);
        assert!(matches!(
            sizes(&request),
            Err(InvalidRequest::TooLong { .. })
        ));
        let mut request = Request::download("https://example.org/a", None);
        request.url.push_str(&"a".repeat(limits::URL_BYTES));
        let refused = sizes(&request).unwrap_err().to_string();
        assert!(refused.contains("the URL is too long"), "{refused}");
    }

    #[test]
    fn urls_are_checked_for_scheme_and_host() {
        assert!(url("https://example.org/a").is_ok());
        assert!(matches!(
            url("not-a-url"),
            Err(InvalidRequest::NotAUrl { .. })
        ));
        assert!(matches!(
            url("gopher://x/"),
            Err(InvalidRequest::UnsupportedScheme { scheme }) if scheme == "gopher"
        ));
        assert!(matches!(
            url("http://"),
            Err(InvalidRequest::NotAUrl { .. })
        ));
    }

    #[test]
    fn a_trailing_slash_or_into_folder_names_a_folder_made_if_missing() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("new/deeper/");
        assert_eq!(
            target(Some(&missing), false, dir.path()).unwrap(),
            Target::Folder(dir.path().join("new/deeper"))
        );
        let mode = std::fs::metadata(&missing).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode,
            0o777 & !crate::engine::part_file::umask(),
            "the user's mode"
        );
        // A folder field's path, no slash: still a folder, never the file's name.
        let downloads = dir.path().join("Downloads");
        assert_eq!(
            target(Some(&downloads), true, dir.path()).unwrap(),
            Target::Folder(downloads.clone())
        );
        assert!(downloads.is_dir());
        // A file in the way of a folder is refused, not replaced.
        let file = dir.path().join("f.bin");
        std::fs::write(&file, b"x").unwrap();
        assert!(matches!(
            target(Some(&file), true, dir.path()),
            Err(InvalidRequest::NotAFolder(_))
        ));
        assert_eq!(
            target(Some(dir.path()), false, Path::new("/")).unwrap(),
            Target::Folder(dir.path().to_owned())
        );
        assert_eq!(
            target(Some(&file), false, Path::new("/")).unwrap(),
            Target::File(file.clone())
        );
        assert!(matches!(
            target(Some(Path::new("rel/f.bin")), false, dir.path()),
            Err(InvalidRequest::RelativePath(_))
        ));
        assert!(matches!(
            target(Some(&dir.path().join("no/such/f.bin")), false, dir.path()),
            Err(InvalidRequest::FolderMissing(_))
        ));
        // The default folder is made when missing.
        let default = dir.path().join("home/Downloads");
        assert_eq!(
            target(None, false, &default).unwrap(),
            Target::Folder(default.clone())
        );
    }

    #[test]
    fn one_file_per_request_to_a_folder_target_gets_its_own_name() {
        let file = Path::new("/home/me/holiday 2026 #1.tar.gz");
        assert_eq!(
            upload_url_for_file("https://h/dav/up/", file),
            "https://h/dav/up/holiday%202026%20%231.tar.gz"
        );
        assert_eq!(
            upload_url_for_file("https://h/dav/up/", Path::new("/x/été.txt")),
            "https://h/dav/up/%C3%A9t%C3%A9.txt",
            "dots stay; what is not ASCII is UTF-8 escaped"
        );
        assert_eq!(
            upload_url_for_file("https://h/dav/up/big.mp4", file),
            "https://h/dav/up/big.mp4",
            "a target naming a file is used as it is"
        );
    }

    #[test]
    fn multipart_goes_with_post_only() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.bin");
        std::fs::write(&file, b"a").unwrap();
        let spec = |method| UploadSpec {
            sources: vec![file.clone()],
            method,
            mode: UploadMode::Multipart {
                field: None,
                form: Vec::new(),
            },
        };
        assert!(upload(Some(&spec(super::super::operation::Method::Post))).is_ok());
        assert!(matches!(
            upload(Some(&spec(super::super::operation::Method::Put))),
            Err(InvalidRequest::MultipartNeedsPost)
        ));
    }
}
