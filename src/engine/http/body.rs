//! Request bodies read from the files being uploaded: streamed in chunks (memory
//! stays flat whatever the size), counted into the operation's live progress as
//! they go out, and checked against the version recorded at creation so that a
//! file changed mid-upload fails the request instead of sending a mix.

use std::io::SeekFrom;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::engine::error::SourceProblem;
use crate::engine::operation::Source;
use crate::engine::pace::Pace;
use crate::engine::progress::Live;
use crate::engine::validate::modified_ns;

/// Bytes read from disk per chunk handed to the connection: large reads keep the
/// per-chunk cost (a blocking-pool task, a metadata check) small.
const CHUNK: usize = 1024 * 1024;

/// Fail unless `source` is still the version recorded at creation.
pub(crate) fn check_unchanged(source: &Source) -> Result<(), SourceProblem> {
    let meta = std::fs::metadata(&source.path).map_err(|e| SourceProblem::Missing {
        path: source.path.clone(),
        reason: e.to_string(),
    })?;
    if meta.len() != source.size || modified_ns(&meta) != source.modified_ns {
        return Err(SourceProblem::ChangedSinceCreation(source.path.clone()));
    }
    Ok(())
}

/// `len` bytes of `source` from `offset`, as a request body.
pub(super) fn file_body(
    source: &Source,
    offset: u64,
    len: u64,
    live: Arc<Live>,
    pace: Pace,
) -> reqwest::Body {
    let state = Reader {
        source: source.clone(),
        offset,
        remaining: len,
        file: None,
        live,
        pace,
        done: false,
    };
    reqwest::Body::wrap_stream(futures_util::stream::unfold(
        state,
        |mut state| async move {
            if state.done {
                return None;
            }
            match state.next_chunk().await {
                Ok(Some(chunk)) => Some((Ok(chunk), state)),
                Ok(None) => None,
                Err(problem) => {
                    state.done = true;
                    Some((Err(problem), state))
                }
            }
        },
    ))
}

struct Reader {
    source: Source,
    offset: u64,
    remaining: u64,
    file: Option<tokio::fs::File>,
    live: Arc<Live>,
    pace: Pace,
    done: bool,
}

impl Reader {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, SourceProblem> {
        if self.remaining == 0 {
            // Everything is read: it must still be the same file, or what went out
            // may mix two versions.
            self.done = true;
            check_unchanged(&self.source)
                .map_err(|_| SourceProblem::Changed(self.source.path.clone()))?;
            return Ok(None);
        }
        let missing = |e: std::io::Error| SourceProblem::Missing {
            path: self.source.path.clone(),
            reason: e.to_string(),
        };
        if self.file.is_none() {
            check_unchanged(&self.source)?;
            let mut file = tokio::fs::File::open(&self.source.path)
                .await
                .map_err(missing)?;
            file.seek(SeekFrom::Start(self.offset))
                .await
                .map_err(missing)?;
            self.file = Some(file);
        }
        let file = self.file.as_mut().expect("opened above");
        // A change shows in the metadata at once: stop sending a mix early rather
        // than at the end.
        let meta = file.metadata().await.map_err(missing)?;
        if meta.len() != self.source.size || modified_ns(&meta) != self.source.modified_ns {
            return Err(SourceProblem::Changed(self.source.path.clone()));
        }
        let chunk = self.pace.chunk(CHUNK);
        let want = chunk.min(usize::try_from(self.remaining).unwrap_or(chunk));
        // Under a bandwidth limit, wait before reading: what is read goes out next.
        self.pace.take(want as u64).await;
        // Filled straight from the file: no zeroing, one allocation per chunk.
        let mut buffer = BytesMut::with_capacity(want);
        while buffer.len() < want {
            let n = (&mut *file)
                .take((want - buffer.len()) as u64)
                .read_buf(&mut buffer)
                .await
                .map_err(missing)?;
            if n == 0 {
                // Shorter than when the upload was created.
                return Err(SourceProblem::Changed(self.source.path.clone()));
            }
        }
        let filled = buffer.len();
        self.remaining -= filled as u64;
        self.offset += filled as u64;
        self.live.add_bytes(filled as u64);
        Ok(Some(buffer.freeze()))
    }
}
