//! Download and upload speed next to curl, wget and aria2c (-x1, -x8 and -x16),
//! when installed, on the same machine, in the same run, against the same
//! server: wall time, throughput, CPU seconds, and the bytes the server sent
//! over the file's size (where the server is ours to count), median of N runs
//! (one for a tool that takes over a minute),
//! the sha256 of every downloaded file checked. Each row's last column is its
//! speed over the best peer's in that table (above 1.00: faster than all of them).
//! Run with `cargo bench --bench transfer`.
//!
//! The cases, each a table:
//! - loopback: a `FERRY_BENCH_MIB` MiB file (default 1024) from 127.0.0.1;
//! - capped: files of `FERRY_BENCH_CAPPED_MIB` MiB (a list, default `100,1024`)
//!   from a server that holds each connection to `FERRY_BENCH_CAP_MIB` MiB/s
//!   (default 10); the single-connection tools only where they take under a
//!   minute;
//! - fast: `FERRY_BENCH_FAST_MIB` MiB (default 100) from a server that holds each
//!   connection to 60 MiB/s and writes 4 MiB ahead of that (as nginx's
//!   `limit_rate` does): where a request cut short costs bytes;
//! - lossy: `FERRY_BENCH_LOSSY_MIB` MiB (default 100) over a link with 50 ms of
//!   round trip and 0.5 % loss between two network namespaces (root only; see
//!   transfer/lossy.rs), `FERRY_BENCH_LOSSY_RUNS` runs (default `FERRY_BENCH_RUNS`);
//! - interrupted: the bytes a pause and a crash cost, `FERRY_BENCH_INTERRUPTED_MIB`
//!   MiB (default 100) at 4 MiB/s a connection (see transfer/interrupted.rs);
//! - upload: the loopback file, PUT;
//! - scale: `FERRY_BENCH_QUEUED` queued operations (default 10,000): agent memory
//!   per operation, and the time from a start to the first `list` answer.
//!
//! The server keeps connections alive, as real ones do.
//!
//! `FERRY_BENCH_CASES` picks some (`loopback,capped,fast,interrupted,lossy,upload,scale`); the
//! runs are `FERRY_BENCH_RUNS` (default 3).
//!
//! "ferry" finds its connection count by measuring; "ferry -xN" fixes it. Ferry's
//! CPU is the client's plus the agent's (which does the transfer). Ferry also does
//! what curl does not: it syncs the data to disk as it goes and before
//! completing, so its figures include durability; the `curl+sync` row is curl
//! followed by `sync --data` on the file, the same guarantee. `FERRY_BENCH_CONFIG`
//! is TOML given to the agent (e.g. `checkpoint_interval = 0.25`).

#[path = "../tests/support/digest.rs"]
#[allow(dead_code)]
mod digest;
#[path = "transfer/interrupted.rs"]
mod interrupted;
#[path = "transfer/lossy.rs"]
mod lossy;
#[path = "transfer/measure.rs"]
mod measure;
#[path = "transfer/scale.rs"]
mod scale;
#[path = "../tests/support/server.rs"]
#[allow(dead_code)]
mod server;
#[path = "../tests/support/uploads.rs"]
#[allow(dead_code)]
mod uploads;

use std::path::Path;
use std::process::Command;

use measure::{Agent, Figures, env_or, median, pseudo_random, sha256_hex, timed, which};
use server::{Resource, TestServer};

const MIB: u64 = 1024 * 1024;

/// The tools of a download table, in order (the second is the reference).
const DOWNLOADERS: &[&str] = &[
    "ferry",
    "curl",
    "curl+sync",
    "ferry -x1",
    "ferry -x8",
    "wget",
    "aria2c",
    "aria2c -x8",
    "aria2c -x16",
];
/// Where connections pay: the tools that use several, and the single-connection
/// ones only for files they fetch in under a minute.
const CAPPED_DOWNLOADERS: &[&str] = &["ferry", "ferry -x16", "aria2c -x8", "aria2c -x16"];
const SINGLE_DOWNLOADERS: &[&str] = &["curl", "ferry -x1"];
const LOSSY_DOWNLOADERS: &[&str] = &["ferry", "curl", "ferry -x16", "aria2c -x8", "aria2c -x16"];

fn main() {
    if std::env::var(lossy::ROLE).as_deref() == Ok("lossy-server") {
        return lossy::serve();
    }
    let cases = std::env::var("FERRY_BENCH_CASES")
        .unwrap_or_else(|_| "loopback,capped,fast,interrupted,lossy,upload,scale".into());
    let wants = |case: &str| cases.split(',').any(|c| c.trim() == case);
    let mib: u64 = env_or("FERRY_BENCH_MIB", 1024);
    let runs: usize = env_or("FERRY_BENCH_RUNS", 3);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let server = runtime.block_on(TestServer::start());
    server.keep_alive();
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = std::env::var("FERRY_BENCH_CONFIG").unwrap_or_default();
    let agent = Agent::start(dir.path(), &settings, None);

    if wants("loopback") || wants("upload") {
        let body = pseudo_random(mib * MIB);
        let digest = sha256_hex(&body);
        let source = dir.path().join("source.bin");
        std::fs::write(&source, &body).expect("source file");
        server.put("/big.bin", Resource::new(body));
        if wants("loopback") {
            let table = download_table(
                &agent,
                &Target::local(&server, "/big.bin", mib, &digest),
                dir.path(),
                DOWNLOADERS,
                runs,
            );
            let title = format!("{mib} MiB download over HTTP from 127.0.0.1");
            print_table(&title, runs, mib, &table);
        }
        if wants("upload") {
            let mut sink = uploads::Sink::ok("stored");
            sink.keep = false;
            server.sink("/upload", sink);
            let table = upload_table(&agent, &server, &source, mib, runs);
            let title = format!("{mib} MiB upload (PUT) over HTTP to 127.0.0.1");
            print_table(&title, runs, mib, &table);
        }
        let _ = std::fs::remove_file(&source);
    }
    if wants("capped") {
        let sizes: String = env_or("FERRY_BENCH_CAPPED_MIB", "100,1024".to_owned());
        let cap_mib: u64 = env_or("FERRY_BENCH_CAP_MIB", 10);
        for capped_mib in sizes
            .split(',')
            .filter_map(|s| s.trim().parse::<u64>().ok())
        {
            let body = pseudo_random(capped_mib * MIB);
            let digest = sha256_hex(&body);
            server.put("/capped.bin", Resource::new(body).rate(cap_mib * MIB));
            let mut tools = CAPPED_DOWNLOADERS.to_vec();
            if capped_mib / cap_mib < 60 {
                tools.extend(SINGLE_DOWNLOADERS);
            }
            let table = download_table(
                &agent,
                &Target::local(&server, "/capped.bin", capped_mib, &digest),
                dir.path(),
                &tools,
                runs,
            );
            let title = format!(
                "{capped_mib} MiB download from 127.0.0.1, each connection held to {cap_mib} MiB/s"
            );
            print_table(&title, runs, capped_mib, &table);
        }
    }
    if wants("fast") {
        fast_case(&agent, &server, dir.path(), runs);
    }
    agent.quit();
    if wants("interrupted") {
        let mib: u64 = env_or("FERRY_BENCH_INTERRUPTED_MIB", 100);
        let interrupted_dir = dir.path().join("interrupted");
        std::fs::create_dir_all(&interrupted_dir).expect("folder");
        interrupted::print(&interrupted::run(&interrupted_dir, &server, mib, 4));
    }
    if wants("lossy") {
        lossy_case(dir.path());
    }
    if wants("scale") {
        let queued: usize = env_or("FERRY_BENCH_QUEUED", 10_000);
        let scale_dir = dir.path().join("scale");
        std::fs::create_dir_all(&scale_dir).expect("folder");
        scale::print(&scale::run(&scale_dir, queued));
    }
}

/// A server that holds each connection to 60 MiB/s and writes 4 MiB ahead (as
/// nginx's `limit_rate` does): many connections pay, and a request cut short
/// costs what was written ahead.
fn fast_case(agent: &Agent, server: &TestServer, dir: &Path, runs: usize) {
    let fast_mib: u64 = env_or("FERRY_BENCH_FAST_MIB", 100);
    let body = pseudo_random(fast_mib * MIB);
    let digest = sha256_hex(&body);
    server.put(
        "/fast.bin",
        Resource::new(body).rate(60 * MIB).ahead(4 * MIB),
    );
    let mut tools = CAPPED_DOWNLOADERS.to_vec();
    tools.extend(SINGLE_DOWNLOADERS);
    let table = download_table(
        agent,
        &Target::local(server, "/fast.bin", fast_mib, &digest),
        dir,
        &tools,
        runs,
    );
    let title = format!(
        "{fast_mib} MiB download from 127.0.0.1, each connection held to 60 MiB/s, 4 MiB written ahead"
    );
    print_table(&title, runs, fast_mib, &table);
}

fn lossy_case(dir: &Path) {
    let mib: u64 = env_or("FERRY_BENCH_LOSSY_MIB", 100);
    let runs: usize = env_or("FERRY_BENCH_LOSSY_RUNS", env_or("FERRY_BENCH_RUNS", 3));
    let link = match lossy::Link::up(mib, 50, 0.005) {
        Ok(link) => link,
        Err(why) => {
            println!("\nlossy link: skipped ({why})");
            return;
        }
    };
    let digest = sha256_hex(&pseudo_random(mib * MIB));
    let lossy_dir = dir.join("lossy");
    std::fs::create_dir_all(&lossy_dir).expect("folder");
    let settings = std::env::var("FERRY_BENCH_CONFIG").unwrap_or_default();
    let agent = Agent::start(&lossy_dir, &settings, Some(lossy::CLIENT_NS));
    let target = Target {
        url: link.url(),
        mib,
        digest: &digest,
        netns: Some(lossy::CLIENT_NS),
        server: None,
    };
    let table = download_table(&agent, &target, &lossy_dir, LOSSY_DOWNLOADERS, runs);
    let title = format!(
        "{mib} MiB download over a link with 50 ms round trip and 0.5 % loss each way (server TCP: {})",
        link.congestion
    );
    print_table(&title, runs, mib, &table);
    agent.quit();
}

type Table = Vec<(&'static str, Vec<Figures>)>;

/// What to download, and from where the tools run.
struct Target<'a> {
    url: String,
    mib: u64,
    digest: &'a str,
    /// The network namespace the tools run in (the agent is started there too).
    netns: Option<&'static str>,
    /// The server, when it is ours to count the bytes it sends.
    server: Option<&'a TestServer>,
}

impl<'a> Target<'a> {
    fn local(server: &'a TestServer, path: &str, mib: u64, digest: &'a str) -> Self {
        Self {
            url: server.url(path),
            mib,
            digest,
            netns: None,
            server: Some(server),
        }
    }

    /// `program`, run in the target's namespace.
    fn command(&self, program: &str) -> Command {
        match self.netns {
            Some(ns) => {
                let mut command = Command::new("ip");
                command.args(["netns", "exec", ns, program]);
                command
            }
            None => Command::new(program),
        }
    }
}

fn download_table(
    agent: &Agent,
    target: &Target,
    dir: &Path,
    tools: &[&'static str],
    runs: usize,
) -> Table {
    let out = dir.join("out.bin");
    let url = target.url.as_str();
    let mut table: Table = tools
        .iter()
        .filter(|tool| {
            let program = tool.split(' ').next().unwrap_or(tool);
            program == "ferry" || program == "curl+sync" || which(program)
        })
        .map(|tool| (*tool, Vec::new()))
        .collect();
    let out_arg = out.to_str().expect("UTF-8 path");
    let sent = || target.server.map(TestServer::body_bytes_sent);
    for run in 0..runs {
        for (tool, figures) in &mut table {
            // A tool that took over a minute once says enough (curl on the lossy
            // link takes minutes each run).
            if figures.iter().any(|f| f.wall > 60.0) {
                continue;
            }
            let _ = std::fs::remove_file(&out);
            let sent_before = sent();
            let aria2 = |connections: &str| {
                let mut command = target.command("aria2c");
                command
                    .args(["-q", "-x", connections, "-s", connections, "-k", "1M"])
                    .args(["--allow-overwrite=true", "--file-allocation=none", "-d"])
                    .arg(dir)
                    .args(["-o", "out.bin", url]);
                timed(&mut command, None)
            };
            let measured = match *tool {
                "ferry" => agent.run(&["get", url, "--overwrite", "-o", out_arg]),
                fixed if fixed.starts_with("ferry -x") => {
                    let count = &fixed["ferry -x".len()..];
                    agent.run(&[
                        "get",
                        url,
                        "--overwrite",
                        "--connections",
                        count,
                        "-o",
                        out_arg,
                    ])
                }
                "wget" => timed(
                    target.command("wget").args(["-q", "-O", out_arg, url]),
                    None,
                ),
                "curl" => timed(
                    target.command("curl").args(["-sS", "-o", out_arg, url]),
                    None,
                ),
                "curl+sync" => timed(
                    target.command("sh").args([
                        "-c",
                        "curl -sS -o \"$0\" \"$1\" && sync --data \"$0\"",
                        out_arg,
                        url,
                    ]),
                    None,
                ),
                many if many.starts_with("aria2c -x") => aria2(&many["aria2c -x".len()..]),
                _ => aria2("1"),
            };
            let mut measured = measured;
            if let (Some(before), Some(after)) = (sent_before, sent()) {
                measured.wire = (after - before) as f64 / (target.mib * MIB) as f64;
            }
            let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
            assert_eq!(
                size,
                target.mib * MIB,
                "{tool} wrote {size} bytes on run {run}"
            );
            let written = std::fs::read(&out)
                .map(|b| sha256_hex(&b))
                .unwrap_or_default();
            assert_eq!(
                written, target.digest,
                "{tool} wrote other bytes on run {run}"
            );
            figures.push(measured);
        }
    }
    let _ = std::fs::remove_file(&out);
    table
}

fn upload_table(agent: &Agent, server: &TestServer, source: &Path, mib: u64, runs: usize) -> Table {
    let url = server.url("/upload");
    let mut table: Table = vec![("ferry", Vec::new()), ("curl", Vec::new())];
    for run in 0..runs {
        for (tool, figures) in &mut table {
            let measured = match *tool {
                "ferry" => {
                    agent.run(&["upload", &url, source.to_str().unwrap(), "--method", "put"])
                }
                _ => timed(
                    Command::new("curl")
                        .args(["-sS", "-o", "/dev/null", "-T"])
                        .arg(source)
                        .arg(&url),
                    None,
                ),
            };
            let got = server.received("/upload").pop().expect("an upload arrived");
            assert!(
                got.complete && got.len == mib * MIB,
                "{tool} sent {} bytes on run {run}",
                got.len
            );
            figures.push(measured);
        }
    }
    table
}

fn print_table(title: &str, runs: usize, mib: u64, table: &Table) {
    println!();
    println!("{title}, median of {runs} runs");
    println!(
        "{:<12} {:>8} {:>10} {:>8} {:>12} {:>6} {:>10} {:>10}",
        "tool", "wall s", "MiB/s", "CPU s", "CPU s/GiB", "wire", "speed/curl", "speed/best"
    );
    let medians: Vec<(&str, Figures)> = table
        .iter()
        .map(|(tool, figures)| (*tool, median(figures)))
        .collect();
    let curl = medians.iter().find(|(tool, _)| *tool == "curl");
    // The fastest of the others (curl+sync is curl, timed differently).
    let best = medians
        .iter()
        .filter(|(tool, _)| !tool.starts_with("ferry") && *tool != "curl+sync")
        .min_by(|a, b| a.1.wall.total_cmp(&b.1.wall));
    let ratio = |of: Figures, to: Option<&(&str, Figures)>| {
        to.map_or_else(
            || "-".to_owned(),
            |(_, to)| format!("{:.2}", to.wall / of.wall),
        )
    };
    for (tool, m) in &medians {
        let wire = if m.wire.is_nan() {
            "-".to_owned()
        } else {
            format!("{:.2}", m.wire)
        };
        println!(
            "{:<12} {:>8.2} {:>10.1} {:>8.2} {:>12.2} {:>6} {:>10} {:>10}",
            tool,
            m.wall,
            mib as f64 / m.wall,
            m.cpu,
            m.cpu * 1024.0 / mib as f64,
            wire,
            ratio(*m, curl),
            ratio(*m, best),
        );
    }
    if let Some((name, _)) = best {
        println!("(best peer: {name})");
    }
}
