//! What the browser extension brings to the window: a download put to the user
//! in the hand-off dialog (one at a time, the others waiting their turn), and
//! links from a page to pick from.

use super::*;

impl App {
    /// A download from the browser: added at once if the user chose so (and the
    /// browser did not ask for the question), else the dialog, in the window
    /// opened or brought forward.
    pub(super) fn offered(&mut self, offer: Arc<Offer>) -> Task<Message> {
        if !offer.ask && !self.config.ask_for_browser_downloads {
            let mut request = offer.request.clone();
            request.policy = self.config.default_policy.into();
            offer.answer(Answer::Add(Box::new(request)));
            return Task::none();
        }
        if matches!(self.screen, Screen::Handoff(_)) {
            self.offers.push_back(offer);
            return Task::none();
        }
        self.open_offer(offer)
    }

    fn open_offer(&mut self, offer: Arc<Offer>) -> Task<Message> {
        self.leave_screen();
        let groups = self
            .backend
            .engine
            .groups()
            .into_iter()
            .filter(ferry::engine::Group::accepts_members)
            .map(|g| g.name)
            .collect();
        self.screen = Screen::Handoff(handoff::State::new(
            offer,
            self.download_dir(),
            self.config.default_policy,
            groups,
        ));
        Task::batch([
            self.show_window(),
            iced::widget::operation::focus(handoff::NAME),
        ])
    }

    /// The next download from the browser still waiting for an answer, or the list.
    fn open_next_offer(&mut self) -> Task<Message> {
        while let Some(offer) = self.offers.pop_front() {
            if !offer.is_settled() {
                return self.open_offer(offer);
            }
        }
        self.screen = Screen::Transfers;
        match self.links_waiting.take() {
            Some(requests) => self.open_links(requests),
            None => Task::none(),
        }
    }

    pub(super) fn handoff_message(&mut self, message: handoff::Message) -> Task<Message> {
        let Screen::Handoff(state) = &mut self.screen else {
            return Task::none();
        };
        match state.update(message, &self.tr) {
            handoff::Action::None => Task::none(),
            handoff::Action::Run(task) => task.map(Message::Handoff),
            handoff::Action::Decline => {
                state.offer.answer(Answer::Decline);
                self.open_next_offer()
            }
            handoff::Action::Accept(request) => {
                let offer = Arc::clone(&state.offer);
                if offer.is_settled() {
                    // The agent stopped waiting (the browser took it back).
                    state.refused(tr!(self.tr, "handoff-too-late"));
                    return Task::none();
                }
                let engine = self.backend.engine.clone();
                self.backend.run(async move {
                    let result = engine.submit(*request).await;
                    Reply::OfferSubmitted {
                        offer,
                        result: result.map(Box::new).map_err(Arc::new),
                    }
                });
                Task::none()
            }
        }
    }

    /// The engine's answer to a download the dialog sent: the browser is told,
    /// or the dialog says why not and stays.
    pub(super) fn offer_submitted(
        &mut self,
        offer: &Arc<Offer>,
        result: Result<Box<Submitted>, Arc<EngineError>>,
    ) -> Task<Message> {
        match result {
            Ok(submitted) => {
                let attached = submitted.attached.then_some(submitted.snapshot.id);
                offer.answer(Answer::Added(submitted));
                let next = self.open_next_offer();
                self.show_attached(attached.as_slice());
                next
            }
            Err(error) => {
                let reason = format::refusal(&self.tr, &error);
                match &mut self.screen {
                    Screen::Handoff(state) if Arc::ptr_eq(&state.offer, offer) => {
                        state.refused(reason);
                    }
                    _ => offer.answer(Answer::Decline),
                }
                Task::none()
            }
        }
    }

    /// The agent stopped waiting for an answer (the browser resumed its own
    /// copy): the question goes, and the list says why.
    pub(super) fn offer_withdrawn(&mut self, offer: &Arc<Offer>) -> Task<Message> {
        self.offers.retain(|waiting| !Arc::ptr_eq(waiting, offer));
        let name = handoff::name_in_url(&offer.request.url);
        let name = offer.file.as_ref().map_or(name, |f| f.name.clone());
        let shown =
            matches!(&self.screen, Screen::Handoff(state) if Arc::ptr_eq(&state.offer, offer));
        if !shown {
            return Task::none();
        }
        let next = self.open_next_offer();
        if matches!(self.screen, Screen::Transfers) {
            self.transfers.notice = Some(tr!(self.tr, "handoff-withdrawn", name = name));
        }
        next
    }

    /// Links from a page: listed to pick from, in the window brought forward.
    pub(super) fn open_links(&mut self, requests: Vec<Request>) -> Task<Message> {
        if matches!(self.screen, Screen::Handoff(_)) {
            // A question from the browser is on screen: the links wait their
            // turn, never over the question (its browser download is paused).
            self.links_waiting = Some(requests);
            return Task::none();
        }
        self.leave_screen();
        self.screen = Screen::Links(links::State::new(
            requests,
            self.download_dir(),
            self.config.default_policy,
        ));
        Task::batch([
            self.show_window(),
            iced::widget::operation::focus(links::FILTER),
        ])
    }

    pub(super) fn links_message(&mut self, message: links::Message) -> Task<Message> {
        let Screen::Links(state) = &mut self.screen else {
            return Task::none();
        };
        match state.update(message, &self.tr) {
            links::Action::None => Task::none(),
            links::Action::Run(task) => task.map(Message::Links),
            links::Action::Submit(requests) => {
                self.create(requests);
                Task::none()
            }
            links::Action::Close => {
                self.screen = Screen::Transfers;
                Task::none()
            }
        }
    }
}
