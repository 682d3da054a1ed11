use super::*;
use crate::engine::request::Request;

#[test]
fn prefix_matching_ignores_case_and_dashes() {
    let id: OperationId = "6f1c2a9e-1b2c-4d5e-8f90-0123456789ab".parse().unwrap();
    assert!(id.matches_prefix("6F1C"));
    assert!(id.matches_prefix("6f1c2a9e-1b"));
    assert!(!id.matches_prefix("6f1d"));
    assert!(!id.matches_prefix(""));
    assert_eq!(id.short(), "6f1c2a9e");
}

#[test]
fn if_range_prefers_a_strong_etag() {
    let mut v = Validators {
        etag: Some("\"abc\"".into()),
        last_modified: Some("Mon, 01 Jan 2024 00:00:00 GMT".into()),
        ..Validators::default()
    };
    assert_eq!(v.if_range(), Some("\"abc\""));
    v.etag = Some("W/\"abc\"".into());
    assert_eq!(v.if_range(), Some("Mon, 01 Jan 2024 00:00:00 GMT"));
    v.last_modified = None;
    assert_eq!(v.if_range(), None);
}

#[test]
fn display_name_falls_back_to_the_url() {
    let request = Request::download("http://h/dir/file.iso?x=1", None);
    let snap = Snapshot::new(
        1,
        &request,
        request.url.clone(),
        Some(Target::Folder("/tmp".into())),
    );
    assert_eq!(snap.display_name(), "file.iso");
    assert_eq!(part_path(Path::new("/a/b.iso")), Path::new("/a/b.iso.part"));
}

#[test]
fn the_last_failures_are_kept_with_their_retry() {
    use crate::engine::error::{ErrorInfo, ErrorStatus};
    let request = Request::download("http://127.0.0.1:9/f".to_owned(), None);
    let mut s = Snapshot::new(1, &request, request.url.clone(), None);
    for attempt in 0..7 {
        s.attempts = attempt;
        s.record_failure(ErrorInfo {
            status: ErrorStatus::ConnectionReset,
            message: format!("reset {attempt}"),
            http_status: None,
        });
    }
    assert_eq!(s.failures.len(), FAILURES_KEPT);
    let attempts: Vec<u32> = s.failures.iter().map(|f| f.attempt).collect();
    assert_eq!(attempts, [2, 3, 4, 5, 6], "the oldest go first");
    assert_eq!(s.error.as_ref().unwrap().message, "reset 6");
    // Kept in the record, read back whole (and absent from old records).
    let json = serde_json::to_string(&s).unwrap();
    let back: Snapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(back.failures, s.failures);
    let mut old: serde_json::Value = serde_json::from_str(&json).unwrap();
    old.as_object_mut().unwrap().remove("failures");
    let old: Snapshot = serde_json::from_value(old).unwrap();
    assert!(old.failures.is_empty());
}
