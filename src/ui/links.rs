//! Links from a page ("Download all links with Ferry" in the browser): listed
//! with a box each, narrowed by a filter (words in the name or address, or
//! `.ext` for a file type), downloaded into one folder. What is checked and
//! shown is what is downloaded.

use std::path::PathBuf;

use iced::widget::{Space, button, checkbox, column, row, scrollable, text};
use iced::{Alignment, Element, Fill, Length};

use ferry::config::Policy;
use ferry::engine::Request;

use super::folder::{self, Folder};
use super::form::{self, Choice};
use super::handoff::name_in_url;
use super::new_download::policy_row;
use crate::i18n::{Tr, tr};
use crate::ui::theme;

/// The filter field (for tests and focus).
pub const FILTER: &str = "links-filter";

#[derive(Debug)]
pub struct State {
    links: Vec<Link>,
    filter: String,
    folder: Folder,
    policy: Policy,
    start_now: bool,
    pub problems: Vec<String>,
    pub submitting: bool,
}

#[derive(Debug)]
struct Link {
    request: Request,
    name: String,
    checked: bool,
}

#[derive(Clone, Debug)]
pub enum Message {
    FilterTyped(String),
    /// Check or uncheck one link (by its place in the list).
    Toggle(usize, bool),
    /// Check, or uncheck, every link the filter shows.
    All(bool),
    Folder(folder::Message),
    PolicyPicked(Choice<Policy>),
    StartNow(bool),
    Submit,
    Close,
}

pub type Action = form::Action<Message, Vec<Request>>;

impl State {
    pub fn new(requests: Vec<Request>, folder: PathBuf, policy: Policy) -> Self {
        let mut seen = std::collections::HashSet::new();
        let links = requests
            .into_iter()
            // A page often links the same file twice (an icon and its name).
            .filter(|r| seen.insert(r.url.clone()))
            .map(|request| Link {
                name: name_in_url(&request.url),
                request,
                checked: true,
            })
            .collect();
        Self {
            links,
            filter: String::new(),
            folder: Folder::new(folder),
            policy,
            start_now: true,
            problems: Vec::new(),
            submitting: false,
        }
    }

    pub fn update(&mut self, message: Message, tr: &Tr) -> Action {
        match message {
            Message::FilterTyped(filter) => self.filter = filter,
            Message::Toggle(index, on) => {
                if let Some(link) = self.links.get_mut(index) {
                    link.checked = on;
                }
            }
            Message::All(on) => {
                let filter = Filter::new(&self.filter);
                for link in self.links.iter_mut().filter(|l| filter.shows(l)) {
                    link.checked = on;
                }
            }
            Message::Folder(folder::Message::Submit) | Message::Submit => return self.submit(tr),
            Message::Folder(message) => {
                return Action::Run(self.folder.update(message).map(Message::Folder));
            }
            Message::PolicyPicked(choice) => self.policy = choice.value,
            Message::StartNow(on) => self.start_now = on,
            Message::Close => return Action::Close,
        }
        self.problems.clear();
        Action::None
    }

    /// The links that will be downloaded: checked and shown.
    fn chosen(&self) -> impl Iterator<Item = &Link> {
        let filter = Filter::new(&self.filter);
        self.links
            .iter()
            .filter(move |l| l.checked && filter.shows(l))
    }

    fn submit(&mut self, tr: &Tr) -> Action {
        let requests: Vec<Request> = self
            .chosen()
            .map(|link| {
                let mut request = link.request.clone();
                request.destination = Some(self.folder.path.clone());
                request.into_folder = true;
                request.policy = self.policy.into();
                request.paused = !self.start_now;
                request
            })
            .collect();
        if requests.is_empty() {
            self.problems = vec![tr!(tr, "links-none-chosen")];
            return Action::None;
        }
        self.submitting = true;
        Action::Submit(requests)
    }

    pub fn refused(&mut self, reason: String) {
        self.submitting = false;
        self.problems.push(reason);
    }

    pub fn view<'a>(&'a self, tr: &Tr) -> Element<'a, Message> {
        let filter = Filter::new(&self.filter);
        let shown: Vec<(usize, &Link)> = self
            .links
            .iter()
            .enumerate()
            .filter(|(_, l)| filter.shows(l))
            .collect();
        let chosen = self.chosen().count();
        let mut list = column![].spacing(4);
        for (index, link) in &shown {
            let index = *index;
            list = list.push(
                row![
                    checkbox(link.checked)
                        .label(link.name.clone())
                        .on_toggle(move |on| Message::Toggle(index, on))
                        .width(Length::FillPortion(2)),
                    text(link.request.url.clone())
                        .size(12)
                        .style(text::secondary)
                        .width(Length::FillPortion(3)),
                ]
                .spacing(8)
                .align_y(Alignment::Center),
            );
        }
        let mut form = column![
            text(tr!(tr, "links-title", count = self.links.len())).size(22),
            row![
                theme::text_box(&tr!(tr, "links-filter-hint"), &self.filter)
                    .id(FILTER)
                    .on_input(Message::FilterTyped)
                    .size(14)
                    .width(Fill),
                button(text(tr!(tr, "links-check-shown")).size(13))
                    .style(theme::secondary)
                    .on_press(Message::All(true)),
                button(text(tr!(tr, "links-uncheck-shown")).size(13))
                    .style(theme::secondary)
                    .on_press(Message::All(false)),
            ]
            .spacing(8)
            .align_y(Alignment::Center),
            text(tr!(tr, "links-shown", shown = shown.len(), chosen = chosen)).size(13),
            scrollable(list)
                .direction(super::layout::beside())
                .height(Length::Fixed(200.0)),
            self.folder.view(tr).map(Message::Folder),
            policy_row(tr, self.policy, Message::PolicyPicked),
            checkbox(self.start_now)
                .label(tr!(tr, "handoff-start-now"))
                .on_toggle(Message::StartNow),
            row![
                button(text(tr!(tr, "back")))
                    .style(theme::secondary)
                    .on_press(Message::Close),
                Space::new().width(Fill),
                button(text(tr!(tr, "links-submit", count = chosen)))
                    .style(theme::primary)
                    .on_press_maybe((!self.submitting && chosen > 0).then_some(Message::Submit)),
            ]
            .spacing(8),
        ]
        .spacing(10);
        for problem in &self.problems {
            form = form.push(text(problem.clone()).size(13).style(text::danger));
        }
        super::layout::scrolling_form(form)
    }
}

/// What the filter field asks: any of its words (case aside) in the name or
/// the address; a word starting with a dot is a file type (`.zip`).
struct Filter {
    words: Vec<String>,
}

impl Filter {
    fn new(typed: &str) -> Self {
        Self {
            words: typed
                .split([' ', ','])
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect(),
        }
    }

    fn shows(&self, link: &Link) -> bool {
        if self.words.is_empty() {
            return true;
        }
        let name = link.name.to_lowercase();
        let url = link.request.url.to_lowercase();
        self.words.iter().any(|word| match word.strip_prefix('.') {
            Some(kind) => name.rsplit_once('.').is_some_and(|(_, ext)| ext == kind),
            None => name.contains(word.as_str()) || url.contains(word.as_str()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(url: &str) -> Link {
        Link {
            name: name_in_url(url),
            request: Request::download(url, None),
            checked: true,
        }
    }

    #[test]
    fn the_filter_takes_words_and_file_types() {
        let links = [
            link("http://h/a/ubuntu-24.04.iso"),
            link("http://h/a/notes.txt?x=zip"),
            link("http://h/b/pack.ZIP"),
            link("http://h/b/isolated.html"),
        ];
        let shown = |typed: &str| {
            let filter = Filter::new(typed);
            links
                .iter()
                .filter(|l| filter.shows(l))
                .map(|l| l.name.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(shown("").len(), 4);
        assert_eq!(shown(".iso .zip"), ["ubuntu-24.04.iso", "pack.ZIP"]);
        assert_eq!(
            shown("zip"),
            ["notes.txt", "pack.ZIP"],
            "a word is looked for in the address too"
        );
        assert_eq!(shown("ISO"), ["ubuntu-24.04.iso", "isolated.html"]);
        assert_eq!(shown("/b/, nothing"), ["pack.ZIP", "isolated.html"]);
    }
}
