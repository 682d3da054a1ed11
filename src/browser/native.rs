//! Native messaging's framing: each message is a 32-bit length in the machine's
//! byte order, then that many bytes of UTF-8 JSON. A browser accepts at most
//! 1 MB from a host; what it sends us is bounded here too, so a wrong length
//! cannot make the host allocate gigabytes.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The most a browser takes in one message from a host.
pub const MAX_TO_BROWSER: usize = 1024 * 1024;

/// The most the host takes in one message (a hand-off is a URL, a few headers and
/// the page's cookies: kilobytes).
pub const MAX_FROM_BROWSER: usize = 4 * 1024 * 1024;

/// One frame read from the browser.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    Message(Vec<u8>),
    /// Longer than [`MAX_FROM_BROWSER`]: its bytes were read and dropped, so the
    /// next frame starts where it should.
    TooLong(usize),
    /// The browser closed the port (or the stream ended inside a frame).
    Closed,
}

/// Read the next frame.
pub async fn read_frame<R: AsyncRead + Unpin>(input: &mut R) -> std::io::Result<Frame> {
    let mut length = [0u8; 4];
    if !read_all_or_end(input, &mut length).await? {
        return Ok(Frame::Closed);
    }
    let length = u32::from_ne_bytes(length) as usize;
    if length > MAX_FROM_BROWSER {
        let skipped =
            tokio::io::copy(&mut input.take(length as u64), &mut tokio::io::sink()).await?;
        if skipped < length as u64 {
            return Ok(Frame::Closed);
        }
        return Ok(Frame::TooLong(length));
    }
    let mut message = vec![0u8; length];
    if !read_all_or_end(input, &mut message).await? {
        return Ok(Frame::Closed);
    }
    Ok(Frame::Message(message))
}

/// Fill `buffer`; `false` if the stream ended first.
async fn read_all_or_end<R: AsyncRead + Unpin>(
    input: &mut R,
    buffer: &mut [u8],
) -> std::io::Result<bool> {
    let mut filled = 0;
    while filled < buffer.len() {
        match input.read(&mut buffer[filled..]).await? {
            0 => return Ok(false),
            n => filled += n,
        }
    }
    Ok(true)
}

/// Write one message. One over the browser's limit is an error (the caller sends
/// a short error message instead): the browser would drop the port.
pub async fn write_frame<W: AsyncWrite + Unpin>(
    output: &mut W,
    message: &[u8],
) -> std::io::Result<()> {
    if message.len() > MAX_TO_BROWSER {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "a message of {} bytes is over the browser's limit of {MAX_TO_BROWSER}",
                message.len()
            ),
        ));
    }
    let length = u32::try_from(message.len()).unwrap_or(u32::MAX);
    output.write_all(&length.to_ne_bytes()).await?;
    output.write_all(message).await?;
    output.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(message: &[u8]) -> Vec<u8> {
        let mut bytes = u32::try_from(message.len()).unwrap().to_ne_bytes().to_vec();
        bytes.extend_from_slice(message);
        bytes
    }

    #[tokio::test]
    async fn frames_in_a_row_then_the_end() {
        let mut input = framed(b"{\"a\":1}");
        input.extend(framed(b""));
        let mut reader = input.as_slice();
        assert_eq!(
            read_frame(&mut reader).await.unwrap(),
            Frame::Message(b"{\"a\":1}".to_vec())
        );
        assert_eq!(
            read_frame(&mut reader).await.unwrap(),
            Frame::Message(vec![])
        );
        assert_eq!(read_frame(&mut reader).await.unwrap(), Frame::Closed);
    }

    #[tokio::test]
    async fn an_oversized_frame_is_skipped_and_the_next_one_read() {
        let big = vec![b' '; MAX_FROM_BROWSER + 1];
        let mut input = framed(&big);
        input.extend(framed(b"{}"));
        let mut reader = input.as_slice();
        assert_eq!(
            read_frame(&mut reader).await.unwrap(),
            Frame::TooLong(MAX_FROM_BROWSER + 1)
        );
        assert_eq!(
            read_frame(&mut reader).await.unwrap(),
            Frame::Message(b"{}".to_vec())
        );
    }

    #[tokio::test]
    async fn a_truncated_frame_is_the_end() {
        let mut input = framed(b"{\"url\":\"http://x\"}");
        input.truncate(10);
        assert_eq!(
            read_frame(&mut input.as_slice()).await.unwrap(),
            Frame::Closed
        );
        assert_eq!(
            read_frame(&mut [1u8, 0].as_slice()).await.unwrap(),
            Frame::Closed
        );
    }

    #[tokio::test]
    async fn nothing_over_a_megabyte_goes_to_the_browser() {
        let mut out = Vec::new();
        write_frame(&mut out, &vec![b'x'; MAX_TO_BROWSER])
            .await
            .unwrap();
        assert_eq!(out.len(), MAX_TO_BROWSER + 4);
        let mut out = Vec::new();
        assert!(
            write_frame(&mut out, &vec![b'x'; MAX_TO_BROWSER + 1])
                .await
                .is_err()
        );
        assert!(out.is_empty());
    }
}
