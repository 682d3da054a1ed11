//! Reading what a server answered: validators, `Content-Range`, `Retry-After`, and
//! the error an unsuccessful status becomes.

use std::time::Duration;

use reqwest::Response;
use reqwest::header::{self, HeaderName};

use crate::engine::error::{ErrorStatus, TransferError};
use crate::engine::operation::Validators;

fn header_str(response: &Response, name: HeaderName) -> Option<&str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

pub(super) fn validators_of(response: &Response) -> Validators {
    Validators {
        etag: header_str(response, header::ETAG).map(str::to_owned),
        last_modified: header_str(response, header::LAST_MODIFIED).map(str::to_owned),
        digest: None,
        content_type: header_str(response, header::CONTENT_TYPE).and_then(media_type),
    }
}

/// `text/html; charset=utf-8` → `text/html`.
pub(super) fn media_type(value: &str) -> Option<String> {
    let essence = value.split(';').next()?.trim().to_ascii_lowercase();
    (!essence.is_empty()).then_some(essence)
}

/// A web page where the rest of a file that is not one was asked for: the error
/// page of a server that answers range requests with it (the classic way an
/// archive ends up with HTML inside). Not another version of the file: the part
/// kept stays, and the request is tried again later.
pub(super) fn error_page_instead_of(held: &Validators, now: &Validators) -> Option<TransferError> {
    (now.is_web_page() && !held.is_web_page()).then(|| {
        TransferError::new(
            ErrorStatus::ServerError,
            "the server answered with a web page instead of the rest of the file",
        )
    })
}

/// Whether the server's validators say another version than the one we hold.
/// Only validators both sides have are compared.
pub(super) fn changed(held: &Validators, now: &Validators) -> bool {
    match (&held.etag, &now.etag) {
        (Some(a), Some(b)) => return a != b,
        (Some(_), None) | (None, Some(_)) => {}
        (None, None) => {}
    }
    matches!((&held.last_modified, &now.last_modified), (Some(a), Some(b)) if a != b)
}

/// `Content-Range: bytes start-end/total` (or `bytes */total` on a 416).
pub(super) struct ContentRange {
    pub start: u64,
    pub total: Option<u64>,
}

pub(super) fn content_range(response: &Response) -> Option<ContentRange> {
    parse_content_range(header_str(response, header::CONTENT_RANGE)?)
}

fn parse_content_range(value: &str) -> Option<ContentRange> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let total = match total.trim() {
        "*" => None,
        n => Some(n.parse().ok()?),
    };
    let start = match range.trim() {
        "*" => total?,
        r => {
            let (start, end) = r.split_once('-')?;
            let (start, end): (u64, u64) = (start.parse().ok()?, end.parse().ok()?);
            if end < start || total.is_some_and(|t| end >= t) {
                return None;
            }
            start
        }
    };
    Some(ContentRange { start, total })
}

pub(super) fn http_error(response: &Response) -> TransferError {
    let status = response.status();
    let mut error = TransferError::new(
        ErrorStatus::from_http(status.as_u16()),
        format!(
            "the server answered {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )
        .trim_end()
        .to_owned(),
    );
    error.http_status = Some(status.as_u16());
    error.retry_after = header_str(response, header::RETRY_AFTER).and_then(parse_retry_after);
    error
}

/// `Retry-After`: delay seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_are_parsed_and_checked() {
        let r = parse_content_range("bytes 100-199/1000").unwrap();
        assert_eq!((r.start, r.total), (100, Some(1000)));
        let r = parse_content_range("bytes 5-9/*").unwrap();
        assert_eq!((r.start, r.total), (5, None));
        let r = parse_content_range("bytes */1000").unwrap();
        assert_eq!((r.start, r.total), (1000, Some(1000)));
        assert!(parse_content_range("bytes 9-5/10").is_none());
        assert!(parse_content_range("bytes 0-10/10").is_none());
        assert!(parse_content_range("items 0-1/2").is_none());
    }

    #[test]
    fn only_validators_on_both_sides_are_compared() {
        let v = |e: Option<&str>, l: Option<&str>| Validators {
            etag: e.map(Into::into),
            last_modified: l.map(Into::into),
            ..Validators::default()
        };
        assert!(changed(&v(Some("\"a\""), None), &v(Some("\"b\""), None)));
        assert!(!changed(&v(Some("\"a\""), None), &v(None, Some("x"))));
        assert!(changed(&v(None, Some("x")), &v(None, Some("y"))));
        assert!(!changed(
            &v(Some("\"a\""), Some("x")),
            &v(Some("\"a\""), Some("y"))
        ));
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
