//! How far each part of a segmented download was written, for a restart in the
//! same boot. The durable checkpoint (data synced, then each part's `done`
//! committed) comes once a second; between two of them the parts keep writing,
//! and after a `kill -9` those bytes are still in the page cache. So the run also
//! saves, every few tens of milliseconds and without syncing, which bytes each
//! part has handed to the kernel: a small file in the data directory, itself kept
//! by the page cache. At the next start in the same boot (see [`super::boot`]) the
//! parts resume from there; after a machine restart the file is thrown away and
//! the durable checkpoint is the truth, as before.
//!
//! A single-connection download needs no such file: it writes in order, so its
//! `.part`'s length says the same.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::operation::{OperationId, Segment, Snapshot, Validators};

/// What a segmented run had written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Written {
    /// The boot it was written in (see [`super::boot::current`]).
    pub boot: u64,
    pub total: u64,
    pub validators: Validators,
    pub segments: Vec<Segment>,
    /// The `.part`'s inode: a file made anew since (deleted, restarted) is not
    /// the one these positions describe.
    pub part: u64,
}

fn folder(data_dir: &Path) -> PathBuf {
    data_dir.join("written")
}

pub(crate) fn path(data_dir: &Path, id: OperationId) -> PathBuf {
    folder(data_dir).join(format!("{id}.json"))
}

/// Save `written` for `id` (not synced: it only has to outlive the process).
pub(crate) async fn save(
    data_dir: &Path,
    id: OperationId,
    written: &Written,
) -> std::io::Result<()> {
    let text = serde_json::to_vec(written).map_err(std::io::Error::other)?;
    let path = path(data_dir, id);
    match tokio::fs::write(&path, &text).await {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tokio::fs::create_dir_all(folder(data_dir)).await?;
            tokio::fs::write(&path, &text).await
        }
        other => other,
    }
}

/// The inode of the file at `path` (0 when there is none).
pub(crate) fn inode(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata(path).map_or(0, |m| m.ino())
}

/// [`forget`], from code that cannot wait (a cancel or restart throws the
/// `.part` away: these positions describe nothing any more).
pub(crate) fn forget_now(data_dir: &Path, id: OperationId) {
    let _ = std::fs::remove_file(path(data_dir, id));
}

/// Forget what was saved for `id` (its parts are recorded durably, or it ended).
pub(crate) async fn forget(data_dir: &Path, id: OperationId) {
    match tokio::fs::remove_file(path(data_dir, id)).await {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::debug!(%id, error = %e, "cannot remove the written-parts file"),
    }
}

/// At start: in the same boot, let every unfinished segmented record resume from
/// what its parts had written (in memory: the store keeps the durable
/// checkpoint until the next one covers these bytes). Its file stays — the agent
/// may be killed again before its run saves anew — and every other goes. After a
/// restart of the machine they all go.
pub(crate) fn apply_at_start(
    data_dir: &Path,
    boot: Option<u64>,
    same_boot: bool,
    records: &mut [Box<Snapshot>],
) {
    let Some(boot) = boot.filter(|_| same_boot) else {
        let _ = std::fs::remove_dir_all(folder(data_dir));
        return;
    };
    let mut kept = std::collections::HashSet::new();
    for record in records.iter_mut() {
        if record.segments.is_empty() || record.status.is_finished() {
            continue;
        }
        let path = path(data_dir, record.id);
        if let Some(written) = load(&path) {
            adopt(record, boot, written);
            kept.insert(path);
        }
    }
    let Ok(entries) = std::fs::read_dir(folder(data_dir)) else {
        return;
    };
    for entry in entries.flatten() {
        if !kept.contains(&entry.path()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn load(path: &Path) -> Option<Written> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Take `written` for `record` if it is of this boot and this version of the
/// file, and gets further than the durable checkpoint.
fn adopt(record: &mut Snapshot, boot: u64, written: Written) -> bool {
    let done = |segments: &[Segment]| segments.iter().map(|s| s.done).sum::<u64>();
    let sound = written
        .segments
        .iter()
        .all(|s| s.start <= s.end && s.end <= written.total && s.done <= s.end - s.start);
    // Without validators a changed file could not be told apart.
    let same_part = record
        .part_path()
        .is_some_and(|part| written.part != 0 && inode(&part) == written.part);
    let same_version = same_part
        && written.boot == boot
        && record.total == Some(written.total)
        && record.validators == written.validators
        && !written.validators.is_empty();
    if !sound || !same_version || done(&written.segments) <= done(&record.segments) {
        return false;
    }
    tracing::info!(
        id = %record.id,
        checkpoint = done(&record.segments),
        written = done(&written.segments),
        "resuming the parts from what they wrote after the last checkpoint (same boot)"
    );
    record.bytes = done(&written.segments);
    record.segments = written.segments;
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::operation::{Status, Target};
    use crate::engine::request::Request;

    fn segmented(dir: &Path) -> Snapshot {
        let dest = dir.join("f.bin");
        let request = Request::download("http://127.0.0.1/f.bin", Some(dest.clone()));
        let mut r = Snapshot::new(1, &request, request.url.clone(), Some(Target::File(dest)));
        r.status = Status::Running;
        r.total = Some(100);
        r.validators.etag = Some("\"v1\"".into());
        r.segments = vec![
            Segment {
                start: 0,
                end: 50,
                done: 10,
            },
            Segment {
                start: 50,
                end: 100,
                done: 5,
            },
        ];
        r.bytes = 15;
        r
    }

    fn written(r: &Snapshot, boot: u64) -> Written {
        let part = r.part_path().unwrap();
        if !part.exists() {
            std::fs::write(&part, [0u8; 100]).unwrap();
        }
        Written {
            part: inode(&part),
            boot,
            total: 100,
            validators: r.validators.clone(),
            segments: vec![
                Segment {
                    start: 0,
                    end: 50,
                    done: 40,
                },
                Segment {
                    start: 50,
                    end: 100,
                    done: 30,
                },
            ],
        }
    }

    #[test]
    fn parts_resume_from_what_they_wrote_in_the_same_boot_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = segmented(dir.path());
        let saved = written(&r, 7);
        assert!(adopt(&mut r, 7, saved));
        assert_eq!(
            (r.bytes, r.segments[0].done, r.segments[1].done),
            (70, 40, 30)
        );

        let mut r = segmented(dir.path());
        let saved = written(&r, 7);
        assert!(!adopt(&mut r, 8, saved), "another boot");
        let mut other = written(&r, 8);
        other.validators.etag = Some("\"v2\"".into());
        assert!(!adopt(&mut r, 8, other), "another version");
        let mut none = written(&r, 8);
        none.validators = Validators::default();
        r.validators = Validators::default();
        assert!(!adopt(&mut r, 8, none), "no way to tell versions apart");
        let mut r = segmented(dir.path());
        let mut wild = written(&r, 8);
        wild.segments[1].done = 90;
        assert!(!adopt(&mut r, 8, wild), "a part longer than itself");
        assert_eq!(r.bytes, 15);
        // The `.part` was made anew since (deleted while the agent was away).
        let saved = written(&r, 8);
        let part = r.part_path().unwrap();
        let moved = dir.path().join("held");
        std::fs::rename(&part, &moved).unwrap();
        std::fs::write(&part, [0u8; 100]).unwrap();
        assert!(!adopt(&mut r, 8, saved), "another .part");
    }

    #[tokio::test]
    async fn saved_then_applied_at_start_in_the_same_boot_only() {
        let dir = tempfile::tempdir().unwrap();
        let r = segmented(dir.path());
        save(dir.path(), r.id, &written(&r, 7)).await.unwrap();
        let mut records = vec![Box::new(r.clone())];
        apply_at_start(dir.path(), Some(7), false, &mut records);
        assert_eq!(records[0].bytes, 15, "not the same boot: the checkpoint");
        assert!(!path(dir.path(), r.id).exists(), "and the file is dropped");

        save(dir.path(), r.id, &written(&r, 7)).await.unwrap();
        let stale = OperationId::new();
        save(dir.path(), stale, &written(&r, 7)).await.unwrap();
        apply_at_start(dir.path(), Some(7), true, &mut records);
        assert_eq!(records[0].bytes, 70);
        assert!(
            path(dir.path(), r.id).exists(),
            "kept until its run saves anew"
        );
        assert!(
            !path(dir.path(), stale).exists(),
            "no operation of its own: gone"
        );
        // Killed again before the run saved: the same positions at the next start.
        let mut again = vec![Box::new(r.clone())];
        apply_at_start(dir.path(), Some(7), true, &mut again);
        assert_eq!(again[0].bytes, 70);
    }
}
