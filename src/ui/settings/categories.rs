//! The settings' kinds of file: for each category, the folder its downloads go
//! to when they have none of their own, and the extensions that make it.

use iced::widget::{column, row, text};
use iced::{Alignment, Element, Fill};

use ferry::config::Config;
use ferry::engine::Category;

use super::Message;
use crate::i18n::{Tr, tr};
use crate::ui::format;
use crate::ui::theme;

/// The extensions as typed, one text per category (parsed into the draft at each
/// key, but kept as typed so a space or comma being typed stays).
#[derive(Debug)]
pub struct Typed {
    extensions: Vec<(Category, String)>,
}

impl Typed {
    pub fn new(config: &Config) -> Self {
        Self {
            extensions: Category::ALL
                .into_iter()
                .filter(|c| *c != Category::Other)
                .map(|c| (c, config.categories.get(c).extensions.join(" ")))
                .collect(),
        }
    }

    fn text(&self, category: Category) -> &str {
        self.extensions
            .iter()
            .find(|(c, _)| *c == category)
            .map_or("", |(_, t)| t.as_str())
    }

    /// Extensions typed for `category`: the draft gets them, cleaned.
    pub fn extensions(&mut self, draft: &mut Config, category: Category, typed: String) {
        draft.categories.get_mut(category).extensions = typed
            .split([' ', ',', ';'])
            .filter_map(ferry::engine::category::extension)
            .collect();
        if let Some((_, text)) = self.extensions.iter_mut().find(|(c, _)| *c == category) {
            *text = typed;
        }
    }
}

/// A category's folder typed: empty means the download folder.
pub fn folder(draft: &mut Config, category: Category, typed: &str) {
    draft.categories.get_mut(category).folder = typed.trim().to_owned();
}

/// The first category whose folder is not a full path, in the user's words.
pub fn problem(tr: &Tr, draft: &Config) -> Option<String> {
    let category = draft.categories.relative_folder()?;
    Some(tr!(
        tr,
        "settings-category-relative",
        kind = format::category(tr, category)
    ))
}

/// One line per category: its name, its folder, its extensions.
pub fn view<'a>(tr: &Tr, draft: &'a Config, typed: &'a Typed) -> Element<'a, Message> {
    let mut rows = column![
        text(tr!(tr, "settings-categories")).size(16),
        text(tr!(tr, "settings-categories-hint")).size(13),
    ]
    .spacing(8);
    let download_folder = tr!(tr, "settings-category-folder-placeholder");
    for category in Category::ALL {
        let mut line = row![
            text(format::category(tr, category)).size(14).width(110),
            theme::text_box(&download_folder, &draft.categories.get(category).folder)
                .on_input(move |t| Message::CategoryFolder(category, t))
                .size(13)
                .width(Fill),
        ]
        .spacing(8)
        .align_y(Alignment::Center);
        if category != Category::Other {
            line = line.push(
                theme::text_box("", typed.text(category))
                    .on_input(move |t| Message::CategoryExtensions(category, t))
                    .size(13)
                    .width(Fill),
            );
        }
        rows = rows.push(line);
    }
    rows.into()
}
