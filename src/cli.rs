//! The `ferry` command line: argument definitions and one function per client
//! command. Every command talks to the agent over its socket (starting one when
//! none answers) and exits 0 done, 1 transfer failed, 2 invalid input, 3 agent
//! unreachable.

mod connect;
mod cookies;
mod follow;
pub mod format;
mod groups;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::agent;
use crate::engine::{self, CostPolicy};
use crate::ipc::{Client, ErrorCode, Request, Response, Target};

pub use connect::Endpoint;

/// How a command ended, as its exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Done = 0,
    Failed = 1,
    Invalid = 2,
    Unreachable = 3,
    /// Interrupted by Ctrl-C (the transfer goes on in the agent).
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

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
    /// The network and power conditions the agent sees, and the metered data used.
    #[command(after_help = "Example:\n  ferry status --json")]
    Status {
        #[arg(long)]
        json: bool,
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

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group; transfers join it with `--group NAME`.
    #[command(after_help = "Examples:
  ferry group create nightly --serialized
  ferry group create photos --on-complete ./import.sh --album trip
  ferry get https://example.org/a.jpg --group photos --detach
  ferry group enable photos      # import.sh runs once every transfer has ended

The program runs without a shell. It gets the results as JSON on standard input
(group, and per operation: id, kind, url, destination or sources, status, error,
bytes, total) and FERRY_GROUP in its environment. --on-complete comes last: what
follows it is the program's arguments.")]
    Create {
        name: String,
        /// One transfer at a time, in the order they were added.
        #[arg(long, conflicts_with = "parallel")]
        serialized: bool,
        /// Several at once, as the global limit allows (the default).
        #[arg(long)]
        parallel: bool,
        /// A program and its arguments to run when every transfer has ended.
        #[arg(long, num_args = 1.., allow_hyphen_values = true, value_name = "PROGRAM [ARG]...")]
        on_complete: Vec<String>,
    },
    /// Enable a group: its program runs once every transfer in it has ended.
    Enable { name: String },
    /// List the groups.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show a group, its action's runs and output, and its transfers.
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
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
    fn apply(&self, mut request: engine::Request) -> Result<engine::Request, Exit> {
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
    fn apply(&self, mut request: engine::Request) -> engine::Request {
        request.group.clone_from(&self.group);
        request.priority = self.priority.into();
        request.limit = self.limit.and_then(|r| r.0);
        request.duplicate = self.duplicate;
        request
    }
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
    fn target(&self) -> Target {
        match &self.id {
            Some(id) if !self.all => Target::Id(id.clone()),
            _ => Target::All,
        }
    }
}

/// Run a client command (everything but `agent` and `completions`).
pub async fn run(command: Command, endpoint: &Endpoint) -> Exit {
    match command {
        Command::Get(args) => get(args, endpoint).await,
        Command::Upload(args) => upload(args, endpoint).await,
        Command::List { json } => list(endpoint, json).await,
        Command::Show { id, json } => show(endpoint, id, json).await,
        Command::Cat { id, offset } => cat(endpoint, id, offset).await,
        Command::Pause(target) => {
            control(
                endpoint,
                Request::Pause {
                    target: target.target(),
                },
            )
            .await
        }
        Command::Resume(target) => {
            control(
                endpoint,
                Request::Resume {
                    target: target.target(),
                },
            )
            .await
        }
        Command::Cancel { id } => control(endpoint, Request::Cancel { id }).await,
        Command::Restart { id } => control(endpoint, Request::Restart { id }).await,
        Command::Remove { id } => control(endpoint, Request::Remove { id }).await,
        Command::Wait { ids } => follow::wait(endpoint, ids).await,
        Command::Policy { id, policy } => {
            let policy = policy.into();
            control(endpoint, Request::SetPolicy { id, policy }).await
        }
        Command::Priority { id, priority } => {
            let priority = priority.into();
            control(endpoint, Request::SetPriority { id, priority }).await
        }
        Command::Limit { rate, id } => {
            control(endpoint, Request::SetLimit { id, limit: rate.0 }).await
        }
        Command::Group(command) => groups::run(command, endpoint).await,
        Command::Status { json } => groups::status(endpoint, json).await,
        Command::Quit => quit(endpoint).await,
        Command::Agent | Command::Completions { .. } => Exit::Invalid,
    }
}

/// Say what went wrong on stderr and pick the exit status.
fn report(response: &Response) -> Exit {
    match response {
        Response::Error { code, message } => {
            eprintln!("ferry: {message}");
            match code {
                ErrorCode::InvalidInput
                | ErrorCode::NotFound
                | ErrorCode::Ambiguous
                | ErrorCode::InvalidState => Exit::Invalid,
                ErrorCode::NoDisplay => Exit::Failed,
                ErrorCode::ShuttingDown
                | ErrorCode::Protocol
                | ErrorCode::Internal
                | ErrorCode::Forbidden => Exit::Unreachable,
            }
        }
        other => {
            eprintln!("ferry: unexpected answer from the agent: {other:?}");
            Exit::Unreachable
        }
    }
}

/// One request, one response; `None` (after saying why) if the agent is unreachable.
async fn call(client: &mut Client, request: &Request) -> Result<Response, Exit> {
    client.call(request).await.map_err(|e| {
        eprintln!("ferry: {e}");
        Exit::Unreachable
    })
}

fn parse_header(text: &str) -> Option<engine::Header> {
    let (name, value) = text.split_once(':')?;
    let name = name.trim();
    (!name.is_empty()).then(|| engine::Header {
        name: name.to_owned(),
        value: value.trim().to_owned(),
    })
}

/// Parse every `-H`, or say which one is wrong.
fn parse_headers(texts: &[String]) -> Result<Vec<engine::Header>, Exit> {
    texts
        .iter()
        .map(|text| {
            parse_header(text).ok_or_else(|| {
                eprintln!("ferry: invalid header {text:?}: expected 'Name: value'");
                Exit::Invalid
            })
        })
        .collect()
}

async fn get(args: GetArgs, endpoint: &Endpoint) -> Exit {
    let headers = match parse_headers(&args.headers) {
        Ok(headers) => headers,
        Err(exit) => return exit,
    };
    let destination = match args.output.as_deref().map(absolute) {
        Some(Ok(path)) => Some(path),
        Some(Err(e)) => {
            eprintln!("ferry: {e}");
            return Exit::Invalid;
        }
        None => None,
    };
    let mut request = engine::Request::download(args.url, destination)
        .policy(args.policy.into())
        .overwrite(args.overwrite);
    request.connections = args.connections;
    let checksum = match (&args.sha256, &args.sha512) {
        (Some(hex), _) => Some(engine::Checksum::parse(
            engine::ChecksumAlgorithm::Sha256,
            hex,
        )),
        (None, Some(hex)) => Some(engine::Checksum::parse(
            engine::ChecksumAlgorithm::Sha512,
            hex,
        )),
        (None, None) => None,
    };
    match checksum {
        Some(Ok(checksum)) => request = request.checksum(checksum),
        Some(Err(e)) => {
            eprintln!("ferry: {e}");
            return Exit::Invalid;
        }
        None => {}
    }
    let mut request = match args.access.apply(args.queue.apply(request)) {
        Ok(request) => request,
        Err(exit) => return exit,
    };
    request.headers = headers;

    let mut client = match endpoint.connect().await {
        Ok(client) => client,
        Err(exit) => return exit,
    };
    let snapshot = match create(&mut client, request).await {
        Ok(snapshot) => snapshot,
        Err(exit) => return exit,
    };
    if args.detach {
        println!("{}", snapshot.id);
        return Exit::Done;
    }
    follow::follow_one(endpoint, &snapshot).await
}

async fn upload(args: UploadArgs, endpoint: &Endpoint) -> Exit {
    let requests = match upload_requests(&args) {
        Ok(requests) => requests,
        Err(exit) => return exit,
    };
    let mut client = match endpoint.connect().await {
        Ok(client) => client,
        Err(exit) => return exit,
    };
    let mut created = Vec::new();
    for request in requests {
        match create(&mut client, request).await {
            Ok(snapshot) => created.push(*snapshot),
            Err(exit) => return exit,
        }
    }
    if args.detach {
        for snapshot in &created {
            println!("{}", snapshot.id);
        }
        return Exit::Done;
    }
    match created.as_slice() {
        [one] => follow::follow_one(endpoint, one).await,
        many => follow::wait(endpoint, many.iter().map(|s| s.id.to_string()).collect()).await,
    }
}

/// Ask the agent for an operation; when it answers with the unfinished one that
/// already does the same, say so (on stderr: stdout stays the id or the path).
async fn create(
    client: &mut Client,
    request: engine::Request,
) -> Result<Box<engine::Snapshot>, Exit> {
    let request = Request::Create {
        request: Box::new(request),
    };
    match call(client, &request).await? {
        Response::Created { snapshot, attached } => {
            if attached {
                eprintln!("ferry: {}", format::continuing(&snapshot));
            }
            Ok(snapshot)
        }
        other => Err(report(&other)),
    }
}

/// The operations an `upload` command asks for: one multipart request, or one per file.
fn upload_requests(args: &UploadArgs) -> Result<Vec<engine::Request>, Exit> {
    let headers = parse_headers(&args.headers)?;
    let mut files = Vec::new();
    for file in &args.files {
        let path = absolute(file).map_err(|e| {
            eprintln!("ferry: {e}");
            Exit::Invalid
        })?;
        files.push(path);
    }
    let mut form = Vec::new();
    for text in &args.form {
        let Some((name, value)) = text.split_once('=') else {
            eprintln!("ferry: invalid form field {text:?}: expected 'name=value'");
            return Err(Exit::Invalid);
        };
        form.push(engine::FormField {
            name: name.to_owned(),
            value: value.to_owned(),
        });
    }
    let method = match args.method {
        MethodArg::Post => engine::Method::Post,
        MethodArg::Put => engine::Method::Put,
    };
    // Asked once (a password prompt), shared by every file's operation.
    let access = args
        .access
        .apply(engine::Request::upload(args.url.clone(), Vec::new()))?;
    let request = |url: String, sources: Vec<PathBuf>, mode: engine::UploadMode| {
        let mut request = engine::Request::upload(url, sources)
            .method(method)
            .mode(mode)
            .policy(args.policy.into());
        request = args.queue.apply(request);
        request.headers = headers.clone();
        request.auth.clone_from(&access.auth);
        request.proxy.clone_from(&access.proxy);
        request.cookies.clone_from(&access.cookies);
        request
    };
    if args.multipart {
        let mode = engine::UploadMode::Multipart {
            field: args.field.clone(),
            form,
        };
        return Ok(vec![request(args.url.clone(), files, mode)]);
    }
    let mode = if args.tus {
        engine::UploadMode::Tus
    } else {
        engine::UploadMode::Single
    };
    Ok(files
        .into_iter()
        .map(|file| {
            // tus creates the upload at the URL it is given.
            let url = match (method, args.tus) {
                (engine::Method::Put, false) => engine::upload_url_for_file(&args.url, &file),
                _ => args.url.clone(),
            };
            request(url, vec![file], mode.clone())
        })
        .collect())
}

/// Make a user's path absolute against the current directory, keeping a trailing
/// slash (which says "a folder").
fn absolute(path: &std::path::Path) -> std::io::Result<PathBuf> {
    let text = path.as_os_str().to_string_lossy();
    let trailing = text.ends_with('/') && text.len() > 1;
    let expanded = match text.strip_prefix("~/") {
        Some(rest) => dirs::home_dir().unwrap_or_default().join(rest),
        None => path.to_owned(),
    };
    let mut absolute = std::path::absolute(expanded)?;
    if trailing && !absolute.as_os_str().to_string_lossy().ends_with('/') {
        absolute.as_mut_os_string().push("/");
    }
    Ok(absolute)
}

async fn list(endpoint: &Endpoint, json: bool) -> Exit {
    let mut client = match endpoint.connect().await {
        Ok(client) => client,
        Err(exit) => return exit,
    };
    match call(&mut client, &Request::List).await {
        Ok(Response::Snapshots { snapshots }) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&snapshots).unwrap_or_default()
                );
            } else {
                print!("{}", format::table(&snapshots));
            }
            Exit::Done
        }
        Ok(other) => report(&other),
        Err(exit) => exit,
    }
}

async fn cat(endpoint: &Endpoint, id: String, offset: u64) -> Exit {
    let mut client = match endpoint.connect().await {
        Ok(client) => client,
        Err(exit) => return exit,
    };
    match call(
        &mut client,
        &Request::Read {
            id: id.clone(),
            offset,
        },
    )
    .await
    {
        Ok(Response::Reading { .. }) => {}
        Ok(other) => return report(&other),
        Err(exit) => return exit,
    }
    let mut raw = client.into_raw();
    let mut stdout = tokio::io::stdout();
    let copied = tokio::io::copy(&mut raw, &mut stdout).await;
    let _ = tokio::io::AsyncWriteExt::flush(&mut stdout).await;
    let copied = match copied {
        Ok(n) => n,
        // The reader went away (`| head`): nothing to report.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Exit::Done,
        Err(e) => {
            eprintln!("ferry: {e}");
            return Exit::Failed;
        }
    };
    // The stream ends the same way whether the download completed or failed: ask.
    let mut client = match endpoint.connect().await {
        Ok(client) => client,
        Err(exit) => return exit,
    };
    match call(&mut client, &Request::Show { id }).await {
        Ok(Response::Snapshot { snapshot })
            if snapshot.status == engine::Status::Completed
                && snapshot.total == Some(offset + copied) =>
        {
            Exit::Done
        }
        Ok(Response::Snapshot { snapshot }) => {
            eprintln!(
                "ferry: the download did not complete ({}): {copied} bytes written",
                format::status_line(&snapshot)
            );
            Exit::Failed
        }
        Ok(other) => report(&other),
        Err(exit) => exit,
    }
}

async fn show(endpoint: &Endpoint, id: String, json: bool) -> Exit {
    let mut client = match endpoint.connect().await {
        Ok(client) => client,
        Err(exit) => return exit,
    };
    match call(&mut client, &Request::Show { id }).await {
        Ok(Response::Snapshot { snapshot }) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&snapshot).unwrap_or_default()
                );
            } else {
                print!("{}", format::details(&snapshot));
            }
            Exit::Done
        }
        Ok(other) => report(&other),
        Err(exit) => exit,
    }
}

async fn control(endpoint: &Endpoint, request: Request) -> Exit {
    let mut client = match endpoint.connect().await {
        Ok(client) => client,
        Err(exit) => return exit,
    };
    match call(&mut client, &request).await {
        Ok(Response::Snapshot { snapshot }) => {
            eprintln!(
                "{}  {}",
                snapshot.id.short(),
                format::status_line(&snapshot)
            );
            Exit::Done
        }
        Ok(Response::Count { count }) => {
            eprintln!("{count} operation(s)");
            Exit::Done
        }
        Ok(Response::Done) => Exit::Done,
        Ok(other) => report(&other),
        Err(exit) => exit,
    }
}

/// Stop the agent, whatever it is doing: one that answers checkpoints every
/// transfer and exits; one still starting (opening its database) gets SIGTERM,
/// which stops it at once. Exit 0 only once no agent holds the data directory.
async fn quit(endpoint: &Endpoint) -> Exit {
    let deadline = std::time::Instant::now() + QUIT_TIMEOUT;
    // Asked over the socket, or the pid that was sent SIGTERM.
    let mut asked = false;
    let mut signaled = None;
    while agent::is_running(&endpoint.data_dir) {
        if std::time::Instant::now() > deadline {
            let pid = endpoint.agent_pid().map(|p| format!(" (pid {p})"));
            eprintln!(
                "ferry: the agent{} is still running",
                pid.unwrap_or_default()
            );
            return Exit::Failed;
        }
        if !asked {
            match endpoint.connect_now().await {
                Err(exit) => return exit,
                Ok(Some(mut client)) => match call(&mut client, &Request::Quit).await {
                    Ok(Response::Done) => {
                        asked = true;
                        // The agent closes the connection once every transfer is
                        // checkpointed, then releases its lock as it exits.
                        while let Ok(Some(_)) = client.next().await {}
                    }
                    Ok(other) => return report(&other),
                    Err(exit) => return exit,
                },
                Ok(None) => {
                    // Starting (or its pid not written yet): SIGTERM stops it.
                    if let Some(pid) = endpoint.agent_pid().filter(|p| signaled != Some(*p)) {
                        terminate(pid);
                        signaled = Some(pid);
                    }
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    Exit::Done
}

/// How long `quit` waits for an agent to stop.
const QUIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Ask a process to stop as a service manager would.
fn terminate(pid: u32) {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    if let Err(e) = rustix::process::kill_process(pid, rustix::process::Signal::TERM) {
        eprintln!(
            "ferry: cannot stop the agent (pid {}): {e}",
            pid.as_raw_nonzero()
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rates_read_like_curl_and_aria2() {
        assert_eq!(parse_rate("5M"), Ok(Rate(Some(5 * 1024 * 1024))));
        assert_eq!(parse_rate("500k"), Ok(Rate(Some(500 * 1024))));
        assert_eq!(parse_rate("1.5MiB/s"), Ok(Rate(Some(1_572_864))));
        assert_eq!(parse_rate("2000000"), Ok(Rate(Some(2_000_000))));
        assert_eq!(parse_rate("off"), Ok(Rate(None)));
        assert_eq!(parse_rate("0"), Ok(Rate(None)));
        assert!(parse_rate("fast").is_err());
        assert!(parse_rate("5X").is_err());
        assert!(parse_rate("0.1").is_err());
    }

    use super::*;

    #[test]
    fn headers_split_at_the_first_colon() {
        let h = parse_header("X-Token: a:b ").unwrap();
        assert_eq!((h.name.as_str(), h.value.as_str()), ("X-Token", "a:b"));
        assert!(parse_header("no colon").is_none());
        assert!(parse_header(": empty name").is_none());
    }

    #[test]
    fn relative_paths_become_absolute_and_keep_their_slash() {
        let p = absolute(std::path::Path::new("sub/")).unwrap();
        assert!(p.is_absolute());
        assert!(p.to_string_lossy().ends_with("sub/"));
        let p = absolute(std::path::Path::new("f.bin")).unwrap();
        assert!(p.ends_with("f.bin"));
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
