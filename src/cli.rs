//! The `ferry` command line: one function per client command (the arguments are
//! defined in `args.rs`). Every command talks to the agent over its socket (starting one when
//! none answers) and exits 0 done, 1 transfer failed, 2 invalid input, 3 agent
//! unreachable.

mod args;
mod browser;
mod connect;
mod cookies;
mod follow;
pub mod format;
mod groups;
mod schedule;
mod when_done;

use std::path::PathBuf;
use std::process::ExitCode;

use crate::data_dir;
use crate::engine;
use crate::ipc::{Changed, Client, ClientError, ErrorCode, Request, Response, Spot};

pub use args::*;
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

/// Run a client command (everything but `agent` and `completions`).
pub async fn run(command: Command, endpoint: &Endpoint) -> Exit {
    match command {
        Command::Get(args) => get(args, endpoint).await,
        Command::Upload(args) => upload(args, endpoint).await,
        Command::List { json, queue } => list(endpoint, json, queue).await,
        Command::Show { id, json } => show(endpoint, id, json).await,
        Command::Cat { id, offset } => cat(endpoint, id, offset).await,
        Command::Pause(target) => {
            let target = target.target();
            changed(ask(endpoint, async |c| c.pause(target).await).await)
        }
        Command::Resume(target) => {
            let target = target.target();
            changed(ask(endpoint, async |c| c.resume(target).await).await)
        }
        Command::Cancel { id } => changed(ask(endpoint, async |c| c.cancel(id).await).await),
        Command::Restart { id } => changed(ask(endpoint, async |c| c.restart(id).await).await),
        Command::Remove { id } => changed(ask(endpoint, async |c| c.remove(id).await).await),
        Command::Refresh {
            id,
            url,
            start_over: true,
        } => changed(ask(endpoint, async |c| c.start_over(id, url).await).await),
        Command::Refresh { id, url, .. } => {
            let hint = format!("ferry refresh --start-over {id} '{url}'");
            let answer = ask(endpoint, async |c| match c.refresh(id, url).await {
                Err(ClientError::Refused { message, .. })
                    if message.contains("serves a different file") =>
                {
                    Err(ClientError::Refused {
                        code: ErrorCode::InvalidInput,
                        message: format!(
                            "{message}\nTo download that file from the start instead (what was fetched is deleted): {hint}"
                        ),
                    })
                }
                other => other,
            })
            .await;
            changed(answer)
        }
        Command::Wait { ids } => follow::wait(endpoint, ids).await,
        Command::Policy { id, policy } => {
            changed(ask(endpoint, async |c| c.set_policy(id, policy.into()).await).await)
        }
        Command::Priority { id, priority } => changed(
            ask(endpoint, async |c| {
                c.set_priority(id, priority.into()).await
            })
            .await,
        ),
        Command::Move { id, to, other } => {
            let Some(place) = spot(to, other) else {
                eprintln!(
                    "ferry: before and after take the other operation's id; first, last, up and down take none"
                );
                return Exit::Invalid;
            };
            changed(ask(endpoint, async |c| c.move_in_queue(id, place).await).await)
        }
        Command::Limit { rate, id } => {
            changed(ask(endpoint, async |c| c.set_limit(id, rate.0).await).await)
        }
        Command::Group(command) => groups::run(command, endpoint).await,
        Command::Schedule(command) => schedule::run(command, endpoint).await,
        Command::Status { json } => groups::status(endpoint, json).await,
        Command::Stats { json } => groups::stats(endpoint, json).await,
        Command::WhenDone { what, json } => when_done::run(what, json, endpoint).await,
        Command::Quit => quit(endpoint).await,
        Command::Browser(command) => browser::run(&command, endpoint),
        Command::NativeHost { .. } => crate::browser::host::run(endpoint).await,
        Command::Agent | Command::Completions { .. } => Exit::Invalid,
    }
}

/// Say what went wrong on stderr and pick the exit status.
fn report(response: &Response) -> Exit {
    match response {
        Response::Error { code, message } => {
            eprintln!("ferry: {message}");
            exit_for(*code)
        }
        other => {
            eprintln!("ferry: unexpected answer from the agent: {other:?}");
            Exit::Unreachable
        }
    }
}

/// The exit status for what the agent refused.
fn exit_for(code: ErrorCode) -> Exit {
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
    request.category = args.category;
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
    let (snapshot, attached) = client.create(request).await.map_err(|e| failed(&e))?;
    if attached {
        eprintln!("ferry: {}", format::continuing(&snapshot));
    }
    Ok(snapshot)
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

/// Where `ferry move` puts an operation; `None` when `other` is missing for
/// before/after or given for the others.
fn spot(to: MoveArg, other: Option<String>) -> Option<Spot> {
    match (to, other) {
        (MoveArg::Before, Some(other)) => Some(Spot::Before(other)),
        (MoveArg::After, Some(other)) => Some(Spot::After(other)),
        (MoveArg::First, None) => Some(Spot::First),
        (MoveArg::Last, None) => Some(Spot::Last),
        (MoveArg::Up, None) => Some(Spot::Up),
        (MoveArg::Down, None) => Some(Spot::Down),
        _ => None,
    }
}

/// `queue`: only the waiting operations, next to start first.
async fn list(endpoint: &Endpoint, json: bool, queue: bool) -> Exit {
    let mut snapshots = match ask(endpoint, async |c| c.list().await).await {
        Ok(snapshots) => snapshots,
        Err(exit) => return exit,
    };
    if queue {
        snapshots = engine::queue::ordered(&snapshots)
            .into_iter()
            .cloned()
            .collect();
    }
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
    let snapshot = match ask(endpoint, async |c| c.show(id).await).await {
        Ok(snapshot) => snapshot,
        Err(exit) => return exit,
    };
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

/// Connect, make one typed call, and turn a failure into the exit status (its
/// message printed).
async fn ask<T>(
    endpoint: &Endpoint,
    call: impl AsyncFnOnce(&mut Client) -> Result<T, ClientError>,
) -> Result<T, Exit> {
    let mut client = endpoint.connect().await?;
    call(&mut client).await.map_err(|e| failed(&e))
}

/// Say what a change did (on stderr: stdout is for data).
fn changed(answer: Result<Changed, Exit>) -> Exit {
    match answer {
        Ok(Changed::One(snapshot)) => {
            eprintln!(
                "{}  {}",
                snapshot.id.short(),
                format::status_line(&snapshot)
            );
            Exit::Done
        }
        Ok(Changed::Count(count)) => {
            eprintln!("{count} operation(s)");
            Exit::Done
        }
        Ok(Changed::Done) => Exit::Done,
        Err(exit) => exit,
    }
}

fn failed(error: &ClientError) -> Exit {
    eprintln!("ferry: {error}");
    match error {
        ClientError::Refused { code, .. } => exit_for(*code),
        ClientError::Ipc(_) | ClientError::Unexpected(_) => Exit::Unreachable,
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
    while data_dir::is_running(&endpoint.data_dir) {
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
