//! The list's footer: the transfers' speed, the speed limit in force and what
//! happens once every transfer is done (both changeable here, for this run),
//! the network's state and the count.

use iced::widget::{Space, container, pick_list, row, text, tooltip};
use iced::{Alignment, Element, Fill};
use lucide_icons::Icon;

use ferry::engine::{DataLimit, NetworkState, Snapshot, Status};

use super::{Message, Transfers};
use crate::i18n::{Tr, tr};
use crate::ui::format;
use crate::ui::theme::{self, size, space};

impl Transfers {
    pub(super) fn footer<'a>(&self, tr: &Tr) -> Element<'a, Message> {
        let running: Vec<&Snapshot> = self
            .rows
            .iter()
            .filter(|s| s.status == Status::Running)
            .collect();
        let speed: f64 = running.iter().map(|s| s.speed).sum();
        let summary = tr!(
            tr,
            "footer-summary",
            active = running.len(),
            speed = format::speed(tr, speed)
        );
        let total = tr!(tr, "footer-total", count = self.rows.len());
        // The limit in force, changed here for this run (Settings keep one).
        let kib = self.limit.map_or(0, |bytes| bytes / 1024);
        let limits = crate::ui::settings::limits(tr, kib);
        let limit = limits.iter().find(|c| c.value == kib).cloned();
        // What happens once every transfer is done (once; Settings has no
        // lasting one: a power off kept would end tomorrow's queue too).
        let when_done = crate::ui::when_done::choices(tr);
        let armed = when_done
            .iter()
            .find(|c| c.value == self.when_done)
            .cloned();
        let network = if self.network.conditions.online {
            Icon::Wifi
        } else {
            Icon::WifiOff
        };
        // A narrow window keeps the icons and the choices; the words go to
        // tooltips (French ran past 640 px).
        let wide = self.wide;
        let label = |which: Icon, words: String| -> Element<'a, Message> {
            let icon = theme::icon(which).size(size::BODY);
            if wide {
                row![icon, text(words).size(13)]
                    .spacing(space::S)
                    .align_y(Alignment::Center)
                    .into()
            } else {
                theme::with_tip(icon, words, tooltip::Position::Top)
            }
        };
        let mut bar = row![
            theme::icon(Icon::ArrowDownUp).size(size::BODY),
            text(summary).size(13),
            Space::new().width(Fill),
            label(Icon::Gauge, tr!(tr, "footer-limit")),
            pick_list(limits, limit, Message::Limit)
                .text_size(13)
                .padding([2, 6])
                .style(theme::choice),
            Space::new().width(space::S),
            label(Icon::Timer, tr!(tr, "when-done")),
            pick_list(when_done, armed, Message::WhenDone)
                .text_size(13)
                .padding([2, 6])
                .style(theme::choice),
            Space::new().width(space::S),
            label(network, network_words(tr, &self.network)),
        ]
        .spacing(space::S)
        .align_y(Alignment::Center);
        if wide {
            bar = bar.push(text("·").size(13)).push(text(total).size(13));
        }
        container(bar)
            .padding([space::XS, space::M])
            .width(Fill)
            .style(theme::panel)
            .into()
    }
}

/// The network as the footer says it: the one condition that matters most.
pub fn network_words(tr: &Tr, network: &NetworkState) -> String {
    let c = &network.conditions;
    if !c.online {
        return tr!(tr, "network-offline");
    }
    let mut words = if !c.metered {
        tr!(tr, "network-unmetered")
    } else if network.data_limit == DataLimit::Over {
        tr!(tr, "network-over-budget")
    } else if c.roaming {
        tr!(tr, "network-roaming")
    } else if network.data_limit == DataLimit::Approaching {
        tr!(tr, "network-near-budget")
    } else {
        tr!(tr, "network-metered")
    };
    if c.power_saver {
        words.push_str(" · ");
        words.push_str(&tr!(tr, "network-power-saver"));
    }
    words
}
