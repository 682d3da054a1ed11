//! The speed of a transfer over the last two minutes: a bar for each slot of
//! [`SLOT`], the newest on the right, scaled to the peak; the pointer over a bar
//! says when that was and how fast. What it draws comes from
//! [`super::speed_history`] (the engine's progress events).
//!
//! Bars of containers rather than iced's canvas: a canvas leaves its last frame
//! drawn after it is gone on wgpu's GL backend (iced-rs/iced#2400; seen here
//! under Xvfb, where the pane's graph stayed on the details screen), and GL is
//! what virtual machines and older GPUs get.

use iced::widget::{Space, container, tooltip};
use iced::{Alignment, Element, Fill, Theme};

use crate::i18n::{Tr, tr};
use crate::ui::format;
use crate::ui::speed_history::SLOT;
use crate::ui::theme;

/// The graph's height, in logical pixels.
pub const HEIGHT: f32 = 48.0;

/// Each bar's height in a graph [`HEIGHT`] tall: its share of the peak, one
/// pixel at least (the baseline where nothing moved).
pub fn heights(speeds: &[f64]) -> Vec<f32> {
    let peak = speeds.iter().copied().fold(0.0, f64::max);
    speeds
        .iter()
        .map(|speed| {
            let share = if peak > 0.0 {
                (speed / peak) as f32
            } else {
                0.0
            };
            (share * HEIGHT).max(1.0)
        })
        .collect()
}

/// What the pointer over each bar says: how long ago, and the speed then.
pub fn labels(tr: &Tr, speeds: &[f64]) -> Vec<String> {
    let count = speeds.len();
    speeds
        .iter()
        .enumerate()
        .map(|(i, speed)| {
            let ago = (count - 1 - i) as u64 * SLOT.as_secs();
            let speed = format::speed(tr, *speed);
            if ago == 0 {
                tr!(tr, "details-speed-now", speed = speed)
            } else {
                tr!(tr, "details-speed-ago", seconds = ago, speed = speed)
            }
        })
        .collect()
}

/// The graph of `speeds`, oldest first.
pub fn view<'a, Message: 'a>(tr: &Tr, speeds: &[f64]) -> Element<'a, Message> {
    let mut graph = iced::widget::Row::new()
        .spacing(1)
        .height(HEIGHT)
        .align_y(Alignment::End);
    for ((height, label), speed) in heights(speeds)
        .into_iter()
        .zip(labels(tr, speeds))
        .zip(speeds.iter().copied())
    {
        let bar = container(Space::new())
            .width(Fill)
            .height(height)
            .style(move |theme: &Theme| container::Style {
                // A still moment is a faint baseline, not a bar.
                background: Some(if speed > 0.0 {
                    theme.palette().primary.scale_alpha(0.8).into()
                } else {
                    theme.extended_palette().background.strong.color.into()
                }),
                border: iced::border::rounded(iced::border::top(1)),
                ..container::Style::default()
            });
        // The whole column is the bar's hover area, not only its filled part.
        let column = container(bar)
            .height(HEIGHT)
            .width(Fill)
            .align_bottom(HEIGHT);
        graph = graph.push(theme::with_tip(column, label, tooltip::Position::Top));
    }
    graph.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_shares_of_the_peak_with_a_baseline() {
        assert_eq!(heights(&[0.0, 5.0, 10.0]), [1.0, HEIGHT / 2.0, HEIGHT]);
        assert_eq!(heights(&[0.0, 0.0]), [1.0, 1.0], "nothing moved");
    }

    #[test]
    fn each_bar_says_when_and_how_fast() {
        let tr = Tr::new(ferry::config::Language::English);
        let said = labels(&tr, &[0.0, 1024.0 * 1024.0]);
        assert_eq!(said[1], "now: 1.0 MiB/s");
        assert_eq!(said[0], format!("{} s ago: 0 B/s", SLOT.as_secs()));
    }
}
