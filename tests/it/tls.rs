//! HTTPS: a download trusted through an extra root certificate, redirects to plain
//! http refused, and certificates that do not match or are not trusted.

use crate::support;

use ferry::engine::{ErrorStatus, Options, Request, Status};
use support::server::{Resource, TestServer};
use support::*;

fn trusting(dir: &std::path::Path) -> Options {
    let mut options = options(dir);
    options.extra_root_certificates = vec![TestServer::ca_path()];
    options
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_download_with_an_extra_root_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_tls().await;
    let body = data(2 * 1024 * 1024, 31);
    server.put("/f.bin", Resource::new(body.clone()));
    let engine = open(trusting(dir.path())).await;
    assert!(engine.notices().is_empty(), "{:?}", engine.notices());
    let mut events = engine.subscribe();
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/f.bin"), None),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(
        sha256_file(done.destination.as_ref().unwrap()),
        sha256(&body)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_from_https_to_http_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let tls = TestServer::start_tls().await;
    let plain = TestServer::start().await;
    let body = data(1000, 32);
    plain.put("/real", Resource::new(body.clone()));
    tls.put("/go", Resource::redirect(&plain.url("/real")));

    let engine = open(trusting(dir.path())).await;
    let mut events = engine.subscribe();
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(tls.url("/go"), None),
    )
    .await;
    assert_eq!(done.status, Status::Error);
    let error = done.error.unwrap();
    assert_eq!(
        error.status,
        ErrorStatus::HttpsToHttpOnRedirection,
        "{}",
        error.message
    );
    assert!(
        plain.seen("/real").is_empty(),
        "nothing was asked over plain http"
    );
    engine.shutdown().await;

    let mut options = trusting(dir.path());
    options.allow_https_downgrade = true;
    let engine = open(options).await;
    let mut events = engine.subscribe();
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(tls.url("/go"), None),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(
        sha256_file(done.destination.as_ref().unwrap()),
        sha256(&body)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_for_another_name_or_an_unknown_authority_fails_without_retrying() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_tls().await;
    server.put("/f", Resource::new(data(100, 33)));

    // Trusted authority, wrong name: the certificate is for localhost only.
    let engine = open(trusting(dir.path())).await;
    let mut events = engine.subscribe();
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url_by_ip("/f"), None),
    )
    .await;
    let error = done.error.unwrap();
    assert_eq!(
        error.status,
        ErrorStatus::CertificateInvalid,
        "{}",
        error.message
    );
    assert_eq!(done.attempts, 0, "not retried");
    engine.shutdown().await;

    // Right name, authority not trusted.
    let engine = open(options(dir.path())).await;
    let mut events = engine.subscribe();
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/f"), None),
    )
    .await;
    let error = done.error.unwrap();
    assert_eq!(
        error.status,
        ErrorStatus::CertificateInvalid,
        "{}",
        error.message
    );
    assert!(server.seen("/f").is_empty(), "no request went out");
    println!(
        "reliability: TLS certificate for another host / unknown authority | 1 | CertificateInvalid at once, no retry, no file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_certificate_file_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = options(dir.path());
    options.extra_root_certificates = vec![dir.path().join("missing.pem")];
    let engine = open(options).await;
    let notices = engine.notices();
    assert_eq!(notices.len(), 1);
    assert!(notices[0].contains("missing.pem"), "{notices:?}");
}

/// Certificate checks go off for one transfer only, with a warning everywhere it
/// is shown; no setting turns them off for all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_checks_go_off_per_transfer_only_and_say_so() {
    use support::program::{Ferry, text};
    // A setting by that name is not one: it is ignored.
    let ferry = Ferry::with_config("insecure = true\n");
    let server = TestServer::start_tls().await;
    let body = data(300_000, 35);
    server.put("/device.bin", Resource::new(body.clone()));
    let url = server.url("/device.bin");

    let checked = ferry.downloads().join("checked.bin");
    let out = ferry
        .run(&["get", &url, "-o", checked.to_str().unwrap()])
        .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(!checked.exists());
    let refused = ferry.json(&["list", "--json"]).await[0].clone();
    assert_eq!(
        refused["error"]["status"], "CertificateInvalid",
        "{refused}"
    );
    assert!(refused.get("insecure").is_none(), "{refused}");

    let unchecked = ferry.downloads().join("unchecked.bin");
    let out = ferry
        .run(&["get", &url, "-o", unchecked.to_str().unwrap(), "--insecure"])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let warning = text(&out.stderr);
    assert!(
        warning.contains("warning") && warning.contains("not checked"),
        "{warning}"
    );
    assert_eq!(sha256_file(&unchecked), sha256(&body));
    let listed = ferry.json(&["list", "--json"]).await;
    let done = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["destination"] == unchecked.to_str().unwrap())
        .unwrap()
        .clone();
    assert_eq!(done["insecure"], true, "{done}");
    let id = done["id"].as_str().unwrap();
    let shown = text(&ferry.run(&["show", id]).await.stdout);
    assert!(shown.contains("NOT checked"), "{shown}");
    let log = std::fs::read_to_string(ferry.data_dir().join("ferry.log")).unwrap();
    assert!(log.contains("TLS certificate checks are off"), "{log}");

    // FTPS keeps its checks: the flag is refused there, with the way to trust a server.
    let out = ferry
        .run(&["get", "ftps://127.0.0.1:1/a.bin", "--insecure"])
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("HTTPS only"),
        "{}",
        text(&out.stderr)
    );
    println!(
        "reliability: TLS checks off by a setting / per transfer | 1 | the setting is ignored (CertificateInvalid); --insecure works for that transfer only, warned on stderr, in show and in the log"
    );
}
