//! Running and timing the tools: wall time and CPU seconds of a command (with an
//! agent's CPU added), medians, and a Ferry agent of the benchmark's own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
pub struct Figures {
    pub wall: f64,
    pub cpu: f64,
    /// Body bytes the server sent for the run, over the file's size (NaN where
    /// the server is not ours to count).
    pub wire: f64,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("{:x}", sha2::Sha256::digest(bytes))
}

pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn which(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The same bytes for the same length, in every process.
pub fn pseudo_random(len: u64) -> Vec<u8> {
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

pub fn median(figures: &[Figures]) -> Figures {
    let pick = |key: fn(&Figures) -> f64| {
        let mut values: Vec<f64> = figures.iter().map(key).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    Figures {
        wall: pick(|f| f.wall),
        cpu: pick(|f| f.cpu),
        wire: pick(|f| f.wire),
    }
}

/// Run `command` under bash's `time` (user + sys of the command and its children),
/// adding the CPU another process (`extra`, a pid) spent meanwhile.
pub fn timed(command: &mut Command, extra: Option<u32>) -> Figures {
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
        wire: f64::NAN,
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

/// Resident memory of a live process, KiB.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// A Ferry agent with a data directory and config of its own.
pub struct Agent {
    child: std::process::Child,
    pub data_dir: PathBuf,
    config: PathBuf,
}

impl Agent {
    /// `settings`: TOML for its config file; `netns`: a network namespace to run
    /// it in (its socket is a file, so clients reach it from outside).
    pub fn start(dir: &Path, settings: &str, netns: Option<&str>) -> Self {
        let data_dir = dir.join("data");
        let config = dir.join("config.toml");
        std::fs::write(&config, settings).expect("config");
        let socket = data_dir.join("agent.sock");
        let _ = std::fs::remove_file(&socket);
        let mut command = match netns {
            Some(ns) => {
                let mut command = Command::new("ip");
                command
                    .args(["netns", "exec", ns])
                    .arg(env!("CARGO_BIN_EXE_ferry"));
                command
            }
            None => Command::new(env!("CARGO_BIN_EXE_ferry")),
        };
        let child = command
            .arg("agent")
            .env("FERRY_DATA_DIR", &data_dir)
            .env("FERRY_CONFIG", &config)
            .spawn()
            .expect("agent starts");
        let deadline = Instant::now() + Duration::from_secs(60);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "the agent did not start");
            std::thread::sleep(Duration::from_millis(5));
        }
        Self {
            child,
            data_dir,
            config,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ferry"));
        command
            .args(args)
            .env("FERRY_DATA_DIR", &self.data_dir)
            .env("FERRY_CONFIG", &self.config);
        command
    }

    /// A client command against this agent, timed with the agent's CPU added.
    pub fn run(&self, args: &[&str]) -> Figures {
        timed(&mut self.command(args), Some(self.child.id()))
    }

    /// SIGKILL, as a crash would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn quit(mut self) {
        let _ = self.command(&["quit"]).status();
        let _ = self.child.wait();
    }
}
