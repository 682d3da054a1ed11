//! Download and upload speed next to curl, wget and aria2c (-x1 and -x16), when
//! installed, on the same machine, in the same run, against the same server: wall
//! time, throughput and CPU seconds, median of N runs, the sha256 of every
//! downloaded file checked. Run with `cargo bench --bench transfer`.
//!
//! The cases, each a table:
//! - loopback: a `FERRY_BENCH_MIB` MiB file (default 1024) from 127.0.0.1;
//! - capped: `FERRY_BENCH_CAPPED_MIB` MiB (default 256) from a server that holds
//!   each connection to `FERRY_BENCH_CAP_MIB` MiB/s (default 20);
//! - lossy: `FERRY_BENCH_LOSSY_MIB` MiB (default 100) over a link with 50 ms of
//!   round trip and 0.5 % loss between two network namespaces (root only; see
//!   transfer/lossy.rs), `FERRY_BENCH_LOSSY_RUNS` runs (default `FERRY_BENCH_RUNS`);
//! - upload: the loopback file, PUT;
//! - scale: `FERRY_BENCH_QUEUED` queued operations (default 10,000): agent memory
//!   per operation, and the time from a start to the first `list` answer.
//!
//! `FERRY_BENCH_CASES` picks some (`loopback,capped,lossy,upload,scale`); the
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
    "aria2c -x16",
];
const LOSSY_DOWNLOADERS: &[&str] = &["ferry", "curl", "ferry -x16", "aria2c -x16"];

fn main() {
    if std::env::var(lossy::ROLE).as_deref() == Ok("lossy-server") {
        return lossy::serve();
    }
    let cases = std::env::var("FERRY_BENCH_CASES")
        .unwrap_or_else(|_| "loopback,capped,lossy,upload,scale".into());
    let wants = |case: &str| cases.split(',').any(|c| c.trim() == case);
    let mib: u64 = env_or("FERRY_BENCH_MIB", 1024);
    let runs: usize = env_or("FERRY_BENCH_RUNS", 3);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let server = runtime.block_on(TestServer::start());
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
                &Target::local(&server.url("/big.bin"), mib, &digest),
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
        let capped_mib: u64 = env_or("FERRY_BENCH_CAPPED_MIB", 256);
        let cap_mib: u64 = env_or("FERRY_BENCH_CAP_MIB", 20);
        let body = pseudo_random(capped_mib * MIB);
        let digest = sha256_hex(&body);
        server.put("/capped.bin", Resource::new(body).rate(cap_mib * MIB));
        let table = download_table(
            &agent,
            &Target::local(&server.url("/capped.bin"), capped_mib, &digest),
            dir.path(),
            DOWNLOADERS,
            runs,
        );
        let title = format!(
            "{capped_mib} MiB download from 127.0.0.1, each connection held to {cap_mib} MiB/s"
        );
        print_table(&title, runs, capped_mib, &table);
    }
    agent.quit();
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
}

impl<'a> Target<'a> {
    fn local(url: &str, mib: u64, digest: &'a str) -> Self {
        Self {
            url: url.to_owned(),
            mib,
            digest,
            netns: None,
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
    for run in 0..runs {
        for (tool, figures) in &mut table {
            let _ = std::fs::remove_file(&out);
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
                "aria2c -x16" => aria2("16"),
                _ => aria2("1"),
            };
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
        "{:<12} {:>8} {:>10} {:>8} {:>12} {:>10} {:>14}",
        "tool", "wall s", "MiB/s", "CPU s", "CPU s/GiB", "speed/curl", "speed/aria2-x16"
    );
    let reference = |name: &str| {
        table
            .iter()
            .find(|(tool, _)| *tool == name)
            .map(|(_, figures)| median(figures))
    };
    let (curl, aria2) = (reference("curl"), reference("aria2c -x16"));
    let ratio = |of: Figures, to: Option<Figures>| {
        to.map_or_else(|| "-".to_owned(), |to| format!("{:.2}", to.wall / of.wall))
    };
    for (tool, figures) in table {
        let m = median(figures);
        println!(
            "{:<12} {:>8.2} {:>10.1} {:>8.2} {:>12.2} {:>10} {:>14}",
            tool,
            m.wall,
            mib as f64 / m.wall,
            m.cpu,
            m.cpu * 1024.0 / mib as f64,
            ratio(m, curl),
            ratio(m, aria2),
        );
    }
}
