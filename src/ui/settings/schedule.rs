//! The settings' schedule: the rules, each in words with a button to remove it,
//! and a line to add one (from, to, days, what it applies to: all transfers, a
//! kind of file, a group, a policy; what it does).

use iced::widget::{column, row, text};
use iced::{Alignment, Element};
use lucide_icons::Icon;

use ferry::config::Config;
use ferry::engine::schedule::{Day, Effect, Rule, Scope, TimeOfDay, parse_days};
use ferry::engine::{Category, CostPolicy};

use super::Message;
use crate::i18n::{Tr, tr};
use crate::ui::form::Choice;
use crate::ui::format;
use crate::ui::theme::{self, size, space};

/// What a new rule does, as the pick list offers it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Does {
    #[default]
    RunOnly,
    Never,
    Limit,
}

/// The rule being typed.
#[derive(Clone, Debug, Default)]
pub struct NewRule {
    pub from: String,
    pub to: String,
    pub days: String,
    /// Which transfers it is for.
    pub applies_to: Scope,
    pub does: Does,
    pub kib: String,
    /// Why the last Add was refused.
    pub problem: Option<Problem>,
}

/// What is wrong with the rule typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    Time(String),
    Days,
    Limit,
}

#[derive(Clone, Debug)]
pub enum Edit {
    From(String),
    To(String),
    Days(String),
    AppliesTo(Choice<Scope>),
    Does(Choice<Does>),
    Kib(String),
    Add,
    Remove(usize),
}

/// Apply an edit to the new rule or to the draft's rules.
pub fn update(draft: &mut Config, new: &mut NewRule, edit: Edit) {
    match edit {
        Edit::From(t) => new.from = t,
        Edit::To(t) => new.to = t,
        Edit::Days(t) => new.days = t,
        Edit::AppliesTo(choice) => new.applies_to = choice.value,
        Edit::Does(choice) => new.does = choice.value,
        Edit::Kib(t) => new.kib = t,
        Edit::Remove(index) => {
            if index < draft.schedule.len() {
                draft.schedule.remove(index);
            }
        }
        Edit::Add => match rule(new) {
            Ok(rule) => {
                draft.schedule.push(rule);
                *new = NewRule::default();
            }
            Err(problem) => new.problem = Some(problem),
        },
    }
}

fn rule(new: &NewRule) -> Result<Rule, Problem> {
    let time = |typed: &str| {
        typed
            .parse::<TimeOfDay>()
            .map_err(|_| Problem::Time(typed.to_owned()))
    };
    let effect = match new.does {
        Does::RunOnly => Effect::MayRun,
        Does::Never => Effect::MayNotRun,
        Does::Limit => Effect::Limit {
            kib: new
                .kib
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|k| *k > 0)
                .ok_or(Problem::Limit)?,
        },
    };
    Ok(Rule {
        days: parse_days(&new.days).map_err(|_| Problem::Days)?,
        from: time(&new.from)?,
        to: time(&new.to)?,
        applies_to: new.applies_to.clone(),
        effect,
    })
}

fn day_name(tr: &Tr, day: Day) -> String {
    match day {
        Day::Mon => tr!(tr, "weekday-mon"),
        Day::Tue => tr!(tr, "weekday-tue"),
        Day::Wed => tr!(tr, "weekday-wed"),
        Day::Thu => tr!(tr, "weekday-thu"),
        Day::Fri => tr!(tr, "weekday-fri"),
        Day::Sat => tr!(tr, "weekday-sat"),
        Day::Sun => tr!(tr, "weekday-sun"),
    }
}

/// A rule in the user's words: "01:00–07:00, every day: group night runs only then".
pub fn words(tr: &Tr, rule: &Rule) -> String {
    let days = if rule.days.is_empty() {
        tr!(tr, "schedule-every-day")
    } else {
        rule.days
            .iter()
            .map(|d| day_name(tr, *d))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let who = scope_words(tr, &rule.applies_to);
    let what = match rule.effect {
        Effect::MayRun => tr!(tr, "schedule-run-only"),
        Effect::MayNotRun => tr!(tr, "schedule-never"),
        Effect::Limit { kib } => tr!(tr, "schedule-limit", kib = kib),
    };
    tr!(
        tr,
        "schedule-rule",
        from = rule.from.to_string(),
        to = rule.to.to_string(),
        days = days,
        who = who,
        what = what
    )
}

fn scope_words(tr: &Tr, scope: &Scope) -> String {
    match scope {
        Scope::All => tr!(tr, "schedule-all"),
        Scope::Group(name) => tr!(tr, "schedule-group", name = name.clone()),
        Scope::Category(kind) => format::category(tr, *kind),
        Scope::Policy(policy) => tr!(tr, "schedule-policy", policy = policy.as_kebab()),
    }
}

/// What a new rule can be for: all transfers, each kind of file, each group
/// (`groups`: their names), each policy.
pub fn scopes(tr: &Tr, groups: &[String]) -> Vec<Choice<Scope>> {
    let kinds = Category::ALL.into_iter().map(Scope::Category);
    let groups = groups.iter().cloned().map(Scope::Group);
    let policies = [
        CostPolicy::UnrestrictedOnly,
        CostPolicy::Default,
        CostPolicy::Always,
    ]
    .into_iter()
    .map(Scope::Policy);
    std::iter::once(Scope::All)
        .chain(kinds)
        .chain(groups)
        .chain(policies)
        .map(|value| Choice {
            label: scope_words(tr, &value),
            value,
        })
        .collect()
}

/// `groups`: the names of the groups a rule may be for.
pub fn view<'a>(
    tr: &Tr,
    draft: &'a Config,
    new: &'a NewRule,
    groups: &[String],
) -> Element<'a, Message> {
    let mut lines = column![
        text(tr!(tr, "settings-schedule")).size(16),
        text(tr!(tr, "settings-schedule-hint")).size(13),
    ]
    .spacing(space::S);
    for (index, rule) in draft.schedule.iter().enumerate() {
        lines = lines.push(
            row![
                text(words(tr, rule)).size(size::BODY),
                theme::icon_button(
                    Icon::Trash2,
                    tr!(tr, "action-remove"),
                    Message::Schedule(Edit::Remove(index)),
                ),
            ]
            .spacing(space::S)
            .align_y(Alignment::Center),
        );
    }
    let scopes = scopes(tr, groups);
    let scope = scopes.iter().find(|c| c.value == new.applies_to).cloned();
    let does: Vec<Choice<Does>> = [
        (Does::RunOnly, tr!(tr, "schedule-run-only")),
        (Does::Never, tr!(tr, "schedule-never")),
        (Does::Limit, tr!(tr, "schedule-limit-choice")),
    ]
    .into_iter()
    .map(|(value, label)| Choice { value, label })
    .collect();
    let chosen = does.iter().find(|c| c.value == new.does).cloned();
    let edit = |e: fn(String) -> Edit| move |t| Message::Schedule(e(t));
    let mut add = row![
        theme::text_box("01:00", &new.from)
            .on_input(edit(Edit::From))
            .size(13)
            .width(70),
        text("–").size(13),
        theme::text_box("07:00", &new.to)
            .on_input(edit(Edit::To))
            .size(13)
            .width(70),
        theme::text_box(&tr!(tr, "schedule-days-placeholder"), &new.days)
            .on_input(edit(Edit::Days))
            .size(13)
            .width(120),
        theme::choose(scopes, scope, |c| Message::Schedule(Edit::AppliesTo(c))).text_size(13),
        theme::choose(does, chosen, |c| Message::Schedule(Edit::Does(c))).text_size(13),
    ]
    .spacing(space::XS)
    .align_y(Alignment::Center);
    if new.does == Does::Limit {
        add = add.push(
            theme::text_box("KiB/s", &new.kib)
                .on_input(edit(Edit::Kib))
                .size(13)
                .width(80),
        );
    }
    add = add.push(
        iced::widget::button(text(tr!(tr, "schedule-add")).size(13))
            .style(theme::secondary)
            .on_press(Message::Schedule(Edit::Add)),
    );
    lines = lines.push(add.wrap().vertical_spacing(space::XS));
    if let Some(problem) = &new.problem {
        let words = match problem {
            Problem::Time(typed) => tr!(tr, "schedule-bad-time", typed = typed.clone()),
            Problem::Days => tr!(tr, "schedule-bad-days"),
            Problem::Limit => tr!(tr, "schedule-bad-limit"),
        };
        lines = lines.push(text(words).size(13).style(text::danger));
    }
    lines.into()
}
