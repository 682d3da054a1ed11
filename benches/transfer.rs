//! Download and upload speed next to curl, wget (and aria2c, -x1 and -x16, when
//! installed), on the same machine, in the same run, against the same local server:
//! wall time, throughput and CPU seconds, median of N runs, the sha256 of every
//! downloaded file checked. Run with `cargo bench --bench transfer`;
//! `FERRY_BENCH_MIB` sets the file size (default 1024) and `FERRY_BENCH_RUNS` the
//! runs (default 3). A second table downloads from a server that holds each
//! connection to `FERRY_BENCH_CAP_MIB` MiB/s (default 20), a file of
//! `FERRY_BENCH_CAPPED_MIB` MiB (default 256): there, several connections pay.
//!
//! Ferry's CPU is the client's plus the agent's (which does the transfer). Ferry
//! also does what curl does not: it syncs the data to disk as it goes and before
//! completing, so its figures include durability; the `curl+sync` row is curl
//! followed by `sync --data` on the file, the same guarantee. `FERRY_BENCH_CONFIG`
//! is TOML given to the agent (e.g. `checkpoint_interval = 0.25`).

#[path = "../tests/support/digest.rs"]
#[allow(dead_code)]
mod digest;
#[path = "../tests/support/server.rs"]
#[allow(dead_code)]
mod server;
#[path = "../tests/support/uploads.rs"]
#[allow(dead_code)]
mod uploads;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use server::{Resource, TestServer};

const MIB: u64 = 1024 * 1024;

#[derive(Clone, Copy, Debug)]
struct Figures {
    wall: f64,
    cpu: f64,
}

fn main() {
    let mib: u64 = env_or("FERRY_BENCH_MIB", 1024);
    let runs: usize = env_or("FERRY_BENCH_RUNS", 3);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let server = runtime.block_on(TestServer::start());
    let body = pseudo_random(mib * MIB);
    let dir = tempfile::tempdir().expect("temp dir");
    let source = dir.path().join("source.bin");
    std::fs::write(&source, &body).expect("source file");
    let digest = sha256_hex(&body);
    let capped_mib: u64 = env_or("FERRY_BENCH_CAPPED_MIB", 256);
    let cap_mib: u64 = env_or("FERRY_BENCH_CAP_MIB", 20);
    let capped_body = pseudo_random(capped_mib * MIB);
    let capped_digest = sha256_hex(&capped_body);
    server.put(
        "/capped.bin",
        Resource::new(capped_body).rate(cap_mib * MIB),
    );
    server.put("/big.bin", Resource::new(body));
    let mut sink = uploads::Sink::ok("stored");
    sink.keep = false;
    server.sink("/upload", sink);
    let agent = Agent::start(dir.path());

    let downloads = download_table(
        &agent,
        &server.url("/big.bin"),
        dir.path(),
        (mib, &digest),
        runs,
    );
    print_table(
        &format!("{mib} MiB download over HTTP from 127.0.0.1"),
        runs,
        mib,
        &downloads,
    );
    let capped = download_table(
        &agent,
        &server.url("/capped.bin"),
        dir.path(),
        (capped_mib, &capped_digest),
        runs,
    );
    print_table(
        &format!(
            "{capped_mib} MiB download from 127.0.0.1, each connection held to {cap_mib} MiB/s"
        ),
        runs,
        capped_mib,
        &capped,
    );
    let uploads = upload_table(&agent, &server, &source, mib, runs);
    print_table(
        &format!("{mib} MiB upload (PUT) over HTTP to 127.0.0.1"),
        runs,
        mib,
        &uploads,
    );
    agent.quit();
}

type Table = Vec<(&'static str, Vec<Figures>)>;

fn download_table(
    agent: &Agent,
    url: &str,
    dir: &Path,
    (mib, digest): (u64, &str),
    runs: usize,
) -> Table {
    let out = dir.join("out.bin");
    let mut table: Table = vec![
        ("ferry", Vec::new()),
        ("curl", Vec::new()),
        ("curl+sync", Vec::new()),
        ("ferry -x8", Vec::new()),
    ];
    if which("wget") {
        table.push(("wget", Vec::new()));
    }
    if which("aria2c") {
        table.push(("aria2c", Vec::new()));
        table.push(("aria2c -x16", Vec::new()));
    }
    for run in 0..runs {
        for (tool, figures) in &mut table {
            let _ = std::fs::remove_file(&out);
            let measured = match *tool {
                "ferry" => agent.run(&["get", url, "--overwrite", "-o", out.to_str().unwrap()]),
                "ferry -x8" => agent.run(&[
                    "get",
                    url,
                    "--overwrite",
                    "--connections",
                    "8",
                    "-o",
                    out.to_str().unwrap(),
                ]),
                "wget" => timed(
                    Command::new("wget").args(["-q", "-O"]).arg(&out).arg(url),
                    None,
                ),
                "aria2c -x16" => timed(
                    Command::new("aria2c")
                        .args([
                            "-q",
                            "-x16",
                            "-s16",
                            "--allow-overwrite=true",
                            "--file-allocation=none",
                            "-d",
                        ])
                        .arg(dir)
                        .arg("-o")
                        .arg("out.bin")
                        .arg(url),
                    None,
                ),
                "curl" => timed(
                    Command::new("curl").args(["-sS", "-o"]).arg(&out).arg(url),
                    None,
                ),
                "curl+sync" => timed(
                    Command::new("sh")
                        .arg("-c")
                        .arg("curl -sS -o \"$0\" \"$1\" && sync --data \"$0\"")
                        .arg(&out)
                        .arg(url),
                    None,
                ),
                _ => timed(
                    Command::new("aria2c")
                        .args([
                            "-q",
                            "--allow-overwrite=true",
                            "--file-allocation=none",
                            "-d",
                        ])
                        .arg(dir)
                        .arg("-o")
                        .arg("out.bin")
                        .arg(url),
                    None,
                ),
            };
            let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
            assert_eq!(size, mib * MIB, "{tool} wrote {size} bytes on run {run}");
            let written = std::fs::read(&out)
                .map(|b| sha256_hex(&b))
                .unwrap_or_default();
            assert_eq!(written, digest, "{tool} wrote other bytes on run {run}");
            figures.push(measured);
        }
    }
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
        "{:<12} {:>8} {:>10} {:>8} {:>10} {:>10}",
        "tool", "wall s", "MiB/s", "CPU s", "wall/curl", "CPU/curl"
    );
    let curl = median(&table[1].1);
    for (tool, figures) in table {
        let m = median(figures);
        println!(
            "{:<12} {:>8.2} {:>10.0} {:>8.2} {:>10.2} {:>10.2}",
            tool,
            m.wall,
            mib as f64 / m.wall,
            m.cpu,
            m.wall / curl.wall,
            m.cpu / curl.cpu
        );
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("{:x}", sha2::Sha256::digest(bytes))
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn which(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn pseudo_random(len: u64) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(len as usize + 8);
    while (out.len() as u64) < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len as usize);
    out
}

fn median(figures: &[Figures]) -> Figures {
    let pick = |key: fn(&Figures) -> f64| {
        let mut values: Vec<f64> = figures.iter().map(key).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    Figures {
        wall: pick(|f| f.wall),
        cpu: pick(|f| f.cpu),
    }
}

/// Run `command` under bash's `time` (user + sys of the command and its children),
/// adding the CPU another process (`extra`, a pid) spent meanwhile.
fn timed(command: &mut Command, extra: Option<u32>) -> Figures {
    let program = command.get_program().to_string_lossy().into_owned();
    let args: Vec<String> = command
        .get_args()
        .map(|a| shell_quote(&a.to_string_lossy()))
        .collect();
    let script = format!(
        "TIMEFORMAT='%U %S'; time {} {} >/dev/null",
        shell_quote(&program),
        args.join(" ")
    );
    let envs: Vec<(String, String)> = command
        .get_envs()
        .filter_map(|(k, v)| {
            Some((
                k.to_string_lossy().into_owned(),
                v?.to_string_lossy().into_owned(),
            ))
        })
        .collect();
    let before = extra.map(process_cpu).unwrap_or(0.0);
    let started = Instant::now();
    let output = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .envs(envs)
        .output()
        .expect("bash");
    let wall = started.elapsed().as_secs_f64();
    let after = extra.map(process_cpu).unwrap_or(0.0);
    assert!(
        output.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or("0 0");
    let cpu: f64 = last
        .split_whitespace()
        .filter_map(|v| v.parse::<f64>().ok())
        .sum();
    Figures {
        wall,
        cpu: cpu + (after - before),
    }
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// User + system CPU seconds of a live process, from /proc.
fn process_cpu(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of stat (utime, stime), counted after the name.
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<f64>().ok())
        .sum();
    ticks / clock_ticks()
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

struct Agent {
    child: std::process::Child,
    data_dir: PathBuf,
    config: PathBuf,
}

impl Agent {
    fn start(dir: &Path) -> Self {
        let data_dir = dir.join("data");
        let config = dir.join("config.toml");
        let settings = std::env::var("FERRY_BENCH_CONFIG").unwrap_or_default();
        std::fs::write(&config, settings).expect("config");
        let child = Command::new(env!("CARGO_BIN_EXE_ferry"))
            .arg("agent")
            .env("FERRY_DATA_DIR", &data_dir)
            .env("FERRY_CONFIG", &config)
            .spawn()
            .expect("agent starts");
        let socket = data_dir.join("agent.sock");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "the agent did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self {
            child,
            data_dir,
            config,
        }
    }

    /// A client command against this agent, timed with the agent's CPU added.
    fn run(&self, args: &[&str]) -> Figures {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ferry"));
        command
            .args(args)
            .env("FERRY_DATA_DIR", &self.data_dir)
            .env("FERRY_CONFIG", &self.config);
        timed(&mut command, Some(self.child.id()))
    }

    fn quit(mut self) {
        let _ = Command::new(env!("CARGO_BIN_EXE_ferry"))
            .arg("quit")
            .env("FERRY_DATA_DIR", &self.data_dir)
            .status();
        let _ = self.child.wait();
    }
}
