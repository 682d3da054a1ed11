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
pub struct Written {
    /// The boot it was written in (see [`super::boot::current`]).
    pub boot: u64,
    pub total: u64,
    pub validators: Validators,
    pub segments: Vec<Segment>,
}

fn folder(data_dir: &Path) -> PathBuf {
    data_dir.join("written")
}

pub fn path(data_dir: &Path, id: OperationId) -> PathBuf {
    folder(data_dir).join(format!("{id}.json"))
}

/// Save `written` for `id` (not synced: it only has to outlive the process).
pub async fn save(data_dir: &Path, id: OperationId, written: &Written) -> std::io::Result<()> {
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

/// Forget what was saved for `id` (its parts are recorded durably, or it ended).
pub async fn forget(data_dir: &Path, id: OperationId) {
    match tokio::fs::remove_file(path(data_dir, id)).await {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::debug!(%id, error = %e, "cannot remove the written-parts file"),
    }
}

/// At start: in the same boot, let every unfinished segmented record resume from
/// what its parts had written (in memory: the store keeps the durable
/// checkpoint until the next one covers these bytes). Then drop every file: a
/// restart of the machine makes them meaningless, and a run saves anew.
pub fn apply_at_start(
    data_dir: &Path,
    boot: Option<u64>,
    same_boot: bool,
    records: &mut [Box<Snapshot>],
) {
    if let (Some(boot), true) = (boot, same_boot) {
        for record in records.iter_mut() {
            if record.segments.is_empty() || record.status.is_finished() {
                continue;
            }
            if let Some(written) = load(&path(data_dir, record.id)) {
                adopt(record, boot, written);
            }
        }
    }
    let _ = std::fs::remove_dir_all(folder(data_dir));
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
    let same_version = written.boot == boot
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
    use crate::engine::operation::{Request, Status, Target};

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
        Written {
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
    }

    #[tokio::test]
    async fn saved_then_applied_at_start_and_then_gone() {
        let dir = tempfile::tempdir().unwrap();
        let r = segmented(dir.path());
        save(dir.path(), r.id, &written(&r, 7)).await.unwrap();
        let mut records = vec![Box::new(r.clone())];
        apply_at_start(dir.path(), Some(7), false, &mut records);
        assert_eq!(records[0].bytes, 15, "not the same boot: the checkpoint");
        assert!(!path(dir.path(), r.id).exists(), "and the file is dropped");

        save(dir.path(), r.id, &written(&r, 7)).await.unwrap();
        apply_at_start(dir.path(), Some(7), true, &mut records);
        assert_eq!(records[0].bytes, 70);
        assert!(!path(dir.path(), r.id).exists());
    }
}
