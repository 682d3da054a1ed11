//! `ferry schedule …`: the rules live in the config file (`[[schedule]]`); the
//! agent applies them. A change is written to the file, then sent to the agent.

use std::fmt::Write as _;

use super::{Endpoint, Exit, ScheduleCommand, call, report};
use crate::config;
use crate::engine::schedule::{Effect, Rule, Scope, parse_days};
use crate::engine::{Category, CostPolicy};
use crate::ipc::{Request, Response};

pub(super) async fn run(command: ScheduleCommand, endpoint: &Endpoint) -> Exit {
    let mut client = match endpoint.connect().await {
        Ok(client) => client,
        Err(exit) => return exit,
    };
    let rules = match call(&mut client, &Request::Schedule).await {
        Ok(Response::Schedule { rules }) => rules,
        Ok(other) => return report(&other),
        Err(exit) => return exit,
    };
    let changed = match command {
        ScheduleCommand::List { json } => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&rules).unwrap_or_default()
                );
            } else {
                print!("{}", listing(&rules));
            }
            return Exit::Done;
        }
        ScheduleCommand::Add {
            from,
            to,
            days,
            group,
            category,
            policy,
            only,
            never,
            limit,
        } => {
            let rule = match rule(
                &from,
                &to,
                days.as_deref(),
                group,
                category,
                policy,
                only,
                never,
                limit,
            ) {
                Ok(rule) => rule,
                Err(why) => {
                    eprintln!("ferry: {why}");
                    return Exit::Invalid;
                }
            };
            let mut rules = rules;
            rules.push(rule);
            rules
        }
        ScheduleCommand::Remove { number } => {
            if number == 0 || number > rules.len() {
                eprintln!("ferry: there is no rule {number} (`ferry schedule list` numbers them)");
                return Exit::Invalid;
            }
            let mut rules = rules;
            rules.remove(number - 1);
            rules
        }
    };
    // The file first: what the agent applies is what the next start reads.
    let path = endpoint.config.clone().unwrap_or_else(config::default_path);
    let mut loaded = config::load(&path).config;
    loaded.schedule.clone_from(&changed);
    if let Err(e) = config::save(&path, &loaded) {
        eprintln!("ferry: cannot write {}: {e}", path.display());
        return Exit::Failed;
    }
    match call(&mut client, &Request::SetSchedule { rules: changed }).await {
        Ok(Response::Schedule { rules }) => {
            eprint!("{}", listing(&rules));
            Exit::Done
        }
        Ok(other) => report(&other),
        Err(exit) => exit,
    }
}

#[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
fn rule(
    from: &str,
    to: &str,
    days: Option<&str>,
    group: Option<String>,
    category: Option<String>,
    policy: Option<super::PolicyArg>,
    only: bool,
    never: bool,
    limit: Option<super::Rate>,
) -> Result<Rule, String> {
    let applies_to = match (group, category, policy) {
        (Some(group), _, _) => Scope::Group(group),
        (_, Some(name), _) => Scope::Category(
            Category::ALL
                .into_iter()
                .find(|c| c.name().eq_ignore_ascii_case(&name))
                .ok_or_else(|| format!("{name:?} is not a kind of file"))?,
        ),
        (_, _, Some(policy)) => Scope::Policy(CostPolicy::from(policy)),
        _ => Scope::All,
    };
    let effect = match (only, never, limit) {
        (true, _, _) => Effect::MayRun,
        (_, true, _) => Effect::MayNotRun,
        (_, _, Some(super::Rate(Some(bytes)))) => Effect::Limit {
            kib: bytes.div_ceil(1024),
        },
        _ => return Err("a limit rule needs a rate (500K, 2M)".into()),
    };
    Ok(Rule {
        days: parse_days(days.unwrap_or(""))?,
        from: from.parse()?,
        to: to.parse()?,
        applies_to,
        effect,
    })
}

/// The rules, numbered, one per line.
fn listing(rules: &[Rule]) -> String {
    if rules.is_empty() {
        return "no schedule: transfers run at any hour\n".to_owned();
    }
    let mut out = String::new();
    for (n, rule) in rules.iter().enumerate() {
        let days = if rule.days.is_empty() {
            "every day".to_owned()
        } else {
            rule.days
                .iter()
                .map(|d| format!("{d:?}").to_lowercase())
                .collect::<Vec<_>>()
                .join(",")
        };
        let who = match &rule.applies_to {
            Scope::All => "all transfers".to_owned(),
            Scope::Group(group) => format!("group {group}"),
            Scope::Category(category) => category.name().to_owned(),
            Scope::Policy(policy) => format!("policy {}", policy.as_kebab()),
        };
        let what = match rule.effect {
            Effect::MayRun => "run only then".to_owned(),
            Effect::MayNotRun => "do not run then".to_owned(),
            Effect::Limit { kib } => format!("at most {kib} KiB/s then"),
        };
        let _ = writeln!(
            out,
            "{}  {}-{} {days}: {who} {what}",
            n + 1,
            rule.from,
            rule.to
        );
    }
    out
}
