//! Settings: transfers at once, download folder, default cost policy, the monthly
//! data budget on metered networks, notifications, language, theme, start at
//! login, downloads from the browser, the aria2 RPC, the kinds of file. Saved to
//! the config file.

mod categories;
pub mod schedule;
pub mod traffic;

use std::path::PathBuf;

use iced::widget::{Space, button, column, row, text, toggler};
use iced::{Alignment, Element, Fill, Task};

use ferry::config::{Config, Language, Policy, Theme};

use super::form::{self, Choice};
use super::new_download::policy_choices;
use crate::i18n::{Tr, tr};
use crate::ui::theme;

#[derive(Debug)]
pub struct State {
    /// The settings as edited, saved on Save.
    pub draft: Config,
    saved: bool,
    /// The categories' extensions as typed.
    typed: categories::Typed,
    /// The schedule rule being typed.
    pub new_rule: schedule::NewRule,
    /// The groups a schedule rule may be for.
    groups: Vec<String>,
}

#[derive(Clone, Debug)]
pub enum Message {
    MaxRunning(usize),
    ChooseFolder,
    FolderChosen(Option<PathBuf>),
    /// The folder was typed (a picker is a help, not the only way).
    FolderTyped(String),
    Policy(Choice<Policy>),
    DataBudget(Choice<u64>),
    SpeedLimit(Choice<u64>),
    Notifications(bool),
    Language(Choice<Language>),
    Theme(Choice<Theme>),
    Autostart(bool),
    /// Ask in the window before adding a download from the browser.
    AskForBrowserDownloads(bool),
    /// The aria2 RPC's address (empty: off) and secret.
    RpcListen(String),
    RpcSecret(String),
    /// A category's folder (empty: the download folder) and extensions, typed.
    CategoryFolder(ferry::engine::Category, String),
    CategoryExtensions(ferry::engine::Category, String),
    /// The schedule's rules edited.
    Schedule(schedule::Edit),
    Save,
    Close,
}

pub type Action = form::Action<Message, Box<Config>>;

/// A few choices side by side, the current one highlighted.
fn segmented<'a, T: Clone + PartialEq + 'a>(
    choices: Vec<Choice<T>>,
    current: Option<&Choice<T>>,
    on_pick: fn(Choice<T>) -> Message,
) -> Element<'a, Message> {
    let mut buttons = row![].spacing(4);
    for choice in choices {
        let style = if Some(&choice) == current {
            theme::primary
        } else {
            theme::secondary
        };
        buttons = buttons.push(
            button(text(choice.label.clone()).size(13))
                .style(style)
                .on_press(on_pick(choice)),
        );
    }
    buttons.into()
}

fn languages(tr: &Tr) -> Vec<Choice<Language>> {
    // Each language in its own name, so it can be found whatever is shown.
    vec![
        Choice {
            value: Language::System,
            label: tr!(tr, "language-system"),
        },
        Choice {
            value: Language::English,
            label: "English".into(),
        },
        Choice {
            value: Language::French,
            label: "Français".into(),
        },
    ]
}

/// Speed limits offered, in KiB/s (0: none).
const LIMITS_KIB: [u64; 9] = [0, 256, 512, 1024, 2048, 5120, 10_240, 20_480, 51_200];

pub fn limits(tr: &Tr, current: u64) -> Vec<Choice<u64>> {
    let mut values = LIMITS_KIB.to_vec();
    // A value set in the file (or by `ferry limit` at start) stays selectable.
    if !values.contains(&current) {
        values.push(current);
        values.sort_unstable();
    }
    values
        .into_iter()
        .map(|kib| Choice {
            value: kib,
            label: if kib == 0 {
                tr!(tr, "settings-speed-limit-none")
            } else {
                super::format::speed(tr, (kib * 1024) as f64)
            },
        })
        .collect()
}

/// Monthly budgets offered, in MiB (0: none).
const BUDGETS_MIB: [u64; 8] = [0, 512, 1024, 2048, 5120, 10_240, 20_480, 51_200];

fn budgets(tr: &Tr, current: u64) -> Vec<Choice<u64>> {
    let mut values = BUDGETS_MIB.to_vec();
    // A value set in the file by hand stays selectable.
    if !values.contains(&current) {
        values.push(current);
        values.sort_unstable();
    }
    values
        .into_iter()
        .map(|mib| Choice {
            value: mib,
            label: if mib == 0 {
                tr!(tr, "settings-data-budget-none")
            } else {
                super::format::size(tr, mib << 20)
            },
        })
        .collect()
}

fn themes(tr: &Tr) -> Vec<Choice<Theme>> {
    vec![
        Choice {
            value: Theme::System,
            label: tr!(tr, "theme-system"),
        },
        Choice {
            value: Theme::Light,
            label: tr!(tr, "theme-light"),
        },
        Choice {
            value: Theme::Dark,
            label: tr!(tr, "theme-dark"),
        },
    ]
}

impl State {
    /// `groups`: the names of the groups, for the schedule's rules.
    pub fn new(config: Config, groups: Vec<String>) -> Self {
        Self {
            typed: categories::Typed::new(&config),
            draft: config,
            saved: false,
            new_rule: schedule::NewRule::default(),
            groups,
        }
    }

    pub fn update(&mut self, message: Message) -> Action {
        self.saved = false;
        match message {
            Message::MaxRunning(n) => self.draft.max_running = n,
            Message::ChooseFolder => {
                let dialog = rfd::AsyncFileDialog::new().pick_folder();
                return Action::Run(Task::perform(
                    super::new_download::timed(dialog),
                    |(picked, quick)| {
                        match picked {
                            // No dialog here: the field is there to type in.
                            None if quick => Message::FolderChosen(None),
                            picked => Message::FolderChosen(picked.map(|h| h.path().to_owned())),
                        }
                    },
                ));
            }
            Message::FolderTyped(text) => {
                self.draft.download_dir = (!text.trim().is_empty()).then(|| PathBuf::from(text));
            }
            Message::FolderChosen(folder) => {
                if folder.is_some() {
                    self.draft.download_dir = folder;
                }
            }
            Message::Policy(choice) => self.draft.default_policy = choice.value,
            Message::DataBudget(choice) => self.draft.data_budget_mib = choice.value,
            Message::SpeedLimit(choice) => self.draft.speed_limit_kib = choice.value,
            Message::Notifications(on) => self.draft.notifications = on,
            Message::Language(choice) => self.draft.language = choice.value,
            Message::Theme(choice) => self.draft.theme = choice.value,
            Message::Autostart(on) => self.draft.autostart = on,
            Message::AskForBrowserDownloads(on) => self.draft.ask_for_browser_downloads = on,
            Message::RpcListen(address) => {
                self.draft.rpc_listen = Some(address).filter(|a| !a.trim().is_empty());
            }
            Message::RpcSecret(secret) => {
                self.draft.rpc_secret = Some(secret).filter(|s| !s.is_empty());
            }
            Message::CategoryFolder(category, typed) => {
                categories::folder(&mut self.draft, category, &typed);
            }
            Message::CategoryExtensions(category, typed) => {
                self.typed.extensions(&mut self.draft, category, typed);
            }
            Message::Schedule(edit) => schedule::update(&mut self.draft, &mut self.new_rule, edit),
            Message::Save => {
                self.saved = true;
                return Action::Submit(Box::new(self.draft.clone()));
            }
            Message::Close => return Action::Close,
        }
        Action::None
    }

    /// Why the RPC as set would stay off, in the user's words.
    fn rpc_problem(&self, tr: &Tr) -> Option<String> {
        let address = self.draft.rpc_listen.as_deref()?;
        if address.trim().parse::<std::net::SocketAddr>().is_err() {
            return Some(tr!(
                tr,
                "settings-rpc-bad-address",
                address = address.to_owned()
            ));
        }
        self.draft
            .rpc_secret
            .is_none()
            .then(|| tr!(tr, "settings-rpc-needs-secret"))
    }

    /// `used`: this month's metered traffic, in words; `traffic`: the last
    /// days' bars.
    #[expect(
        clippy::too_many_lines,
        reason = "one row per setting, in the order the screen shows them"
    )]
    pub fn view<'a>(
        &'a self,
        tr: &Tr,
        folder: &str,
        used: String,
        traffic: &[traffic::Bar],
    ) -> Element<'a, Message> {
        let counts: Vec<usize> = (1..=16).collect();
        let policies = policy_choices(tr);
        let policy = policies
            .iter()
            .find(|c| c.value == self.draft.default_policy)
            .cloned();
        let languages = languages(tr);
        let language = languages
            .iter()
            .find(|l| l.value == self.draft.language)
            .cloned();
        let language = language.as_ref();
        let themes = themes(tr);
        let theme = themes.iter().find(|t| t.value == self.draft.theme).cloned();
        let theme = theme.as_ref();
        let budgets = budgets(tr, self.draft.data_budget_mib);
        let budget = budgets
            .iter()
            .find(|b| b.value == self.draft.data_budget_mib)
            .cloned();
        let limits = limits(tr, self.draft.speed_limit_kib);
        let limit = limits
            .iter()
            .find(|l| l.value == self.draft.speed_limit_kib)
            .cloned();
        let line = |label: String, control: Element<'a, Message>| -> Element<'a, Message> {
            row![text(label).size(14).width(280), control]
                .spacing(8)
                .align_y(Alignment::Center)
                .into()
        };
        let mut form = column![
            text(tr!(tr, "settings-title")).size(22),
            line(
                tr!(tr, "settings-max-running"),
                theme::choose(counts, Some(self.draft.max_running), Message::MaxRunning).into()
            ),
            line(
                tr!(tr, "settings-folder"),
                row![
                    theme::text_box(
                        folder,
                        &self
                            .draft
                            .download_dir
                            .as_ref()
                            .map(|d| d.display().to_string())
                            .unwrap_or_default()
                    )
                    .on_input(Message::FolderTyped)
                    .size(14),
                    button(text(tr!(tr, "download-choose-folder")).size(13))
                        .style(theme::secondary)
                        .on_press(Message::ChooseFolder),
                ]
                .spacing(8)
                .align_y(Alignment::Center)
                .into()
            ),
            line(
                tr!(tr, "settings-policy"),
                theme::choose(policies, policy, Message::Policy).into()
            ),
            line(
                tr!(tr, "settings-data-budget"),
                row![
                    theme::choose(budgets, budget, Message::DataBudget),
                    text(used).size(13),
                ]
                .spacing(8)
                .align_y(Alignment::Center)
                .into()
            ),
            traffic::view(tr, traffic),
            line(
                tr!(tr, "settings-speed-limit"),
                theme::choose(limits, limit, Message::SpeedLimit).into()
            ),
            line(
                tr!(tr, "settings-notifications"),
                toggler(self.draft.notifications)
                    .on_toggle(Message::Notifications)
                    .into()
            ),
            line(
                tr!(tr, "settings-language"),
                segmented(languages, language, Message::Language)
            ),
            line(
                tr!(tr, "settings-theme"),
                segmented(themes, theme, Message::Theme)
            ),
            line(
                tr!(tr, "settings-autostart"),
                toggler(self.draft.autostart)
                    .on_toggle(Message::Autostart)
                    .into()
            ),
            line(
                tr!(tr, "settings-ask-browser"),
                toggler(self.draft.ask_for_browser_downloads)
                    .on_toggle(Message::AskForBrowserDownloads)
                    .into()
            ),
            line(
                tr!(tr, "settings-rpc-listen"),
                theme::text_box(
                    "127.0.0.1:6800",
                    self.draft.rpc_listen.as_deref().unwrap_or_default()
                )
                .on_input(Message::RpcListen)
                .size(14)
                .into()
            ),
            line(
                tr!(tr, "settings-rpc-secret"),
                theme::text_box("", self.draft.rpc_secret.as_deref().unwrap_or_default())
                    .secure(true)
                    .on_input(Message::RpcSecret)
                    .size(14)
                    .into()
            ),
            text(tr!(tr, "settings-rpc-hint")).size(13),
        ]
        .spacing(12);
        if let Some(problem) = self.rpc_problem(tr) {
            form = form.push(text(problem).size(13).style(text::danger));
        }
        form = form.push(schedule::view(
            tr,
            &self.draft,
            &self.new_rule,
            &self.groups,
        ));
        form = form.push(categories::view(tr, &self.draft, &self.typed));
        if let Some(problem) = categories::problem(tr, &self.draft) {
            form = form.push(text(problem).size(13).style(text::danger));
        }
        // "Saved" beside the button, which stays in view, not at the form's end.
        let mut actions = row![
            button(text(tr!(tr, "back")))
                .style(theme::secondary)
                .on_press(Message::Close),
            Space::new().width(Fill),
        ]
        .spacing(8)
        .align_y(Alignment::Center);
        if self.saved {
            actions = actions.push(
                text(tr!(tr, "settings-saved"))
                    .size(13)
                    .style(text::success),
            );
        }
        let actions = actions.push(
            button(text(tr!(tr, "settings-save")))
                .style(theme::primary)
                .on_press(Message::Save),
        );
        super::layout::form_with_actions(form, actions)
    }
}
