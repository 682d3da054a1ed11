//! A slow, lossy link between two network namespaces of the benchmark's own: the
//! server in one, the downloading tools in the other, and between them a relay
//! over two TUN devices (`benches/lossy_link.py`) that delays every packet and
//! drops some. This kernel has no `tc netem`; a TCP proxy would hide the loss
//! from the tools' TCP, the relay does not.
//!
//! The server side runs this same benchmark program, started inside the server
//! namespace with `FERRY_BENCH_ROLE=lossy-server`.

use std::io::{BufRead as _, BufReader, Read as _};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use super::measure::pseudo_random;
use super::server::{Resource, TestServer};

pub const SERVER_NS: &str = "ferry-bench-server";
pub const CLIENT_NS: &str = "ferry-bench-client";
const SERVER_ADDR: &str = "10.77.0.1:8080";
const SERVER_DEV: &str = "fbsrv0";
const CLIENT_DEV: &str = "fbcli0";
/// The role's environment variable and the size of its file.
pub const ROLE: &str = "FERRY_BENCH_ROLE";
const MIB_VAR: &str = "FERRY_BENCH_LOSSY_MIB";

/// The link, up while this lives.
pub struct Link {
    relay: Child,
    server: Child,
    /// The congestion control the server's TCP uses.
    pub congestion: String,
}

impl Link {
    /// Set up the namespaces, the relay and the server of a `mib` MiB file, or
    /// say why not.
    pub fn up(mib: u64, delay_ms: u32, loss: f64) -> Result<Self, String> {
        for tool in ["ip", "python3"] {
            if !super::measure::which(tool) {
                return Err(format!("{tool} is not installed"));
            }
        }
        if !std::path::Path::new("/dev/net/tun").exists() {
            return Err("no /dev/net/tun".into());
        }
        down();
        run(&["ip", "netns", "add", SERVER_NS])?;
        run(&["ip", "netns", "add", CLIENT_NS])?;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/lossy_link.py");
        // Each way gets half the round trip.
        let one_way = format!("{}", f64::from(delay_ms) / 2.0);
        let mut relay = Command::new("python3")
            .args([script, SERVER_DEV, CLIENT_DEV, &one_way, &loss.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the relay: {e}"))?;
        let mut ready = String::new();
        let stdout = relay.stdout.take().expect("piped");
        BufReader::new(stdout)
            .read_line(&mut ready)
            .map_err(|e| e.to_string())?;
        if ready.trim() != "ready" {
            let _ = relay.kill();
            return Err("the relay could not open its TUN devices (needs root)".into());
        }
        let (server_ip, client_ip) = ("10.77.0.1", "10.77.0.2");
        for (ns, dev, mine, peer) in [
            (SERVER_NS, SERVER_DEV, server_ip, client_ip),
            (CLIENT_NS, CLIENT_DEV, client_ip, server_ip),
        ] {
            run(&["ip", "link", "set", dev, "netns", ns])?;
            run(&[
                "ip", "-n", ns, "addr", "add", mine, "peer", peer, "dev", dev,
            ])?;
            run(&["ip", "-n", ns, "link", "set", dev, "up"])?;
            run(&["ip", "-n", ns, "link", "set", "lo", "up"])?;
        }
        // The server sends: its congestion control decides what loss costs. CUBIC
        // is Linux's default; this machine may default to BBR, which hardly slows
        // down for random loss, so ask for CUBIC (allowing it if need be).
        let congestion = set_congestion("cubic");
        let server = Command::new("ip")
            .args(["netns", "exec", SERVER_NS])
            .arg(std::env::current_exe().expect("own path"))
            .env(ROLE, "lossy-server")
            .env(MIB_VAR, mib.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the server: {e}"))?;
        let mut link = Self {
            relay,
            server,
            congestion,
        };
        let mut line = String::new();
        let stdout = link.server.stdout.take().expect("piped");
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        if line.trim() != "listening" {
            return Err(format!("the server did not start: {line}"));
        }
        Ok(link)
    }

    pub fn url(&self) -> String {
        format!("http://{SERVER_ADDR}/lossy.bin")
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        drop(self.server.stdin.take());
        let _ = self.server.kill();
        let _ = self.server.wait();
        let _ = self.relay.kill();
        let _ = self.relay.wait();
        down();
    }
}

fn down() {
    for ns in [SERVER_NS, CLIENT_NS] {
        let _ = Command::new("ip")
            .args(["netns", "del", ns])
            .stderr(Stdio::null())
            .status();
    }
}

fn run(args: &[&str]) -> Result<(), String> {
    let output = Command::new(args[0])
        .args(&args[1..])
        .output()
        .map_err(|e| format!("{}: {e}", args.join(" ")))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// Ask for `wanted` in the server's namespace; what it got.
fn set_congestion(wanted: &str) -> String {
    let key = "net.ipv4.tcp_congestion_control";
    let set = |value: &str| {
        run(&[
            "ip",
            "netns",
            "exec",
            SERVER_NS,
            "sysctl",
            "-q",
            "-w",
            &format!("{key}={value}"),
        ])
    };
    if set(wanted).is_err() {
        let allowed = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_allowed_congestion_control")
            .unwrap_or_default();
        let widened = format!("{} {wanted}", allowed.trim());
        let _ = run(&[
            "sysctl",
            "-q",
            "-w",
            &format!("net.ipv4.tcp_allowed_congestion_control={widened}"),
        ]);
        let _ = set(wanted);
    }
    let mut current = String::new();
    let _ = Command::new("ip")
        .args(["netns", "exec", SERVER_NS, "sysctl", "-n", key])
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| c.stdout.take().expect("piped").read_to_string(&mut current));
    current.trim().to_owned()
}

/// The server role: serve the file on the link until the benchmark closes our
/// standard input.
pub fn serve() {
    let mib: u64 = super::measure::env_or(MIB_VAR, 100);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let address: SocketAddr = SERVER_ADDR.parse().expect("address");
    let server = runtime.block_on(TestServer::start_on(address));
    server.keep_alive();
    server.put("/lossy.bin", Resource::new(pseudo_random(mib << 20)));
    println!("listening");
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
    drop(server);
}
