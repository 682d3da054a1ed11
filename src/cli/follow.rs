//! Following operations from the terminal: the progress of `ferry get` and
//! `ferry upload` (a bar on a terminal, a line a second otherwise) and `ferry wait`.

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::{Endpoint, Exit, format, report};
use crate::engine::{Event, OperationId, Snapshot, Status};
use crate::ipc::{Client, Request, Response};

/// Follow one download until it ends; print its file on success.
pub(super) async fn follow_one(endpoint: &Endpoint, created: &Snapshot) -> Exit {
    let mut client = match watch(endpoint, vec![created.id.to_string()]).await {
        Ok(client) => client,
        Err(exit) => return exit,
    };
    let mut view = View::new(created);
    let outcome = loop {
        let message = tokio::select! {
            _ = tokio::signal::ctrl_c() => {
                view.clear();
                eprintln!(
                    "ferry: the transfer goes on in the background; see `ferry show {}`, stop it with `ferry cancel {}`",
                    created.id.short(),
                    created.id.short()
                );
                return Exit::Interrupted;
            }
            message = client.next() => message,
        };
        match message {
            Ok(Some(Response::Snapshots { snapshots })) => {
                if let Some(s) = snapshots.into_iter().find(|s| s.id == created.id) {
                    view.status(&s);
                    if s.status.is_settled() {
                        break s;
                    }
                }
            }
            Ok(Some(Response::Event { event })) => match event {
                Event::Progress {
                    bytes,
                    total,
                    speed,
                    eta_secs,
                    ..
                } => {
                    view.progress(bytes, total, speed, eta_secs);
                }
                Event::StatusChanged { snapshot } => {
                    view.status(&snapshot);
                    if snapshot.status.is_settled() {
                        break *snapshot;
                    }
                }
                Event::Removed { .. } => {
                    view.clear();
                    eprintln!("ferry: the operation was removed");
                    return Exit::Failed;
                }
                Event::Added { .. }
                | Event::Parts { .. }
                | Event::GroupChanged { .. }
                | Event::NetworkChanged { .. }
                | Event::Resync => {}
            },
            Ok(Some(other)) => return report(&other),
            Ok(None) | Err(_) => {
                view.clear();
                eprintln!(
                    "ferry: the agent stopped; the transfer resumes when it starts again (`ferry wait {}`)",
                    created.id.short()
                );
                return Exit::Unreachable;
            }
        }
    };
    view.clear();
    match outcome.status {
        Status::Completed => {
            // A download prints its file; an upload, what the server answered.
            if let Some(path) = &outcome.destination {
                println!("{}", path.display());
            } else if let Some(response) = outcome.response.as_ref().filter(|r| !r.body.is_empty())
            {
                print!("{}", response.body);
                if !response.body.ends_with('\n') {
                    println!();
                }
            }
            Exit::Done
        }
        _ => {
            eprintln!(
                "ferry: {}: {}",
                outcome.display_name(),
                format::status_line(&outcome)
            );
            Exit::Failed
        }
    }
}

/// Wait until every operation in `ids` has ended; exit 0 if all completed.
pub(super) async fn wait(endpoint: &Endpoint, ids: Vec<String>) -> Exit {
    let mut client = match watch(endpoint, ids).await {
        Ok(client) => client,
        Err(exit) => return exit,
    };
    let mut statuses: HashMap<OperationId, Snapshot> = HashMap::new();
    loop {
        match client.next().await {
            Ok(Some(Response::Snapshots { snapshots })) => {
                statuses.extend(snapshots.into_iter().map(|s| (s.id, s)));
            }
            Ok(Some(Response::Event {
                event: Event::StatusChanged { snapshot },
            })) => {
                statuses.insert(snapshot.id, *snapshot);
            }
            Ok(Some(Response::Event {
                event: Event::Removed { id },
            })) => {
                eprintln!("ferry: {} was removed", id.short());
                return Exit::Failed;
            }
            Ok(Some(Response::Event { .. })) => continue,
            Ok(Some(other)) => return report(&other),
            Ok(None) | Err(_) => {
                eprintln!("ferry: the agent stopped; run `ferry wait` again to go on waiting");
                return Exit::Unreachable;
            }
        }
        if !statuses.is_empty() && statuses.values().all(|s| s.status.is_settled()) {
            let mut exit = Exit::Done;
            for s in statuses.values().filter(|s| s.status != Status::Completed) {
                eprintln!(
                    "ferry: {} {}: {}",
                    s.id.short(),
                    s.display_name(),
                    format::status_line(s)
                );
                exit = Exit::Failed;
            }
            return exit;
        }
    }
}

/// Open a connection that streams the given operations' events.
async fn watch(endpoint: &Endpoint, ids: Vec<String>) -> Result<Client, Exit> {
    let mut client = endpoint.connect().await?;
    client.send(&Request::Watch { ids }).await.map_err(|e| {
        eprintln!("ferry: {e}");
        Exit::Unreachable
    })?;
    Ok(client)
}

/// The terminal rendering of one download.
enum View {
    Bar(ProgressBar),
    Lines {
        name: String,
        last: Option<Instant>,
        status: Status,
    },
}

impl View {
    fn new(snapshot: &Snapshot) -> Self {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(snapshot.total.unwrap_or(0));
            let style = ProgressStyle::with_template("{prefix:.bold} [{wide_bar}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(snapshot.display_name());
            bar.enable_steady_tick(Duration::from_millis(250));
            Self::Bar(bar)
        } else {
            Self::Lines {
                name: snapshot.display_name(),
                last: None,
                status: snapshot.status,
            }
        }
    }

    fn progress(&mut self, bytes: u64, total: Option<u64>, speed: f64, eta: Option<u64>) {
        let mut text = format!(
            "{}, {}",
            format::progress(bytes, total),
            format::speed(speed)
        );
        if let Some(eta) = eta {
            text.push_str(&format!(", {} left", format::duration(eta)));
        }
        match self {
            Self::Bar(bar) => {
                if let Some(total) = total {
                    bar.set_length(total);
                }
                bar.set_position(bytes);
                bar.set_message(text);
            }
            Self::Lines { name, last, .. } => {
                if last.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                    eprintln!("{name}: {text}");
                    *last = Some(Instant::now());
                }
            }
        }
    }

    fn status(&mut self, snapshot: &Snapshot) {
        let line = format!(
            "{}: {}",
            snapshot.display_name(),
            format::status_line(snapshot)
        );
        match self {
            Self::Bar(bar) => {
                bar.set_prefix(snapshot.display_name());
                if !matches!(snapshot.status, Status::Running | Status::Completed) {
                    bar.println(line);
                }
            }
            Self::Lines { name, status, .. } => {
                *name = snapshot.display_name();
                if *status != snapshot.status && !snapshot.status.is_finished() {
                    eprintln!("{line}");
                }
                *status = snapshot.status;
            }
        }
    }

    fn clear(&self) {
        if let Self::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
