//! Transfer groups: a name that operations join at creation, a behaviour
//! (`Serialized`: one at a time in creation order, or `Parallel`), and an optional
//! completion action that runs once every operation of the group has ended after the
//! group was enabled (the seed's completion groups).
//!
//! The engine decides *when* an action is due and persists its state; the agent
//! runs the program (see `agent::completion`) and reports back. A group may also
//! say what the computer does once it is done ([`WhenDone`], F25): the agent does
//! it after its program, if any, has run.

use serde::{Deserialize, Serialize};

use super::error::ErrorInfo;
use super::operation::{Kind, OperationId, Snapshot, Status};
use super::time::Millis;

/// How a group's operations share the slots of the global limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Behavior {
    /// Several at once, as slots allow.
    #[default]
    Parallel,
    /// One at a time, in creation order.
    Serialized,
}

/// A program and its arguments, run without a shell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub program: String,
    #[serde(default)]
    pub args: Vec<String>,
}

/// What happens once everything is done (a group's members, or the whole
/// queue): Ferry quits, or the computer suspends or powers off. Ordered from
/// the mildest: when two are due at once, the later in this order wins.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum WhenDone {
    #[default]
    Nothing,
    Quit,
    Suspend,
    PowerOff,
}

impl WhenDone {
    pub const ALL: [Self; 4] = [Self::Nothing, Self::Quit, Self::Suspend, Self::PowerOff];

    /// The word scripts use (`ferry when-done power-off`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nothing => "nothing",
            Self::Quit => "quit",
            Self::Suspend => "suspend",
            Self::PowerOff => "power-off",
        }
    }
}

impl std::str::FromStr for WhenDone {
    type Err = String;

    fn from_str(word: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|w| w.as_str() == word)
            .ok_or_else(|| format!("“{word}” is not one of nothing, quit, suspend, power-off"))
    }
}

/// Where a group's completion action stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ActionState {
    /// Not enabled yet, or some operation has not ended.
    #[default]
    Waiting,
    /// To run at `at` (now, or after a failed run's delay).
    Due {
        at: Millis,
    },
    /// Started and not known to have ended; after a crash it runs again.
    Running {
        since: Millis,
    },
    Succeeded,
    /// Every attempt exited with an error.
    Failed,
}

/// One run of a completion action, as the agent saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRun {
    pub started_at: Millis,
    pub finished_at: Millis,
    /// The exit code; `None` when it could not start or was killed by a signal.
    pub exit_code: Option<i32>,
    /// Why it could not start, or the signal that ended it.
    #[serde(default)]
    pub failure: Option<String>,
    /// Standard output then standard error, at most [`MAX_OUTPUT`] bytes of each.
    #[serde(default)]
    pub output: String,
}

/// What is kept of an action's output streams, each.
pub const MAX_OUTPUT: usize = 64 * 1024;

impl ActionRun {
    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0)
    }
}

/// A named group, as persisted and shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub behavior: Behavior,
    #[serde(default)]
    pub action: Option<Action>,
    /// What the computer does once the group is done (after its action).
    #[serde(default)]
    pub when_done: WhenDone,
    /// Set by `enable`: from then on, the end of the last operation makes the action due.
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub action_state: ActionState,
    /// Every run of the action so far, oldest first.
    #[serde(default)]
    pub runs: Vec<ActionRun>,
    pub created_at: Millis,
}

impl Group {
    pub fn new(name: String, behavior: Behavior, action: Option<Action>) -> Self {
        Self {
            name,
            behavior,
            action,
            when_done: WhenDone::Nothing,
            enabled: false,
            action_state: ActionState::Waiting,
            runs: Vec::new(),
            created_at: super::time::now_millis(),
        }
    }

    /// Whether something happens when the group is done: a program, or a
    /// when-done of the computer.
    pub fn completes(&self) -> bool {
        self.action.is_some() || self.when_done != WhenDone::Nothing
    }

    /// Whether new operations may still join: not once an enabled completion
    /// is on its way.
    pub fn accepts_members(&self) -> bool {
        !(self.enabled && self.completes())
    }

    /// Whether the completion becomes due now that `members` are as they are.
    pub(super) fn action_becomes_due(&self, members: &[&Snapshot]) -> bool {
        self.enabled
            && self.completes()
            && self.action_state == ActionState::Waiting
            && members.iter().all(|s| s.status.is_finished())
    }

    /// Whether the group is done: its action ran (or there was none to run).
    pub fn is_done(&self) -> bool {
        matches!(
            self.action_state,
            ActionState::Succeeded | ActionState::Failed
        )
    }
}

/// A name a person can type and a script can pass around.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("a group name cannot be empty".into());
    }
    if name.chars().count() > 100 {
        return Err("a group name is at most 100 characters".into());
    }
    if name.chars().any(char::is_control) {
        return Err("a group name cannot contain control characters".into());
    }
    Ok(())
}

/// The results an action receives on standard input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Results {
    pub group: String,
    pub operations: Vec<OperationResult>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OperationResult {
    pub id: OperationId,
    pub kind: Kind,
    pub url: String,
    /// Downloads: the file written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<std::path::PathBuf>,
    /// Uploads: the files sent.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub sources: Vec<std::path::PathBuf>,
    pub status: Status,
    pub error: Option<ErrorInfo>,
    pub bytes: u64,
    pub total: Option<u64>,
}

impl Results {
    pub fn new(group: &str, members: &[Snapshot]) -> Self {
        Self {
            group: group.to_owned(),
            operations: members
                .iter()
                .map(|s| OperationResult {
                    id: s.id,
                    kind: s.kind,
                    url: crate::engine::redact_url(&s.url),
                    destination: s.destination.clone(),
                    sources: s
                        .upload
                        .as_ref()
                        .map(|u| u.sources.iter().map(|f| f.path.clone()).collect())
                        .unwrap_or_default(),
                    status: s.status,
                    error: s.error.clone(),
                    bytes: s.bytes,
                    total: s.total,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_name("photos 2026").is_ok());
        assert!(check_name("  ").is_err());
        assert!(check_name("a\nb").is_err());
        assert!(check_name(&"x".repeat(101)).is_err());
    }

    #[test]
    fn an_enabled_action_closes_the_group() {
        let mut group = Group::new(
            "g".into(),
            Behavior::Parallel,
            Some(Action {
                program: "true".into(),
                args: vec![],
            }),
        );
        assert!(group.accepts_members());
        group.enabled = true;
        assert!(!group.accepts_members());
        let mut plain = Group::new("p".into(), Behavior::Serialized, None);
        assert!(plain.accepts_members());
        plain.enabled = true;
        assert!(plain.accepts_members(), "nothing to do when it is done");
        plain.when_done = WhenDone::Suspend;
        assert!(
            !plain.accepts_members(),
            "the computer suspends once it is done"
        );
    }

    #[test]
    fn when_done_words_and_order() {
        for w in WhenDone::ALL {
            assert_eq!(w.as_str().parse::<WhenDone>(), Ok(w));
        }
        assert!("off".parse::<WhenDone>().is_err());
        assert!(WhenDone::PowerOff > WhenDone::Suspend && WhenDone::Suspend > WhenDone::Quit);
        let json = serde_json::to_string(&WhenDone::PowerOff).unwrap();
        assert_eq!(json, "\"power_off\"");
    }
}
