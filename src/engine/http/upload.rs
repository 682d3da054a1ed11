//! Plain and multipart uploads: one request whose body is streamed from the files.
//! They cannot resume, so any interruption sends everything again; the server's
//! answer is kept with the operation.

use std::path::Path;

use reqwest::header::{self, HeaderValue};
use reqwest::multipart::{Form, Part};

use super::body::{check_unchanged, file_body};
use super::response::http_error;
use super::{Interrupt, capture_response, custom_headers};
use crate::engine::error::{ErrorStatus, TransferError};
use crate::engine::http::HttpContext;
use crate::engine::operation::{Snapshot, Source, UploadMode, UploadState};
use crate::engine::run::RunEnd;

pub(super) async fn run(context: &mut HttpContext<'_>, snapshot: Snapshot) -> RunEnd {
    match upload(context, &snapshot).await {
        Ok(bytes) => RunEnd::Completed { bytes },
        Err(Interrupt::Stop(_)) => RunEnd::Stopped,
        Err(Interrupt::Fail(error)) => RunEnd::Failed(error),
    }
}

async fn upload(context: &mut HttpContext<'_>, snapshot: &Snapshot) -> Result<u64, Interrupt> {
    let Some(plan) = &snapshot.upload else {
        return Err(TransferError::new(ErrorStatus::Unknown, "not an upload").into());
    };
    for source in &plan.sources {
        check_unchanged(source).map_err(|p| p.to_transfer_error())?;
    }
    // Everything goes again from the first byte.
    context.live().set_bytes(0);
    context.live().set_total(Some(plan.total()));
    let challenges = context.access().challenges_learned();
    let request = build_request(context, snapshot, plan)?;
    let mut response = super::send(context, request).await?;
    if response.status() == reqwest::StatusCode::UNAUTHORIZED
        && context.access().challenges_learned() > challenges
    {
        // The body was streamed and cannot be sent twice by `send`: the server
        // asked for another kind of credentials (Digest), so read the files again.
        context.live().set_bytes(0);
        let request = build_request(context, snapshot, plan)?;
        response = super::send(context, request).await?;
    }
    let status = response.status();
    let error = (!status.is_success()).then(|| http_error(&response));
    let kept = capture_response(context, response).await;
    context.record_response(kept).await?;
    if let Some(error) = error {
        return Err(error.into());
    }
    // A file changed after its last byte was read would make the server's copy a mix.
    for source in &plan.sources {
        check_unchanged(source).map_err(|_| {
            TransferError::new(
                ErrorStatus::SourceChanged,
                format!(
                    "{} changed while it was being uploaded",
                    source.path.display()
                ),
            )
        })?;
    }
    Ok(plan.total())
}

fn build_request(
    context: &HttpContext<'_>,
    snapshot: &Snapshot,
    plan: &UploadState,
) -> Result<reqwest::RequestBuilder, TransferError> {
    let headers = custom_headers(&snapshot.headers);
    let request = context
        .client()
        .request(plan.method.as_reqwest(), &snapshot.url)
        .headers(headers.clone());
    match &plan.mode {
        UploadMode::Multipart { field, form } => {
            let mut multipart = Form::new();
            for text in form {
                multipart = multipart.text(text.name.clone(), text.value.clone());
            }
            for (index, source) in plan.sources.iter().enumerate() {
                let name = field.clone().unwrap_or_else(|| format!("File{index}"));
                let body = file_body(
                    source,
                    0,
                    source.size,
                    context.live_handle(),
                    context.pace(),
                );
                let part = Part::stream_with_length(body, source.size)
                    .file_name(file_name(&source.path))
                    .mime_str(&content_type(&source.path))
                    .map_err(|e| TransferError::new(ErrorStatus::Unknown, e.to_string()))?;
                multipart = multipart.part(name, part);
            }
            Ok(request.multipart(multipart))
        }
        UploadMode::Single | UploadMode::Tus => {
            let source: &Source = &plan.sources[0];
            let mut request = request
                .header(header::CONTENT_LENGTH, source.size)
                .body(file_body(
                    source,
                    0,
                    source.size,
                    context.live_handle(),
                    context.pace(),
                ));
            if !headers.contains_key(header::CONTENT_TYPE) {
                request = request.header(header::CONTENT_TYPE, content_type(&source.path));
            }
            if !headers.contains_key(header::CONTENT_DISPOSITION)
                && let Some(value) = content_disposition(&source.path)
            {
                request = request.header(header::CONTENT_DISPOSITION, value);
            }
            Ok(request)
        }
    }
}

pub(super) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_owned())
}

/// Guessed from the extension; `application/octet-stream` when unknown.
pub(super) fn content_type(path: &Path) -> String {
    mime_guess::from_path(path)
        .first_or_octet_stream()
        .essence_str()
        .to_owned()
}

/// `attachment; filename="ascii fallback"; filename*=UTF-8''percent-encoded` (RFC 6266).
fn content_disposition(path: &Path) -> Option<HeaderValue> {
    let name = file_name(path);
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .map(|c| if c == '"' || c == '\\' { '_' } else { c })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(&name, percent_encoding::NON_ALPHANUMERIC);
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    ))
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_carries_both_forms_of_the_name() {
        let value = content_disposition(Path::new("/x/naïve \"q\".txt")).unwrap();
        let text = value.to_str().unwrap();
        assert_eq!(
            text,
            "attachment; filename=\"na_ve _q_.txt\"; filename*=UTF-8''na%C3%AFve%20%22q%22%2Etxt"
        );
        // What we send, our own parser reads back.
        assert_eq!(
            crate::engine::filename::from_content_disposition(text).unwrap(),
            "naïve \"q\".txt"
        );
    }

    #[test]
    fn content_types_come_from_the_extension() {
        assert_eq!(content_type(Path::new("a.pdf")), "application/pdf");
        assert_eq!(content_type(Path::new("a.JPG")), "image/jpeg");
        assert_eq!(content_type(Path::new("noext")), "application/octet-stream");
    }
}
