//! The browser bridge through the real program: `ferry browser install` into a
//! private HOME, and `ferry native-host` started as a browser starts it (through
//! the launcher, with the extension's origin), spoken to in native-messaging
//! frames.

use std::path::Path;
use std::process::Stdio;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, ChildStdout};

use crate::support;
use support::bus::found;
use support::program::{Ferry, text};
use support::server::{Resource, TestServer};
use support::*;

const CHROMIUM_ID: &str = "alnodoobdeobidkhondbbpgffdbjcmni";

fn frame(message: &[u8]) -> Vec<u8> {
    let mut bytes = u32::try_from(message.len()).unwrap().to_ne_bytes().to_vec();
    bytes.extend_from_slice(message);
    bytes
}

/// The host, started through the launcher the way Chromium starts it.
struct Host {
    child: Child,
    input: ChildStdin,
    output: ChildStdout,
}

impl Host {
    async fn start(ferry: &Ferry) -> Self {
        let launcher = ferry.data_dir().join("native-host");
        let mut child = tokio::process::Command::new(&launcher)
            .arg(format!("chrome-extension://{CHROMIUM_ID}/"))
            .env("HOME", ferry.dir.path())
            .env_remove("FERRY_DATA_DIR")
            .env_remove("FERRY_CONFIG")
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("running {}: {e}", launcher.display()));
        let input = child.stdin.take().unwrap();
        let output = child.stdout.take().unwrap();
        Self {
            child,
            input,
            output,
        }
    }

    async fn send_raw(&mut self, bytes: &[u8]) {
        self.input.write_all(bytes).await.unwrap();
        self.input.flush().await.unwrap();
    }

    async fn ask(&mut self, message: &Value) -> Value {
        self.send_raw(&frame(&serde_json::to_vec(message).unwrap()))
            .await;
        self.answer().await
    }

    async fn answer(&mut self) -> Value {
        within(60, async {
            let mut length = [0u8; 4];
            self.output.read_exact(&mut length).await.unwrap();
            let mut message = vec![0u8; u32::from_ne_bytes(length) as usize];
            self.output.read_exact(&mut message).await.unwrap();
            serde_json::from_slice(&message).unwrap()
        })
        .await
    }
}

fn manifest(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_writes_a_manifest_per_browser_present_and_uninstall_removes_them() {
    let ferry = Ferry::new();
    let home = ferry.dir.path();
    std::fs::create_dir_all(home.join(".mozilla")).unwrap();
    std::fs::create_dir_all(home.join(".config/chromium")).unwrap();
    std::fs::create_dir_all(home.join(".config/BraveSoftware/Brave-Browser")).unwrap();

    let out = ferry.run(&["browser", "check"]).await;
    assert!(!out.status.success(), "nothing is connected yet");
    assert!(text(&out.stdout).contains("Chromium: not connected"));

    let out = ferry.run(&["browser", "install"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let firefox = home.join(".mozilla/native-messaging-hosts/org.ferry.host.json");
    let chromium = home.join(".config/chromium/NativeMessagingHosts/org.ferry.host.json");
    let brave =
        home.join(".config/BraveSoftware/Brave-Browser/NativeMessagingHosts/org.ferry.host.json");
    let chrome = home.join(".config/google-chrome/NativeMessagingHosts/org.ferry.host.json");
    assert!(firefox.exists() && chromium.exists() && brave.exists());
    assert!(!chrome.exists(), "Chrome was never run here");
    let launcher = ferry.data_dir().join("native-host");
    let m = manifest(&chromium);
    assert_eq!(m["name"], "org.ferry.host");
    assert_eq!(m["type"], "stdio");
    assert_eq!(m["path"], launcher.to_str().unwrap());
    assert_eq!(
        m["allowed_origins"],
        json!([format!("chrome-extension://{CHROMIUM_ID}/")]),
        "our extension only"
    );
    assert_eq!(
        manifest(&firefox)["allowed_extensions"],
        json!(["browser@ferry.invalid"])
    );
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&launcher).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);

    let out = ferry.run(&["browser", "check"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("Firefox: ready")
            && said.contains("Chromium: ready")
            && said.contains("Brave: ready"),
        "{said}"
    );
    assert!(
        !said.contains("Opera"),
        "absent browsers are not listed: {said}"
    );

    let out = ferry.run(&["browser", "install", "--all"]).await;
    assert!(out.status.success());
    assert!(chrome.exists(), "--all writes for every browser");

    let out = ferry.run(&["browser", "uninstall"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!firefox.exists() && !chromium.exists() && !brave.exists() && !chrome.exists());
    assert!(!launcher.exists());
    assert!(
        home.join(".config/chromium").is_dir(),
        "the browser's own folder stays"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_answers_every_frame_and_hands_downloads_over_with_the_page_cookies() {
    let ferry = Ferry::new();
    std::fs::create_dir_all(ferry.dir.path().join(".config/chromium")).unwrap();
    let out = ferry.run(&["browser", "install"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let server = TestServer::start().await;
    let body = data(3 * 1024 * 1024, 77);
    server.put("/files/report.pdf", Resource::new(body.clone()));

    let mut host = Host::start(&ferry).await;
    let pong = host.ask(&json!({"type": "ping"})).await;
    assert_eq!(pong["type"], "pong", "{pong}");

    // Garbage, an unknown type, an oversized frame: an error each, and the host
    // goes on.
    host.send_raw(&frame(b"{not json")).await;
    let error = host.answer().await;
    assert_eq!(error["type"], "error");
    assert!(
        error["message"].as_str().unwrap().contains("not a message"),
        "{error}"
    );
    let error = host.ask(&json!({"type": "format_disk"})).await;
    assert_eq!(error["type"], "error");
    host.send_raw(&frame(&vec![b' '; 5 * 1024 * 1024])).await;
    let error = host.answer().await;
    assert!(
        error["message"].as_str().unwrap().contains("more than"),
        "{error}"
    );
    // A message of a megabyte is read whole.
    let padded = host
        .ask(&json!({"type": "ping", "padding": "x".repeat(1024 * 1024)}))
        .await;
    assert_eq!(padded["type"], "pong");
    // A scheme Ferry does not speak is refused; the browser keeps that download.
    let refused = host
        .ask(&json!({"type": "download", "url": "blob:http://127.0.0.1/1234"}))
        .await;
    assert_eq!(refused["type"], "error", "{refused}");

    let page = server.url("/page.html");
    let added = host
        .ask(&json!({
            "type": "download",
            "url": server.url("/files/report.pdf"),
            "referrer": page,
            "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Chromium/156",
            "cookies": [{"name": "session", "value": "s3cr3t-cookie-value"}],
        }))
        .await;
    assert_eq!(added["type"], "added", "{added}");
    assert_eq!(added["name"], "report.pdf");
    assert_eq!(added["attached"], false);
    let id = added["id"].as_str().unwrap().to_owned();
    let out = ferry.run(&["wait", &id]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        sha256_file(&ferry.downloads().join("report.pdf")),
        sha256(&body)
    );
    let seen = server.seen("/files/report.pdf");
    let request = seen.last().unwrap();
    assert_eq!(
        request.header("cookie"),
        Some("session=s3cr3t-cookie-value")
    );
    assert_eq!(request.header("referer"), Some(page.as_str()));
    assert_eq!(
        request.header("user-agent"),
        Some("Mozilla/5.0 (X11; Linux x86_64) Chromium/156")
    );
    for file in ["ferry.redb", "ferry.log"] {
        let bytes = std::fs::read(ferry.data_dir().join(file)).unwrap_or_default();
        assert!(
            !bytes
                .windows(b"s3cr3t-cookie-value".len())
                .any(|w| w == b"s3cr3t-cookie-value"),
            "the cookie is in {file}"
        );
    }

    // A truncated frame (the browser went away mid-message): the host ends, cleanly.
    host.send_raw(&frame(b"{\"type\":\"ping\"}")[..8]).await;
    drop(host.input);
    let status = within(30, host.child.wait()).await.unwrap();
    assert!(status.success(), "the host ends cleanly: {status:?}");
}

/// A site whose page sets a session cookie and starts two downloads on its own
/// (after `delay_ms`, time for the extension to load on a loaded CI machine):
/// a big file served only with that cookie and the page as Referer, and a small
/// one under the extension's 100 KiB threshold.
struct Site {
    server: TestServer,
    big: Vec<u8>,
    small: Vec<u8>,
}

impl Site {
    async fn start(delay_ms: u64) -> Self {
        let server = TestServer::start().await;
        let page = format!(
            "<!doctype html><html><body>\
            <a id=big href=/files/big.bin download>big</a> <a id=small href=/files/small.txt download>small</a>\
            <script>\
            setTimeout(() => document.getElementById('big').click(), {delay_ms});\
            setTimeout(() => document.getElementById('small').click(), {});\
            </script></body></html>",
            delay_ms + 2000
        );
        server.put(
            "/page.html",
            Resource::new(page.into_bytes())
                .with_header("Content-Type", "text/html; charset=utf-8")
                .with_header("Set-Cookie", "session=letmein-7c1e; Path=/"),
        );
        let big = data(2 * 1024 * 1024, 91);
        server.put(
            "/files/big.bin",
            // 2 s at 1 MiB/s: a big file takes a while, and the browser's copy is
            // still running when the extension pauses it.
            Resource::new(big.clone())
                .rate(1024 * 1024)
                .require("cookie", "session=letmein-7c1e")
                .require("referer", "/page.html"),
        );
        let small = b"small enough for the browser\n".repeat(20);
        server.put(
            "/files/small.txt",
            Resource::new(small.clone()).with_header("Content-Type", "application/octet-stream"),
        );
        Self { server, big, small }
    }

    /// Wait until Ferry has completed a download and the browser has the small
    /// file in `folder`, then check what each got, what the server saw, and that
    /// the cookie is nowhere in Ferry's files. `false`: the page clicked before
    /// the browser had started the extension (the browser downloaded the big
    /// file itself and Ferry heard nothing) — a slow start, to try again.
    async fn check(&self, ferry: &Ferry, folder: &Path) -> bool {
        let browser_copy = folder.join("small.txt");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
        let done = loop {
            let listed = if ferry.data_dir().join("agent.sock").exists() {
                ferry.json(&["list", "--json"]).await
            } else {
                json!([])
            };
            let completed = listed
                .as_array()
                .is_some_and(|ops| ops.iter().any(|o| o["status"] == "Completed"));
            if completed && browser_copy.exists() {
                break listed;
            }
            if folder.join("big.bin").exists()
                && browser_copy.exists()
                && listed.as_array().is_some_and(Vec::is_empty)
            {
                return false;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no hand-over in 90 s: Ferry has {listed}; the browser's folder has {:?}",
                std::fs::read_dir(folder)
                    .map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
            );
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        };
        let ops = done.as_array().unwrap();
        assert_eq!(ops.len(), 1, "one operation: {done}");
        assert_eq!(
            sha256_file(&ferry.downloads().join("big.bin")),
            sha256(&self.big),
            "Ferry's copy is the file"
        );
        assert_eq!(
            std::fs::read(&browser_copy).unwrap(),
            self.small,
            "the small one stayed"
        );
        let kept: Vec<_> = std::fs::read_dir(folder)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            kept,
            vec!["small.txt".to_owned()],
            "the browser kept no copy of big.bin"
        );
        // The server answers big.bin only with the page's cookie and Referer: the
        // file above proves Ferry sent both; here, that nobody was turned away.
        let seen = self.server.seen("/files/big.bin");
        assert!(seen.len() >= 2, "the browser's request, then Ferry's");
        assert!(
            seen.iter().all(|s| s
                .header("cookie")
                .is_some_and(|c| c.contains("session=letmein-7c1e"))
                && s.header("referer")
                    .is_some_and(|r| r.ends_with("/page.html"))),
            "every request for big.bin carried the cookie and the Referer"
        );
        for file in ["ferry.redb", "ferry.log"] {
            let bytes = std::fs::read(ferry.data_dir().join(file)).unwrap_or_default();
            assert!(
                !bytes.windows(12).any(|w| w == b"letmein-7c1e"),
                "the cookie is in {file}"
            );
        }
        true
    }
}

/// Run `attempt` with the page's first click after each delay in turn until
/// the extension was up in time (a loaded machine can start a browser's
/// extensions late); what it checks must hold on the first attempt that was.
async fn with_slow_start_retried<F: Future<Output = bool>>(
    delays: &[u64],
    attempt: impl Fn(u64) -> F,
) {
    for &delay in delays {
        if attempt(delay).await {
            return;
        }
        println!("the page clicked before the extension was up ({delay} ms): again, later");
    }
    panic!("the extension was never up in time ({delays:?} ms)");
}

/// Debian's Chromium, headless, with our unpacked extension (the copy `ferry
/// browser install` writes): the big download goes to Ferry byte for byte and
/// the browser keeps no copy; the small one stays with the browser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_hands_a_download_over_with_its_cookie_and_keeps_a_small_one() {
    if !found("chromium") {
        println!("skipped: chromium is not installed (apt-get install chromium)");
        return;
    }
    with_slow_start_retried(&[5000, 15000], chromium_attempt).await;
}

async fn chromium_attempt(delay_ms: u64) -> bool {
    let ferry = Ferry::new();
    let home = ferry.dir.path();
    let profile = home.join(".config/chromium");
    std::fs::create_dir_all(&profile).unwrap();
    let out = ferry.run(&["browser", "install"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let extension = ferry.data_dir().join("extension/chromium");
    assert!(
        text(&out.stdout).contains(&extension.display().to_string()),
        "install says where the extension is: {}",
        text(&out.stdout)
    );

    let site = Site::start(delay_ms).await;
    // The profile allows a page to start several downloads, as a user who
    // answered Chromium's "download multiple files?" would have.
    std::fs::create_dir_all(profile.join("Default")).unwrap();
    std::fs::write(
        profile.join("Default/Preferences"),
        r#"{"profile":{"default_content_setting_values":{"automatic_downloads":1}}}"#,
    )
    .unwrap();
    let mut browser = tokio::process::Command::new("chromium")
        .args([
            "--headless=new",
            "--no-sandbox",
            "--no-first-run",
            "--disable-gpu",
            "--password-store=basic",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--load-extension={}", extension.display()))
        .arg(format!(
            "--disable-extensions-except={}",
            extension.display()
        ))
        .arg(site.server.url("/page.html"))
        .env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("FERRY_DATA_DIR")
        .env_remove("FERRY_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let checked = site.check(&ferry, &home.join("Downloads")).await;
    let _ = browser.kill().await;
    checked
}

/// Debian's Firefox ESR, headless, with the same extension (its Firefox copy,
/// named by a proxy file in the profile: ESR loads unsigned extensions when
/// told to). Firefox knows no size when a download starts: the extension reads
/// it from the response's headers, so the small file still stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firefox_hands_a_download_over_with_its_cookie_and_keeps_a_small_one() {
    if !found("firefox-esr") {
        println!("skipped: firefox-esr is not installed (apt-get install firefox-esr)");
        return;
    }
    // Firefox starts its extensions up to 4 s after it loads the page here.
    with_slow_start_retried(&[8000, 20000], firefox_attempt).await;
}

async fn firefox_attempt(delay_ms: u64) -> bool {
    let ferry = Ferry::new();
    let home = ferry.dir.path();
    std::fs::create_dir_all(home.join(".mozilla")).unwrap();
    let out = ferry.run(&["browser", "install"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        home.join(".mozilla/native-messaging-hosts/org.ferry.host.json")
            .is_file()
    );
    let extension = ferry.data_dir().join("extension/firefox");
    let profile = home.join("firefox-profile");
    std::fs::create_dir_all(profile.join("extensions")).unwrap();
    std::fs::write(
        profile.join("extensions/browser@ferry.invalid"),
        extension.display().to_string(),
    )
    .unwrap();
    let downloads = home.join("Downloads");
    std::fs::write(
        profile.join("user.js"),
        format!(
            "user_pref(\"xpinstall.signatures.required\", false);\n\
             user_pref(\"extensions.autoDisableScopes\", 0);\n\
             user_pref(\"browser.download.useDownloadDir\", true);\n\
             user_pref(\"browser.download.folderList\", 2);\n\
             user_pref(\"browser.download.dir\", {:?});\n",
            downloads.display().to_string()
        ),
    )
    .unwrap();

    let site = Site::start(delay_ms).await;
    let mut browser = tokio::process::Command::new("firefox-esr")
        .args(["--headless", "--no-remote", "--profile"])
        .arg(&profile)
        .arg(site.server.url("/page.html"))
        .env("HOME", home)
        .env("MOZ_CRASHREPORTER_DISABLE", "1")
        .env_remove("FERRY_DATA_DIR")
        .env_remove("FERRY_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let checked = site.check(&ferry, &downloads).await;
    let _ = browser.kill().await;
    checked
}

/// The same file downloaded again in the browser after its link expired: the
/// hand-off continues the download that waits for a new address, instead of
/// starting a second one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_off_of_the_same_file_continues_the_download_waiting_for_an_address() {
    let ferry = Ferry::new();
    std::fs::create_dir_all(ferry.dir.path().join(".config/chromium")).unwrap();
    assert!(ferry.run(&["browser", "install"]).await.status.success());
    let server = TestServer::start().await;
    let body = data(3 * 1024 * 1024, 66);
    server.put(
        "/t1/movie.mkv",
        Resource::expiring(body.clone(), 1024 * 1024),
    );
    let out = ferry
        .run(&["get", &server.url("/t1/movie.mkv"), "--detach"])
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let id = text(&out.stdout).trim().to_owned();
    within(60, async {
        while ferry.json(&["show", &id, "--json"]).await["status"] != "NeedsNewAddress" {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;

    let mut fresh = Resource::new(body.clone());
    fresh.etag = Some("\"other-node\"".into());
    server.put("/t2/movie.mkv", fresh);
    let mut host = Host::start(&ferry).await;
    let added = host
        .ask(&json!({
            "type": "download",
            "url": server.url("/t2/movie.mkv"),
            "filename": "movie.mkv",
            "size": body.len(),
        }))
        .await;
    assert_eq!(added["type"], "added", "{added}");
    assert_eq!(added["attached"], true, "{added}");
    assert!(
        id.starts_with(&added["id"].as_str().unwrap()[..8]),
        "{added} is {id}"
    );
    let out = ferry.run(&["wait", &id]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        sha256_file(&ferry.downloads().join("movie.mkv")),
        sha256(&body)
    );
    let all = ferry.json(&["list", "--json"]).await;
    assert_eq!(
        all.as_array().unwrap().len(),
        1,
        "no second download: {all}"
    );
}

/// A window that answers as the test tells it, in an agent of the test's own.
struct Window {
    offers: tokio::sync::mpsc::UnboundedSender<std::sync::Arc<ferry::agent::Offer>>,
    links: tokio::sync::mpsc::UnboundedSender<Vec<ferry::engine::Request>>,
}

impl ferry::agent::Desktop for Window {
    fn show_window(&self) {}

    fn offer(&self, offer: std::sync::Arc<ferry::agent::Offer>) {
        let _ = self.offers.send(offer);
    }

    fn pick_links(&self, requests: Vec<ferry::engine::Request>) {
        let _ = self.links.send(requests);
    }
}

/// With a window, the agent puts each handed-over download to the user: "let
/// the browser have it" leaves the browser its copy (nothing is made), and an
/// answer with another folder downloads it there. A page's links go to the
/// window to pick from, each with its cookies and the page as Referer; an agent
/// without a window says it cannot list them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_window_the_user_is_asked_and_a_pages_links_are_listed() {
    use ferry::agent::{Agent, Answer};
    use std::sync::Arc;
    let ferry = Ferry::new();
    std::fs::create_dir_all(ferry.dir.path().join(".config/chromium")).unwrap();
    assert!(ferry.run(&["browser", "install"]).await.status.success());
    let server = TestServer::start().await;
    let body = data(1024 * 1024, 68);
    server.put("/dl/setup.exe", Resource::new(body.clone()));

    let agent = Agent::start(ferry.data_dir(), ferry.dir.path().join("config.toml"))
        .await
        .unwrap()
        .expect("the agent starts");
    let (offers, mut offered) = tokio::sync::mpsc::unbounded_channel();
    let (links, mut listed) = tokio::sync::mpsc::unbounded_channel();
    let quit = Arc::new(tokio::sync::Notify::new());
    let serving =
        tokio::spawn(agent.serve(Some(Arc::new(Window { offers, links })), Arc::clone(&quit)));

    let handoff = json!({
        "type": "download",
        "url": server.url("/dl/setup.exe"),
        "referrer": server.url("/downloads.html"),
        "cookies": [{"name": "sid", "value": "abc"}],
        "filename": "setup.exe",
        "size": body.len(),
    });
    let mut host = Host::start(&ferry).await;
    let asking = tokio::spawn(async move {
        let answer = host.ask(&handoff).await;
        (host, answer)
    });
    let offer = within(30, offered.recv()).await.unwrap();
    assert_eq!(offer.file.as_ref().unwrap().name, "setup.exe");
    assert_eq!(offer.file.as_ref().unwrap().size, Some(body.len() as u64));
    assert_eq!(offer.request.cookies, ["sid=abc"]);
    offer.answer(Answer::Decline);
    let (mut host, answer) = asking.await.unwrap();
    assert_eq!(answer["type"], "declined", "{answer}");
    let all = ferry.json(&["list", "--json"]).await;
    assert_eq!(all.as_array().unwrap().len(), 0, "nothing made: {all}");
    assert!(server.seen("/dl/setup.exe").is_empty());

    let handoff = json!({
        "type": "download",
        "url": server.url("/dl/setup.exe"),
        "cookies": [{"name": "sid", "value": "abc"}],
        "filename": "setup.exe",
    });
    let asking = tokio::spawn(async move {
        let answer = host.ask(&handoff).await;
        (host, answer)
    });
    let offer = within(30, offered.recv()).await.unwrap();
    let elsewhere = ferry.dir.path().join("programs");
    let mut request = offer.request.clone();
    request.destination = Some(elsewhere.clone());
    request.into_folder = true;
    offer.answer(Answer::Add(Box::new(request)));
    let (mut host, added) = asking.await.unwrap();
    assert_eq!(added["type"], "added", "{added}");
    let id = added["id"].as_str().unwrap().to_owned();
    let out = ferry.run(&["wait", &id]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(sha256_file(&elsewhere.join("setup.exe")), sha256(&body));

    let answer = host
        .ask(&json!({
            "type": "links",
            "referrer": server.url("/index.html"),
            "links": [
                {"url": server.url("/pub/a.iso"), "cookies": [{"name": "sid", "value": "abc"}]},
                {"url": server.url("/pub/b.iso")},
            ],
        }))
        .await;
    assert_eq!(answer["type"], "listed", "{answer}");
    assert_eq!(answer["count"], 2);
    let requests = within(30, listed.recv()).await.unwrap();
    assert_eq!(requests.len(), 2);
    assert!(requests[0].url.ends_with("/pub/a.iso"));
    assert_eq!(requests[0].cookies, ["sid=abc"]);
    assert!(requests[1].cookies.is_empty());
    assert!(requests.iter().all(|r| {
        r.headers
            .iter()
            .any(|h| h.name == "Referer" && h.value == server.url("/index.html"))
    }));
    drop(host);
    quit.notify_one();
    within(30, serving).await.unwrap();

    // The agent `ferry` starts here has no window: it says so.
    let mut host = Host::start(&ferry).await;
    let answer = host
        .ask(&json!({"type": "links", "links": [{"url": server.url("/pub/a.iso")}]}))
        .await;
    assert_eq!(answer["type"], "error", "{answer}");
    assert!(
        answer["message"].as_str().unwrap().contains("no window"),
        "{answer}"
    );
}
