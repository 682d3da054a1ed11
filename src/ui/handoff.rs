//! The dialog for a download the browser handed over: what it is (name, size,
//! address), where it goes, whether it starts now, its policy and group. Ferry
//! takes it, or the browser keeps it; the browser's copy waits paused until
//! the user answers.

use std::path::PathBuf;
use std::sync::Arc;

use iced::widget::{Space, button, checkbox, column, row, text};
use iced::{Alignment, Element, Fill, Task};

use ferry::agent::Offer;
use ferry::config::Policy;
use ferry::engine::Request;

use super::folder::{self, Folder};
use super::form::Choice;
use super::new_download::policy_row;
use crate::i18n::{Tr, tr};
use crate::ui::theme;

/// The name field (for tests and focus).
pub const NAME: &str = "handoff-name";

#[derive(Debug)]
pub struct State {
    pub offer: Arc<Offer>,
    name: String,
    folder: Folder,
    policy: Policy,
    /// Groups that take new members, and the one picked.
    groups: Vec<String>,
    group: Option<String>,
    start_now: bool,
    pub problems: Vec<String>,
    pub submitting: bool,
}

#[derive(Clone, Debug)]
pub enum Message {
    NameTyped(String),
    Folder(folder::Message),
    PolicyPicked(Choice<Policy>),
    GroupPicked(Choice<Option<String>>),
    StartNow(bool),
    /// Ferry downloads it.
    Accept,
    /// The browser keeps it.
    Decline,
}

/// What the parent must do after an update.
#[derive(Debug)]
pub enum Action {
    None,
    Run(Task<Message>),
    /// Create this request; its answer goes to the offer.
    Accept(Box<Request>),
    Decline,
}

impl State {
    pub fn new(offer: Arc<Offer>, folder: PathBuf, policy: Policy, groups: Vec<String>) -> Self {
        let name = offer
            .file
            .as_ref()
            .map(|f| f.name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| name_in_url(&offer.request.url));
        Self {
            offer,
            name,
            folder: Folder::new(folder),
            policy,
            groups,
            group: None,
            start_now: true,
            problems: Vec::new(),
            submitting: false,
        }
    }

    pub fn update(&mut self, message: Message, tr: &Tr) -> Action {
        match message {
            Message::NameTyped(name) => {
                self.name = name;
                self.problems.clear();
            }
            Message::Folder(folder::Message::Submit) => return self.accept(tr),
            Message::Folder(message) => {
                self.problems.clear();
                return Action::Run(self.folder.update(message).map(Message::Folder));
            }
            Message::PolicyPicked(choice) => self.policy = choice.value,
            Message::GroupPicked(choice) => self.group = choice.value,
            Message::StartNow(on) => self.start_now = on,
            Message::Accept => return self.accept(tr),
            Message::Decline => return Action::Decline,
        }
        Action::None
    }

    /// The request as the user set it: the file under its (possibly new) name
    /// in the folder (made if missing), the policy, group and start.
    fn accept(&mut self, tr: &Tr) -> Action {
        let name = self.name.trim();
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            self.problems = vec![tr!(tr, "handoff-bad-name")];
            return Action::None;
        }
        if let Err(e) = std::fs::create_dir_all(&self.folder.path) {
            self.problems = vec![tr!(
                tr,
                "handoff-no-folder",
                folder = self.folder.path.display().to_string(),
                reason = e.to_string()
            )];
            return Action::None;
        }
        let mut request = self.offer.request.clone();
        request.destination = Some(self.folder.path.join(name));
        request.into_folder = false;
        request.policy = self.policy.into();
        request.group.clone_from(&self.group);
        request.paused = !self.start_now;
        self.submitting = true;
        Action::Accept(Box::new(request))
    }

    /// The engine refused the request (an unwritable folder…): said under the
    /// buttons, and the user may change it or let the browser have the file.
    pub fn refused(&mut self, reason: String) {
        self.submitting = false;
        self.problems.push(reason);
    }

    /// `waiting`: other downloads from the browser waiting for an answer.
    pub fn view<'a>(&'a self, tr: &Tr, waiting: usize) -> Element<'a, Message> {
        let size = match self.offer.file.as_ref().and_then(|f| f.size) {
            Some(size) => super::format::size(tr, size),
            None => tr!(tr, "handoff-size-unknown"),
        };
        let mut form = column![
            text(tr!(tr, "handoff-title")).size(22),
            text(tr!(tr, "handoff-size", size = size)).size(14),
            text(self.offer.request.url.clone())
                .size(12)
                .style(text::secondary),
            row![
                text(tr!(tr, "handoff-name")).size(14),
                theme::text_box("", &self.name)
                    .id(NAME)
                    .on_input(Message::NameTyped)
                    .on_submit(Message::Accept)
                    .size(14)
                    .width(Fill),
            ]
            .spacing(8)
            .align_y(Alignment::Center),
            self.folder.view(tr).map(Message::Folder),
        ]
        .spacing(10);
        form = form.push(policy_row(tr, self.policy, Message::PolicyPicked));
        if !self.groups.is_empty() {
            let mut choices = vec![Choice {
                value: None,
                label: tr!(tr, "handoff-no-group"),
            }];
            choices.extend(self.groups.iter().map(|g| Choice {
                value: Some(g.clone()),
                label: g.clone(),
            }));
            let selected = choices.iter().find(|c| c.value == self.group).cloned();
            form = form.push(
                row![
                    text(tr!(tr, "handoff-group")).size(14),
                    theme::choose(choices, selected, Message::GroupPicked),
                ]
                .spacing(8)
                .align_y(Alignment::Center),
            );
        }
        form = form.push(
            checkbox(self.start_now)
                .label(tr!(tr, "handoff-start-now"))
                .on_toggle(Message::StartNow),
        );
        form = form.push(
            row![
                button(text(tr!(tr, "handoff-decline")))
                    .style(theme::secondary)
                    .on_press(Message::Decline),
                Space::new().width(Fill),
                button(text(tr!(tr, "download-submit")))
                    .style(theme::primary)
                    .on_press_maybe((!self.submitting).then_some(Message::Accept)),
            ]
            .spacing(8),
        );
        // Below the buttons, so it moves nothing under the pointer as the
        // name is typed.
        let name = self.name.trim();
        if !name.is_empty() && self.folder.path.join(name).exists() {
            form = form.push(text(tr!(tr, "handoff-exists", name = name.to_owned())).size(13));
        }
        if waiting > 0 {
            form = form.push(text(tr!(tr, "handoff-more", count = waiting)).size(13));
        }
        for problem in &self.problems {
            form = form.push(text(problem.clone()).size(13).style(text::danger));
        }
        super::layout::scrolling_form(form)
    }
}

/// A file name from an address's last segment, decoded ("file" if it has none).
pub fn name_in_url(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let last = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty() && !s.contains(':'))
        .unwrap_or("file");
    percent_encoding::percent_decode_str(last)
        .decode_utf8_lossy()
        .replace('/', "_")
}
