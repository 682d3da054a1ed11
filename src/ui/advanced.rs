//! The "Advanced" part shared by the download and upload forms: request headers,
//! the server's user and password, a proxy and cookies. It checks what it can
//! before anything is created and puts the rest on each request.

use iced::widget::{checkbox, column, row, text, text_editor};
use iced::{Alignment, Element};

use ferry::engine::{self, Header, Request};

use crate::i18n::{Tr, tr};
use crate::ui::theme;

#[derive(Debug, Default)]
pub struct Advanced {
    /// Shown, or folded under its checkbox.
    open: bool,
    headers: text_editor::Content,
    user: String,
    password: String,
    /// Empty: the settings' proxy, or the environment's.
    proxy: String,
    /// `name=value; name2=value2`.
    cookies: String,
}

/// The user and password fields (for tests and focus).
pub const USER: &str = "request-user";
pub const PASSWORD: &str = "request-password";

#[derive(Clone, Debug)]
pub enum Message {
    /// Show or hide the part.
    Toggle(bool),
    HeadersEdited(text_editor::Action),
    /// The user name for the server (basic authentication).
    UserChanged(String),
    PasswordChanged(String),
    ProxyChanged(String),
    CookiesChanged(String),
    /// Enter in one of the fields: the form it belongs to is sent.
    Submit,
}

/// What the part adds to every request of the form.
#[derive(Clone, Debug, Default)]
pub struct Parts {
    headers: Vec<Header>,
    auth: Option<(String, String)>,
    proxy: Option<String>,
    cookies: Vec<String>,
}

impl Parts {
    pub fn apply(&self, mut request: Request) -> Request {
        request.headers.clone_from(&self.headers);
        if let Some((user, password)) = &self.auth {
            request = request.auth(user.clone(), password.clone());
        }
        request.proxy.clone_from(&self.proxy);
        request.cookies.clone_from(&self.cookies);
        request
    }
}

impl Advanced {
    pub fn update(&mut self, message: Message) {
        match message {
            Message::Toggle(open) => self.open = open,
            Message::HeadersEdited(action) => self.headers.perform(action),
            Message::UserChanged(user) => self.user = user,
            Message::PasswordChanged(password) => self.password = password,
            Message::ProxyChanged(proxy) => self.proxy = proxy,
            Message::CookiesChanged(cookies) => self.cookies = cookies,
            // The form sends itself; nothing of this part changes.
            Message::Submit => {}
        }
    }

    /// The parts, or the problems to show (one line each).
    pub fn parts(&self, tr: &Tr) -> Result<Parts, Vec<String>> {
        let mut problems = Vec::new();
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
                    let reason = tr!(tr, "request-headers-hint");
                    problems.push(tr!(
                        tr,
                        "download-invalid-line",
                        line = line,
                        reason = reason
                    ));
                }
            }
        }
        let proxy = self.proxy.trim().to_owned();
        if !proxy.is_empty()
            && let Err(e) = engine::validate_proxy(&proxy)
        {
            problems.push(super::format::invalid_request(tr, &e));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let cookies = self
            .cookies
            .split(';')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(Parts {
            headers,
            auth: (!self.user.is_empty()).then(|| (self.user.clone(), self.password.clone())),
            proxy: (!proxy.is_empty()).then_some(proxy),
            cookies,
        })
    }

    pub fn view<'a>(&'a self, tr: &Tr) -> Element<'a, Message> {
        let labelled = |label: String, field: Element<'a, Message>| {
            row![text(label).size(14), field]
                .spacing(8)
                .align_y(Alignment::Center)
        };
        let toggle = checkbox(self.open)
            .label(tr!(tr, "request-advanced"))
            .on_toggle(Message::Toggle);
        if !self.open {
            return toggle.into();
        }
        column![
            toggle,
            text(tr!(tr, "request-headers")).size(14),
            text_editor(&self.headers)
                .placeholder(tr!(tr, "request-headers-hint"))
                .on_action(Message::HeadersEdited)
                .height(80),
            row![
                text(tr!(tr, "request-user")).size(14),
                theme::text_box("", &self.user)
                    .id(USER)
                    .on_input(Message::UserChanged)
                    .on_submit(Message::Submit),
                text(tr!(tr, "request-password")).size(14),
                theme::text_box("", &self.password)
                    .id(PASSWORD)
                    .secure(true)
                    .on_input(Message::PasswordChanged)
                    .on_submit(Message::Submit),
            ]
            .spacing(8)
            .align_y(Alignment::Center),
            labelled(
                tr!(tr, "request-proxy"),
                theme::text_box(&tr!(tr, "request-proxy-hint"), &self.proxy)
                    .on_input(Message::ProxyChanged)
                    .on_submit(Message::Submit)
                    .into(),
            ),
            labelled(
                tr!(tr, "request-cookies"),
                theme::text_box(&tr!(tr, "request-cookies-hint"), &self.cookies)
                    .on_input(Message::CookiesChanged)
                    .on_submit(Message::Submit)
                    .into(),
            ),
        ]
        .spacing(8)
        .into()
    }
}
