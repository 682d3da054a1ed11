//! `ferry when-done [WHAT]`: what happens once every transfer is done, and any
//! countdown under way.

use super::{Endpoint, Exit, call, report};
use crate::agent::when_done::{State, Why};
use crate::engine::WhenDone;
use crate::engine::time::now_millis;
use crate::ipc::{Request, Response};

pub(super) async fn run(set: Option<WhenDone>, json: bool, endpoint: &Endpoint) -> Exit {
    let mut client = match endpoint.connect().await {
        Ok(client) => client,
        Err(exit) => return exit,
    };
    match call(&mut client, &Request::WhenDone { set }).await {
        Ok(Response::WhenDone { state }) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&state).unwrap_or_default()
                );
            } else {
                print!("{}", describe(&state, now_millis()));
            }
            Exit::Done
        }
        Ok(other) => report(&other),
        Err(exit) => exit,
    }
}

fn doing(what: WhenDone) -> &'static str {
    match what {
        WhenDone::Nothing => "nothing",
        WhenDone::Quit => "Ferry quits",
        WhenDone::Suspend => "the computer suspends",
        WhenDone::PowerOff => "the computer powers off",
    }
}

/// The state in words, a line each.
fn describe(state: &State, now: u64) -> String {
    let mut out = match state.armed {
        WhenDone::Nothing => "When every transfer is done: nothing.\n".to_owned(),
        what => format!(
            "When every transfer is done: {} (once; `ferry when-done nothing` to unset).\n",
            doing(what)
        ),
    };
    if let Some(pending) = &state.pending {
        let why = match &pending.why {
            Why::Queue => "every transfer is done".to_owned(),
            Why::Group { name } => format!("group {name} is done"),
        };
        let secs = pending.at.saturating_sub(now).div_ceil(1000);
        out.push_str(&format!(
            "In {secs} s {} ({why}); `ferry when-done nothing` cancels.\n",
            doing(pending.what)
        ));
    }
    if let Some((what, why)) = &state.failed {
        out.push_str(&format!("Last time, {} failed: {why}\n", what.as_str()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::when_done::Pending;

    #[test]
    fn the_state_in_words() {
        assert_eq!(
            describe(&State::default(), 0),
            "When every transfer is done: nothing.\n"
        );
        let state = State {
            armed: WhenDone::Nothing,
            pending: Some(Pending {
                what: WhenDone::Suspend,
                why: Why::Group {
                    name: "night".into(),
                },
                at: 60_000,
            }),
            failed: Some((WhenDone::PowerOff, "refused".into())),
        };
        assert_eq!(
            describe(&state, 17_500),
            "When every transfer is done: nothing.\n\
             In 43 s the computer suspends (group night is done); `ferry when-done nothing` cancels.\n\
             Last time, power-off failed: refused\n"
        );
        let armed = State {
            armed: WhenDone::PowerOff,
            ..State::default()
        };
        assert!(describe(&armed, 0).contains("the computer powers off (once;"));
    }
}
