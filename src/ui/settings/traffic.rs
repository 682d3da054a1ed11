//! The traffic of the last 30 days as bars (settings, under the data budget):
//! each day's bytes, the metered part on top in the warning colour (F27).

use iced::widget::{Space, column, container, row, text, tooltip};
use iced::{Alignment, Background, Element, Fill, Theme};
use jiff::ToSpan;
use jiff::civil::Date;

use ferry::engine::DayTraffic;

use crate::i18n::{Tr, tr};
use crate::ui::format;
use crate::ui::theme::{self, size, space};

pub const DAYS: i64 = 30;
const HEIGHT: f32 = 56.0;

/// One bar: the day, all its bytes, and the metered ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bar {
    pub date: Date,
    pub total: u64,
    pub metered: u64,
}

/// The last [`DAYS`] days up to `today`, oldest first; a day with nothing moved
/// is a bar of zero.
pub fn bars(days: &[DayTraffic], today: Date) -> Vec<Bar> {
    (0..DAYS)
        .rev()
        .filter_map(|back| today.checked_sub(back.days()).ok())
        .map(|date| {
            let day = days.iter().find(|d| d.date() == Some(date));
            Bar {
                date,
                total: day.map_or(0, DayTraffic::total),
                metered: day.map_or(0, DayTraffic::metered),
            }
        })
        .collect()
}

/// A block of a bar, `height` px tall: the metered part in the warning colour.
fn block<'a, M: 'a>(height: f32, metered: bool) -> Element<'a, M> {
    container(Space::new())
        .width(Fill)
        .height(height)
        .style(move |theme: &Theme| {
            let palette = theme.extended_palette();
            let color = if metered {
                palette.warning.base.color
            } else {
                palette.primary.base.color
            };
            container::Style {
                background: Some(Background::Color(color)),
                ..container::Style::default()
            }
        })
        .into()
}

/// The bars, their total above, each day's figures in its tooltip.
pub fn view<'a, M: 'a>(tr: &Tr, bars: &[Bar]) -> Element<'a, M> {
    let peak = bars.iter().map(|b| b.total).max().unwrap_or(0).max(1);
    let scale = |bytes: u64| (bytes as f64 / peak as f64 * f64::from(HEIGHT)) as f32;
    let mut chart = row![].spacing(2).height(HEIGHT).align_y(Alignment::End);
    for bar in bars {
        let metered = scale(bar.metered);
        // A day that moved anything shows at least a line.
        let floor = if bar.total > 0 { 1.0 } else { 0.0 };
        let rest = (scale(bar.total) - metered).max(floor);
        let stack = column![
            Space::new().height(Fill),
            block(metered, true),
            block(rest, false)
        ]
        .width(Fill)
        .height(HEIGHT);
        let words = tr!(
            tr,
            "traffic-day",
            day = format!("{} {}", format::weekday(tr, bar.date.weekday()), bar.date),
            total = format::size(tr, bar.total),
            metered = format::size(tr, bar.metered)
        );
        chart = chart.push(theme::with_tip(stack, words, tooltip::Position::Top));
    }
    let total: u64 = bars.iter().map(|b| b.total).sum();
    let metered: u64 = bars.iter().map(|b| b.metered).sum();
    column![
        text(tr!(
            tr,
            "traffic-last-days",
            total = format::size(tr, total),
            metered = format::size(tr, metered)
        ))
        .size(size::SMALL)
        .style(theme::muted),
        container(chart).padding(space::XS).style(theme::panel),
    ]
    .spacing(space::XS)
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_days_up_to_today_with_the_empty_ones() {
        let today = jiff::civil::date(2026, 3, 2);
        let days = [
            DayTraffic {
                day: 20_260_302,
                downloaded: 300,
                uploaded: 20,
                downloaded_metered: 100,
                uploaded_metered: 0,
            },
            DayTraffic {
                day: 20_260_227,
                downloaded: 5,
                ..DayTraffic::default()
            },
            // Older than 30 days: not shown.
            DayTraffic {
                day: 20_260_101,
                downloaded: 9,
                ..DayTraffic::default()
            },
        ];
        let bars = bars(&days, today);
        assert_eq!(bars.len(), 30);
        assert_eq!(bars[29].date, today);
        assert_eq!((bars[29].total, bars[29].metered), (320, 100));
        assert_eq!(bars[0].date, jiff::civil::date(2026, 2, 1));
        let feb27 = bars
            .iter()
            .find(|b| b.date == jiff::civil::date(2026, 2, 27))
            .unwrap();
        assert_eq!(feb27.total, 5);
        assert_eq!(bars.iter().map(|b| b.total).sum::<u64>(), 325);
    }
}
