//! A window that keeps its widgets' state (focus, cursor, scroll) between steps and
//! runs the widget operations the app's tasks carry (focus on open, Tab), as the
//! real runtime does. iced_test's `Simulator` starts from fresh widget state each
//! time and never runs tasks, so focus cannot be seen through it.

use std::time::Duration;

use futures_util::StreamExt as _;
use iced::keyboard::{Key, Modifiers};
use iced::widget;
use iced::{Font, Pixels, Size, Task, Theme};
use iced_test::core::renderer::Headless as _;
use iced_test::core::widget::Operation as _;
use iced_test::core::widget::operation::{self, Outcome};
use iced_test::core::{clipboard, mouse};
use iced_test::renderer::Renderer;
use iced_test::runtime::user_interface::{Cache, UserInterface};
use iced_test::runtime::{Action, task};

use super::{Harness, Message};

pub struct LiveWindow {
    cache: Option<Cache>,
    renderer: Renderer,
    size: Size,
}

impl LiveWindow {
    pub fn new() -> Self {
        let backend = std::env::var("ICED_TEST_BACKEND").ok();
        let renderer = iced_test::futures::futures::executor::block_on(Renderer::new(
            Font::DEFAULT,
            Pixels(16.0),
            backend.as_deref(),
        ))
        .expect("a headless renderer");
        Self {
            cache: Some(Cache::default()),
            renderer,
            size: Size::new(1024.0, 768.0),
        }
    }

    /// Build the current view on the kept widget state, use it, keep the state.
    fn with_ui<R>(
        &mut self,
        h: &Harness,
        act: impl FnOnce(&mut UserInterface<'_, Message, Theme, Renderer>, &mut Renderer) -> R,
    ) -> R {
        let mut ui = UserInterface::build(
            h.app.view(h.window),
            self.size,
            self.cache.take().expect("the widget state"),
            &mut self.renderer,
        );
        let result = act(&mut ui, &mut self.renderer);
        self.cache = Some(ui.into_cache());
        result
    }

    /// Run what `update` returned: widget operations on the kept state, messages
    /// back into the app (and their tasks in turn).
    pub fn run(&mut self, h: &mut Harness, task: Task<Message>) {
        let Some(mut stream) = task::into_stream(task) else {
            return;
        };
        // One action at a time: an action this window does not serve (a clipboard
        // read) is dropped, which ends the task waiting for its answer.
        loop {
            let next = h.runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(5), stream.next())
                    .await
                    .expect("the task's next action")
            });
            match next {
                None => return,
                Some(Action::Widget(first)) => self.with_ui(h, |ui, renderer| {
                    let mut next = Some(first);
                    while let Some(mut current) = next.take() {
                        ui.operate(renderer, current.as_mut());
                        if let Outcome::Chain(chained) = current.finish() {
                            next = Some(chained);
                        }
                    }
                }),
                Some(Action::Output(message)) => self.update(h, message),
                Some(_) => {}
            }
        }
    }

    pub fn update(&mut self, h: &mut Harness, message: Message) {
        let task = h.app.update(message);
        self.run(h, task);
    }

    /// A key the app's keyboard subscription would pass on.
    pub fn key(&mut self, h: &mut Harness, key: Key, modifiers: Modifiers) {
        self.update(h, Message::Key(key, modifiers));
    }

    /// The widget that has the keyboard focus.
    pub fn focused(&mut self, h: &Harness) -> Option<widget::Id> {
        self.with_ui(h, |ui, renderer| {
            let mut find = operation::focusable::find_focused();
            ui.operate(renderer, &mut operation::black_box(&mut find));
            match find.finish() {
                Outcome::Some(id) => Some(id),
                _ => None,
            }
        })
    }

    /// Type as a keyboard would: the events go to whatever has the focus.
    pub fn typewrite(&mut self, h: &mut Harness, text: &str) {
        let events: Vec<_> = iced_test::simulator::typewrite(text).collect();
        self.events(h, &events);
    }

    /// Press and release a key on the focused widget (Enter in a field).
    pub fn tap(&mut self, h: &mut Harness, key: Key) {
        self.events(
            h,
            &iced_test::simulator::tap_key(key, None).collect::<Vec<_>>(),
        );
    }

    fn events(&mut self, h: &mut Harness, events: &[iced::Event]) {
        let messages = self.with_ui(h, |ui, renderer| {
            let mut messages = Vec::new();
            let _ = ui.update(
                events,
                mouse::Cursor::Unavailable,
                renderer,
                &mut clipboard::Null,
                &mut messages,
            );
            messages
        });
        for message in messages {
            self.update(h, message);
        }
    }
}
