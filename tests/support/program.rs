//! `ferry` as a program: a data directory and a config file of its own, and the
//! agent it starts killed when the test ends.

use std::path::PathBuf;
use std::process::Output;

use serde_json::Value;
use tokio::process::Command;

use super::within;

/// A data directory, a config file and helpers to run `ferry` against them. The
/// agent it starts is killed when this is dropped.
pub struct Ferry {
    pub dir: tempfile::TempDir,
}

impl Ferry {
    pub fn new() -> Self {
        Self::with_config("")
    }

    /// With settings (TOML) merged over the test defaults.
    pub fn with_config(extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("downloads")).unwrap();
        let ferry = Self { dir };
        ferry.configure(extra);
        ferry
    }

    /// Write the config file again: the test defaults with `extra` (TOML) over
    /// them (read by the next agent).
    pub fn configure(&self, extra: &str) {
        let downloads = self.downloads();
        let mut config: toml::Table = toml::from_str(&format!(
            "download_dir = {downloads:?}\nsecret_store = \"file\"\n[retries]\nbase_delay = 0.05\nmax_delay = 0.2\n[timeouts]\nstall = 5\nresponse = 5\n"
        ))
        .unwrap();
        merge(
            &mut config,
            toml::from_str(extra).expect("extra settings are TOML"),
        );
        std::fs::write(
            self.dir.path().join("config.toml"),
            toml::to_string(&config).unwrap(),
        )
        .unwrap();
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn downloads(&self) -> PathBuf {
        self.dir.path().join("downloads")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ferry"));
        command
            .args(args)
            .env("FERRY_DATA_DIR", self.data_dir())
            .env("FERRY_CONFIG", self.dir.path().join("config.toml"))
            .env("HOME", self.dir.path())
            .env_remove("RUST_LOG")
            .kill_on_drop(true);
        command
    }

    pub async fn run(&self, args: &[&str]) -> Output {
        within(60, self.command(args).output()).await.unwrap()
    }

    pub async fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args).await;
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {}", text(&out.stdout)))
    }

    /// SIGKILL the running agent and wait until it is gone; its pid.
    pub async fn kill_agent(&self) -> i32 {
        let pid = self.agent_pid().expect("an agent runs");
        let killed = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        within(10, async {
            while std::path::Path::new(&format!("/proc/{pid}")).exists() && !super::is_zombie(pid) {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
        .await;
        pid
    }

    /// A headless agent (no display) whose system bus is the private bus at
    /// `address` (where a test's fake NetworkManager or logind live), once it
    /// listens; killed when the result is dropped (and with this `Ferry`).
    pub async fn agent_on_system_bus(&self, address: &str) -> super::bus::Killed {
        let agent = super::bus::Killed(
            std::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
                .arg("agent")
                .env("FERRY_DATA_DIR", self.data_dir())
                .env("FERRY_CONFIG", self.dir.path().join("config.toml"))
                .env("FERRY_HEADLESS", "1")
                // The agent finds the system bus through the standard variable.
                .env("DBUS_SYSTEM_BUS_ADDRESS", address)
                .env_remove("DBUS_SESSION_BUS_ADDRESS")
                .env_remove("DISPLAY")
                .env_remove("WAYLAND_DISPLAY")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        );
        within(30, async {
            while !self.data_dir().join("agent.sock").exists() {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
        .await;
        agent
    }

    pub fn agent_pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.data_dir().join("agent.lock"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

impl Drop for Ferry {
    fn drop(&mut self) {
        if let Some(pid) = self.agent_pid() {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn merge(into: &mut toml::Table, from: toml::Table) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(more)) => merge(inner, more),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}
