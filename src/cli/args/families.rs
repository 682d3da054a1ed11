//! The arguments of the command families: `ferry browser …`, `ferry schedule
//! …`, `ferry group …`.

use clap::Subcommand;

use super::{PolicyArg, Rate, parse_rate};
use crate::engine::WhenDone;

#[derive(Debug, Subcommand)]
pub enum BrowserCommand {
    /// Write the host manifest for every browser you use (Firefox, Chromium,
    /// Chrome, Edge, Brave, Vivaldi, Opera), allowed for Ferry's extension only.
    #[command(after_help = "Example:\n  ferry browser install")]
    Install {
        /// Also for browsers that have no profile here yet.
        #[arg(long)]
        all: bool,
    },
    /// Remove what `install` wrote.
    Uninstall,
    /// Say, for each browser, whether the extension can reach Ferry.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// The rules, numbered (the most restrictive of those that apply wins).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Add a rule (kept in the config file, applied at once).
    #[command(after_help = "Examples:
  ferry schedule add 01:00 07:00 --group night --only      # night downloads run only then
  ferry schedule add 09:00 18:00 --days mon-fri --limit 2M  # 2 MB/s on weekdays
  ferry schedule add 18:00 23:00 --category videos --never  # no videos in the evening

Times are local; an end at or before the start runs into the next day.")]
    #[command(group(clap::ArgGroup::new("effect").required(true).args(["only", "never", "limit"])))]
    Add {
        /// Start, HH:MM.
        from: String,
        /// End, HH:MM.
        to: String,
        /// Days the window starts on: mon,tue or mon-fri (default: every day).
        #[arg(long)]
        days: Option<String>,
        /// Only the transfers of this group.
        #[arg(long, conflicts_with_all = ["category", "policy"])]
        group: Option<String>,
        /// Only this kind of file (videos, music, pictures, documents, archives,
        /// programs, other).
        #[arg(long, conflicts_with = "policy")]
        category: Option<String>,
        /// Only the transfers with this metered-network policy.
        #[arg(long)]
        policy: Option<PolicyArg>,
        /// They run only inside the window.
        #[arg(long)]
        only: bool,
        /// They do not run inside the window.
        #[arg(long)]
        never: bool,
        /// At most this rate inside the window (the transfers it applies to,
        /// together): 500K, 2M.
        #[arg(long, value_parser = parse_rate)]
        limit: Option<Rate>,
    },
    /// Remove the rule with this number (as `ferry schedule list` shows them).
    Remove { number: usize },
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
        /// What the computer does once every transfer has ended (after the
        /// program): nothing, quit, suspend, power-off; a notification gives
        /// a minute to cancel it.
        #[arg(long, value_name = "WHAT", default_value = "nothing", value_parser = parse_when_done)]
        when_done: WhenDone,
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

pub(super) fn parse_when_done(word: &str) -> Result<WhenDone, String> {
    word.parse()
}
