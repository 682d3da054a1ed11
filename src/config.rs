//! User settings, in TOML in the config directory. Loading is tolerant: missing keys
//! take their defaults, an unknown key or a value of the wrong type is reported and
//! ignored, and a file that is not TOML at all is reported and replaced by the
//! defaults. A broken config never stops the agent.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::engine;

mod categories;
mod schedule;
pub use categories::{CategoryRule, CategoryRules};

/// Every setting, with its default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Operations running at once.
    pub max_running: usize,
    /// Where downloads go when no destination is given (default: the Downloads folder).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download_dir: Option<PathBuf>,
    pub max_redirects: usize,
    /// Follow redirects from https to plain http (off: they fail).
    pub allow_https_downgrade: bool,
    /// PEM files of certificate authorities to trust besides the system's.
    pub ca_certificates: Vec<PathBuf>,
    /// Seconds between progress checkpoints of a running download.
    pub checkpoint_interval: f64,
    /// The cost policy new transfers get in the desktop app.
    pub default_policy: Policy,
    /// Desktop notifications when transfers finish or fail.
    pub notifications: bool,
    pub language: Language,
    pub theme: Theme,
    /// Start the agent (tray, no window) at login: an XDG autostart entry.
    pub autostart: bool,
    /// A download handed over by the browser extension opens a small dialog in
    /// the window (folder, name, start now or later) before it is added; off:
    /// it is added at once.
    pub ask_for_browser_downloads: bool,
    /// Answer aria2's JSON-RPC here (such as `127.0.0.1:6800`); unset: off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rpc_listen: Option<String>,
    /// The RPC's secret token (clients send `token:SECRET`); required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rpc_secret: Option<String>,
    /// Origins of web pages allowed to call the RPC (a web-hosted AriaNg, say
    /// `https://ariang.example.org`); pages from anywhere else are refused.
    pub rpc_allowed_origins: Vec<String>,
    /// A proxy for every transfer that names none (`http://`, `https://`, `socks5://`,
    /// credentials inside if needed); unset: `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    /// Where passwords and cookies are kept: the system keyring when there is one
    /// (`auto`), or a file readable by you only (`file`).
    pub secret_store: engine::secrets::Backend,
    /// MiB a month that may be moved on metered networks (0: no budget). Ferry counts
    /// its own traffic: at 90 % `Default` transfers wait, at 100 % all do.
    pub data_budget_mib: u64,
    /// KiB per second for all transfers together (0: unlimited).
    pub speed_limit_kib: u64,
    /// Connections one download uses where the server serves parts: `"auto"`
    /// (found by measuring) or a number (1–32).
    pub connections: Connections,
    /// Connections that "auto" downloads open to one host, all together (1–32).
    pub connections_per_host: u8,
    pub timeouts: Timeouts,
    pub retries: Retries,
    pub completion: Completion,
    /// What kind of file each download is, by extension, and the folder each
    /// kind goes to when the download has none of its own.
    pub categories: CategoryRules,
    /// When transfers may run and how fast (`[[schedule]]` tables).
    pub schedule: Vec<engine::schedule::Rule>,
}

/// How a group's completion action is retried when it exits with an error, and
/// how long a when-done (quit, suspend, power off) waits to be cancelled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Completion {
    /// Runs after the first failed one.
    pub retries: u32,
    /// Seconds between two runs.
    pub retry_delay: f64,
    /// Seconds between the notification of a when-done and doing it.
    pub when_done_delay: f64,
}

impl Default for Completion {
    fn default() -> Self {
        Self {
            retries: 3,
            retry_delay: 30.0,
            when_done_delay: 60.0,
        }
    }
}

impl Completion {
    pub fn retry_delay(&self) -> Duration {
        seconds(self.retry_delay).unwrap_or(Duration::from_secs(30))
    }

    pub fn when_done_delay(&self) -> Duration {
        seconds(self.when_done_delay).unwrap_or(Duration::from_secs(60))
    }
}

/// How many connections a download uses where the server serves parts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Connections {
    /// Found by measuring: more while throughput rises with them.
    #[default]
    Auto,
    Fixed(u8),
}

impl Serialize for Connections {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Auto => serializer.serialize_str("auto"),
            Self::Fixed(count) => serializer.serialize_u8(*count),
        }
    }
}

impl<'de> Deserialize<'de> for Connections {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Spelled {
            Word(String),
            Number(i64),
        }
        let wrong = || serde::de::Error::custom("expected \"auto\" or a number of connections");
        match Spelled::deserialize(deserializer)? {
            Spelled::Word(word) if word == "auto" => Ok(Self::Auto),
            Spelled::Word(_) => Err(wrong()),
            Spelled::Number(n) => u8::try_from(n).map(Self::Fixed).map_err(|_| wrong()),
        }
    }
}

/// The interface language: the system's, or a fixed one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Language {
    #[default]
    System,
    #[serde(rename = "en")]
    English,
    #[serde(rename = "fr")]
    French,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// [`engine::CostPolicy`] as the settings file spells it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    UnrestrictedOnly,
    #[default]
    Default,
    Always,
}

impl From<Policy> for engine::CostPolicy {
    fn from(policy: Policy) -> Self {
        match policy {
            Policy::UnrestrictedOnly => Self::UnrestrictedOnly,
            Policy::Default => Self::Default,
            Policy::Always => Self::Always,
        }
    }
}

impl From<engine::CostPolicy> for Policy {
    fn from(policy: engine::CostPolicy) -> Self {
        match policy {
            engine::CostPolicy::UnrestrictedOnly => Self::UnrestrictedOnly,
            engine::CostPolicy::Default => Self::Default,
            engine::CostPolicy::Always => Self::Always,
        }
    }
}

/// Seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Timeouts {
    pub connect: f64,
    pub response: f64,
    pub stall: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Retries {
    pub max: u32,
    /// Seconds before the first retry, doubled for each further one.
    pub base_delay: f64,
    pub max_delay: f64,
    /// Longest `Retry-After` (seconds) honoured.
    pub max_retry_after: f64,
}

impl Default for Config {
    fn default() -> Self {
        let options = engine::Options::new(PathBuf::new());
        Self {
            max_running: options.max_running,
            download_dir: None,
            max_redirects: options.max_redirects,
            allow_https_downgrade: options.allow_https_downgrade,
            ca_certificates: Vec::new(),
            checkpoint_interval: options.checkpoint_interval.as_secs_f64(),
            default_policy: Policy::Default,
            notifications: true,
            language: Language::System,
            theme: Theme::System,
            autostart: false,
            ask_for_browser_downloads: true,
            rpc_listen: None,
            rpc_secret: None,
            rpc_allowed_origins: Vec::new(),
            proxy: None,
            secret_store: engine::secrets::Backend::Auto,
            data_budget_mib: 0,
            speed_limit_kib: 0,
            connections: Connections::Auto,
            connections_per_host: options.connections_per_host,
            timeouts: Timeouts::default(),
            retries: Retries::default(),
            completion: Completion::default(),
            categories: CategoryRules::default(),
            schedule: Vec::new(),
        }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        let t = engine::Timeouts::default();
        Self {
            connect: t.connect.as_secs_f64(),
            response: t.response.as_secs_f64(),
            stall: t.stall.as_secs_f64(),
        }
    }
}

impl Default for Retries {
    fn default() -> Self {
        let r = engine::RetryPolicy::default();
        Self {
            max: r.max_retries,
            base_delay: r.base_delay.as_secs_f64(),
            max_delay: r.max_delay.as_secs_f64(),
            max_retry_after: r.max_retry_after.as_secs_f64(),
        }
    }
}

/// Keys whose default is "absent", so the serialized defaults do not show them.
const OPTIONAL_KEYS: &[&str] = &["download_dir", "proxy", "rpc_listen", "rpc_secret"];

/// A loaded config and what was wrong with the file.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<String>,
}

/// `$FERRY_CONFIG`, else `<config dir>/ferry/config.toml`.
pub fn default_path() -> PathBuf {
    if let Some(path) = std::env::var_os("FERRY_CONFIG") {
        return PathBuf::from(path);
    }
    dirs::config_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("ferry")
        .join("config.toml")
}

/// Write the config to `path` atomically (a temporary file renamed over it), so a
/// crash never leaves half a settings file.
pub fn save(path: &Path, config: &Config) -> std::io::Result<()> {
    let text = toml::to_string_pretty(config).map_err(std::io::Error::other)?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path)
}

/// Read the config at `path`; a missing file is the defaults without a warning.
pub fn load(path: &Path) -> Loaded {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Loaded::default(),
        Err(e) => Loaded {
            config: Config::default(),
            warnings: vec![format!(
                "cannot read {}: {e}; using the defaults",
                path.display()
            )],
        },
    }
}

pub fn parse(text: &str, path: &Path) -> Loaded {
    let user: toml::Table = match toml::from_str(text) {
        Ok(table) => table,
        Err(e) => {
            return Loaded {
                config: Config::default(),
                warnings: vec![format!(
                    "{} is not valid TOML ({}); using the defaults",
                    path.display(),
                    e.message()
                )],
            };
        }
    };
    let mut user = user;
    let mut merged = toml::Table::try_from(Config::default()).unwrap_or_default();
    let mut warnings = Vec::new();
    // Schedule rules one by one: a bad rule is dropped, not the others.
    let rules = user.remove("schedule");
    let schedule = schedule::rules(rules, path, &mut warnings);
    for (key_path, value) in leaves(&user) {
        let known = lookup(&merged, &key_path).is_some()
            || (key_path.len() == 1 && OPTIONAL_KEYS.contains(&key_path[0].as_str()));
        let dotted = key_path.join(".");
        if !known {
            warnings.push(format!(
                "{}: unknown setting `{dotted}` ignored",
                path.display()
            ));
            continue;
        }
        let mut candidate = merged.clone();
        set(&mut candidate, &key_path, value.clone());
        match candidate.clone().try_into::<Config>() {
            Ok(config) if config.check(&dotted).is_none() => merged = candidate,
            Ok(config) => warnings.push(format!(
                "{}: {}; using the default",
                path.display(),
                config.check(&dotted).unwrap_or_default()
            )),
            Err(e) => warnings.push(format!(
                "{}: bad value for `{dotted}` ({}); using the default",
                path.display(),
                e.message()
            )),
        }
    }
    let mut config: Config = merged.try_into().unwrap_or_default();
    config.schedule = schedule;
    Loaded { config, warnings }
}

/// Every non-table value with its key path.
fn leaves(table: &toml::Table) -> Vec<(Vec<String>, toml::Value)> {
    let mut out = Vec::new();
    for (key, value) in table {
        match value {
            toml::Value::Table(inner) => {
                for (mut path, leaf) in leaves(inner) {
                    path.insert(0, key.clone());
                    out.push((path, leaf));
                }
            }
            _ => out.push((vec![key.clone()], value.clone())),
        }
    }
    out
}

fn lookup<'t>(table: &'t toml::Table, path: &[String]) -> Option<&'t toml::Value> {
    let (first, rest) = path.split_first()?;
    let value = table.get(first)?;
    if rest.is_empty() {
        return Some(value);
    }
    lookup(value.as_table()?, rest)
}

fn set(table: &mut toml::Table, path: &[String], value: toml::Value) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        table.insert(first.clone(), value);
    } else if let Some(toml::Value::Table(inner)) = table.get_mut(first) {
        set(inner, rest, value);
    }
}

fn seconds(value: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(value).ok()
}

impl Config {
    /// The limit for all transfers together, bytes per second.
    pub fn speed_limit(&self) -> Option<u64> {
        (self.speed_limit_kib > 0).then(|| self.speed_limit_kib.saturating_mul(1024))
    }

    /// A range problem with the setting `key`, if any (types are serde's job).
    fn check(&self, key: &str) -> Option<String> {
        let duration = |v: f64| seconds(v).is_none_or(|d| d.is_zero());
        let bad = match key {
            "max_running" => self.max_running == 0,
            "connections" => match self.connections {
                Connections::Auto => false,
                Connections::Fixed(n) => !(1..=engine::MAX_CONNECTIONS).contains(&n),
            },
            "connections_per_host" => {
                !(1..=engine::MAX_CONNECTIONS).contains(&self.connections_per_host)
            }
            "checkpoint_interval" => duration(self.checkpoint_interval),
            "timeouts.connect" => duration(self.timeouts.connect),
            "timeouts.response" => duration(self.timeouts.response),
            "timeouts.stall" => duration(self.timeouts.stall),
            "retries.base_delay" => seconds(self.retries.base_delay).is_none(),
            "retries.max_delay" => seconds(self.retries.max_delay).is_none(),
            "retries.max_retry_after" => seconds(self.retries.max_retry_after).is_none(),
            "completion.retry_delay" => seconds(self.completion.retry_delay).is_none(),
            "download_dir" => self.download_dir.as_ref().is_some_and(|d| !d.is_absolute()),
            folder if folder.starts_with("categories.") && folder.ends_with(".folder") => {
                self.categories.relative_folder().is_some()
            }
            "proxy" => self
                .proxy
                .as_deref()
                .is_some_and(|p| engine::validate_proxy(p).is_err()),
            _ => false,
        };
        bad.then(|| format!("`{key}` is out of range"))
    }

    /// The engine's options for an agent whose data lives in `data_dir`.
    pub fn engine_options(&self, data_dir: PathBuf) -> engine::Options {
        let mut options = engine::Options::new(data_dir);
        let defaults = Config::default();
        let secs = |v: f64, d: f64| seconds(v).or_else(|| seconds(d)).unwrap_or_default();
        if let Some(dir) = &self.download_dir {
            options.download_dir = dir.clone();
        }
        options.max_running = self.max_running.max(1);
        options.max_redirects = self.max_redirects;
        options.allow_https_downgrade = self.allow_https_downgrade;
        options.extra_root_certificates = self.ca_certificates.clone();
        options.checkpoint_interval = secs(self.checkpoint_interval, defaults.checkpoint_interval);
        options.data_budget = (self.data_budget_mib > 0).then_some(self.data_budget_mib << 20);
        options.limit = self.speed_limit();
        options.connections = match self.connections {
            Connections::Auto => None,
            Connections::Fixed(n) => Some(n.clamp(1, engine::MAX_CONNECTIONS)),
        };
        options.connections_per_host = self.connections_per_host.clamp(1, engine::MAX_CONNECTIONS);
        options.categories = self.categories.categories();
        options.schedule.clone_from(&self.schedule);
        options.proxy.clone_from(&self.proxy);
        options.secret_backend = self.secret_store;
        // Tests play a machine restart by changing what this file says.
        if let Some(path) = std::env::var_os("FERRY_BOOT_ID_FILE") {
            options.boot_id_path = path.into();
        }
        options.timeouts = engine::Timeouts {
            connect: secs(self.timeouts.connect, defaults.timeouts.connect),
            response: secs(self.timeouts.response, defaults.timeouts.response),
            stall: secs(self.timeouts.stall, defaults.timeouts.stall),
        };
        options.retry = engine::RetryPolicy {
            max_retries: self.retries.max,
            base_delay: secs(self.retries.base_delay, defaults.retries.base_delay),
            max_delay: secs(self.retries.max_delay, defaults.retries.max_delay),
            max_retry_after: secs(
                self.retries.max_retry_after,
                defaults.retries.max_retry_after,
            ),
        };
        options
    }
}

#[cfg(test)]
mod tests;
