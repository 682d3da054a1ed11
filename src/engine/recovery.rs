//! Start-up reconciliation of records with the files on disk, after a clean quit,
//! a `kill -9` or a power cut. The rule: the checkpoint in the store is the truth
//! for how far a download got, and the file system for what survived.

use std::path::Path;

use super::operation::{Snapshot, Status};

/// Bring one record in line with the disk. `same_boot`: the machine has not
/// restarted since the last recovery, so every byte written to a `.part` is
/// still there (see [`super::boot`]). Returns true when the record itself changed
/// and must be written back.
pub(super) fn reconcile(record: &mut Snapshot, same_boot: bool) -> bool {
    match record.status {
        // It was running when the agent stopped: queue it again (the store keeps
        // `Running` until the scheduler writes its next start).
        Status::Running => {
            record.status = Status::Idle;
            reconcile_part(record, same_boot)
        }
        Status::Completed => {
            finish_interrupted_rename(record);
            false
        }
        Status::Canceled => false,
        _ => reconcile_part(record, same_boot),
    }
}

fn reconcile_part(record: &mut Snapshot, same_boot: bool) -> bool {
    let Some(part) = record.part_path() else {
        return false;
    };
    match std::fs::metadata(&part) {
        Err(_) if record.bytes > 0 => {
            tracing::warn!(id = %record.id, path = %part.display(), "partial data is gone; starting from zero");
            record.reset_progress();
            true
        }
        Err(_) => false,
        // A segmented download writes in place, its parts anywhere in the file:
        // what counts is each segment's own checkpoint.
        Ok(_) if !record.segments.is_empty() => false,
        // The agent died (kill -9, a crash) but the machine did not: what it wrote
        // after its last checkpoint is in the page cache, written in order, of the
        // version the record names. Resume from there instead of fetching it
        // again. Kept in memory only: the record stays at its durable checkpoint
        // until the next one syncs these bytes, so a power loss before then still
        // cuts back to what is on the disk.
        Ok(meta)
            if same_boot
                && meta.len() > record.bytes
                && record.total.is_none_or(|total| meta.len() <= total) =>
        {
            tracing::info!(
                id = %record.id,
                checkpoint = record.bytes,
                written = meta.len(),
                "resuming from what was written after the last checkpoint (same boot)"
            );
            record.bytes = meta.len();
            false
        }
        Ok(meta) if meta.len() > record.bytes => {
            // Written after the last checkpoint: not covered by it, so not trusted.
            tracing::info!(
                id = %record.id,
                from = meta.len(),
                to = record.bytes,
                "cutting partial data back to its checkpoint"
            );
            if let Err(e) = cut(&part, record.bytes) {
                tracing::warn!(id = %record.id, error = %e, "cannot cut partial data; starting from zero");
                record.reset_progress();
                return true;
            }
            false
        }
        Ok(meta) if meta.len() < record.bytes => {
            tracing::warn!(
                id = %record.id,
                file = meta.len(),
                checkpoint = record.bytes,
                "partial data is shorter than its checkpoint; resuming from its end"
            );
            record.bytes = meta.len();
            true
        }
        Ok(_) => false,
    }
}

fn cut(path: &Path, len: u64) -> std::io::Result<()> {
    let file = std::fs::OpenOptions::new().write(true).open(path)?;
    file.set_len(len)?;
    file.sync_data()
}

/// The store says completed but the agent died between the commit and the rename.
fn finish_interrupted_rename(record: &Snapshot) {
    let (Some(destination), Some(part)) = (&record.destination, record.part_path()) else {
        return;
    };
    if !destination.exists() && part.exists() {
        let renamed =
            super::part_file::publish(&part).and_then(|()| std::fs::rename(&part, destination));
        match renamed {
            Ok(()) => {
                tracing::info!(id = %record.id, path = %destination.display(), "finished an interrupted completion");
            }
            Err(e) => {
                tracing::warn!(id = %record.id, error = %e, "cannot finish an interrupted completion");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::operation::Target;
    use crate::engine::request::Request;

    fn record_at(dir: &Path, bytes: u64, status: Status) -> Snapshot {
        let dest = dir.join("f.bin");
        let request = Request::download("http://127.0.0.1/f.bin", Some(dest.clone()));
        let mut r = Snapshot::new(1, &request, request.url.clone(), Some(Target::File(dest)));
        r.bytes = bytes;
        r.status = status;
        r
    }

    #[test]
    fn data_past_the_checkpoint_is_cut_and_running_becomes_queued() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = record_at(dir.path(), 10, Status::Running);
        std::fs::write(r.part_path().unwrap(), [1u8; 25]).unwrap();
        assert!(!reconcile(&mut r, false));
        assert_eq!(r.status, Status::Idle);
        assert_eq!(std::fs::read(r.part_path().unwrap()).unwrap(), [1u8; 10]);
    }

    #[test]
    fn in_the_same_boot_data_past_the_checkpoint_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = record_at(dir.path(), 10, Status::Running);
        std::fs::write(r.part_path().unwrap(), [1u8; 25]).unwrap();
        assert!(!reconcile(&mut r, true), "not recorded before it is synced");
        assert_eq!((r.status, r.bytes), (Status::Idle, 25));
        assert_eq!(std::fs::read(r.part_path().unwrap()).unwrap(), [1u8; 25]);
        // Longer than the file can be: not trusted.
        let mut r = record_at(dir.path(), 10, Status::Running);
        r.total = Some(20);
        assert!(!reconcile(&mut r, true));
        assert_eq!(r.bytes, 10);
        assert_eq!(std::fs::read(r.part_path().unwrap()).unwrap(), [1u8; 10]);
    }

    #[test]
    fn a_short_or_missing_part_lowers_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = record_at(dir.path(), 10, Status::PausedByApplication);
        std::fs::write(r.part_path().unwrap(), [1u8; 4]).unwrap();
        assert!(reconcile(&mut r, false));
        assert_eq!(r.bytes, 4);
        std::fs::remove_file(r.part_path().unwrap()).unwrap();
        assert!(reconcile(&mut r, false));
        assert_eq!(r.bytes, 0);
        assert_eq!(r.status, Status::PausedByApplication);
    }

    #[test]
    fn an_interrupted_rename_is_finished() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = record_at(dir.path(), 3, Status::Completed);
        std::fs::write(r.part_path().unwrap(), b"abc").unwrap();
        assert!(!reconcile(&mut r, false));
        assert_eq!(std::fs::read(dir.path().join("f.bin")).unwrap(), b"abc");
        assert!(!r.part_path().unwrap().exists());
    }
}
