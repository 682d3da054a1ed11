//! The new-upload form: target address, method, files picked (several at once) or
//! dropped on the window, each shown with its size and a remove button, and how
//! they are sent: one multipart request, one upload per file, or resumable tus; and
//! the advanced part (headers, credentials, proxy, cookies).

use std::path::PathBuf;

use iced::widget::{Space, button, column, row, scrollable, text};
use iced::{Alignment, Element, Fill, Task};

use ferry::config::Policy;
use ferry::engine::{self, Method, Request, UploadMode};

use super::advanced::{self, Advanced, Parts};
use super::form::{self, Choice};
use super::format;
use crate::i18n::{Tr, tr};
use crate::ui::theme;

/// The target address field (for tests and focus).
pub const URL: &str = "upload-url";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Multipart,
    Separate,
    Tus,
}

#[derive(Debug)]
pub struct State {
    url: String,
    method: Method,
    mode: Mode,
    /// Picked files and their sizes.
    pub files: Vec<(PathBuf, u64)>,
    policy: Policy,
    advanced: Advanced,
    pub problems: Vec<String>,
    pub submitting: bool,
    /// A file's path being typed (where no picker can open).
    typed: String,
    no_picker: bool,
}

#[derive(Clone, Debug)]
pub enum Message {
    UrlChanged(String),
    MethodPicked(Choice<Method>),
    ModePicked(Choice<Mode>),
    /// Open the file picker (several files).
    PickFiles,
    /// Files were picked or dropped on the window.
    FilesPicked(Vec<PathBuf>),
    /// The file picker could not open here (no portal, no zenity).
    NoPicker,
    /// A file's path was typed.
    PathTyped(String),
    /// Add the typed path.
    AddTyped,
    RemoveFile(usize),
    /// Headers, credentials, proxy, cookies.
    Advanced(advanced::Message),
    Submit,
    Close,
}

pub type Action = form::Action<Message, Vec<Request>>;

pub(super) fn methods() -> Vec<Choice<Method>> {
    vec![
        Choice {
            value: Method::Post,
            label: "POST".into(),
        },
        Choice {
            value: Method::Put,
            label: "PUT".into(),
        },
    ]
}

pub(super) fn modes(tr: &Tr) -> Vec<Choice<Mode>> {
    vec![
        Choice {
            value: Mode::Multipart,
            label: tr!(tr, "upload-mode-multipart"),
        },
        Choice {
            value: Mode::Separate,
            label: tr!(tr, "upload-mode-separate"),
        },
        Choice {
            value: Mode::Tus,
            label: tr!(tr, "upload-mode-tus"),
        },
    ]
}

impl State {
    pub fn new(policy: Policy) -> Self {
        Self {
            url: String::new(),
            method: Method::Post,
            mode: Mode::Multipart,
            files: Vec::new(),
            policy,
            advanced: Advanced::default(),
            problems: Vec::new(),
            submitting: false,
            typed: String::new(),
            no_picker: false,
        }
    }

    pub fn update(&mut self, message: Message, tr: &Tr) -> Action {
        match message {
            Message::UrlChanged(url) => {
                self.url = url;
                self.problems.clear();
            }
            Message::MethodPicked(choice) => {
                self.method = choice.value;
                // A PUT stores its body as the file: no multipart envelope.
                if self.method == Method::Put && self.mode == Mode::Multipart {
                    self.mode = Mode::Separate;
                }
            }
            Message::ModePicked(choice) => {
                self.mode = choice.value;
                if self.mode == Mode::Multipart {
                    self.method = Method::Post;
                }
            }
            Message::PickFiles => {
                let dialog = rfd::AsyncFileDialog::new().pick_files();
                return Action::Run(Task::perform(
                    super::new_download::timed(dialog),
                    |(picked, quick)| {
                        if picked.is_none() && quick {
                            return Message::NoPicker;
                        }
                        Message::FilesPicked(
                            picked
                                .unwrap_or_default()
                                .into_iter()
                                .map(|h| h.path().to_owned())
                                .collect(),
                        )
                    },
                ));
            }
            Message::FilesPicked(paths) => self.add_files(paths),
            Message::NoPicker => self.no_picker = true,
            Message::PathTyped(path) => self.typed = path,
            Message::AddTyped => {
                let typed = std::mem::take(&mut self.typed);
                let path = typed.trim();
                if !path.is_empty() {
                    self.add_files(vec![PathBuf::from(path)]);
                }
            }
            Message::RemoveFile(index) => {
                if index < self.files.len() {
                    self.files.remove(index);
                }
            }
            Message::Advanced(advanced::Message::Submit) => return self.submit(tr),
            Message::Advanced(message) => self.advanced.update(message),
            Message::Submit => return self.submit(tr),
            Message::Close => return Action::Close,
        }
        Action::None
    }

    /// Regular files only, each once.
    fn add_files(&mut self, paths: Vec<PathBuf>) {
        for path in paths {
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if meta.is_file() && !self.files.iter().any(|(p, _)| *p == path) {
                self.files.push((path, meta.len()));
            }
        }
        self.problems.clear();
    }

    fn submit(&mut self, tr: &Tr) -> Action {
        self.problems.clear();
        let url = self.url.trim().to_owned();
        if let Err(e) = engine::check_url(&url) {
            self.problems.push(format::invalid_request(tr, &e));
        }
        if self.files.is_empty() {
            self.problems.push(tr!(tr, "upload-no-files"));
        }
        let parts = self.advanced.parts(tr).unwrap_or_else(|problems| {
            self.problems.extend(problems);
            Parts::default()
        });
        if !self.problems.is_empty() {
            return Action::None;
        }
        let paths: Vec<PathBuf> = self.files.iter().map(|(p, _)| p.clone()).collect();
        let request = |sources: Vec<PathBuf>, mode: UploadMode| {
            parts.apply(
                Request::upload(url.clone(), sources)
                    .method(self.method)
                    .mode(mode)
                    .policy(self.policy.into()),
            )
        };
        let requests = match self.mode {
            Mode::Multipart => vec![request(
                paths,
                UploadMode::Multipart {
                    field: None,
                    form: Vec::new(),
                },
            )],
            Mode::Separate => paths
                .into_iter()
                .map(|p| {
                    let url = match self.method {
                        Method::Put => engine::upload_url_for_file(&url, &p),
                        Method::Post => url.clone(),
                    };
                    let mut one = request(vec![p], UploadMode::Single);
                    one.url = url;
                    one
                })
                .collect(),
            Mode::Tus => paths
                .into_iter()
                .map(|p| request(vec![p], UploadMode::Tus))
                .collect(),
        };
        self.submitting = true;
        Action::Submit(requests)
    }

    /// Whether the user typed or picked something that leaving would lose.
    pub fn is_filled(&self) -> bool {
        !self.url.trim().is_empty() || !self.files.is_empty()
    }

    pub fn refused(&mut self, reason: String) {
        self.submitting = false;
        self.problems.push(reason);
    }

    pub fn view<'a>(&'a self, tr: &Tr) -> Element<'a, Message> {
        let methods = methods();
        let method = methods.iter().find(|c| c.value == self.method).cloned();
        let modes = modes(tr);
        let mode = modes.iter().find(|c| c.value == self.mode).cloned();
        let mut files = column![].spacing(4);
        if self.files.is_empty() {
            files = files.push(text(tr!(tr, "upload-no-files")).size(13));
        }
        for (index, (path, size)) in self.files.iter().enumerate() {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files = files.push(
                row![
                    text(name).size(14).width(Fill),
                    text(format::size(tr, *size)).size(13),
                    button(text(tr!(tr, "upload-remove-file")).size(12))
                        .style(theme::secondary)
                        .on_press(Message::RemoveFile(index)),
                ]
                .spacing(8)
                .align_y(Alignment::Center),
            );
        }
        let total: u64 = self.files.iter().map(|(_, s)| s).sum();
        let mut form = column![
            text(tr!(tr, "upload-title")).size(22),
            row![
                text(tr!(tr, "upload-url")).size(14),
                theme::text_box("https://", &self.url)
                    .on_submit(Message::Submit)
                    .id(URL)
                    .on_input(Message::UrlChanged),
            ]
            .spacing(8)
            .align_y(Alignment::Center),
            row![
                text(tr!(tr, "upload-method")).size(14),
                theme::choose(methods, method, Message::MethodPicked),
                text(tr!(tr, "upload-mode")).size(14),
                theme::choose(modes, mode, Message::ModePicked),
            ]
            .spacing(8)
            .align_y(Alignment::Center),
            row![
                button(text(tr!(tr, "upload-pick-files")).size(13))
                    .style(theme::secondary)
                    .on_press(Message::PickFiles),
                text(tr!(tr, "upload-drop-hint")).size(13),
            ]
            .spacing(8)
            .align_y(Alignment::Center),
            // A picker is a help, not the only way: a path can be typed.
            row![
                theme::text_box(&tr!(tr, "upload-path-hint"), &self.typed)
                    .on_input(Message::PathTyped)
                    .on_submit(Message::AddTyped)
                    .size(13),
                button(text(tr!(tr, "upload-add-path")).size(13))
                    .style(theme::secondary)
                    .on_press(Message::AddTyped),
            ]
            .spacing(8)
            .align_y(Alignment::Center),
            scrollable(files).height(180),
            text(tr!(
                tr,
                "upload-files-count",
                count = self.files.len(),
                size = format::size(tr, total)
            ))
            .size(13),
        ]
        .spacing(10);
        if self.no_picker {
            form = form.push(text(tr!(tr, "upload-no-picker")).size(13));
        }
        form = form.push(self.advanced.view(tr).map(Message::Advanced));
        let submit = button(text(tr!(tr, "upload-submit"))).style(theme::primary);
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
