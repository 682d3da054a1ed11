//! The new-download form: addresses (one per line, each a download), the folder or
//! a "Save as…" file, the cost policy, and the advanced part (headers, credentials,
//! proxy, cookies).
//! Addresses are checked as the engine checks them before anything is submitted.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use iced::widget::{Space, button, column, row, text, text_editor};
use iced::{Element, Fill, Task};

use ferry::config::Policy;
use ferry::engine::{self, Request};

use super::address_checks::{Checks, Found};
use super::advanced::{self, Advanced, Parts};
use super::form::{self, Choice};
use crate::i18n::{Tr, tr};
use crate::ui::theme;

/// The addresses box (for tests and focus).
pub const URLS: &str = "download-urls";

#[derive(Debug)]
pub struct State {
    urls: text_editor::Content,
    advanced: Advanced,
    pub folder: PathBuf,
    /// A file chosen with "Save as…" (single address only).
    save_as: Option<PathBuf>,
    policy: Policy,
    /// An address found in the clipboard, offered with one click.
    clipboard: Option<String>,
    /// Problems to show, one line each.
    pub problems: Vec<String>,
    pub submitting: bool,
    /// A picker could not open here: the folder is to be typed.
    no_picker: bool,
    /// What each address serves, as checked before anything is created.
    pub checks: Checks,
    /// Addresses to check, for the app to ask the engine about.
    to_check: Vec<Request>,
    /// When the box was last edited, until its addresses are checked.
    edited_at: Option<Instant>,
}

#[derive(Clone, Debug)]
pub enum Message {
    /// The addresses box was edited.
    UrlsEdited(text_editor::Action),
    /// Headers, credentials, proxy, cookies.
    Advanced(advanced::Message),
    /// Open the folder picker.
    ChooseFolder,
    /// The folder picker answered (`None`: dismissed).
    FolderChosen(Option<PathBuf>),
    /// A picker answered nothing at once: there is no dialog to show here
    /// (no portal, no zenity), so the user is told to type the path.
    NoPicker,
    /// The folder was typed.
    FolderTyped(String),
    /// Open the "Save as…" dialog.
    SaveAs,
    /// The save dialog answered.
    SaveAsChosen(Option<PathBuf>),
    PolicyPicked(Choice<Policy>),
    /// The clipboard was read (at open).
    ClipboardRead(Option<String>),
    /// Put the clipboard's address in the box.
    UseClipboard,
    /// Ctrl+V on the list: the clipboard's addresses (every line that is one)
    /// go in the box.
    Pasted(Option<String>),
    /// The clock, while an edit waits to be checked: once the box has rested
    /// for a moment, its new addresses are checked.
    Tick(Instant),
    /// What an address serves, or why it cannot be fetched.
    Checked {
        url: String,
        found: Found,
    },
    /// Create the downloads.
    Submit,
    /// Leave the form.
    Close,
}

/// What the parent must do after an update.
pub type Action = form::Action<Message, Vec<Request>>;

pub fn policy_choices(tr: &Tr) -> Vec<Choice<Policy>> {
    [Policy::UnrestrictedOnly, Policy::Default, Policy::Always]
        .into_iter()
        .map(|policy| Choice {
            value: policy,
            label: match policy {
                Policy::UnrestrictedOnly => tr!(tr, "policy-unrestricted-only"),
                Policy::Default => tr!(tr, "policy-default"),
                Policy::Always => tr!(tr, "policy-always"),
            },
        })
        .collect()
}

/// "On metered networks" and its pick list, as every download form shows it.
pub fn policy_row<'a, M: Clone + 'a>(
    tr: &Tr,
    policy: Policy,
    on_pick: impl Fn(Choice<Policy>) -> M + 'a,
) -> Element<'a, M> {
    let choices = policy_choices(tr);
    let selected = choices.iter().find(|c| c.value == policy).cloned();
    row![
        text(tr!(tr, "download-policy")).size(14),
        theme::choose(choices, selected, on_pick),
    ]
    .spacing(8)
    .align_y(iced::Alignment::Center)
    .into()
}

impl State {
    pub fn new(folder: PathBuf, policy: Policy) -> (Self, Task<Message>) {
        let state = Self {
            urls: text_editor::Content::new(),
            advanced: Advanced::default(),
            folder,
            save_as: None,
            policy,
            clipboard: None,
            problems: Vec::new(),
            submitting: false,
            no_picker: false,
            checks: Checks::default(),
            to_check: Vec::new(),
            edited_at: None,
        };
        let read = iced::clipboard::read().map(Message::ClipboardRead);
        (state, read)
    }

    pub fn update(&mut self, message: Message, tr: &Tr) -> Action {
        match message {
            Message::UrlsEdited(action) => {
                if action.is_edit() {
                    // Checked once typing rests, not at every key (a half
                    // typed address is a request to another host).
                    self.edited_at = Some(Instant::now());
                }
                self.urls.perform(action);
                self.problems.clear();
            }
            Message::Tick(now) => {
                if self.edited_at.is_some_and(|at| now >= at + CHECK_AFTER) {
                    self.edited_at = None;
                    self.check_new_addresses(tr);
                }
            }
            Message::Checked { url, found } => self.checks.answered(&url, found),
            Message::Advanced(advanced::Message::Submit) => return self.submit(tr),
            Message::Advanced(message) => self.advanced.update(message),
            Message::ChooseFolder => {
                let dialog = rfd::AsyncFileDialog::new()
                    .set_directory(&self.folder)
                    .pick_folder();
                return Action::Run(Task::perform(
                    timed(dialog),
                    |(picked, quick)| match picked {
                        None if quick => Message::NoPicker,
                        picked => Message::FolderChosen(picked.map(|h| h.path().to_owned())),
                    },
                ));
            }
            Message::NoPicker => self.no_picker = true,
            Message::FolderTyped(text) => {
                self.folder = PathBuf::from(text);
                self.save_as = None;
                self.problems.clear();
            }
            Message::FolderChosen(Some(folder)) => {
                self.folder = folder;
                self.save_as = None;
            }
            Message::SaveAs => {
                // The server's name when the check found it, else the address's.
                let name = self.urls().first().and_then(|u| {
                    self.checks
                        .name(u)
                        .map(str::to_owned)
                        .or_else(|| u.rsplit('/').next().map(str::to_owned))
                });
                let dialog = rfd::AsyncFileDialog::new()
                    .set_directory(&self.folder)
                    .set_file_name(name.unwrap_or_default())
                    .save_file();
                return Action::Run(Task::perform(
                    timed(dialog),
                    |(picked, quick)| match picked {
                        None if quick => Message::NoPicker,
                        picked => Message::SaveAsChosen(picked.map(|h| h.path().to_owned())),
                    },
                ));
            }
            Message::SaveAsChosen(Some(path)) => self.save_as = Some(path),
            Message::FolderChosen(None) | Message::SaveAsChosen(None) => {}
            Message::PolicyPicked(choice) => self.policy = choice.value,
            Message::ClipboardRead(text) => {
                self.clipboard = text
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.contains('\n') && engine::check_url(t).is_ok());
            }
            Message::UseClipboard => {
                if let Some(url) = self.clipboard.take() {
                    self.urls = text_editor::Content::with_text(&url);
                    self.check_new_addresses(tr);
                }
            }
            Message::Pasted(text) => {
                let mut urls = self.urls();
                for line in text.as_deref().unwrap_or_default().lines() {
                    let line = line.trim();
                    if engine::check_url(line).is_ok() && !urls.iter().any(|u| u == line) {
                        urls.push(line.to_owned());
                    }
                }
                self.urls = text_editor::Content::with_text(&urls.join("\n"));
                self.clipboard = None;
                self.check_new_addresses(tr);
            }
            Message::Submit => return self.submit(tr),
            Message::Close => return Action::Close,
        }
        Action::None
    }

    /// Queue the addresses not checked yet, with the advanced part's
    /// credentials, headers, cookies and proxy (as their downloads would go).
    fn check_new_addresses(&mut self, tr: &Tr) {
        let parts = self.advanced.parts(tr).unwrap_or_default();
        for url in self.checks.due(&self.urls()) {
            self.to_check
                .push(parts.apply(Request::download(url, None)));
        }
    }

    /// Whether an edit waits to be checked (the app's clock then ticks).
    pub fn waits_to_check(&self) -> bool {
        self.edited_at.is_some()
    }

    /// The requests whose addresses the app is to check (taken once).
    pub fn take_checks(&mut self) -> Vec<Request> {
        std::mem::take(&mut self.to_check)
    }

    fn urls(&self) -> Vec<String> {
        self.urls
            .text()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Check every line as the engine would; build the requests if all are good.
    fn submit(&mut self, tr: &Tr) -> Action {
        let urls = self.urls();
        self.problems = urls
            .iter()
            .enumerate()
            .filter_map(|(i, url)| {
                engine::check_url(url).err().map(|e| {
                    let line: usize = i + 1;
                    tr!(
                        tr,
                        "download-invalid-line",
                        line = line,
                        reason = super::format::invalid_request(tr, &e)
                    )
                })
            })
            .collect();
        if urls.is_empty() {
            self.problems.push(tr!(tr, "download-nothing"));
        }
        let parts = self.advanced.parts(tr).unwrap_or_else(|problems| {
            self.problems.extend(problems);
            Parts::default()
        });
        if !self.problems.is_empty() {
            return Action::None;
        }
        if self.save_as.is_some() && urls.len() > 1 {
            // Never drop the user's choice silently.
            self.problems.push(tr!(tr, "download-save-as-one-only"));
            return Action::None;
        }
        let save_as = self.save_as.clone();
        self.submitting = true;
        let requests = urls
            .into_iter()
            .map(|url| {
                // The folder field names a folder (made if missing), never the file.
                let request = match &save_as {
                    Some(file) => Request::download(url, Some(file.clone())),
                    None => Request::download_into(url, self.folder.clone()),
                };
                parts.apply(request.policy(self.policy.into()))
            })
            .collect();
        Action::Submit(requests)
    }

    /// Whether the user typed or chose something that leaving would lose.
    pub fn is_filled(&self) -> bool {
        !self.urls.text().trim().is_empty() || self.save_as.is_some()
    }

    /// The engine refused a request after all (a folder that vanished…).
    pub fn refused(&mut self, reason: String) {
        self.submitting = false;
        self.problems.push(reason);
    }

    pub fn view<'a>(&'a self, tr: &Tr) -> Element<'a, Message> {
        // The clipboard's offer sits beside the label: appearing late, it
        // moves nothing under the pointer.
        let mut label = row![
            text(tr!(tr, "download-urls")).size(14),
            Space::new().width(Fill)
        ];
        if let Some(url) = &self.clipboard {
            label = label.push(
                button(text(tr!(tr, "download-clipboard", url = url.clone())).size(13))
                    .style(button::text)
                    .padding(0)
                    .on_press(Message::UseClipboard),
            );
        }
        let mut form = column![
            text(tr!(tr, "download-title")).size(22),
            label,
            text_editor(&self.urls)
                .id(URLS)
                .placeholder(tr!(tr, "download-urls-hint"))
                .on_action(Message::UrlsEdited)
                .height(110),
        ]
        .spacing(8);
        if let Some(found) = self.checks.view(tr, &self.urls()) {
            form = form.push(found);
        }
        // The folder can be typed: a picker is a help, not the only way.
        let destination: Element<'a, Message> = match &self.save_as {
            Some(file) => text(tr!(
                tr,
                "download-save-as-chosen",
                path = file.display().to_string()
            ))
            .size(14)
            .width(Fill)
            .into(),
            None => theme::text_box("", &self.folder.display().to_string())
                .on_input(Message::FolderTyped)
                .on_submit(Message::Submit)
                .size(14)
                .width(Fill)
                .into(),
        };
        form = form.push(
            row![
                text(tr!(tr, "download-folder")).size(14),
                destination,
                button(text(tr!(tr, "download-choose-folder")).size(13))
                    .style(theme::secondary)
                    .on_press(Message::ChooseFolder),
                button(text(tr!(tr, "download-save-as")).size(13))
                    .style(theme::secondary)
                    .on_press(Message::SaveAs),
            ]
            .spacing(8)
            .align_y(iced::Alignment::Center),
        );
        form = form.push(policy_row(tr, self.policy, Message::PolicyPicked));
        if self.no_picker {
            form = form.push(text(tr!(tr, "download-no-picker")).size(13));
        }
        form = form.push(self.advanced.view(tr).map(Message::Advanced));
        let submit = button(text(tr!(tr, "download-submit"))).style(theme::primary);
        form = form.push(
            row![
                button(text(tr!(tr, "back")))
                    .style(theme::secondary)
                    .on_press(Message::Close),
                Space::new().width(Fill),
                submit.on_press_maybe((!self.submitting).then_some(Message::Submit)),
            ]
            .spacing(8),
        );
        // Below the buttons: a problem appearing does not move them.
        for problem in &self.problems {
            form = form.push(text(problem.clone()).size(13).style(text::danger));
        }
        super::layout::scrolling_form(form)
    }
}

/// How long the box stays as typed before its new addresses are checked.
pub const CHECK_AFTER: Duration = Duration::from_millis(600);

/// How long a picker may take to answer `None` and still count as "there is no
/// dialog here" rather than "the user closed it".
const NO_PICKER_WITHIN: Duration = Duration::from_millis(300);

/// A picker's answer, and whether it came too fast for a person to have seen it.
pub async fn timed<T>(picker: impl Future<Output = Option<T>>) -> (Option<T>, bool) {
    let started = Instant::now();
    let picked = picker.await;
    (picked, started.elapsed() < NO_PICKER_WITHIN)
}
