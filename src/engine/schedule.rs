//! Schedules (F25): rules that say, by day of the week and time of day where the
//! user is, which transfers may run and how fast ("downloads of group `night`
//! run 01:00–07:00", "2 MiB/s on weekdays 09:00–18:00").
//!
//! A rule's window is read on the local clock: it is open while the local time
//! of day lies between its start (included) and its end (excluded), on the
//! days it names; an end at or before the start runs into the next day. On a
//! day the clocks spring forward, a start inside the skipped hour opens at the
//! jump; on a day they fall back, a window inside the repeated hour is open
//! both times the clock shows it.
//!
//! When several rules apply, the most restrictive wins: a transfer may run only
//! if every "may run only" rule that applies has its window open and no "may
//! not run" rule that applies has; the lowest limit of the open limit rules
//! holds. A transfer whose metered-network policy is `Always` ("run anyway")
//! passes the run gates; limits still hold.

use std::fmt;

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, ZonedDateTime};
use serde::{Deserialize, Serialize};

use super::category::Category;
use super::operation::CostPolicy;

/// A time of day, minutes after midnight (`"01:30"` in the config file).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    pub fn new(hour: u16, minute: u16) -> Option<Self> {
        (hour < 24 && minute < 60).then_some(Self(hour * 60 + minute))
    }

    fn time(self) -> Time {
        // Both parts are below 24 and 60 by construction.
        Time::constant((self.0 / 60) as i8, (self.0 % 60) as i8, 0, 0)
    }

    fn of(time: Time) -> Self {
        Self(
            u16::try_from(time.hour()).unwrap_or(0) * 60
                + u16::try_from(time.minute()).unwrap_or(0),
        )
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl std::str::FromStr for TimeOfDay {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (hour, minute) = text
            .trim()
            .split_once(':')
            .ok_or_else(|| format!("{text:?} is not a time of day (HH:MM)"))?;
        let number = |part: &str| part.parse::<u16>().ok();
        number(hour)
            .zip(number(minute))
            .and_then(|(h, m)| Self::new(h, m))
            .ok_or_else(|| format!("{text:?} is not a time of day (HH:MM, 00:00 to 23:59)"))
    }
}

impl Serialize for TimeOfDay {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A day of the week, as the config file spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Day {
    fn of(weekday: Weekday) -> Self {
        match weekday {
            Weekday::Monday => Self::Mon,
            Weekday::Tuesday => Self::Tue,
            Weekday::Wednesday => Self::Wed,
            Weekday::Thursday => Self::Thu,
            Weekday::Friday => Self::Fri,
            Weekday::Saturday => Self::Sat,
            Weekday::Sunday => Self::Sun,
        }
    }
}

/// What a rule does while its window is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    /// The transfers it applies to run only inside its window.
    MayRun,
    /// They do not run inside its window.
    MayNotRun,
    /// They share at most this many KiB per second inside its window.
    Limit { kib: u64 },
}

/// Which transfers a rule applies to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    #[default]
    All,
    Group(String),
    Category(Category),
    Policy(CostPolicy),
}

/// One rule: its days (none: every day), its window, what it applies to and
/// what it does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Rule {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<Day>,
    pub from: TimeOfDay,
    pub to: TimeOfDay,
    #[serde(default)]
    pub applies_to: Scope,
    pub effect: Effect,
}

/// What the rules need to know of a transfer.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    pub group: Option<&'a str>,
    pub category: Category,
    pub policy: CostPolicy,
}

impl<'a> Facts<'a> {
    pub fn of(snapshot: &'a super::operation::Snapshot) -> Self {
        Self {
            group: snapshot.group.as_deref(),
            category: snapshot.category,
            policy: snapshot.policy,
        }
    }
}

/// What the rules allow a transfer now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gate {
    pub may_run: bool,
    /// The lowest limit in force, bytes per second.
    pub limit: Option<u64>,
}

impl Scope {
    /// Whether a transfer with `facts` is among those this names.
    pub fn holds(&self, facts: &Facts<'_>) -> bool {
        match self {
            Self::All => true,
            Self::Group(name) => facts.group == Some(name.as_str()),
            Self::Category(category) => facts.category == *category,
            Self::Policy(policy) => facts.policy == *policy,
        }
    }
}

impl Rule {
    fn applies(&self, facts: &Facts<'_>) -> bool {
        self.applies_to.holds(facts)
    }

    fn on(&self, day: Date) -> bool {
        self.days.is_empty() || self.days.contains(&Day::of(day.weekday()))
    }

    /// Whether the window is open at `now` (on the local clock).
    pub fn open(&self, now: &ZonedDateTime) -> bool {
        let time = TimeOfDay::of(now.time());
        let today = now.date();
        if self.from < self.to {
            return self.on(today) && self.from <= time && time < self.to;
        }
        // Across midnight (or all day when the ends meet): the evening part
        // belongs to the day it starts on, the morning part to the day before.
        let yesterday = today.yesterday().unwrap_or(today);
        (self.on(today) && time >= self.from) || (self.on(yesterday) && time < self.to)
    }
}

/// What `rules` allow a transfer with `facts` at `now`.
pub fn gate(rules: &[Rule], facts: &Facts<'_>, now: &ZonedDateTime) -> Gate {
    let mut gate = Gate {
        may_run: true,
        limit: None,
    };
    for rule in rules.iter().filter(|r| r.applies(facts)) {
        let open = rule.open(now);
        match rule.effect {
            Effect::MayRun if !open => gate.may_run = false,
            Effect::MayNotRun if open => gate.may_run = false,
            Effect::Limit { kib } if open => {
                let bytes = kib.saturating_mul(1024);
                gate.limit = Some(gate.limit.map_or(bytes, |l| l.min(bytes)));
            }
            _ => {}
        }
    }
    if facts.policy == CostPolicy::Always {
        gate.may_run = true;
    }
    gate
}

/// How far ahead [`opens_at`] looks: a week and a day covers every weekly rule.
const HORIZON_DAYS: i64 = 8;

/// When a transfer the rules hold back may run next ("Waiting until 01:00"):
/// the first moment after `now` the gate opens, within a week; `None` if it
/// does not (no rule lets it run in that time).
pub fn opens_at(rules: &[Rule], facts: &Facts<'_>, now: &ZonedDateTime) -> Option<ZonedDateTime> {
    let zone = now.time_zone();
    let mut moments: Vec<Timestamp> = Vec::new();
    for days in 0..=HORIZON_DAYS {
        let Ok(day) = now.date().checked_add(days.days()) else {
            continue;
        };
        for rule in rules.iter().filter(|r| r.applies(facts)) {
            for edge in [rule.from, rule.to] {
                // Both moments a repeated local time names (the same one
                // twice on other days).
                let local = zone.to_ambiguous_timestamp(day.to_datetime(edge.time()));
                moments.extend([local.earlier(), local.later()].into_iter().flatten());
            }
        }
    }
    // A window may also open at a change of the clocks (a start in the skipped
    // hour opens at the jump).
    let end = now
        .timestamp()
        .checked_add((HORIZON_DAYS * 24).hours())
        .ok()?;
    moments.extend(
        zone.following(now.timestamp())
            .take_while(|t| t.timestamp() <= end)
            .map(|t| t.timestamp()),
    );
    moments.sort_unstable();
    moments.dedup();
    moments
        .into_iter()
        .filter(|t| *t > now.timestamp())
        .map(|t| t.to_zoned_datetime(zone.clone()))
        .find(|at| gate(rules, facts, at).may_run)
}

/// Where the engine reads the time and the time zone: the system's, or a
/// test's (a clock it moves by hand, no real waiting).
#[derive(Clone)]
pub struct Clock(std::sync::Arc<dyn Fn() -> ZonedDateTime + Send + Sync>);

impl Clock {
    pub fn system() -> Self {
        Self(std::sync::Arc::new(|| {
            Timestamp::now().to_zoned_datetime(local_zone())
        }))
    }

    pub fn new(now: impl Fn() -> ZonedDateTime + Send + Sync + 'static) -> Self {
        Self(std::sync::Arc::new(now))
    }

    pub fn now(&self) -> ZonedDateTime {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// Every scope short of all transfers that a limit rule names, with the limit
/// its transfers share at `now` (bytes per second: the lowest of its open
/// windows; `None` while none is open).
pub fn scoped_limits(rules: &[Rule], now: &ZonedDateTime) -> Vec<(Scope, Option<u64>)> {
    let mut limits: Vec<(Scope, Option<u64>)> = Vec::new();
    for rule in rules {
        let Effect::Limit { kib } = rule.effect else {
            continue;
        };
        if rule.applies_to == Scope::All {
            continue;
        }
        let open = rule.open(now).then(|| kib.saturating_mul(1024));
        match limits
            .iter_mut()
            .find(|(scope, _)| *scope == rule.applies_to)
        {
            Some((_, limit)) => {
                *limit = match (*limit, open) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            None => limits.push((rule.applies_to.clone(), open)),
        }
    }
    limits
}

/// The limit for all transfers together that the open windows of rules for
/// all of them set, bytes per second.
pub fn limit_for_all(rules: &[Rule], now: &ZonedDateTime) -> Option<u64> {
    rules
        .iter()
        .filter(|r| r.applies_to == Scope::All && r.open(now))
        .filter_map(|r| match r.effect {
            Effect::Limit { kib } => Some(kib.saturating_mul(1024)),
            _ => None,
        })
        .min()
}

/// `at` as the local clock shows it, to the minute: `2026-12-07 01:00`.
pub fn local_minute(at: super::time::Millis) -> String {
    let Ok(instant) = Timestamp::from_millisecond(i64::try_from(at).unwrap_or(i64::MAX)) else {
        return at.to_string();
    };
    let local = instant.to_zoned_datetime(local_zone());
    format!("{} {}", local.date(), TimeOfDay::of(local.time()))
}

const WEEK: [(&str, Day); 7] = [
    ("mon", Day::Mon),
    ("tue", Day::Tue),
    ("wed", Day::Wed),
    ("thu", Day::Thu),
    ("fri", Day::Fri),
    ("sat", Day::Sat),
    ("sun", Day::Sun),
];

/// `mon,wed` or `mon-fri` (or both: `mon-wed,sat`); empty: every day.
pub fn parse_days(text: &str) -> Result<Vec<Day>, String> {
    let index = |name: &str| {
        WEEK.iter()
            .position(|(n, _)| name.trim().eq_ignore_ascii_case(n))
            .ok_or_else(|| format!("{name:?} is not a day (mon, tue, … sun)"))
    };
    let mut days = Vec::new();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let (first, last) = match part.split_once('-') {
            Some((a, b)) => (index(a)?, index(b)?),
            None => (index(part)?, index(part)?),
        };
        if last < first {
            return Err(format!("{part:?}: a range goes from Monday to Sunday"));
        }
        for (_, day) in &WEEK[first..=last] {
            if !days.contains(day) {
                days.push(*day);
            }
        }
    }
    Ok(days)
}

/// The user's time zone, as the system says it (UTC if it cannot tell).
pub fn local_zone() -> TimeZone {
    TimeZone::try_system().unwrap_or(TimeZone::UTC)
}

#[cfg(test)]
mod tests;
