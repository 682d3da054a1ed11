//! Words and numbers for the terminal: sizes, speeds, durations, the `list` table
//! and the `show` page.

use std::fmt::Write as _;

use crate::engine::time;
use crate::engine::{
    ActionState, Behavior, DataLimit, DataUsage, Group, NetworkState, Snapshot, Status, UploadMode,
};

/// `0 B`, `512 B`, `1.5 KiB`, `64.0 MiB`…
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

pub fn speed(bytes_per_sec: f64) -> String {
    format!("{}/s", size(bytes_per_sec.max(0.0) as u64))
}

/// `45 s`, `3 min 20 s`, `2 h 5 min`.
pub fn duration(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

/// `12.0 MiB of 64.0 MiB (18%)`, or `12.0 MiB` when the total is unknown.
pub fn progress(bytes: u64, total: Option<u64>) -> String {
    match total {
        Some(total) if total > 0 => format!(
            "{} of {} ({}%)",
            size(bytes),
            size(total),
            bytes.saturating_mul(100) / total
        ),
        Some(_) => size(bytes),
        None => size(bytes),
    }
}

/// The status in words, with what the user needs next to it.
pub fn status_line(s: &Snapshot) -> String {
    let error = s.error.as_ref();
    match s.status {
        Status::Idle => match (s.retry_at, error) {
            (Some(at), Some(e)) => format!(
                "Waiting to retry in {} ({:?}: {})",
                duration(at.saturating_sub(time::now_millis()).div_ceil(1000)),
                e.status,
                e.message
            ),
            _ => "Queued".to_owned(),
        },
        Status::Running => "Running".to_owned(),
        Status::PausedByApplication => "Paused".to_owned(),
        Status::PausedNoNetwork => "Paused: no network".to_owned(),
        Status::PausedCostedNetwork => "Paused: metered network".to_owned(),
        Status::PausedSystemPolicy => "Paused: battery saver".to_owned(),
        Status::PausedBySchedule => match s.waits_until {
            Some(at) => format!(
                "Waiting for its hours: until {}",
                crate::engine::schedule::local_minute(at)
            ),
            None => "Waiting for its hours (none in the coming week)".to_owned(),
        },
        Status::NeedsNewAddress => match error {
            Some(e) => format!(
                "Needs a new address ({}): `ferry refresh {} NEW_URL` continues it",
                e.message,
                s.id.short()
            ),
            None => "Needs a new address".to_owned(),
        },
        Status::Completed => "Completed".to_owned(),
        Status::Canceled => "Canceled".to_owned(),
        Status::Error => match error {
            Some(e) => format!("Failed ({:?}): {}", e.status, e.message),
            None => "Failed".to_owned(),
        },
    }
}

/// What a rerun of the same command says: `continuing 1a2b3c4d, 37 % done (Paused)`.
pub fn continuing(s: &Snapshot) -> String {
    let done = match s.total {
        Some(total) if total > 0 => {
            format!(
                ", {} % done",
                s.bytes.min(total).saturating_mul(100) / total
            )
        }
        _ if s.bytes > 0 => format!(", {} done", size(s.bytes)),
        _ => String::new(),
    };
    format!("continuing {}{done} ({})", s.id.short(), status_line(s))
}

pub fn table(snapshots: &[Snapshot]) -> String {
    if snapshots.is_empty() {
        return "No transfers. Start one with: ferry get URL\n".to_owned();
    }
    let mut out = format!(
        "{:<8}  {:<11}  {:<28}  {:>11}  {}\n",
        "ID", "STATUS", "PROGRESS", "SPEED", "NAME"
    );
    for s in snapshots {
        let status = match s.status {
            Status::Idle if s.retry_at.is_some() => "Retrying",
            Status::Idle => "Queued",
            Status::PausedByApplication => "Paused",
            Status::PausedNoNetwork => "NoNetwork",
            Status::PausedCostedNetwork => "Metered",
            Status::PausedSystemPolicy => "PowerSaver",
            Status::Error => "Failed",
            other => other.as_str(),
        };
        let speed_text = if s.status == Status::Running {
            speed(s.speed)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{:<8}  {:<11}  {:<28}  {:>11}  {}",
            s.id.short(),
            status,
            progress(s.bytes, s.total),
            speed_text,
            s.display_name()
        );
    }
    out
}

pub fn details(s: &Snapshot) -> String {
    let mut out = String::new();
    let mut line = |key: &str, value: String| {
        let _ = writeln!(out, "{key:<13}{value}");
    };
    line("id", s.id.to_string());
    line("status", status_line(s));
    line("url", crate::engine::redact_url(&s.url));
    line(
        "destination",
        s.destination.as_ref().map_or_else(
            || "(named by the server)".to_owned(),
            |d| d.display().to_string(),
        ),
    );
    if let Some(upload) = &s.upload {
        let how = match &upload.mode {
            UploadMode::Single => format!("{:?}", upload.method).to_uppercase(),
            UploadMode::Multipart { .. } => format!("multipart {:?}", upload.method).to_uppercase(),
            UploadMode::Tus => "tus (resumable)".to_owned(),
        };
        line("upload", how);
        for source in &upload.sources {
            line(
                "file",
                format!("{} ({})", source.path.display(), size(source.size)),
            );
        }
    }
    line("progress", progress(s.bytes, s.total));
    if s.status == Status::Running {
        let eta = s
            .eta_secs
            .map(|e| format!(", {} left", duration(e)))
            .unwrap_or_default();
        line("speed", format!("{}{eta}", speed(s.speed)));
    }
    line("policy", s.policy.as_kebab().to_owned());
    if let Some(group) = &s.group {
        line("group", group.clone());
    }
    if s.priority != crate::engine::Priority::Normal {
        line("priority", s.priority.as_kebab().to_owned());
    }
    if s.attempts > 0 {
        line("retries", s.attempts.to_string());
    }
    if let Some(etag) = &s.validators.etag {
        line("etag", etag.clone());
    }
    if let Some(modified) = &s.validators.last_modified {
        line("modified", modified.clone());
    }
    if let Some(user) = &s.secrets.user {
        line("user", format!("{user} (password kept secret)"));
    }
    if s.insecure {
        line(
            "tls",
            "certificates NOT checked (--insecure): the bytes may have been read or changed on the way".to_owned(),
        );
    }
    if let Some(proxy) = &s.proxy {
        let user = s
            .secrets
            .proxy_user
            .as_ref()
            .map(|u| format!(" as {u}"))
            .unwrap_or_default();
        line(
            "proxy",
            format!("{}{user}", crate::engine::redact_url(proxy)),
        );
    }
    for header in &s.headers {
        line("header", format!("{}: …", header.name));
    }
    for name in &s.secrets.headers {
        line("header", format!("{name}: (secret)"));
    }
    if s.secrets.cookies > 0 {
        line("cookies", format!("{} (kept secret)", s.secrets.cookies));
    }
    if let Some(response) = &s.response {
        line("response", response.status.to_string());
        let body = response.body.trim_end();
        if !body.is_empty() {
            out.push('\n');
            out.push_str(body);
            out.push('\n');
            if response.truncated {
                out.push_str("…\n");
            }
        }
    }
    out
}

/// The network as the agent sees it, for `ferry status`.
pub fn network(state: &NetworkState, usage: &DataUsage) -> String {
    let c = &state.conditions;
    let mut out = String::new();
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let _ = writeln!(
        out,
        "{:<13}{}",
        "network",
        if c.online { "online" } else { "offline" }
    );
    let _ = writeln!(out, "{:<13}{}", "metered", yes_no(c.metered));
    let _ = writeln!(out, "{:<13}{}", "roaming", yes_no(c.roaming));
    let _ = writeln!(out, "{:<13}{}", "power saver", yes_no(c.power_saver));
    let month = format!("{}-{:02}", usage.month / 100, usage.month % 100);
    let used = match usage.budget {
        Some(budget) => format!(
            "{} of {} this month ({month}){}",
            size(usage.bytes),
            size(budget),
            match state.data_limit {
                DataLimit::Under => "",
                DataLimit::Approaching => ": approaching the limit",
                DataLimit::Over => ": over the limit",
            }
        ),
        None => format!("{} this month ({month}), no budget set", size(usage.bytes)),
    };
    let _ = writeln!(out, "{:<13}{used}", "metered use");
    out
}

/// `ferry group list`.
pub fn groups(groups: &[Group]) -> String {
    if groups.is_empty() {
        return "No groups. Create one with: ferry group create NAME\n".to_owned();
    }
    let mut out = format!(
        "{:<24}  {:<10}  {:<8}  {}\n",
        "NAME", "BEHAVIOR", "ENABLED", "ACTION"
    );
    for g in groups {
        let _ = writeln!(
            out,
            "{:<24}  {:<10}  {:<8}  {}",
            g.name,
            behavior(g.behavior),
            if g.enabled { "yes" } else { "no" },
            action_state(g)
        );
    }
    out
}

fn behavior(behavior: Behavior) -> &'static str {
    match behavior {
        Behavior::Parallel => "parallel",
        Behavior::Serialized => "serialized",
    }
}

fn action_state(g: &Group) -> String {
    if g.action.is_none() {
        return "-".to_owned();
    }
    match g.action_state {
        ActionState::Waiting if g.enabled => "waiting for its transfers".to_owned(),
        ActionState::Waiting => "waiting to be enabled".to_owned(),
        ActionState::Due { at } if at > time::now_millis() && !g.runs.is_empty() => format!(
            "failed, retrying in {}",
            duration(at.saturating_sub(time::now_millis()).div_ceil(1000))
        ),
        ActionState::Due { .. } => "due".to_owned(),
        ActionState::Running { .. } => "running".to_owned(),
        ActionState::Succeeded => "succeeded".to_owned(),
        ActionState::Failed => format!("failed after {} run(s)", g.runs.len()),
    }
}

/// `ferry group show`.
pub fn group(g: &Group, members: &[Snapshot]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{:<13}{}", "group", g.name);
    let _ = writeln!(out, "{:<13}{}", "behavior", behavior(g.behavior));
    let _ = writeln!(
        out,
        "{:<13}{}",
        "enabled",
        if g.enabled { "yes" } else { "no" }
    );
    if let Some(action) = &g.action {
        let mut command = action.program.clone();
        for arg in &action.args {
            command.push(' ');
            command.push_str(arg);
        }
        let _ = writeln!(out, "{:<13}{command}", "action");
        let _ = writeln!(out, "{:<13}{}", "state", action_state(g));
    }
    for (n, run) in g.runs.iter().enumerate() {
        let ended = match (run.exit_code, &run.failure) {
            (Some(code), _) => format!("exit {code}"),
            (None, Some(failure)) => failure.clone(),
            (None, None) => "ended".to_owned(),
        };
        let _ = writeln!(out, "{:<13}{ended}", format!("run {}", n + 1));
        for text in run.output.lines() {
            let _ = writeln!(out, "{:<13}{text}", "");
        }
    }
    out.push('\n');
    out.push_str(&table(members));
    out
}

/// Days of traffic, one per line, then their total.
pub fn traffic(days: &[crate::engine::DayTraffic]) -> String {
    use std::fmt::Write as _;
    if days.is_empty() {
        return "nothing moved yet\n".to_owned();
    }
    let mut out = String::new();
    let line = |out: &mut String, when: &str, down: u64, up: u64, metered: u64| {
        let _ = writeln!(
            out,
            "{when:<10}  down {:>10}  up {:>10}  metered {:>10}",
            size(down),
            size(up),
            size(metered)
        );
    };
    for day in days {
        let when = format!(
            "{:04}-{:02}-{:02}",
            day.day / 10_000,
            day.day / 100 % 100,
            day.day % 100
        );
        line(&mut out, &when, day.downloaded, day.uploaded, day.metered());
    }
    let sum = |f: fn(&crate::engine::DayTraffic) -> u64| days.iter().map(f).sum::<u64>();
    line(
        &mut out,
        "total",
        sum(|d| d.downloaded),
        sum(|d| d.uploaded),
        sum(crate::engine::DayTraffic::metered),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_binary_units() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(1023), "1023 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(64 * 1024 * 1024), "64.0 MiB");
        assert_eq!(
            progress(16 << 20, Some(64 << 20)),
            "16.0 MiB of 64.0 MiB (25%)"
        );
        assert_eq!(progress(5, None), "5 B");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(45), "45 s");
        assert_eq!(duration(200), "3 min 20 s");
        assert_eq!(duration(7500), "2 h 5 min");
    }
}
