//! The new-download form: addresses (one per line, each a download), the folder or
//! a "Save as…" file, the cost policy, and an advanced part for request headers.
//! Addresses are checked as the engine checks them before anything is submitted.

use std::path::PathBuf;

use iced::widget::{
    Space, button, checkbox, column, container, pick_list, row, text, text_editor, text_input,
};
use iced::{Element, Fill, Task};

use ferry::config::Policy;
use ferry::engine::{self, Header, Request};

use crate::i18n::{Tr, tr};

/// The addresses box (for tests and focus).
pub const URLS: &str = "download-urls";

#[derive(Debug)]
pub struct State {
    urls: text_editor::Content,
    headers: text_editor::Content,
    user: String,
    password: String,
    /// A proxy for these downloads (empty: the settings' or the environment's).
    proxy: String,
    /// Cookies, `name=value; name2=value2`.
    cookies: String,
    pub folder: PathBuf,
    /// A file chosen with "Save as…" (single address only).
    save_as: Option<PathBuf>,
    policy: Policy,
    advanced: bool,
    /// An address found in the clipboard, offered with one click.
    clipboard: Option<String>,
    /// Problems to show, one line each.
    pub problems: Vec<String>,
    pub submitting: bool,
}

#[derive(Clone, Debug)]
pub enum Message {
    /// The addresses box was edited.
    UrlsEdited(text_editor::Action),
    /// The headers box was edited.
    HeadersEdited(text_editor::Action),
    /// The user name for the server (basic authentication).
    UserChanged(String),
    PasswordChanged(String),
    ProxyChanged(String),
    CookiesChanged(String),
    /// Open the folder picker.
    ChooseFolder,
    /// The folder picker answered (`None`: dismissed).
    FolderChosen(Option<PathBuf>),
    /// Open the "Save as…" dialog.
    SaveAs,
    /// The save dialog answered.
    SaveAsChosen(Option<PathBuf>),
    PolicyPicked(PolicyChoice),
    /// Show or hide the advanced part.
    ToggleAdvanced(bool),
    /// The clipboard was read (at open).
    ClipboardRead(Option<String>),
    /// Put the clipboard's address in the box.
    UseClipboard,
    /// Create the downloads.
    Submit,
    /// Leave the form.
    Close,
}

/// What the parent must do after an update.
#[derive(Debug)]
pub enum Action {
    None,
    Run(Task<Message>),
    /// Create these downloads (one per address, in order).
    Submit(Vec<Request>),
    Close,
}

/// A cost policy with its words, for the pick list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyChoice {
    pub policy: Policy,
    label: String,
}

impl std::fmt::Display for PolicyChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

pub fn policy_choices(tr: &Tr) -> Vec<PolicyChoice> {
    [Policy::UnrestrictedOnly, Policy::Default, Policy::Always]
        .into_iter()
        .map(|policy| PolicyChoice {
            policy,
            label: match policy {
                Policy::UnrestrictedOnly => tr!(tr, "policy-unrestricted-only"),
                Policy::Default => tr!(tr, "policy-default"),
                Policy::Always => tr!(tr, "policy-always"),
            },
        })
        .collect()
}

impl State {
    pub fn new(folder: PathBuf, policy: Policy) -> (Self, Task<Message>) {
        let state = Self {
            urls: text_editor::Content::new(),
            headers: text_editor::Content::new(),
            user: String::new(),
            password: String::new(),
            proxy: String::new(),
            cookies: String::new(),
            folder,
            save_as: None,
            policy,
            advanced: false,
            clipboard: None,
            problems: Vec::new(),
            submitting: false,
        };
        let read = iced::clipboard::read().map(Message::ClipboardRead);
        (state, read)
    }

    pub fn update(&mut self, message: Message, tr: &Tr) -> Action {
        match message {
            Message::UrlsEdited(action) => {
                self.urls.perform(action);
                self.problems.clear();
            }
            Message::HeadersEdited(action) => self.headers.perform(action),
            Message::UserChanged(user) => self.user = user,
            Message::PasswordChanged(password) => self.password = password,
            Message::ProxyChanged(proxy) => self.proxy = proxy,
            Message::CookiesChanged(cookies) => self.cookies = cookies,
            Message::ChooseFolder => {
                let dialog = rfd::AsyncFileDialog::new()
                    .set_directory(&self.folder)
                    .pick_folder();
                return Action::Run(Task::perform(dialog, |picked| {
                    Message::FolderChosen(picked.map(|h| h.path().to_owned()))
                }));
            }
            Message::FolderChosen(Some(folder)) => {
                self.folder = folder;
                self.save_as = None;
            }
            Message::SaveAs => {
                let name = self
                    .urls()
                    .first()
                    .and_then(|u| u.rsplit('/').next().map(str::to_owned));
                let dialog = rfd::AsyncFileDialog::new()
                    .set_directory(&self.folder)
                    .set_file_name(name.unwrap_or_default())
                    .save_file();
                return Action::Run(Task::perform(dialog, |picked| {
                    Message::SaveAsChosen(picked.map(|h| h.path().to_owned()))
                }));
            }
            Message::SaveAsChosen(Some(path)) => self.save_as = Some(path),
            Message::FolderChosen(None) | Message::SaveAsChosen(None) => {}
            Message::PolicyPicked(choice) => self.policy = choice.policy,
            Message::ToggleAdvanced(on) => self.advanced = on,
            Message::ClipboardRead(text) => {
                self.clipboard = text
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.contains('\n') && engine::check_url(t).is_ok());
            }
            Message::UseClipboard => {
                if let Some(url) = self.clipboard.take() {
                    self.urls = text_editor::Content::with_text(&url);
                }
            }
            Message::Submit => return self.submit(tr),
            Message::Close => return Action::Close,
        }
        Action::None
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
                        reason = e.to_string()
                    )
                })
            })
            .collect();
        if urls.is_empty() {
            self.problems.push(tr!(tr, "download-nothing"));
        }
        let headers = self.parsed_headers(tr);
        let proxy = self.proxy.trim().to_owned();
        if !proxy.is_empty()
            && let Err(e) = engine::validate_proxy(&proxy)
        {
            self.problems.push(e.to_string());
        }
        let cookies: Vec<String> = self
            .cookies
            .split(';')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        if !self.problems.is_empty() {
            return Action::None;
        }
        let destination = match (&self.save_as, urls.len()) {
            (Some(file), 1) => file.clone(),
            _ => self.folder.clone(),
        };
        self.submitting = true;
        let requests = urls
            .into_iter()
            .map(|url| {
                let mut request =
                    Request::download(url, Some(destination.clone())).policy(self.policy.into());
                request.headers = headers.clone();
                if !self.user.is_empty() {
                    request = request.auth(self.user.clone(), self.password.clone());
                }
                request.proxy = (!proxy.is_empty()).then(|| proxy.clone());
                request.cookies.clone_from(&cookies);
                request
            })
            .collect();
        Action::Submit(requests)
    }

    fn parsed_headers(&mut self, tr: &Tr) -> Vec<Header> {
        let mut headers = Vec::new();
        for (i, line) in self.headers.text().lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match line.split_once(':') {
                Some((name, value)) if !name.trim().is_empty() => headers.push(Header {
                    name: name.trim().to_owned(),
                    value: value.trim().to_owned(),
                }),
                _ => {
                    let line: usize = i + 1;
                    let reason = tr!(tr, "download-headers-hint");
                    self.problems.push(tr!(
                        tr,
                        "download-invalid-line",
                        line = line,
                        reason = reason
                    ));
                }
            }
        }
        headers
    }

    /// The engine refused a request after all (a folder that vanished…).
    pub fn refused(&mut self, reason: String) {
        self.submitting = false;
        self.problems.push(reason);
    }

    pub fn view<'a>(&'a self, tr: &Tr) -> Element<'a, Message> {
        let mut form = column![
            text(tr!(tr, "download-title")).size(22),
            text(tr!(tr, "download-urls")).size(14),
            text_editor(&self.urls)
                .id(URLS)
                .placeholder(tr!(tr, "download-urls-hint"))
                .on_action(Message::UrlsEdited)
                .height(110),
        ]
        .spacing(8);
        if let Some(url) = &self.clipboard {
            form = form.push(
                button(text(tr!(tr, "download-clipboard", url = url.clone())).size(13))
                    .style(button::text)
                    .on_press(Message::UseClipboard),
            );
        }
        let destination = match &self.save_as {
            Some(file) => tr!(
                tr,
                "download-save-as-chosen",
                path = file.display().to_string()
            ),
            None => self.folder.display().to_string(),
        };
        form = form.push(
            row![
                text(tr!(tr, "download-folder")).size(14),
                text(destination).size(14).width(Fill),
                button(text(tr!(tr, "download-choose-folder")).size(13))
                    .style(button::secondary)
                    .on_press(Message::ChooseFolder),
                button(text(tr!(tr, "download-save-as")).size(13))
                    .style(button::secondary)
                    .on_press(Message::SaveAs),
            ]
            .spacing(8)
            .align_y(iced::Alignment::Center),
        );
        let choices = policy_choices(tr);
        let selected = choices.iter().find(|c| c.policy == self.policy).cloned();
        form = form.push(
            row![
                text(tr!(tr, "download-policy")).size(14),
                pick_list(choices, selected, Message::PolicyPicked),
            ]
            .spacing(8)
            .align_y(iced::Alignment::Center),
        );
        form = form.push(
            checkbox(self.advanced)
                .label(tr!(tr, "download-advanced"))
                .on_toggle(Message::ToggleAdvanced),
        );
        if self.advanced {
            form = form
                .push(text(tr!(tr, "download-headers")).size(14))
                .push(
                    text_editor(&self.headers)
                        .placeholder(tr!(tr, "download-headers-hint"))
                        .on_action(Message::HeadersEdited)
                        .height(80),
                )
                .push(
                    row![
                        text(tr!(tr, "download-user")).size(14),
                        text_input("", &self.user).on_input(Message::UserChanged),
                        text(tr!(tr, "download-password")).size(14),
                        text_input("", &self.password)
                            .secure(true)
                            .on_input(Message::PasswordChanged),
                    ]
                    .spacing(8)
                    .align_y(iced::Alignment::Center),
                )
                .push(
                    row![
                        text(tr!(tr, "download-proxy")).size(14),
                        text_input(&tr!(tr, "download-proxy-hint"), &self.proxy)
                            .on_input(Message::ProxyChanged),
                    ]
                    .spacing(8)
                    .align_y(iced::Alignment::Center),
                )
                .push(
                    row![
                        text(tr!(tr, "download-cookies")).size(14),
                        text_input(&tr!(tr, "download-cookies-hint"), &self.cookies)
                            .on_input(Message::CookiesChanged),
                    ]
                    .spacing(8)
                    .align_y(iced::Alignment::Center),
                );
        }
        for problem in &self.problems {
            form = form.push(text(problem.clone()).size(13).style(text::danger));
        }
        let submit = button(text(tr!(tr, "download-submit"))).style(button::primary);
        form = form.push(
            row![
                button(text(tr!(tr, "back")))
                    .style(button::secondary)
                    .on_press(Message::Close),
                Space::new().width(Fill),
                submit.on_press_maybe((!self.submitting).then_some(Message::Submit)),
            ]
            .spacing(8),
        );
        container(form).max_width(720).into()
    }
}
