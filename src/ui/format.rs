//! Numbers and statuses in the user's language: sizes (1024-based and named so,
//! "1.5 MiB", "1,5 Mio" in French, as the command line says), speeds, durations, and every status and error status in words. Each
//! status maps to its message with an explicit `match`, so the compiler checks
//! every key.

use ferry::engine::{Category, ErrorInfo, ErrorStatus, Snapshot, Status, time};

use crate::i18n::{Tr, tr};

/// `512 B`, `1.5 KB`, `64.0 MB` (English) / `1,5 Ko` (French).
pub fn size(tr: &Tr, bytes: u64) -> String {
    if bytes < 1024 {
        return tr!(tr, "size-bytes", value = bytes.to_string());
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < 3 {
        value /= 1024.0;
        unit += 1;
    }
    let number = decimal(tr, value);
    match unit {
        0 => tr!(tr, "size-kb", value = number),
        1 => tr!(tr, "size-mb", value = number),
        2 => tr!(tr, "size-gb", value = number),
        _ => tr!(tr, "size-tb", value = number),
    }
}

/// One decimal, with the language's separator.
fn decimal(tr: &Tr, value: f64) -> String {
    format!("{value:.1}").replace('.', &tr.decimal_separator().to_string())
}

pub fn speed(tr: &Tr, bytes_per_sec: f64) -> String {
    tr!(tr, "speed", size = size(tr, bytes_per_sec.max(0.0) as u64))
}

pub fn duration(tr: &Tr, secs: u64) -> String {
    match secs {
        0..60 => tr!(tr, "duration-seconds", s = secs),
        60..3600 => {
            let (m, s): (u64, u64) = (secs / 60, secs % 60);
            tr!(tr, "duration-minutes", m = m, s = s)
        }
        _ => {
            let (h, m): (u64, u64) = (secs / 3600, secs % 3600 / 60);
            tr!(tr, "duration-hours", h = h, m = m)
        }
    }
}

/// `12.0 MB of 64.0 MB`, or the bytes alone when the total is unknown.
pub fn progress(tr: &Tr, bytes: u64, total: Option<u64>) -> String {
    match total {
        Some(total) => tr!(
            tr,
            "progress-of",
            done = size(tr, bytes),
            total = size(tr, total)
        ),
        None => size(tr, bytes),
    }
}

/// The status as a person reads it ("Paused: no network", "Failed: not found").
pub fn status(tr: &Tr, s: &Snapshot) -> String {
    match s.status {
        Status::Idle => match s.retry_at {
            Some(at) if s.error.is_some() => {
                let secs = at.saturating_sub(time::now_millis()).div_ceil(1000);
                tr!(tr, "status-retrying", time = duration(tr, secs))
            }
            _ => tr!(tr, "status-idle"),
        },
        Status::Running => tr!(tr, "status-running"),
        Status::PausedByApplication => tr!(tr, "status-paused"),
        Status::PausedNoNetwork => tr!(tr, "status-paused-no-network"),
        Status::PausedCostedNetwork => tr!(tr, "status-paused-costed-network"),
        // Short, to fit the row; the reason is in the details.
        Status::NeedsNewAddress => tr!(tr, "status-needs-new-address"),
        Status::PausedSystemPolicy => tr!(tr, "status-paused-system-policy"),
        Status::PausedBySchedule => match s.waits_until {
            Some(at) => tr!(tr, "status-scheduled", time = local_when(tr, at)),
            None => tr!(tr, "status-scheduled-none"),
        },
        Status::Completed => tr!(tr, "status-completed"),
        Status::Canceled => tr!(tr, "status-canceled"),
        Status::Error => {
            let reason = s.error.as_ref().map_or(ErrorStatus::Unknown, |e| e.status);
            tr!(tr, "status-error", reason = error(tr, reason))
        }
    }
}

/// A moment within the coming week on the local clock: `01:00` today,
/// `Mon 01:00` (in the user's language) another day.
pub fn local_when(tr: &Tr, at: time::Millis) -> String {
    let zone = jiff::tz::TimeZone::system();
    let Ok(instant) = jiff::Timestamp::from_millisecond(i64::try_from(at).unwrap_or(i64::MAX))
    else {
        return String::new();
    };
    let local = instant.to_zoned_datetime(zone.clone());
    let clock = format!("{:02}:{:02}", local.hour(), local.minute());
    let today = jiff::Timestamp::now().to_zoned_datetime(zone).date();
    if local.date() == today {
        return clock;
    }
    let day = weekday(tr, local.weekday());
    format!("{day} {clock}")
}

/// A day of the week, short, in the user's language.
pub fn weekday(tr: &Tr, day: jiff::civil::Weekday) -> String {
    use jiff::civil::Weekday;
    match day {
        Weekday::Monday => tr!(tr, "weekday-mon"),
        Weekday::Tuesday => tr!(tr, "weekday-tue"),
        Weekday::Wednesday => tr!(tr, "weekday-wed"),
        Weekday::Thursday => tr!(tr, "weekday-thu"),
        Weekday::Friday => tr!(tr, "weekday-fri"),
        Weekday::Saturday => tr!(tr, "weekday-sat"),
        Weekday::Sunday => tr!(tr, "weekday-sun"),
    }
}

/// The last failure in the user's language: what went wrong and, for an
/// answer, the server's code ("introuvable sur le serveur — le serveur a répondu
/// 404 Not Found"; the reason phrase is HTTP's own token, not translated).
pub fn error_summary(tr: &Tr, error: &ErrorInfo) -> String {
    let what = self::error(tr, error.status);
    match error.http_status {
        Some(code) => {
            let reason = reqwest::StatusCode::from_u16(code)
                .ok()
                .and_then(|c| c.canonical_reason())
                .unwrap_or("");
            let answer = tr!(
                tr,
                "error-server-answered",
                code = code.to_string(),
                reason = reason
            );
            format!("{what}\n{}", answer.trim_end())
        }
        None => what,
    }
}

/// An error status in words.
pub fn error(tr: &Tr, status: ErrorStatus) -> String {
    match status {
        ErrorStatus::Unknown => tr!(tr, "error-unknown"),
        ErrorStatus::BadRequest => tr!(tr, "error-bad-request"),
        ErrorStatus::Unauthorized => tr!(tr, "error-unauthorized"),
        ErrorStatus::Forbidden => tr!(tr, "error-forbidden"),
        ErrorStatus::NotFound => tr!(tr, "error-not-found"),
        ErrorStatus::Gone => tr!(tr, "error-gone"),
        ErrorStatus::ProxyAuthenticationRequired => tr!(tr, "error-proxy-authentication-required"),
        ErrorStatus::RequestTimeout => tr!(tr, "error-request-timeout"),
        ErrorStatus::RequestedRangeNotSatisfiable => {
            tr!(tr, "error-requested-range-not-satisfiable")
        }
        ErrorStatus::TooManyRequests => tr!(tr, "error-too-many-requests"),
        ErrorStatus::ClientError => tr!(tr, "error-client-error"),
        ErrorStatus::ServerError => tr!(tr, "error-server-error"),
        ErrorStatus::UnexpectedStatusCode => tr!(tr, "error-unexpected-status-code"),
        ErrorStatus::HostNameNotResolved => tr!(tr, "error-host-not-resolved"),
        ErrorStatus::CannotConnect => tr!(tr, "error-cannot-connect"),
        ErrorStatus::Timeout => tr!(tr, "error-timeout"),
        ErrorStatus::ConnectionReset => tr!(tr, "error-connection-reset"),
        ErrorStatus::TooManyRedirects => tr!(tr, "error-too-many-redirects"),
        ErrorStatus::HttpsToHttpOnRedirection => tr!(tr, "error-https-to-http"),
        ErrorStatus::CertificateInvalid => tr!(tr, "error-certificate-invalid"),
        ErrorStatus::InvalidResponse => tr!(tr, "error-invalid-response"),
        ErrorStatus::DiskFull => tr!(tr, "error-disk-full"),
        ErrorStatus::PermissionDenied => tr!(tr, "error-permission-denied"),
        ErrorStatus::FileSystemError => tr!(tr, "error-file-system"),
        ErrorStatus::SourceChanged => tr!(tr, "error-source-changed"),
        ErrorStatus::SourceMissing => tr!(tr, "error-source-missing"),
        ErrorStatus::PayloadTooLarge => tr!(tr, "error-payload-too-large"),
        ErrorStatus::ProtocolNotSupported => tr!(tr, "error-protocol-not-supported"),
        ErrorStatus::IsADirectory => tr!(tr, "error-is-a-directory"),
        ErrorStatus::ChecksumMismatch => tr!(tr, "error-checksum-mismatch"),
    }
}

/// A category's name.
pub fn category(tr: &Tr, category: Category) -> String {
    match category {
        Category::Videos => tr!(tr, "category-videos"),
        Category::Music => tr!(tr, "category-music"),
        Category::Pictures => tr!(tr, "category-pictures"),
        Category::Documents => tr!(tr, "category-documents"),
        Category::Archives => tr!(tr, "category-archives"),
        Category::Programs => tr!(tr, "category-programs"),
        Category::Other => tr!(tr, "category-other"),
    }
}

/// An operation's name in the list: its file, or an upload's first file and how
/// many more it sends.
pub fn name(tr: &Tr, s: &Snapshot) -> String {
    let sources = s.upload.as_ref().map_or(&[][..], |u| u.sources.as_slice());
    match (&s.destination, sources) {
        (None, [first, rest @ ..]) if !rest.is_empty() => {
            let first = first
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            tr!(tr, "name-and-more", first = first, more = rest.len())
        }
        _ => s.display_name(),
    }
}

/// Why the engine refused a request, in the user's language. Details that come
/// from elsewhere (the URL parser's or the system's reason) stay as they came.
pub fn refusal(tr: &Tr, error: &ferry::engine::EngineError) -> String {
    use ferry::engine::EngineError;
    match error {
        EngineError::Invalid(invalid) => invalid_request(tr, invalid),
        EngineError::ShuttingDown => tr!(tr, "refusal-shutting-down"),
        EngineError::Refresh(e) if e.status == ErrorStatus::SourceChanged => {
            tr!(tr, "refusal-different-file")
        }
        EngineError::Refresh(e) => tr!(
            tr,
            "refusal-address-unusable",
            reason = self::error(tr, e.status)
        ),
        EngineError::Inspect(e) => self::error(tr, e.status),
        // The window names operations by their rows, so these come from a row
        // that another client changed meanwhile.
        EngineError::NotFound(_) | EngineError::Ambiguous(_) => tr!(tr, "refusal-gone"),
        EngineError::InvalidState { .. } => tr!(tr, "refusal-invalid-state"),
        // Ferry's own trouble (its database, the keyring, the TLS set-up): the
        // detail is technical and stays as the engine says it.
        EngineError::Store(_) | EngineError::Client(_) | EngineError::Secrets(_) => {
            tr!(tr, "refusal-internal", detail = error.to_string())
        }
    }
}

/// A path as the user knows it: under their home folder, from `~`.
pub fn path(path: &std::path::Path) -> String {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    path_under(path, home.as_deref())
}

/// `path` from `~` when it is under `home`.
fn path_under(path: &std::path::Path, home: Option<&std::path::Path>) -> String {
    match home.and_then(|home| path.strip_prefix(home).ok()) {
        Some(rest) if !rest.as_os_str().is_empty() => {
            format!("~{}{}", std::path::MAIN_SEPARATOR, rest.display())
        }
        _ => path.display().to_string(),
    }
}

/// A request refused at creation, in words.
pub fn invalid_request(tr: &Tr, invalid: &ferry::engine::InvalidRequest) -> String {
    use ferry::engine::InvalidRequest as I;
    let path = |p: &std::path::Path| p.display().to_string();
    match invalid {
        I::NotAUrl { input, reason } => {
            tr!(
                tr,
                "refusal-not-a-url",
                input = format!("{input:?}"),
                reason = reason.clone()
            )
        }
        I::UnsupportedScheme { scheme } => {
            tr!(
                tr,
                "refusal-unsupported-scheme",
                scheme = format!("{scheme:?}")
            )
        }
        I::FtpUploadMode => tr!(tr, "refusal-ftp-upload-mode"),
        I::InsecureFtp => tr!(tr, "refusal-insecure-ftp"),
        I::NoHost(url) => tr!(tr, "refusal-no-host", url = format!("{url:?}")),
        I::FolderMissing(p) => tr!(tr, "refusal-folder-missing", path = path(p)),
        I::NotAFolder(p) => tr!(tr, "refusal-not-a-folder", path = path(p)),
        I::FolderNotWritable { path: p, reason } => {
            tr!(
                tr,
                "refusal-folder-not-writable",
                path = path(p),
                reason = reason.clone()
            )
        }
        I::RelativePath(p) => tr!(tr, "refusal-relative-path", path = path(p)),
        I::InvalidHeader { name, reason } => {
            tr!(
                tr,
                "refusal-invalid-header",
                name = format!("{name:?}"),
                reason = reason.clone()
            )
        }
        I::NoSources => tr!(tr, "refusal-no-sources"),
        I::SourceMissing(p) => tr!(tr, "refusal-source-missing", path = path(p)),
        I::SourceNotAFile(p) => tr!(tr, "refusal-source-not-a-file", path = path(p)),
        I::SourceUnreadable { path: p, reason } => {
            tr!(
                tr,
                "refusal-source-unreadable",
                path = path(p),
                reason = reason.clone()
            )
        }
        I::OneSourceOnly => tr!(tr, "refusal-one-source-only"),
        I::MultipartNeedsPost => tr!(tr, "refusal-multipart-needs-post"),
        I::InvalidFieldName(name) => {
            tr!(tr, "refusal-invalid-field-name", name = format!("{name:?}"))
        }
        I::NoSuchGroup(name) => tr!(tr, "refusal-no-such-group", name = name.clone()),
        I::GroupClosed(name) => tr!(tr, "refusal-group-closed", name = name.clone()),
        I::InvalidGroupName { name, reason } => {
            tr!(
                tr,
                "refusal-invalid-group-name",
                name = name.clone(),
                reason = reason.clone()
            )
        }
        I::GroupExists(name) => tr!(tr, "refusal-group-exists", name = name.clone()),
        I::EmptyAction => tr!(tr, "refusal-empty-action"),
        I::InvalidUser => tr!(tr, "refusal-invalid-user"),
        I::InvalidCookie(cookie) => {
            tr!(tr, "refusal-invalid-cookie", cookie = format!("{cookie:?}"))
        }
        I::InvalidProxy { proxy, reason } => {
            tr!(
                tr,
                "refusal-invalid-proxy",
                proxy = proxy.clone(),
                reason = reason.clone()
            )
        }
        I::InvalidChecksum { algorithm, digits } => {
            let digits: usize = *digits;
            tr!(
                tr,
                "refusal-invalid-checksum",
                algorithm = algorithm.to_string(),
                digits = digits
            )
        }
        I::TooMany { .. } | I::TooLong { .. } => {
            tr!(tr, "refusal-too-large", detail = invalid.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_under_home_start_from_a_tilde() {
        use std::path::Path;
        let home = Some(Path::new("/home/ana"));
        assert_eq!(
            path_under(Path::new("/home/ana/Downloads/a.iso"), home),
            "~/Downloads/a.iso"
        );
        assert_eq!(
            path_under(Path::new("/home/anabel/a.iso"), home),
            "/home/anabel/a.iso"
        );
        assert_eq!(path_under(Path::new("/home/ana"), home), "/home/ana");
        assert_eq!(path_under(Path::new("/srv/a.iso"), None), "/srv/a.iso");
    }
    use ferry::config::Language;

    #[test]
    fn refusals_are_in_the_screen_language() {
        use ferry::engine::{EngineError, OperationId, Status, TransferError};
        let fr = Tr::new(Language::French);
        let state = EngineError::InvalidState {
            id: OperationId::new(),
            status: Status::Running,
            action: "resume",
        };
        assert_eq!(
            refusal(&fr, &state),
            "Impossible dans l’état où est le transfert."
        );
        assert_eq!(
            refusal(&fr, &EngineError::NotFound("1a2b".into())),
            "Ce transfert n’est plus dans la liste."
        );
        let changed = EngineError::Refresh(TransferError::new(ErrorStatus::SourceChanged, "x"));
        assert!(refusal(&fr, &changed).starts_with("La nouvelle adresse sert un autre fichier"));
    }

    #[test]
    fn sizes_and_speeds_follow_the_language() {
        let en = Tr::new(Language::English);
        let fr = Tr::new(Language::French);
        assert_eq!(speed(&fr, 1.5 * 1024.0 * 1024.0), "1,5 Mio/s");
        assert_eq!(speed(&en, 1.5 * 1024.0 * 1024.0), "1.5 MiB/s");
        assert_eq!(size(&fr, 512), "512 o");
        assert_eq!(size(&en, 3 * 1024 * 1024 * 1024), "3.0 GiB");
        assert_eq!(progress(&en, 1024, Some(2048)), "1.0 KiB of 2.0 KiB");
        assert_eq!(duration(&fr, 125), "2 min 5 s");
    }

    #[test]
    fn refusals_are_in_the_users_language() {
        use ferry::engine::InvalidRequest;
        let en = Tr::new(Language::English);
        let fr = Tr::new(Language::French);
        let scheme = InvalidRequest::UnsupportedScheme {
            scheme: "gopher".into(),
        };
        assert_eq!(
            invalid_request(&en, &scheme),
            scheme.to_string(),
            "English as the engine says it"
        );
        assert_eq!(
            invalid_request(&fr, &scheme),
            "schéma d’adresse \"gopher\" non pris en charge : Ferry transfère en http, https, ftp et ftps"
        );
        let missing = InvalidRequest::SourceMissing("/x/a.txt".into());
        assert_eq!(invalid_request(&en, &missing), missing.to_string());
        assert_eq!(
            invalid_request(&fr, &InvalidRequest::MultipartNeedsPost),
            "le multipart/form-data s’envoie en POST ; en PUT chaque fichier est envoyé tel quel, une requête par fichier"
        );
    }

    #[test]
    fn every_error_status_has_words_in_both_languages() {
        let en = Tr::new(Language::English);
        let fr = Tr::new(Language::French);
        assert_eq!(error(&en, ErrorStatus::NotFound), "not found on the server");
        assert_eq!(error(&fr, ErrorStatus::DiskFull), "le disque est plein");
    }
}
