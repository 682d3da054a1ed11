//! The command line's arguments, as clap reads them (`ferry --help` is made from
//! these doc comments).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::{Exit, absolute, cookies};
use crate::engine::{self, CostPolicy, WhenDone};
use crate::ipc::Target;

const ABOUT: &str = "Ferry moves files over HTTP(S) in the background: transfers survive \
closing the terminal, killing the agent and losing the network, and resume where they stopped.";

const EXAMPLES: &str = "Examples:
  ferry get https://example.org/big.iso -o ~/Downloads/
  ferry get https://example.org/big.iso --detach
  ferry list
  ferry pause --all";

#[derive(Debug, Parser)]
#[command(name = "ferry", version, about = ABOUT, after_help = EXAMPLES)]
pub struct Cli {
    /// Where the agent keeps its database, socket and log.
    #[arg(long, global = true, env = "FERRY_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The settings file (TOML).
    #[arg(long, global = true, env = "FERRY_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Upload files: one request per file, one multipart request, or resumable tus.
    #[command(after_help = "Examples:
  ferry upload https://example.org/files/report.pdf report.pdf --method put
  ferry upload https://example.org/dav/ a.txt b.txt --method put      # PUT dav/a.txt, dav/b.txt
  ferry upload https://example.org/upload a.jpg b.jpg --multipart --field photos --form album=trip
  ferry upload https://tus.example.org/files/ big.mkv --tus")]
    Upload(UploadArgs),
    /// Download a URL.
    #[command(after_help = "Examples:
  ferry get https://example.org/big.iso                # into the Downloads folder
  ferry get https://example.org/big.iso -o /srv/iso/   # into a folder, name from the server
  ferry get https://example.org/a -o a.bin -H 'Accept: application/octet-stream'
  id=$(ferry get https://example.org/big.iso --detach) && ferry wait \"$id\"

Running the same command again while that download has not ended (after a crash, or
from another terminal) continues it instead of starting a second one; --new starts a
second one. Once it has completed and its file is there, the same command downloads
the file again under a free name, `big (1).iso`.")]
    Get(GetArgs),
    /// List every operation.
    #[command(
        after_help = "Example:\n  ferry list --json | jq -r '.[] | select(.status == \"Error\") | .id'"
    )]
    List {
        /// One JSON array of operation objects.
        #[arg(long)]
        json: bool,
        /// Only the waiting operations, next to start first.
        #[arg(long)]
        queue: bool,
    },
    /// Show one operation in detail.
    #[command(after_help = "Example:\n  ferry show 3f2a --json")]
    Show {
        /// The operation's id, or a unique start of it.
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Write a download's bytes to standard output as they arrive, even while it
    /// downloads; ends when the file is complete.
    #[command(
        after_help = "Examples:\n  ferry cat 3f2a | mpv -\n  ferry cat 3f2a --offset 1048576 > rest.bin"
    )]
    Cat {
        /// The operation's id, or a unique start of it.
        id: String,
        /// Start this many bytes into the file.
        #[arg(long, default_value_t = 0)]
        offset: u64,
    },
    /// Pause an operation (it keeps its progress).
    #[command(after_help = "Examples:\n  ferry pause 3f2a\n  ferry pause --all")]
    Pause(TargetArgs),
    /// Resume a paused or failed operation from where it stopped.
    #[command(after_help = "Examples:\n  ferry resume 3f2a\n  ferry resume --all")]
    Resume(TargetArgs),
    /// Cancel an operation and delete its partial data.
    #[command(after_help = "Example:\n  ferry cancel 3f2a")]
    Cancel { id: String },
    /// Start an operation again from the beginning.
    #[command(after_help = "Example:\n  ferry restart 3f2a")]
    Restart { id: String },
    /// Remove an operation from the list (canceling it if it has not ended).
    #[command(after_help = "Example:\n  ferry remove 3f2a")]
    Remove { id: String },
    /// Wait until operations end; exit 0 if all completed.
    #[command(after_help = "Example:\n  ferry wait 3f2a 91bc && echo all done")]
    Wait {
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Change when an operation may use a metered network (also while it waits).
    #[command(after_help = "Example:\n  ferry policy 3f2a always")]
    Policy { id: String, policy: PolicyArg },
    /// Change where a queued operation stands in the queue.
    #[command(after_help = "Example:\n  ferry priority 3f2a high")]
    Priority { id: String, priority: PriorityArg },
    /// Move a waiting operation to another place in the queue (next to one of
    /// another priority, it takes that priority).
    #[command(
        after_help = "Examples:\n  ferry move 3f2a first\n  ferry move 3f2a up\n  ferry move 3f2a after 91bc\n  ferry list --queue        # the queue, next to start first"
    )]
    Move {
        /// The operation's id, or a unique start of it.
        id: String,
        /// Where to: first, last, up, down (one place), before or after another.
        to: MoveArg,
        /// For before/after: the other operation's id.
        other: Option<String>,
    },
    /// Limit the bandwidth of all transfers (until the agent stops; the settings
    /// keep one for good), or of one.
    #[command(
        after_help = "Examples:\n  ferry limit 5M          # all transfers together\n  ferry limit 500K 3f2a   # one transfer\n  ferry limit off"
    )]
    Limit {
        /// Bytes per second: 500K, 2M, 1.5M; `off` for none.
        #[arg(value_parser = parse_rate)]
        rate: Rate,
        /// One operation's id (or a unique start of it).
        id: Option<String>,
    },
    /// Groups: run transfers one at a time, and run a program when all have ended.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Schedules: hours when transfers may (not) run, and limits by the hour.
    #[command(subcommand)]
    Schedule(ScheduleCommand),
    /// What happens once every transfer is done: nothing, quit (Ferry),
    /// suspend, power-off (the computer, through logind). Once: it goes back to
    /// nothing when it fires, after a notification that can cancel it. Without
    /// WHAT it says what is set and what is counting down.
    #[command(
        name = "when-done",
        after_help = "Examples:\n  ferry when-done suspend\n  ferry when-done          # what is set, and any countdown\n  ferry when-done nothing  # also stops a countdown"
    )]
    WhenDone {
        #[arg(value_parser = parse_when_done)]
        what: Option<WhenDone>,
        #[arg(long)]
        json: bool,
    },
    /// The bytes moved each day of the last 30 (--json: of the last year),
    /// downloaded and uploaded, and how much on metered networks.
    #[command(after_help = "Example:\n  ferry stats --json")]
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// The network and power conditions the agent sees, and the metered data used.
    #[command(after_help = "Example:\n  ferry status --json")]
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Connect browsers to Ferry: the native-messaging host our extension talks to.
    #[command(subcommand)]
    Browser(BrowserCommand),
    /// The native-messaging host (browsers start it through the launcher that
    /// `ferry browser install` writes).
    #[command(hide = true)]
    NativeHost {
        /// What the browser passes: its extension's origin, or Firefox's manifest
        /// path and extension id.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        from: Vec<String>,
    },
    /// Give a download a new address (its link expired, the file moved): it
    /// continues where it stopped once the new address proves to serve the same
    /// file (same length; same ETag or Last-Modified, else the same first bytes).
    #[command(
        after_help = "Example:\n  ferry refresh 1a2b3c4d 'https://cdn.example.org/big.iso?token=new'"
    )]
    Refresh {
        /// The operation (an id or a unique prefix).
        id: String,
        /// The new address.
        url: String,
        /// Download the new address's file from the start instead, deleting what
        /// was fetched (when it serves another file and that is the one you want).
        #[arg(long)]
        start_over: bool,
    },
    /// Run the agent in the foreground (it is started by other commands when needed).
    #[command(after_help = "Example:\n  ferry agent --data-dir /tmp/ferry")]
    Agent,
    /// Checkpoint every transfer and stop the agent; the next start resumes them.
    #[command(after_help = "Example:\n  ferry quit")]
    Quit,
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  ferry completions bash > ~/.local/share/bash-completion/completions/ferry"
    )]
    Completions { shell: clap_complete::Shell },
}

/// Printed for `--insecure`: what turning certificate checks off means.
pub const INSECURE_WARNING: &str = "ferry: warning: TLS certificates are not checked for this transfer (--insecure): anyone between you and the server can read and change what it sends";

/// Credentials, proxy and cookies of a new transfer. Passwords never appear on the
/// command line: they come from an environment variable or a prompt.
#[derive(Debug, Args)]
pub struct AccessArgs {
    /// The server's user name; the password comes from --password-env or a prompt.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// The environment variable that holds the password.
    #[arg(long, value_name = "VAR", requires = "user")]
    pub password_env: Option<String>,
    /// A proxy for this transfer: http://, https:// or socks5://HOST:PORT, with
    /// USER:PASSWORD@ before the host if it needs them.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// A cookie, `name=value`; repeat for more.
    #[arg(long = "cookie", value_name = "NAME=VALUE")]
    pub cookies: Vec<String>,
    /// Cookies from a cookies.txt file (Netscape format, as browsers' exporters,
    /// curl and wget write it); those the URL would get are sent.
    #[arg(long = "cookies", value_name = "FILE")]
    pub cookie_file: Option<PathBuf>,
    /// Accept any TLS certificate for this transfer (a device with a self-signed
    /// one). Anyone between you and the server could then read and change the
    /// bytes: Ferry warns now and marks the transfer wherever it is shown.
    #[arg(long, short = 'k')]
    pub insecure: bool,
}

impl AccessArgs {
    /// Fill in the request's credentials, proxy and cookies.
    pub(super) fn apply(&self, mut request: engine::Request) -> Result<engine::Request, Exit> {
        let invalid = |message: String| {
            eprintln!("ferry: {message}");
            Exit::Invalid
        };
        if let Some(user) = &self.user {
            let password = match &self.password_env {
                Some(var) => std::env::var(var).map_err(|_| {
                    invalid(format!("the environment variable {var} holds no password"))
                })?,
                None => prompt_password(user).map_err(invalid)?,
            };
            request = request.auth(user.clone(), password);
        }
        request.proxy.clone_from(&self.proxy);
        if self.insecure {
            eprintln!("{}", INSECURE_WARNING);
            request.insecure = true;
        }
        request.cookies.extend(self.cookies.iter().cloned());
        if let Some(file) = &self.cookie_file {
            let absolute = absolute(file).map_err(|e| invalid(e.to_string()))?;
            request
                .cookies
                .extend(cookies::from_file(&absolute, &request.url).map_err(invalid)?);
        }
        Ok(request)
    }
}

/// Ask for a password on the terminal, without echo.
fn prompt_password(user: &str) -> Result<String, String> {
    use std::io::{BufRead as _, IsTerminal as _, Write as _};
    let no_terminal =
        || "give the password with --password-env VAR (no terminal to ask on)".to_owned();
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| no_terminal())?;
    if !tty.is_terminal() {
        return Err(no_terminal());
    }
    let stty = |arg: &str| {
        std::process::Command::new("stty")
            .arg(arg)
            .stdin(
                tty.try_clone()
                    .map(std::process::Stdio::from)
                    .unwrap_or(std::process::Stdio::null()),
            )
            .status()
    };
    let mut out = &tty;
    let _ = write!(out, "Password for {user}: ");
    let _ = out.flush();
    let _ = stty("-echo");
    let mut line = String::new();
    let read = std::io::BufReader::new(&tty).read_line(&mut line);
    let _ = stty("echo");
    let _ = writeln!(out);
    read.map_err(|e| e.to_string())?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

/// Where a new transfer goes in the queue.
#[derive(Debug, Args)]
pub struct QueueArgs {
    /// Join this group (create it first with `ferry group create`).
    #[arg(long, value_name = "NAME")]
    pub group: Option<String>,
    /// Start before (high) or after (low) other queued transfers.
    #[arg(long, value_enum, default_value_t = PriorityArg::Normal)]
    pub priority: PriorityArg,
    /// A bandwidth limit of its own, bytes per second: 500K, 2M, 1.5M (K and M are
    /// 1024 and 1024²).
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub limit: Option<Rate>,
    /// Start a second transfer even if the same one (same address and destination,
    /// or same target and files) has not ended. Without it, the same command run
    /// again continues that transfer (resuming it if it was paused or failed).
    #[arg(long = "new")]
    pub duplicate: bool,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    pub url: String,
    /// A file, or a folder (existing, or ending with /) that gets the server's name.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// When the download may use a metered network.
    #[arg(long, value_enum, default_value_t = PolicyArg::Default)]
    pub policy: PolicyArg,
    /// A request header, `Name: value`; repeat for more.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Replace an existing file instead of choosing a free name.
    #[arg(long)]
    pub overwrite: bool,
    /// Download over up to N connections where the server serves parts (1–32).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=32))]
    pub connections: Option<u8>,
    /// Its category (videos, music, pictures, documents, archives, programs,
    /// other) instead of the one its name and type give; without -o it goes to
    /// that category's folder if the settings give one.
    #[arg(long, value_name = "NAME", value_parser = parse_category)]
    pub category: Option<engine::Category>,
    /// The file's SHA-256, checked before it gets its name.
    #[arg(long, value_name = "HEX", conflicts_with = "sha512")]
    pub sha256: Option<String>,
    /// The file's SHA-512, checked before it gets its name.
    #[arg(long, value_name = "HEX")]
    pub sha512: Option<String>,
    #[command(flatten)]
    pub queue: QueueArgs,
    #[command(flatten)]
    pub access: AccessArgs,
    /// Print the operation id and return at once.
    #[arg(long)]
    pub detach: bool,
}

#[derive(Debug, Args)]
pub struct UploadArgs {
    pub url: String,
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// POST (the default) or PUT. With PUT and a URL ending in `/`, each file goes
    /// to the URL plus its name.
    #[arg(long, value_enum, default_value_t = MethodArg::Post, conflicts_with = "tus")]
    pub method: MethodArg,
    /// All files in one multipart/form-data request.
    #[arg(long, conflicts_with = "tus")]
    pub multipart: bool,
    /// The form name of every file part (default: File0, File1…).
    #[arg(long, value_name = "NAME", requires = "multipart")]
    pub field: Option<String>,
    /// A text field of the multipart form, `name=value`; repeat for more.
    #[arg(long = "form", value_name = "NAME=VALUE", requires = "multipart")]
    pub form: Vec<String>,
    /// Resumable upload with the tus protocol; the URL is the server's creation endpoint.
    #[arg(long)]
    pub tus: bool,
    /// When the upload may use a metered network.
    #[arg(long, value_enum, default_value_t = PolicyArg::Default)]
    pub policy: PolicyArg,
    /// A request header, `Name: value`; repeat for more.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    #[command(flatten)]
    pub queue: QueueArgs,
    #[command(flatten)]
    pub access: AccessArgs,
    /// Print the operation ids and return at once.
    #[arg(long)]
    pub detach: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum MethodArg {
    Post,
    Put,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PolicyArg {
    UnrestrictedOnly,
    Default,
    Always,
}

impl From<PolicyArg> for CostPolicy {
    fn from(arg: PolicyArg) -> Self {
        match arg {
            PolicyArg::UnrestrictedOnly => Self::UnrestrictedOnly,
            PolicyArg::Default => Self::Default,
            PolicyArg::Always => Self::Always,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum MoveArg {
    First,
    Last,
    Up,
    Down,
    Before,
    After,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PriorityArg {
    High,
    Normal,
    Low,
}

impl From<PriorityArg> for engine::Priority {
    fn from(arg: PriorityArg) -> Self {
        match arg {
            PriorityArg::High => Self::High,
            PriorityArg::Normal => Self::Normal,
            PriorityArg::Low => Self::Low,
        }
    }
}

impl QueueArgs {
    pub(super) fn apply(&self, mut request: engine::Request) -> engine::Request {
        request.group.clone_from(&self.group);
        request.priority = self.priority.into();
        request.limit = self.limit.and_then(|r| r.0);
        request.duplicate = self.duplicate;
        request
    }
}

fn parse_category(text: &str) -> Result<engine::Category, String> {
    engine::Category::parse(text).ok_or_else(|| {
        let names: Vec<&str> = engine::Category::ALL.iter().map(|c| c.name()).collect();
        format!("not a category; one of: {}", names.join(", "))
    })
}

/// Bytes per second; `None`: no limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate(pub Option<u64>);

/// `5M`, `500K`, `1.5MiB/s`, `2000000` (bytes); `0`, `off`, `none` for no limit.
fn parse_rate(text: &str) -> Result<Rate, String> {
    let lower = text.trim().to_ascii_lowercase();
    if matches!(lower.as_str(), "0" | "off" | "none" | "unlimited") {
        return Ok(Rate(None));
    }
    let unit_start = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(unit_start);
    let unit = unit.trim().trim_end_matches("/s").trim_end_matches('b');
    let unit = unit.trim_end_matches('i');
    let scale: f64 = match unit {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("unknown unit in {text:?}: use K, M or G")),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a rate such as 500K or 2M"))?;
    let bytes = (value * scale).round();
    if !bytes.is_finite() || bytes < 1.0 || bytes > u64::MAX as f64 {
        return Err(format!("{text:?} is not a usable rate"));
    }
    Ok(Rate(Some(bytes as u64)))
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct TargetArgs {
    /// The operation's id, or a unique start of it.
    pub id: Option<String>,
    /// Every operation.
    #[arg(long)]
    pub all: bool,
}

impl TargetArgs {
    pub(super) fn target(&self) -> Target {
        match &self.id {
            Some(id) if !self.all => Target::Id(id.clone()),
            _ => Target::All,
        }
    }
}

mod families;

use families::parse_when_done;
pub use families::{BrowserCommand, GroupCommand, ScheduleCommand};

#[cfg(test)]
mod tests;
