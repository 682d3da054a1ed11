//! `ferry group …`, `ferry status` and `ferry stats`.

use super::{Exit, GroupCommand, absolute, call, format, report};
use crate::engine::{Action, Behavior};
use crate::ipc::{Request, Response};

use super::Endpoint;

pub(super) async fn run(command: GroupCommand, endpoint: &Endpoint) -> Exit {
    let (request, json) = match command {
        GroupCommand::Create {
            name,
            serialized,
            parallel: _,
            when_done,
            on_complete,
        } => {
            let action = match action(on_complete) {
                Ok(action) => action,
                Err(exit) => return exit,
            };
            let behavior = if serialized {
                Behavior::Serialized
            } else {
                Behavior::Parallel
            };
            let request = Request::CreateGroup {
                name,
                behavior,
                action,
                when_done,
            };
            (request, false)
        }
        GroupCommand::Enable { name } => (Request::EnableGroup { name }, false),
        GroupCommand::List { json } => (Request::Groups, json),
        GroupCommand::Show { name, json } => (Request::ShowGroup { name }, json),
    };
    let mut client = match endpoint.connect().await {
        Ok(client) => client,
        Err(exit) => return exit,
    };
    match call(&mut client, &request).await {
        Ok(Response::Group { group, members }) => {
            if json {
                let value = serde_json::json!({ "group": group, "operations": members });
                println!(
                    "{}",
                    serde_json::to_string_pretty(&value).unwrap_or_default()
                );
            } else if matches!(request, Request::ShowGroup { .. }) {
                print!("{}", format::group(&group, &members));
            } else {
                eprintln!("group {}: {} transfer(s)", group.name, members.len());
            }
            Exit::Done
        }
        Ok(Response::Groups { groups }) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&groups).unwrap_or_default()
                );
            } else {
                print!("{}", format::groups(&groups));
            }
            Exit::Done
        }
        Ok(other) => report(&other),
        Err(exit) => exit,
    }
}

/// The program and its arguments; a program named with a path is made absolute
/// here, since the agent runs it from its own directory.
fn action(words: Vec<String>) -> Result<Option<Action>, Exit> {
    let mut words = words.into_iter();
    let Some(program) = words.next() else {
        return Ok(None);
    };
    let program = if program.contains('/') {
        match absolute(std::path::Path::new(&program)) {
            Ok(path) => path.to_string_lossy().into_owned(),
            Err(e) => {
                eprintln!("ferry: {e}");
                return Err(Exit::Invalid);
            }
        }
    } else {
        program
    };
    Ok(Some(Action {
        program,
        args: words.collect(),
    }))
}

pub(super) async fn status(endpoint: &Endpoint, json: bool) -> Exit {
    let mut client = match endpoint.connect().await {
        Ok(client) => client,
        Err(exit) => return exit,
    };
    match call(&mut client, &Request::Status).await {
        Ok(Response::Status { network, usage }) => {
            if json {
                let value = serde_json::json!({ "network": network, "usage": usage });
                println!(
                    "{}",
                    serde_json::to_string_pretty(&value).unwrap_or_default()
                );
            } else {
                print!("{}", format::network(&network, &usage));
            }
            Exit::Done
        }
        Ok(other) => report(&other),
        Err(exit) => exit,
    }
}

/// How many days `ferry stats` shows without `--json`.
const STATS_DAYS: usize = 30;

pub(super) async fn stats(endpoint: &Endpoint, json: bool) -> Exit {
    let mut client = match endpoint.connect().await {
        Ok(client) => client,
        Err(exit) => return exit,
    };
    match call(&mut client, &Request::Stats).await {
        Ok(Response::Stats { days }) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&days).unwrap_or_default()
                );
            } else {
                let recent = &days[days.len().saturating_sub(STATS_DAYS)..];
                print!("{}", format::traffic(recent));
            }
            Exit::Done
        }
        Ok(other) => report(&other),
        Err(exit) => exit,
    }
}
