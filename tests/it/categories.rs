//! Categories: every download gets one from its name (or the server's media
//! type), the user may choose it, and a download with no folder of its own goes
//! to its category's folder when the settings give one.

use crate::support;

use std::path::PathBuf;

use ferry::engine::{Category, Request, Status};
use support::program::{Ferry, text};
use support::server::{Resource, TestServer};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_go_to_their_category_folder_and_carry_their_category() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let videos = dir.path().join("Videos");
    let engine = open(options_with_videos(dir.path(), &videos)).await;
    let mut events = engine.subscribe();

    let clip = data(300_000, 71);
    server.put("/media/clip.mkv", Resource::new(clip.clone()));
    // An address that says nothing: the server's name and type decide.
    let report = data(200_000, 72);
    server.put(
        "/get",
        Resource::new(report.clone())
            .disposition("attachment; filename=\"report-q3.pdf\"")
            .with_header("Content-Type", "application/pdf"),
    );
    let song = data(100_000, 73);
    server.put("/media/song.mkv", Resource::new(song.clone()));
    let film = data(100_000, 75);
    server.put(
        "/watch",
        Resource::new(film.clone()).with_header("Content-Type", "video/mp4"),
    );

    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/media/clip.mkv"), None),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(done.category, Category::Videos);
    let path = done.destination.clone().unwrap();
    assert_eq!(path, videos.join("clip.mkv"), "the category's folder, made");
    assert_eq!(sha256_file(&path), sha256(&clip));

    let created = engine
        .create(Request::download(server.url("/get"), None))
        .await
        .unwrap();
    assert_eq!(created.category, Category::Other, "nothing to tell yet");
    let done = wait_finished(&engine, &mut events, created.id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(done.category, Category::Documents);
    let path = done.destination.clone().unwrap();
    assert_eq!(path.parent(), Some(dir.path().join("downloads").as_path()));
    assert_eq!(sha256_file(&path), sha256(&report));

    // No extension: the media type says it is a video.
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/watch"), None),
    )
    .await;
    assert_eq!(done.category, Category::Videos);
    assert_eq!(done.destination, Some(videos.join("watch")));
    assert_eq!(sha256_file(&videos.join("watch")), sha256(&film));

    // The user's choice stands whatever the name says; a folder of the user's
    // own stands whatever the category.
    let mut request = Request::download(server.url("/media/song.mkv"), None);
    request.category = Some(Category::Music);
    let done = run_to_end(&engine, &mut events, request).await;
    assert_eq!(done.category, Category::Music);
    assert_eq!(
        done.destination.as_deref().and_then(|p| p.parent()),
        Some(dir.path().join("downloads").as_path())
    );
    let own = dir.path().join("mine");
    let mut request = Request::download(server.url("/media/clip.mkv"), Some(own.clone()));
    request.into_folder = true;
    let done = run_to_end(&engine, &mut events, request).await;
    assert_eq!(done.category, Category::Videos);
    assert_eq!(done.destination, Some(own.join("clip.mkv")));

    // Kept across a restart.
    let kept = engine.list();
    drop(events);
    engine.shutdown().await;
    let engine = open(options_with_videos(dir.path(), &videos)).await;
    let again = engine.list();
    let categories = |list: &[ferry::engine::Snapshot]| {
        let mut c: Vec<Category> = list.iter().map(|s| s.category).collect();
        c.sort();
        c
    };
    assert_eq!(categories(&again), categories(&kept));
    engine.shutdown().await;
}

fn options_with_videos(dir: &std::path::Path, videos: &std::path::Path) -> ferry::engine::Options {
    let mut options = options(dir);
    options
        .categories
        .set_folder(Category::Videos, Some(videos.to_owned()));
    options
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_chooses_a_category_and_json_shows_it() {
    let music = tempfile::tempdir().unwrap();
    let ferry = Ferry::with_config(&format!(
        "[categories.music]\nfolder = {:?}\n",
        music.path()
    ));
    let server = TestServer::start().await;
    let body = data(150_000, 74);
    server.put("/files/talk.bin", Resource::new(body.clone()));

    let out = ferry
        .run(&["get", &server.url("/files/talk.bin"), "--category", "Music"])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let path = PathBuf::from(text(&out.stdout).trim());
    assert_eq!(path, music.path().join("talk.bin"));
    assert_eq!(sha256_file(&path), sha256(&body));

    let out = ferry.run(&["list", "--json"]).await;
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["category"], "music", "{list}");

    let out = ferry
        .run(&["get", &server.url("/files/talk.bin"), "--category", "films"])
        .await;
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert!(
        text(&out.stderr).contains("one of: videos, music"),
        "{}",
        text(&out.stderr)
    );
    ferry.run(&["quit"]).await;
}
