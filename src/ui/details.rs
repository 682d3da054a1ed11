//! Details of one operation: addresses, destination or files, times, retries, the
//! last error with its status, and an upload's server answer.

use iced::widget::{Space, button, column, container, progress_bar, row, scrollable, text};
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
    /// The pane below the list, for the picked row.
    Pane,
}

/// `speeds`: the speed bars of the last two minutes, oldest first.
pub fn view<'a>(tr: &Tr, s: &'a Snapshot, speeds: &[f64], place: Place) -> Element<'a, Message> {
    let none = tr!(tr, "details-none");
    let title = if place == Place::Pane {
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
            .map(|f| format!("{} ({})", f.path.display(), format::size(tr, f.size)))
            .collect::<Vec<_>>()
            .join("\n");
        lines = lines.push(field(tr!(tr, "details-sources"), files));
    } else {
        let destination = s
            .destination
            .as_ref()
            .map_or(none.clone(), |d| d.display().to_string());
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
    lines = access_fields(tr, s, lines);
    let activity = activity(tr, s, speeds);
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
fn activity<'a>(tr: &Tr, s: &'a Snapshot, speeds: &[f64]) -> iced::widget::Column<'a, Message> {
    let mut activity = column![].spacing(8);
    if s.status == Status::Running || speeds.iter().any(|b| *b > 0.0) {
        activity = activity.push(speed_graph(tr, speeds));
    }
    if !s.segments.is_empty() {
        activity = activity.push(parts_bar(tr, &s.segments));
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

/// Height of the speed graph, logical pixels.
const GRAPH_HEIGHT: f32 = 48.0;

/// The speed of the last two minutes as bars, the newest on the right, scaled to
/// the peak (which is said beside the label).
fn speed_graph<'a>(tr: &Tr, bars: &[f64]) -> Element<'a, Message> {
    let peak = bars.iter().copied().fold(0.0, f64::max);
    let mut graph = iced::widget::Row::new()
        .spacing(1)
        .height(GRAPH_HEIGHT)
        .align_y(Alignment::End);
    for &speed in bars {
        let height = if peak > 0.0 {
            (speed / peak) as f32 * GRAPH_HEIGHT
        } else {
            0.0
        };
        // One pixel at least: the graph keeps its baseline where nothing moved.
        graph = graph.push(
            container(Space::new())
                .width(Fill)
                .height(height.max(1.0))
                .style(move |theme: &Theme| container::Style {
                    // A still second is a faint baseline, not a bar.
                    background: Some(if speed > 0.0 {
                        theme.palette().primary.scale_alpha(0.8).into()
                    } else {
                        theme.extended_palette().background.strong.color.into()
                    }),
                    border: iced::border::rounded(iced::border::top(1)),
                    ..container::Style::default()
                }),
        );
    }
    column![
        field(
            tr!(tr, "details-speed-graph"),
            tr!(tr, "details-speed-peak", speed = format::speed(tr, peak)),
        ),
        container(graph).padding(6).style(theme::panel),
    ]
    .spacing(4)
    .into()
}

/// A segmented download's parts side by side, each as wide as its share of the
/// file and filled as far as it is on disk.
fn parts_bar<'a>(tr: &Tr, segments: &[Segment]) -> Element<'a, Message> {
    let mut parts: Vec<&Segment> = segments.iter().collect();
    parts.sort_by_key(|s| s.start);
    let total: u64 = parts.iter().map(|s| s.end - s.start).sum::<u64>().max(1);
    let mut bar = iced::widget::Row::new().spacing(2);
    for part in &parts {
        let size = (part.end - part.start).max(1);
        let share = ((size as f64 / total as f64) * 1000.0).round().max(1.0) as u16;
        bar = bar.push(
            progress_bar(0.0..=1.0, (part.done as f64 / size as f64) as f32)
                .girth(10)
                .length(FillPortion(share)),
        );
    }
    let done = parts.iter().filter(|s| s.done >= s.end - s.start).count();
    column![
        field(
            tr!(tr, "details-parts"),
            tr!(
                tr,
                "details-parts-summary",
                count = parts.len(),
                done = done
            ),
        ),
        bar,
    ]
    .spacing(4)
    .into()
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
