//! FTP and FTPS (explicit TLS, `AUTH TLS`) downloads with suppaftp: passive mode
//! (EPSV, falling back to PASV), binary type, `SIZE` and `MDTM` as the version of
//! the file, `REST` to resume. The bytes go through the same checkpointing sink as
//! HTTP, under the same timeouts, retries and persistence.
//!
//! Resuming never splices two versions: a size or modification time that changed
//! since the last run starts the file again from zero.

use std::sync::Arc;
use std::time::Duration;

use suppaftp::tokio::{AsyncRustlsConnector, AsyncRustlsFtpStream};
use suppaftp::types::FileType;
use suppaftp::{FtpError, Mode};
use tokio::io::AsyncReadExt as _;

use super::error::{ErrorStatus, TransferError};
use super::filename;
use super::operation::{Snapshot, Validators, part_path};
use super::run::{RunContext, RunEnd, Stop};
use super::secrets::Secrets;
use super::sink::Sink;

/// Why a run ends early.
enum Interrupt {
    Stop(Stop),
    Fail(TransferError),
}

impl From<TransferError> for Interrupt {
    fn from(error: TransferError) -> Self {
        Self::Fail(error)
    }
}

/// Run one attempt of an FTP(S) download.
pub async fn run(context: &mut RunContext, snapshot: Snapshot, secrets: &Secrets) -> RunEnd {
    let mut sink = Sink::new(&snapshot);
    let result = download(context, &snapshot, secrets, &mut sink).await;
    match result {
        Ok(bytes) => RunEnd::Completed { bytes },
        Err(Interrupt::Stop(stop)) => {
            if stop.keeps_progress() {
                sink.final_checkpoint(context).await;
            }
            RunEnd::Stopped
        }
        Err(Interrupt::Fail(error)) => {
            sink.final_checkpoint(context).await;
            RunEnd::Failed(error)
        }
    }
}

async fn download(
    context: &mut RunContext,
    snapshot: &Snapshot,
    secrets: &Secrets,
    sink: &mut Sink,
) -> Result<u64, Interrupt> {
    let url = reqwest::Url::parse(&snapshot.url).map_err(|e| {
        TransferError::new(ErrorStatus::Unknown, format!("stored URL is invalid: {e}"))
    })?;
    let path = percent_encoding::percent_decode_str(url.path())
        .decode_utf8_lossy()
        .into_owned();
    if path.ends_with('/') || path.is_empty() {
        return Err(not_a_file(&path).into());
    }
    let mut ftp = connect(context, &url, snapshot, secrets).await?;

    // Some servers answer SIZE for a folder too: a CWD that succeeds is the only
    // reliable sign, and costs one round trip per attempt.
    if step(context, ftp.cwd(&path)).await?.is_ok() {
        return Err(not_a_file(&path).into());
    }
    let size = step(context, ftp.size(&path))
        .await?
        .map_err(|e| ftp_error(e, "asking the size of the file"))? as u64;
    let modified = step(context, ftp.mdtm(&path))
        .await?
        .ok()
        .map(|time| time.to_string());

    let destination = match &snapshot.destination {
        Some(destination) => destination.clone(),
        None => {
            let name = filename::choose(None, &url);
            context.claim_destination(&name).await?
        }
    };
    let mut offset = sink.open(&part_path(&destination), snapshot.bytes).await?;
    let same_version = sink.total == Some(size) && sink.validators.last_modified == modified;
    if offset > 0 && !same_version {
        tracing::warn!(id = %context.id(), "the file changed on the server; restarting from zero");
        sink.truncate_to_zero(context).await?;
        offset = 0;
    }
    sink.total = Some(size);
    sink.validators = Validators {
        etag: None,
        last_modified: modified,
    };
    context.live().set_total(Some(size));
    context.live().set_bytes(offset);
    sink.record(context).await?;
    if offset >= size {
        return Ok(sink.finish(offset).await?);
    }

    let mut stream = retrieve(context, &mut ftp, &path, offset).await?;
    let stall = context.options().timeouts.stall;
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let read = tokio::select! {
            biased;
            stop = context.stopped() => return Err(Interrupt::Stop(stop)),
            read = tokio::time::timeout(stall, stream.read(&mut buffer)) => read,
        };
        let n = match read {
            Err(_) => {
                return Err(TransferError::new(
                    ErrorStatus::Timeout,
                    format!("no data received for {} s", stall.as_secs_f64()),
                )
                .into());
            }
            Ok(Err(e)) => return Err(connection_error(&e, "receiving the file").into()),
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => n,
        };
        if sink.position() + n as u64 > size {
            return Err(TransferError::new(
                ErrorStatus::InvalidResponse,
                format!("the server sent more than the {size} bytes it announced"),
            )
            .into());
        }
        sink.write(context, &buffer[..n]).await?;
    }
    step(context, stream.finish())
        .await?
        .map_err(|e| ftp_error(e, "finishing the transfer"))?;
    let end = sink.flush().await?;
    if end != size {
        return Err(TransferError::new(
            ErrorStatus::InvalidResponse,
            format!("the server ended the file after {end} of {size} bytes"),
        )
        .into());
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), ftp.quit()).await;
    Ok(sink.finish(end).await?)
}

type Transfer = suppaftp::tokio::TransferStream<suppaftp::tokio::AsyncRustlsStream>;

/// `REST` (when resuming) and `RETR` over an extended passive connection, or a
/// plain passive one where the server does not know EPSV.
async fn retrieve(
    context: &mut RunContext,
    ftp: &mut AsyncRustlsFtpStream,
    path: &str,
    offset: u64,
) -> Result<Transfer, Interrupt> {
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    for mode in [Mode::ExtendedPassive, Mode::Passive] {
        ftp.set_mode(mode);
        if offset > 0 {
            step(context, ftp.resume_transfer(offset))
                .await?
                .map_err(|e| ftp_error(e, "resuming"))?;
        }
        match step(context, ftp.retr_as_stream(path)).await? {
            Ok(stream) => return Ok(stream),
            Err(FtpError::UnexpectedResponse(response))
                if mode == Mode::ExtendedPassive
                    && matches!(response.status.code(), 500 | 501 | 502 | 504) =>
            {
                tracing::debug!(id = %context.id(), "no EPSV; trying PASV");
            }
            Err(error) => return Err(ftp_error(error, "starting the download").into()),
        }
    }
    Err(TransferError::new(
        ErrorStatus::ProtocolNotSupported,
        "the server accepts no passive data connection",
    )
    .into())
}

/// Connect (TLS first for `ftps://`), log in (anonymously unless told otherwise)
/// and switch to binary.
async fn connect(
    context: &mut RunContext,
    url: &reqwest::Url,
    snapshot: &Snapshot,
    secrets: &Secrets,
) -> Result<AsyncRustlsFtpStream, Interrupt> {
    let host = url
        .host_str()
        .unwrap_or("")
        .trim_matches(['[', ']'])
        .to_owned();
    let port = url.port().unwrap_or(21);
    let timeout = context.options().timeouts.connect;
    let address = tokio::select! {
        stop = context.stopped() => return Err(Interrupt::Stop(stop)),
        found = tokio::time::timeout(timeout, tokio::net::lookup_host((host.as_str(), port))) => found,
    };
    let address = match address {
        Err(_) => {
            return Err(
                TransferError::new(ErrorStatus::Timeout, "resolving the host timed out").into(),
            );
        }
        Ok(Err(e)) => {
            return Err(TransferError::new(
                ErrorStatus::HostNameNotResolved,
                format!("cannot resolve {host}: {e}"),
            )
            .into());
        }
        Ok(Ok(mut addresses)) => addresses.next().ok_or_else(|| {
            TransferError::new(
                ErrorStatus::HostNameNotResolved,
                format!("{host} has no address"),
            )
        })?,
    };
    let connected = tokio::select! {
        stop = context.stopped() => return Err(Interrupt::Stop(stop)),
        connected = AsyncRustlsFtpStream::connect_timeout(address, timeout) => connected,
    };
    let mut ftp = connected.map_err(|e| ftp_error(e, "connecting"))?;
    if url.scheme() == "ftps" {
        let connector = tls_connector(&context.options().extra_root_certificates)?;
        ftp = step(context, ftp.into_secure(connector, &host))
            .await?
            .map_err(|e| ftp_error(e, "starting TLS"))?;
    }
    let user = snapshot
        .secrets
        .user
        .clone()
        .unwrap_or_else(|| "anonymous".into());
    let password = secrets
        .password
        .clone()
        .unwrap_or_else(|| "anonymous@".into());
    step(context, ftp.login(user.as_str(), password.as_str()))
        .await?
        .map_err(|e| ftp_error(e, "logging in"))?;
    step(context, ftp.transfer_type(FileType::Binary))
        .await?
        .map_err(|e| ftp_error(e, "switching to binary"))?;
    Ok(ftp)
}

/// A control command under the response timeout, given up at once on a stop.
async fn step<T>(
    context: &mut RunContext,
    command: impl Future<Output = suppaftp::FtpResult<T>>,
) -> Result<suppaftp::FtpResult<T>, Interrupt> {
    let timeout = context.options().timeouts.response;
    tokio::select! {
        stop = context.stopped() => Err(Interrupt::Stop(stop)),
        answered = tokio::time::timeout(timeout, command) => answered.map_err(|_| {
            Interrupt::Fail(TransferError::new(
                ErrorStatus::Timeout,
                format!("no answer from the FTP server within {} s", timeout.as_secs_f64()),
            ))
        }),
    }
}

/// The system's certificate authorities and the configured extra ones.
fn tls_connector(extra: &[std::path::PathBuf]) -> Result<AsyncRustlsConnector, TransferError> {
    use suppaftp::tokio_rustls::TlsConnector;
    use suppaftp::tokio_rustls::rustls;
    use suppaftp::tokio_rustls::rustls::pki_types::CertificateDer;
    use suppaftp::tokio_rustls::rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    for path in extra {
        if let Ok(certs) = CertificateDer::pem_file_iter(path) {
            roots.add_parsable_certificates(certs.filter_map(Result::ok));
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| TransferError::new(ErrorStatus::Unknown, e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(AsyncRustlsConnector::from(TlsConnector::from(Arc::new(
        config,
    ))))
}

fn not_a_file(path: &str) -> TransferError {
    TransferError::new(
        ErrorStatus::IsADirectory,
        format!("{path} is a folder on the server, not a file: give the address of a file"),
    )
}

/// An FTP failure as a stable status: 530 is a refused login, 550 a missing file,
/// 4xx replies are temporary (retried).
fn ftp_error(error: FtpError, what: &str) -> TransferError {
    match error {
        FtpError::ConnectionError(e) => connection_error(&e, what),
        FtpError::SecureError(e) => TransferError::new(
            ErrorStatus::CertificateInvalid,
            format!("{what}: TLS failed: {e}"),
        ),
        FtpError::UnexpectedResponse(response) => {
            let code = response.status.code();
            let text = String::from_utf8_lossy(&response.body).trim().to_owned();
            let status = match code {
                530 | 532 => ErrorStatus::Unauthorized,
                550 => ErrorStatus::NotFound,
                553 => ErrorStatus::Forbidden,
                400..=499 => ErrorStatus::ServerError,
                _ => ErrorStatus::UnexpectedStatusCode,
            };
            TransferError::new(status, format!("{what}: the server answered {text}"))
        }
        FtpError::BadResponse => TransferError::new(
            ErrorStatus::InvalidResponse,
            format!("{what}: the server's answer is not FTP"),
        ),
        other => TransferError::new(ErrorStatus::Unknown, format!("{what}: {other}")),
    }
}

fn connection_error(error: &std::io::Error, what: &str) -> TransferError {
    use std::io::ErrorKind;
    let status = match error.kind() {
        ErrorKind::ConnectionRefused
        | ErrorKind::HostUnreachable
        | ErrorKind::NetworkUnreachable
        | ErrorKind::AddrNotAvailable => ErrorStatus::CannotConnect,
        ErrorKind::TimedOut => ErrorStatus::Timeout,
        _ => ErrorStatus::ConnectionReset,
    };
    TransferError::new(status, format!("{what}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(code: u32) -> FtpError {
        let status = suppaftp::Status::from(code);
        FtpError::UnexpectedResponse(suppaftp::types::Response::new(status, b"x".to_vec()))
    }

    #[test]
    fn replies_map_to_stable_statuses() {
        assert_eq!(ftp_error(reply(530), "x").status, ErrorStatus::Unauthorized);
        assert_eq!(ftp_error(reply(550), "x").status, ErrorStatus::NotFound);
        for temporary in [421, 425, 426] {
            let status = ftp_error(reply(temporary), "x").status;
            assert!(status.is_retryable(), "{temporary}: {status:?}");
        }
    }
}
