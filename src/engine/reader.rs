//! Reading a download while it downloads (`ferry cat ID | player`): the bytes from
//! an offset on, as soon as they are on disk, waiting for more until the file is
//! complete. The reader keeps its file open, so the final rename does not disturb
//! it.
//!
//! What counts as arrived: for a download written in order, the bytes written so
//! far; for a segmented one, the unbroken run of checkpointed bytes from the
//! reader's position (other parts may exist already, but holes read as zeros). A
//! reader waiting where no connection will soon be says so, and the download
//! sends a connection there (see `http/segmented.rs`).

use std::io::SeekFrom;
use std::path::PathBuf;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};

use super::operation::{Kind, OperationId, Segment, Snapshot, Status, Validators, part_path};
use super::{Engine, EngineError};

/// How often a reader that caught up looks again.
const POLL: Duration = Duration::from_millis(50);
/// Bytes per read.
const CHUNK: u64 = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("operation {0} is not a download")]
    NotADownload(OperationId),
    #[error("the download ended without completing: {0}")]
    Ended(String),
    #[error("the download started again from zero: what was read is of another version")]
    Restarted,
    #[error("reading the download: {0}")]
    Io(#[from] std::io::Error),
}

/// The bytes of one download from an offset on.
#[derive(Debug)]
pub struct PrefixReader {
    engine: Engine,
    id: OperationId,
    position: u64,
    file: Option<tokio::fs::File>,
    /// The version of the file the bytes read so far belong to.
    version: Option<Validators>,
}

impl Engine {
    /// Read download `id` from `offset` on, waiting for bytes still to come.
    pub fn read(&self, id: OperationId, offset: u64) -> Result<PrefixReader, ReadError> {
        let snapshot = self
            .get(id)
            .ok_or_else(|| EngineError::NotFound(id.to_string()))?;
        if snapshot.kind != Kind::Download {
            return Err(ReadError::NotADownload(id));
        }
        Ok(PrefixReader {
            engine: self.clone(),
            id,
            position: offset,
            file: None,
            version: None,
        })
    }
}

impl PrefixReader {
    /// The total size, when known.
    pub fn total(&self) -> Option<u64> {
        self.engine.get(self.id).and_then(|s| s.total)
    }

    /// The next bytes, waiting for them if needed; `None` once the whole file is
    /// read.
    pub async fn next(&mut self) -> Result<Option<Bytes>, ReadError> {
        loop {
            let snapshot = self
                .engine
                .get(self.id)
                .ok_or_else(|| EngineError::NotFound(self.id.to_string()))?;
            let arrived = match snapshot.status {
                Status::Completed => snapshot.total.unwrap_or(snapshot.bytes),
                Status::Canceled => return Err(ReadError::Ended("it was canceled".into())),
                Status::Error => {
                    let why = snapshot
                        .error
                        .as_ref()
                        .map_or_else(|| "it failed".to_owned(), |e| e.message.clone());
                    return Err(ReadError::Ended(why));
                }
                _ => arrived(&snapshot, self.position),
            };
            // A new version on the server starts the file again from zero; what
            // was read belongs to the old one. (A count that drops for a moment,
            // between a run's end and its record, is no sign of that.)
            match &self.version {
                Some(version) if *version != snapshot.validators => {
                    return Err(ReadError::Restarted);
                }
                _ => {}
            }
            if self.position < arrived
                && let Some(path) = path_of(&snapshot)
            {
                let want = (arrived - self.position).min(CHUNK);
                let read = self.read_at(&path, want).await?;
                if !read.is_empty() {
                    if self.version.is_none() {
                        self.version = Some(snapshot.validators.clone());
                    }
                    self.position += read.len() as u64;
                    return Ok(Some(read));
                }
            } else if snapshot.status == Status::Completed {
                return Ok(None);
            }
            self.engine.want(self.id, Some(self.position));
            tokio::time::sleep(POLL).await;
        }
    }

    async fn read_at(&mut self, path: &PathBuf, want: u64) -> Result<Bytes, ReadError> {
        if self.file.is_none() {
            match tokio::fs::File::open(path).await {
                Ok(file) => self.file = Some(file),
                // Not there yet (or renamed between the look and the open).
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Bytes::new()),
                Err(e) => return Err(e.into()),
            }
        }
        let file = self.file.as_mut().expect("opened above");
        file.seek(SeekFrom::Start(self.position)).await?;
        let mut buffer = BytesMut::with_capacity(usize::try_from(want).unwrap_or(1 << 20));
        (&mut *file).take(want).read_buf(&mut buffer).await?;
        Ok(buffer.freeze())
    }
}

impl Drop for PrefixReader {
    fn drop(&mut self) {
        self.engine.want(self.id, None);
    }
}

impl Engine {
    /// A reader waits at `offset` of download `id` (`None`: it stopped waiting).
    fn want(&self, id: OperationId, offset: Option<u64>) {
        if let Some(run) = self.inner.lock().ops.get(&id).and_then(|e| e.run.as_ref()) {
            run.live.set_wanted(offset);
        }
    }
}

/// Where the bytes are now: the final file once complete, else the `.part`.
fn path_of(snapshot: &Snapshot) -> Option<PathBuf> {
    let destination = snapshot.destination.as_deref()?;
    Some(if snapshot.status == Status::Completed {
        destination.to_owned()
    } else {
        part_path(destination)
    })
}

/// Where the bytes that are certainly the file's end, reading from `position`.
fn arrived(snapshot: &Snapshot, position: u64) -> u64 {
    if snapshot.segments.is_empty() {
        return snapshot.bytes;
    }
    contiguous(&snapshot.segments, position)
}

/// The end of the unbroken run of done bytes from `from` on (`from` itself if
/// the byte there is not done).
fn contiguous(segments: &[Segment], from: u64) -> u64 {
    let mut sorted = segments.to_vec();
    sorted.sort_unstable_by_key(|s| s.start);
    let mut reach = from;
    for segment in sorted {
        let done_end = segment.start + segment.done;
        if segment.start > reach {
            break;
        }
        if done_end > reach {
            reach = done_end;
        }
        if done_end < segment.end && done_end >= from {
            break;
        }
    }
    reach
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_unbroken_start_of_segments_counts() {
        let s = |start, end, done| Segment { start, end, done };
        let parts = [s(0, 10, 10), s(10, 20, 4), s(20, 30, 10)];
        assert_eq!(contiguous(&parts, 0), 14);
        assert_eq!(contiguous(&[s(10, 20, 10), s(0, 10, 10)], 0), 20);
        assert_eq!(contiguous(&[s(0, 10, 3), s(10, 20, 10)], 0), 3);
        assert_eq!(contiguous(&[], 0), 0);
        // From further in: the run that starts at the reader's position.
        assert_eq!(contiguous(&parts, 12), 14);
        assert_eq!(contiguous(&parts, 16), 16, "not there yet");
        assert_eq!(contiguous(&parts, 22), 30);
        assert_eq!(contiguous(&[s(0, 10, 3), s(10, 20, 10)], 12), 20);
    }
}
