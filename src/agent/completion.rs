//! Completion actions: when the engine says a group's action is due, run its program
//! (no shell), give it the group's results as JSON on standard input and
//! `FERRY_GROUP` in its environment, keep its output and exit status, and retry a
//! failed run after a delay. Runs in the agent, window or not.
//!
//! The engine persists each step: an action marked running when the agent died
//! runs again at the next start.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::watch;

use crate::engine::group::MAX_OUTPUT;
use crate::engine::time::now_millis;
use crate::engine::{Action, ActionRun, Engine, Group, Results};

/// How failed runs are retried.
#[derive(Clone, Copy, Debug)]
pub(super) struct Retry {
    /// Runs after the first failed one.
    pub retries: u32,
    pub delay: Duration,
}

/// Run due actions until `shutdown` turns true. An action under way then is killed;
/// it is still marked running, so it runs again at the next start.
pub(super) async fn run(engine: Engine, retry: Retry, mut shutdown: watch::Receiver<bool>) {
    let mut events = engine.subscribe();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let (due, next) = engine.due_action();
        if let Some((group, results)) = due {
            tokio::select! {
                () = run_once(&engine, retry, group, &results) => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
            continue;
        }
        let sleep = async {
            match next {
                Some(at) => {
                    tokio::time::sleep(Duration::from_millis(at.saturating_sub(now_millis())))
                        .await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            event = events.recv() => {
                // Anything may make an action due; only a closed engine ends this.
                if event.is_none() {
                    return;
                }
            }
            () = sleep => {}
            _ = shutdown.changed() => {}
        }
    }
}

async fn run_once(engine: &Engine, retry: Retry, group: Group, results: &Results) {
    let Some(action) = group.action.clone() else {
        return;
    };
    let name = group.name.clone();
    if let Err(e) = engine.action_started(&name).await {
        tracing::error!(group = %name, error = %e, "cannot record the start of a completion action");
        return;
    }
    tracing::info!(group = %name, program = %action.program, "running the completion action");
    let run = execute(&action, &name, results).await;
    let failed_runs = group.runs.len() as u64;
    let retry_at = (!run.succeeded() && failed_runs < u64::from(retry.retries))
        .then(|| now_millis() + u64::try_from(retry.delay.as_millis()).unwrap_or(u64::MAX / 2));
    match (&run.exit_code, &run.failure) {
        (Some(0), _) => tracing::info!(group = %name, "the completion action succeeded"),
        (code, failure) => tracing::warn!(
            group = %name,
            ?code,
            ?failure,
            retry = retry_at.is_some(),
            "the completion action failed"
        ),
    }
    if let Err(e) = engine.action_finished(&name, run, retry_at).await {
        tracing::error!(group = %name, error = %e, "cannot record the end of a completion action");
    }
}

/// Start the program, feed it the results, and wait for it to end.
async fn execute(action: &Action, group: &str, results: &Results) -> ActionRun {
    let started_at = now_millis();
    let ended = |exit_code, failure: Option<String>, output| ActionRun {
        started_at,
        finished_at: now_millis(),
        exit_code,
        failure,
        output,
    };
    let input = match serde_json::to_vec_pretty(results) {
        Ok(input) => input,
        Err(e) => {
            return ended(
                None,
                Some(format!("cannot encode the results: {e}")),
                String::new(),
            );
        }
    };
    let spawned = tokio::process::Command::new(&action.program)
        .args(&action.args)
        .env("FERRY_GROUP", group)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            return ended(
                None,
                Some(format!("cannot start {}: {e}", action.program)),
                String::new(),
            );
        }
    };
    let stdin = child.stdin.take();
    let feed = async move {
        if let Some(mut stdin) = stdin {
            // A program that does not read its input is fine.
            let _ = stdin.write_all(&input).await;
        }
    };
    let (_, stdout, stderr, status) = tokio::join!(
        feed,
        read_capped(child.stdout.take()),
        read_capped(child.stderr.take()),
        child.wait()
    );
    let mut output = stdout;
    if !stderr.is_empty() {
        if !output.is_empty() && !output.ends_with('\n') {
            output.push('\n');
        }
        output.push_str(&stderr);
    }
    match status {
        Ok(status) => {
            let failure = status_failure(status);
            ended(status.code(), failure, output)
        }
        Err(e) => ended(
            None,
            Some(format!("cannot wait for the program: {e}")),
            output,
        ),
    }
}

#[cfg(unix)]
fn status_failure(status: std::process::ExitStatus) -> Option<String> {
    use std::os::unix::process::ExitStatusExt as _;
    status
        .signal()
        .map(|signal| format!("killed by signal {signal}"))
}

/// Everything the stream gives, keeping the first [`MAX_OUTPUT`] bytes (read to the
/// end, so a chatty program never blocks on a full pipe).
async fn read_capped(stream: Option<impl AsyncRead + Unpin>) -> String {
    let Some(mut stream) = stream else {
        return String::new();
    };
    let mut kept = Vec::new();
    let mut buffer = vec![0u8; 8192];
    let mut truncated = false;
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = MAX_OUTPUT.saturating_sub(kept.len());
                kept.extend_from_slice(&buffer[..n.min(room)]);
                truncated |= n > room;
            }
        }
    }
    let mut text = String::from_utf8_lossy(&kept).into_owned();
    if truncated {
        text.push_str("\n[output truncated]\n");
    }
    text
}
