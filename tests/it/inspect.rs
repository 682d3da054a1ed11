//! An address checked before its download is created (the new-download form
//! shows what it found): name, size, type, whether it resumes; with the
//! request's own credentials and headers; nothing created, nothing written.

use ferry::engine::request::Auth;
use ferry::engine::{EngineError, ErrorStatus, Header, Request};

use crate::support;
use support::server::Resource;
use support::*;

const MIB: usize = 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_is_checked_without_creating_anything() {
    let Fixture {
        dir,
        server,
        engine,
        ..
    } = Fixture::start().await;
    server.put(
        "/download.php",
        Resource::new(data(3 * MIB, 71))
            .disposition("attachment; filename=\"Q3 report.pdf\"")
            .media_type("application/pdf; charset=binary"),
    );
    let found = within(
        10,
        engine.inspect(Request::download(server.url("/download.php"), None)),
    )
    .await
    .unwrap();
    assert_eq!(found.name, "Q3 report.pdf", "the server's name wins");
    assert_eq!(found.size, Some(3 * MIB as u64));
    assert_eq!(found.media_type.as_deref(), Some("application/pdf"));
    assert_eq!(found.category, ferry::engine::Category::Documents);
    assert!(found.resumable);
    assert!(
        server.body_bytes_sent() <= 1,
        "only the first byte was asked"
    );
    assert!(engine.list().is_empty(), "nothing created");
    assert!(
        files_in(dir.path()).iter().all(|f| !f.contains("report")),
        "nothing written: {:?}",
        files_in(dir.path())
    );

    // A server without ranges: the whole length, and no resuming.
    let mut whole = Resource::new(data(MIB, 72));
    whole.ranges = false;
    server.put("/plain/notes.txt", whole);
    let found = engine
        .inspect(Request::download(server.url("/plain/notes.txt"), None))
        .await
        .unwrap();
    assert_eq!(found.name, "notes.txt", "from the address");
    assert_eq!(found.size, Some(MIB as u64));
    assert!(!found.resumable);

    // A redirect: the name and address are the final ones.
    server.put("/short", Resource::redirect("/mirror/debian.iso"));
    server.put("/mirror/debian.iso", Resource::new(data(MIB, 73)));
    let found = engine
        .inspect(Request::download(server.url("/short"), None))
        .await
        .unwrap();
    assert_eq!(found.name, "debian.iso");
    assert_eq!(found.url, server.url("/mirror/debian.iso"));

    // Gone: the reason, as a failed download would say it.
    let missing = engine
        .inspect(Request::download(server.url("/nothing.zip"), None))
        .await
        .unwrap_err();
    assert!(
        matches!(&missing, EngineError::Inspect(e) if e.status == ErrorStatus::NotFound),
        "{missing:?}"
    );
    // Not an address at all: refused before any request.
    assert!(matches!(
        engine
            .inspect(Request::download("not a url".to_owned(), None))
            .await,
        Err(EngineError::Invalid(_))
    ));
    assert!(engine.list().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_sends_the_requests_login_and_headers() {
    let Fixture { server, engine, .. } = Fixture::start().await;
    server.put(
        "/private/data.csv",
        Resource::new(data(MIB, 74))
            .basic_auth("ann", "s3cret")
            .require("x-token", "abc"),
    );
    let url = server.url("/private/data.csv");
    let mut request = Request::download(url.clone(), None);
    request.auth = Some(Auth {
        user: "ann".into(),
        password: "s3cret".into(),
    });
    request.headers = vec![Header {
        name: "X-Token".into(),
        value: "abc".into(),
    }];
    let found = engine.inspect(request).await.unwrap();
    assert_eq!(found.size, Some(MIB as u64));
    let seen = server.seen("/private/data.csv");
    assert!(
        seen.iter()
            .any(|s| s.header("x-token") == Some("abc") && s.header("authorization").is_some()),
        "the server saw the login and the header"
    );

    let refused = engine
        .inspect(Request::download(url, None))
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, EngineError::Inspect(e)
            if matches!(e.status, ErrorStatus::Unauthorized | ErrorStatus::Forbidden)),
        "{refused:?}"
    );
}
