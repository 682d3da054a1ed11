//! The `.part` file of a running download: large positioned writes done on the
//! blocking pool while the network keeps reading (double buffering), and the
//! "synced before checkpointed" rule in one place.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

/// Bytes gathered before one write system call. Large writes keep the syscall and
/// task-spawn cost per byte low; two buffers per running download bound memory.
const BUFFER_BYTES: usize = 1 << 20;
/// The longest bytes wait in the buffer before going to the kernel. What the
/// kernel holds survives the agent being killed (see `boot.rs`); what the buffer
/// holds is fetched again. On a fast link the buffer fills sooner than this.
const BUFFER_AGE: Duration = Duration::from_millis(10);

/// A `.part` is the user's alone while it is written: a half-downloaded file
/// may be a private document, and nobody else should read it or write into it.
const PART_MODE: u32 = 0o600;

/// Options that open (or create) a `.part` readable and writable by the user only.
pub(super) fn part_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.mode(PART_MODE);
    options
}

/// A finished download gets the mode any new file of the user gets: 0666 less
/// the process's umask.
pub(super) fn publish(path: &Path) -> io::Result<()> {
    let mode = 0o666 & !umask();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

/// The umask, read from `/proc` (setting it to read it would race with other
/// threads creating files); 022 where it cannot be read.
pub(crate) fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find_map(|l| l.strip_prefix("Umask:"))?;
            u32::from_str_radix(line.trim(), 8).ok()
        })
        .unwrap_or(0o022)
}

#[derive(Debug)]
pub(super) struct PartFile {
    file: Arc<File>,
    /// Data not yet handed to the kernel, starting at `buffer_offset`.
    buffer: Vec<u8>,
    buffer_offset: u64,
    /// A write on the blocking pool: it gives back its buffer for reuse.
    in_flight: Option<JoinHandle<io::Result<Vec<u8>>>>,
    /// Where the in-flight write ends.
    in_flight_end: u64,
    /// Every byte below this offset is in the file (written, maybe not yet synced).
    written: u64,
    spare: Vec<u8>,
    /// When the oldest byte in the buffer arrived.
    buffered_since: Instant,
}

impl PartFile {
    /// Open (or create) `path` and cut it to at most `offset` bytes, so data past the
    /// last checkpoint is never trusted. Returns the file and the offset writing
    /// resumes at (smaller than `offset` if the file is shorter).
    pub(super) async fn open(path: &Path, offset: u64) -> io::Result<(Self, u64)> {
        let owned = path.to_owned();
        let (file, resume_at) = tokio::task::spawn_blocking(move || {
            let file = part_options()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true)
                .open(&owned)?;
            let len = file.metadata()?.len();
            let resume_at = len.min(offset);
            if len != resume_at {
                file.set_len(resume_at)?;
            }
            Ok::<_, io::Error>((file, resume_at))
        })
        .await
        .map_err(io::Error::other)??;
        Ok((
            Self {
                file: Arc::new(file),
                buffer: Vec::new(),
                buffer_offset: resume_at,
                in_flight: None,
                in_flight_end: resume_at,
                written: resume_at,
                spare: Vec::new(),
                buffered_since: Instant::now(),
            },
            resume_at,
        ))
    }

    /// The offset the next byte goes to.
    pub(super) fn position(&self) -> u64 {
        self.buffer_offset + self.buffer.len() as u64
    }

    pub(super) async fn write(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            if self.buffer.capacity() == 0 {
                self.buffer.reserve_exact(BUFFER_BYTES);
            }
            if self.buffer.is_empty() {
                self.buffered_since = Instant::now();
            }
            let room = BUFFER_BYTES - self.buffer.len();
            let take = room.min(data.len());
            self.buffer.extend_from_slice(&data[..take]);
            data = &data[take..];
            // An older write still in flight is left to finish first: a slow
            // disk then gathers full buffers instead of many small writes.
            let aged = self.buffered_since.elapsed() >= BUFFER_AGE
                && self.in_flight.as_ref().is_none_or(JoinHandle::is_finished);
            if self.buffer.len() >= BUFFER_BYTES || aged {
                self.submit().await?;
            }
        }
        Ok(())
    }

    /// Hand the buffer to the kernel and wait for every write: afterwards
    /// `position()` bytes are in the file (not necessarily on the disk).
    pub(super) async fn flush(&mut self) -> io::Result<u64> {
        self.submit().await?;
        self.finish_in_flight().await?;
        Ok(self.position())
    }

    /// Flush, then make the data durable; returns the offset that is now safe to
    /// record in a checkpoint.
    pub(super) async fn sync(&mut self) -> io::Result<u64> {
        let offset = self.flush().await?;
        let file = Arc::clone(&self.file);
        tokio::task::spawn_blocking(move || file.sync_data())
            .await
            .map_err(io::Error::other)??;
        Ok(offset)
    }

    /// Make durable what earlier writes put in the file, without writing the buffer:
    /// after a failed write (a full disk) this is what a checkpoint may still cover.
    pub(super) async fn sync_written(&mut self) -> io::Result<u64> {
        let written = self.written;
        let file = Arc::clone(&self.file);
        tokio::task::spawn_blocking(move || file.sync_data())
            .await
            .map_err(io::Error::other)??;
        Ok(written)
    }

    /// Reserve the disk blocks of a file of `total` bytes, without changing its
    /// length, where the file system can: it fragments less, and a disk too full
    /// for the file says so now rather than near the end.
    pub(super) async fn reserve(&self, total: u64) -> io::Result<()> {
        let file = Arc::clone(&self.file);
        tokio::task::spawn_blocking(move || preallocate(&file, total, true))
            .await
            .map_err(io::Error::other)?
    }

    /// A handle to make the written data durable from another task while writing goes on.
    pub(super) fn sync_handle(&self) -> Arc<File> {
        Arc::clone(&self.file)
    }

    /// Drop everything: the server sent another version, start from byte zero.
    pub(super) async fn truncate_to_zero(&mut self) -> io::Result<()> {
        self.buffer.clear();
        self.finish_in_flight().await?;
        let file = Arc::clone(&self.file);
        tokio::task::spawn_blocking(move || {
            file.set_len(0)?;
            file.sync_data()
        })
        .await
        .map_err(io::Error::other)??;
        self.buffer_offset = 0;
        self.written = 0;
        self.in_flight_end = 0;
        Ok(())
    }

    async fn submit(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        self.finish_in_flight().await?;
        let data = std::mem::replace(&mut self.buffer, std::mem::take(&mut self.spare));
        let offset = self.buffer_offset;
        self.buffer_offset += data.len() as u64;
        self.in_flight_end = self.buffer_offset;
        let file = Arc::clone(&self.file);
        self.in_flight = Some(tokio::task::spawn_blocking(move || {
            file.write_all_at(&data, offset)?;
            Ok(data)
        }));
        Ok(())
    }

    async fn finish_in_flight(&mut self) -> io::Result<()> {
        if let Some(write) = self.in_flight.take() {
            let mut done = write.await.map_err(io::Error::other)??;
            self.written = self.in_flight_end;
            done.clear();
            self.spare = done;
        }
        Ok(())
    }
}

/// Reserve the blocks of the first `len` bytes of `file` (`keep_size`: without
/// making it longer). File systems that cannot are left as they are.
pub(super) fn preallocate(file: &File, len: u64, keep_size: bool) -> io::Result<()> {
    use rustix::fs::FallocateFlags;
    use rustix::io::Errno;
    if len == 0 {
        return Ok(());
    }
    let flags = if keep_size {
        FallocateFlags::KEEP_SIZE
    } else {
        FallocateFlags::empty()
    };
    match rustix::fs::fallocate(file, flags, 0, len) {
        Err(Errno::OPNOTSUPP | Errno::NOSYS) => Ok(()),
        result => result.map_err(io::Error::from),
    }
}

/// Give a finished `.part` its final name so that both the data and the rename
/// survive a power cut.
pub(super) fn rename_durably(from: &Path, to: &Path) -> io::Result<()> {
    publish(from)?;
    std::fs::rename(from, to)?;
    if let Some(parent) = to.parent() {
        // The rename itself must survive a power cut, not only the data.
        File::open(parent)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opening_cuts_a_longer_file_back_to_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.part");
        std::fs::write(&path, vec![7u8; 5000]).unwrap();
        let (mut part, at) = PartFile::open(&path, 3000).await.unwrap();
        assert_eq!(at, 3000);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 3000);
        part.write(&[1, 2, 3]).await.unwrap();
        assert_eq!(part.sync().await.unwrap(), 3003);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[2999..], &[7, 1, 2, 3]);
    }

    #[tokio::test]
    async fn reserving_keeps_the_length_and_allocates_the_blocks() {
        use std::os::unix::fs::MetadataExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.part");
        let (mut part, _) = PartFile::open(&path, 0).await.unwrap();
        part.write(&[1; 100]).await.unwrap();
        part.flush().await.unwrap();
        part.reserve(8 << 20).await.unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.len(), 100, "the length is what was written");
        // 512-byte blocks; a file system that cannot reserve leaves one block.
        println!("blocks after reserving 8 MiB: {}", meta.blocks());
        assert_eq!(std::fs::read(&path).unwrap(), vec![1; 100]);
    }

    #[tokio::test]
    async fn a_part_is_private_and_the_finished_file_gets_the_usual_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.part");
        let (mut part, _) = PartFile::open(&path, 0).await.unwrap();
        part.write(b"secret").await.unwrap();
        part.sync().await.unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        publish(&path).unwrap();
        assert_eq!(mode(&path), 0o666 & !umask());
        assert_ne!(umask(), 0o7777, "read from /proc");
    }

    #[tokio::test]
    async fn a_shorter_file_resumes_at_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.part");
        std::fs::write(&path, vec![7u8; 100]).unwrap();
        let (_, at) = PartFile::open(&path, 3000).await.unwrap();
        assert_eq!(at, 100);
    }

    #[tokio::test]
    async fn large_writes_cross_buffers_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.part");
        let (mut part, _) = PartFile::open(&path, 0).await.unwrap();
        let data: Vec<u8> = (0..3 * BUFFER_BYTES + 12345)
            .map(|i| (i % 251) as u8)
            .collect();
        for chunk in data.chunks(70_001) {
            part.write(chunk).await.unwrap();
        }
        assert_eq!(part.flush().await.unwrap(), data.len() as u64);
        assert_eq!(std::fs::read(&path).unwrap(), data);
        part.truncate_to_zero().await.unwrap();
        assert_eq!(part.position(), 0);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    }
}
