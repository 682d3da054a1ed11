//! Details of one operation: addresses, destination or files, times, retries, the
//! last error with its status, and an upload's server answer.

use iced::widget::{Space, button, column, container, row, scrollable, text};
use iced::{Alignment, Element, Fill, FillPortion, Theme};

use ferry::engine::{CostPolicy, Segment, Snapshot, Status, time};

use super::format;
use crate::i18n::{Tr, tr};
use crate::ui::theme;

#[derive(Clone, Debug)]
pub enum Message {
    Close,
    /// Change when this operation may use a metered network.
    Policy(CostPolicy),
}

/// A label and its value, in the details' two columns.
fn field<'a>(label: String, value: String) -> iced::widget::Row<'a, Message> {
    row![
        text(label).size(13).width(160),
        text(value).size(13).width(Fill)
    ]
    .spacing(8)
}

/// Where the details show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// A screen of their own, with Back.
    Screen,
    /// The pane below the list, for the picked row: facts on the left,
    /// activity on the right.
    Pane,
    /// The same in a narrow window: activity under the facts (side by side,
    /// addresses and paths wrapped at every other word).
    NarrowPane,
}

/// `speeds`: the speed bars of the last two minutes, oldest first.
/// A transfer's last moments, as the window heard them: its speed (the graph's
/// bars) and where its connections are (offsets in the file).
#[derive(Debug, Clone, Default)]
pub struct Lately<'a> {
    pub speeds: Vec<f64>,
    pub fetching: &'a [u64],
    /// Where it waits in the queue, if it does.
    pub queue: Option<super::transfers::QueueSpot>,
}

pub fn view<'a>(
    tr: &Tr,
    s: &'a Snapshot,
    lately: &Lately<'_>,
    place: Place,
) -> Element<'a, Message> {
    let none = tr!(tr, "details-none");
    let title = if place != Place::Screen {
        theme::size::HEADING + 1.0
    } else {
        22.0
    };
    let mut lines = column![
        text(format::name(tr, s)).size(title),
        text(format::status(tr, s))
            .size(15)
            .style(theme::status_text(s.status)),
        field(tr!(tr, "details-url"), ferry::engine::redact_url(&s.url)),
    ]
    .spacing(8);
    if let Some(upload) = &s.upload {
        let files = upload
            .sources
            .iter()
            .map(|f| format!("{} ({})", format::path(&f.path), format::size(tr, f.size)))
            .collect::<Vec<_>>()
            .join("\n");
        lines = lines.push(field(tr!(tr, "details-sources"), files));
    } else {
        let destination = s
            .destination
            .as_ref()
            .map_or(none.clone(), |d| format::path(d));
        lines = lines.push(field(tr!(tr, "details-destination"), destination));
    }
    lines = lines
        .push(field(tr!(tr, "details-created"), when(s.created_at)))
        .push(field(
            tr!(tr, "details-finished"),
            s.finished_at.map_or(none, when),
        ))
        .push(field(tr!(tr, "details-retries"), s.attempts.to_string()));
    lines = lines.push(field(
        tr!(tr, "details-category"),
        format::category(tr, s.category),
    ));
    if let Some(group) = &s.group {
        lines = lines.push(field(tr!(tr, "details-group"), group.clone()));
    }
    if let Some(spot) = lately.queue {
        lines = lines.push(field(
            tr!(tr, "details-queue"),
            tr!(
                tr,
                "details-queue-place",
                place = spot.place,
                count = spot.of
            ),
        ));
    }
    lines = access_fields(tr, s, lines);
    let activity = activity(tr, s, lately);
    if place == Place::NarrowPane {
        let both = lines.push(activity);
        return scrollable(both.padding(iced::Padding::ZERO.right(theme::space::M)))
            .height(Fill)
            .into();
    }
    if place == Place::Pane {
        // Facts on the left, activity on the right: the graph and the parts
        // show without scrolling.
        let both = row![lines.width(FillPortion(1)), activity.width(FillPortion(1))]
            .spacing(theme::space::L);
        return scrollable(both.padding(iced::Padding::ZERO.right(theme::space::M)))
            .height(Fill)
            .into();
    }
    let lines = lines.push(activity);
    let back = row![
        button(text(tr!(tr, "back")))
            .style(theme::secondary)
            .on_press(Message::Close),
        Space::new().width(Fill),
    ];
    container(scrollable(column![lines, back].spacing(16)))
        .max_width(760)
        .into()
}

/// What is happening: speed, parts, policy, the last error, the answer.
fn activity<'a>(
    tr: &Tr,
    s: &'a Snapshot,
    lately: &Lately<'_>,
) -> iced::widget::Column<'a, Message> {
    let mut activity = column![].spacing(8);
    if s.status == Status::Running || lately.speeds.iter().any(|b| *b > 0.0) {
        activity = activity.push(speed_graph(tr, &lately.speeds));
    }
    if !s.segments.is_empty() {
        activity = activity.push(parts_bar(tr, &s.segments, lately.fetching));
    }
    if !s.status.is_finished() {
        let choices = super::new_download::policy_choices(tr);
        let current = ferry::config::Policy::from(s.policy);
        let selected = choices.iter().find(|c| c.value == current).cloned();
        activity = activity.push(
            row![
                text(tr!(tr, "download-policy")).size(13).width(160),
                theme::choose(choices, selected, |choice| Message::Policy(
                    choice.value.into()
                ))
                .text_size(13),
            ]
            .spacing(8)
            .align_y(Alignment::Center)
            // In the pane's narrow column the choice goes under its label
            // rather than being cut.
            .wrap()
            .vertical_spacing(4),
        );
    }
    if let Some(error) = &s.error {
        activity = activity.push(field(
            tr!(tr, "details-error"),
            format::error_summary(tr, error),
        ));
        // The engine's own words stay available for a bug report or a search,
        // labelled as such, unless they only repeat the server's answer above.
        if error.http_status.is_none() {
            activity = activity.push(field(
                tr!(tr, "details-technical"),
                format!("{:?}: {}", error.status, error.message),
            ));
        }
    }
    if let Some(at) = s.retry_at.filter(|_| s.status == Status::Idle) {
        let seconds = at.saturating_sub(time::now_millis()).div_ceil(1000);
        activity = activity.push(field(
            tr!(tr, "details-next-attempt"),
            tr!(tr, "details-next-attempt-in", seconds = seconds),
        ));
    }
    let earlier = earlier_failures(s);
    if !earlier.is_empty() {
        let lines: Vec<String> = earlier
            .iter()
            .rev()
            .map(|f| {
                let words = format::error_summary(tr, &f.error);
                tr!(
                    tr,
                    "details-failure",
                    time = clock(f.at),
                    error = words,
                    attempt = f.attempt
                )
            })
            .collect();
        activity = activity.push(field(tr!(tr, "details-failures"), lines.join("\n")));
    }
    if let Some(response) = &s.response {
        let headers: String = response
            .headers
            .iter()
            .map(|h| format!("{}: {}\n", h.name, h.value))
            .collect();
        activity = activity.push(field(
            tr!(tr, "details-response"),
            format!("{}\n{headers}\n{}", response.status, response.body),
        ));
    }
    activity
}

/// The speed of the last two minutes, the newest on the right, scaled to the
/// peak (which is said beside the label).
fn speed_graph<'a>(tr: &Tr, bars: &[f64]) -> Element<'a, Message> {
    let peak = bars.iter().copied().fold(0.0, f64::max);
    column![
        field(
            tr!(tr, "details-speed-graph"),
            tr!(tr, "details-speed-peak", speed = format::speed(tr, peak)),
        ),
        container(super::speed_graph::view(tr, bars))
            .padding(6)
            .style(theme::panel),
    ]
    .spacing(4)
    .into()
}

/// A segmented download's parts side by side, each as wide as its share of the
/// file and filled as far as it is on disk.
/// One part as the bar draws it, in thousandths of the part: what is safely
/// on disk, what its connection fetched beyond (in memory, or written and not
/// yet synced), and whether a connection works on it now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartShares {
    pub on_disk: u16,
    pub fetched: u16,
    pub working: bool,
}

/// `fetching`: where the connections are (offsets in the file).
pub fn part_shares(part: &Segment, fetching: &[u64]) -> PartShares {
    let size = (part.end - part.start).max(1);
    let thousandths = |bytes: u64| ((bytes.min(size) as f64 / size as f64) * 1000.0).round() as u16;
    let at = fetching
        .iter()
        .copied()
        .find(|at| (part.start..=part.end).contains(at) && *at >= part.start + part.done);
    let on_disk = thousandths(part.done);
    PartShares {
        on_disk,
        fetched: at.map_or(0, |at| thousandths(at - part.start).saturating_sub(on_disk)),
        working: at.is_some(),
    }
}

/// A part's bar: on disk in the accent, fetched beyond it paler, a mark where
/// its connection is, the rest empty.
fn part_bar<'a>(shares: PartShares) -> Element<'a, Message> {
    let block = |portion: u16, alpha: f32| -> Option<Element<'a, Message>> {
        (portion > 0).then(|| {
            container(Space::new())
                .width(FillPortion(portion))
                .height(Fill)
                .style(move |t: &Theme| container::Style {
                    background: Some(iced::Background::Color(
                        t.extended_palette().primary.base.color.scale_alpha(alpha),
                    )),
                    ..container::Style::default()
                })
                .into()
        })
    };
    let rest = 1000u16.saturating_sub(shares.on_disk + shares.fetched);
    let mut bar = iced::widget::Row::new().height(10);
    for block in [block(shares.on_disk, 1.0), block(shares.fetched, 0.45)]
        .into_iter()
        .flatten()
    {
        bar = bar.push(block);
    }
    if shares.working {
        bar = bar.push(
            container(Space::new())
                .width(2)
                .height(Fill)
                .style(|t: &Theme| container::Style {
                    background: Some(iced::Background::Color(
                        t.extended_palette().primary.strong.color,
                    )),
                    ..container::Style::default()
                }),
        );
    }
    if let Some(rest) = block(rest, 0.12) {
        bar = bar.push(rest);
    }
    container(bar).style(theme::panel).into()
}

fn parts_bar<'a>(tr: &Tr, segments: &[Segment], fetching: &[u64]) -> Element<'a, Message> {
    let mut parts: Vec<&Segment> = segments.iter().collect();
    parts.sort_by_key(|s| s.start);
    let total: u64 = parts.iter().map(|s| s.end - s.start).sum::<u64>().max(1);
    let mut bar = iced::widget::Row::new().spacing(2);
    for part in &parts {
        let size = (part.end - part.start).max(1);
        let share = ((size as f64 / total as f64) * 1000.0).round().max(1.0) as u16;
        bar = bar.push(container(part_bar(part_shares(part, fetching))).width(FillPortion(share)));
    }
    let done = parts.iter().filter(|s| s.done >= s.end - s.start).count();
    column![
        field(
            tr!(tr, "details-parts"),
            tr!(
                tr,
                "details-parts-summary",
                count = parts.len(),
                done = done,
                working = fetching.len()
            ),
        ),
        bar,
    ]
    .spacing(4)
    .into()
}

/// The failures before the one shown as the last error, oldest first.
pub fn earlier_failures(s: &Snapshot) -> &[ferry::engine::Failure] {
    match (&s.error, s.failures.split_last()) {
        (Some(error), Some((last, before))) if last.error == *error => before,
        _ => &s.failures,
    }
}

/// The time of day, to the second, in the user's time zone.
fn clock(millis: time::Millis) -> String {
    i64::try_from(millis)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|at| {
            at.to_zoned_datetime(jiff::tz::TimeZone::system())
                .strftime("%H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

/// A time as `YYYY-MM-DD HH:MM:SS` in the user's time zone, with its name.
fn when(millis: time::Millis) -> String {
    when_in(millis, &jiff::tz::TimeZone::system())
}

fn when_in(millis: time::Millis, zone: &jiff::tz::TimeZone) -> String {
    i64::try_from(millis)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|at| {
            at.to_zoned_datetime(zone.clone())
                .strftime("%Y-%m-%d %H:%M:%S %Z")
                .to_string()
        })
        .unwrap_or_default()
}

/// How the operation reaches the server: user, TLS checks, proxy, and which
/// secrets it keeps (named, never shown).
fn access_fields<'a>(
    tr: &Tr,
    s: &Snapshot,
    mut lines: iced::widget::Column<'a, Message>,
) -> iced::widget::Column<'a, Message> {
    let secret = tr!(tr, "details-secret");
    if let Some(user) = &s.secrets.user {
        lines = lines.push(field(
            tr!(tr, "details-user"),
            format!("{user} · ●●●●●● {secret}"),
        ));
    }
    if s.insecure {
        lines = lines.push(field(
            tr!(tr, "details-tls"),
            tr!(tr, "details-tls-unchecked"),
        ));
    }
    if let Some(proxy) = &s.proxy {
        let user = s
            .secrets
            .proxy_user
            .as_ref()
            .map(|u| format!(" · {u} · ●●●●●●"))
            .unwrap_or_default();
        lines = lines.push(field(
            tr!(tr, "details-proxy"),
            format!("{}{user}", ferry::engine::redact_url(proxy)),
        ));
    }
    for name in &s.secrets.headers {
        lines = lines.push(field(name.clone(), format!("●●●●●● {secret}")));
    }
    if s.secrets.cookies > 0 {
        lines = lines.push(field(
            tr!(tr, "details-cookies"),
            format!("{} {secret}", s.secrets.cookies),
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::{Offset, TimeZone};

    #[test]
    fn a_part_is_drawn_on_disk_fetched_and_where_its_connection_is() {
        let part = Segment {
            start: 1000,
            end: 2000,
            done: 250,
        };
        // Its connection has fetched up to 1600 (another works elsewhere).
        let shares = part_shares(&part, &[5000, 1600]);
        assert_eq!(
            shares,
            PartShares {
                on_disk: 250,
                fetched: 350,
                working: true
            }
        );
        // No connection on it: what is on disk only.
        let idle = part_shares(&part, &[5000]);
        assert_eq!((idle.fetched, idle.working), (0, false));
        // Complete.
        let whole = Segment { done: 1000, ..part };
        assert_eq!(part_shares(&whole, &[]).on_disk, 1000);
    }

    #[test]
    fn times_are_calendar_dates_in_the_users_zone() {
        let utc = TimeZone::UTC;
        assert_eq!(when_in(0, &utc), "1970-01-01 00:00:00 UTC");
        assert_eq!(when_in(1_795_468_813_531, &utc), "2026-11-23 21:20:13 UTC");
        assert_eq!(when_in(951_782_400_000, &utc), "2000-02-29 00:00:00 UTC");
        let paris_winter = TimeZone::fixed(Offset::constant(1));
        assert!(
            when_in(1_795_468_813_531, &paris_winter).starts_with("2026-11-23 22:20:13"),
            "{}",
            when_in(1_795_468_813_531, &paris_winter)
        );
        assert_eq!(when_in(u64::MAX, &utc), "", "a damaged time shows nothing");
    }
}
