//! What each address of the new-download form serves, asked before anything is
//! created (`Engine::inspect`): its name, size and kind, whether it can resume,
//! or why it cannot be fetched. Shown under the address box, one line each.

use std::collections::HashMap;

use iced::widget::{column, row, text};
use iced::{Alignment, Element};
use lucide_icons::Icon;

use ferry::engine::Inspection;

use crate::i18n::{Tr, tr};
use crate::ui::format;
use crate::ui::theme::{self, size, space};

/// Lines shown at most; the rest is counted.
const SHOWN: usize = 6;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    Checking,
    Serves(Box<Inspection>),
    /// Why not, in the user's words.
    Failed(String),
}

#[derive(Debug, Default)]
pub struct Checks {
    found: HashMap<String, Found>,
}

impl Checks {
    /// The addresses of `urls` to check now (HTTP(S), valid, not asked yet),
    /// marked as being checked; what left the box is forgotten.
    pub fn due(&mut self, urls: &[String]) -> Vec<String> {
        self.found.retain(|url, _| urls.contains(url));
        let mut due = Vec::new();
        for url in urls {
            let http = url.starts_with("http://") || url.starts_with("https://");
            if http && ferry::engine::check_url(url).is_ok() && !self.found.contains_key(url) {
                self.found.insert(url.clone(), Found::Checking);
                due.push(url.clone());
            }
        }
        due
    }

    /// The answer for `url`, if it is still in the box.
    pub fn answered(&mut self, url: &str, found: Found) {
        if let Some(slot) = self.found.get_mut(url) {
            *slot = found;
        }
    }

    #[cfg(test)]
    pub fn get(&self, url: &str) -> Option<&Found> {
        self.found.get(url)
    }

    /// The name the server gives `url`'s file, once known.
    pub fn name(&self, url: &str) -> Option<&str> {
        match self.found.get(url) {
            Some(Found::Serves(found)) => Some(&found.name),
            _ => None,
        }
    }

    /// One line per address of `urls` that was checked, in the box's order.
    pub fn view<'a, M: 'a>(&'a self, tr: &Tr, urls: &[String]) -> Option<Element<'a, M>> {
        let lines: Vec<&Found> = urls.iter().filter_map(|u| self.found.get(u)).collect();
        if lines.is_empty() {
            return None;
        }
        let mut list = column![].spacing(space::XS);
        for (url, found) in urls
            .iter()
            .filter_map(|u| self.found.get(u).map(|f| (u, f)))
            .take(SHOWN)
        {
            list = list.push(line(tr, url, found));
        }
        if lines.len() > SHOWN {
            let more = lines.len() - SHOWN;
            list = list.push(
                text(tr!(tr, "check-more", count = more))
                    .size(size::SMALL)
                    .style(theme::muted),
            );
        }
        Some(list.into())
    }
}

fn line<'a, M: 'a>(tr: &Tr, url: &str, found: &Found) -> Element<'a, M> {
    let (which, words, style): (Icon, String, fn(&iced::Theme) -> text::Style) = match found {
        Found::Checking => (
            Icon::Loader,
            tr!(tr, "check-checking", url = url.to_owned()),
            theme::muted,
        ),
        Found::Serves(found) => {
            let mut words = found.name.clone();
            if let Some(bytes) = found.size {
                words.push_str(" · ");
                words.push_str(&format::size(tr, bytes));
            }
            words.push_str(" · ");
            words.push_str(&format::category(tr, found.category));
            words.push_str(" · ");
            if found.resumable {
                words.push_str(&tr!(tr, "check-resumable"));
                (theme::category_icon(found.category), words, text::base)
            } else {
                words.push_str(&tr!(tr, "check-not-resumable"));
                (theme::category_icon(found.category), words, text::warning)
            }
        }
        Found::Failed(why) => (
            Icon::CircleAlert,
            tr!(
                tr,
                "check-failed",
                url = url.to_owned(),
                reason = why.clone()
            ),
            text::danger,
        ),
    };
    row![
        theme::icon(which).size(size::BODY).style(style),
        text(words).size(13).style(style)
    ]
    .spacing(space::S)
    .align_y(Alignment::Center)
    .into()
}
