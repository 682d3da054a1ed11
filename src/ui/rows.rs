//! What a row's buttons do: engine commands, Open and Show in folder.

use super::*;
use ferry::engine::Place;

/// Where a transfer moves in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum QueueMove {
    Up,
    Down,
    First,
    Last,
}

impl App {
    pub(super) fn transfers_message(&mut self, message: &transfers::Message) -> Task<Message> {
        let mut task = Task::none();
        match message {
            transfers::Message::Batch(action) => {
                self.batch(*action);
                return task;
            }
            transfers::Message::BatchPriority(choice) => {
                let priority = choice.value;
                self.each_picked_unfinished(move |engine, id| async move {
                    engine.set_priority(id, priority).await
                });
                return task;
            }
            transfers::Message::BatchPolicy(choice) => {
                let policy = choice.value.into();
                self.each_picked_unfinished(move |engine, id| async move {
                    engine.set_policy(id, policy).await
                });
                return task;
            }
            transfers::Message::Menu(entry) => {
                let Some(menu) = self.transfers.menu.take() else {
                    return task;
                };
                return self.menu_entry(menu.id, entry);
            }
            transfers::Message::Limit(choice) => {
                let limit = (choice.value > 0).then(|| choice.value.saturating_mul(1024));
                self.backend.engine.set_limit(limit);
                self.transfers.limit = limit;
                return task;
            }
            transfers::Message::WhenDone(choice) => {
                self.set_when_done(choice.value);
                return task;
            }
            transfers::Message::PauseAll => return self.tray_action(tray::Action::PauseAll),
            transfers::Message::ResumeAll => return self.tray_action(tray::Action::ResumeAll),
            transfers::Message::Row(id, action) => {
                if *action == RowAction::ChangeAddress {
                    // Typing goes to the new address at once.
                    task = iced::widget::operation::focus(change_address::URL);
                }
                self.transfers.selected = Some(*id);
                self.transfers.notice = None;
                let asked = self.asked.take();
                if *action == RowAction::Cancel && asked != Some((*id, RowAction::Cancel)) {
                    self.ask_before_cancel(*id);
                } else {
                    self.row_action(*id, *action);
                }
            }
            transfers::Message::Pane(details::Message::Policy(policy)) => {
                if let Some(id) = self.transfers.selected {
                    self.set_policy(id, *policy);
                }
                return task;
            }
            transfers::Message::Pane(details::Message::Close) => {
                self.transfers.pane = false;
            }
            _ => {}
        }
        self.transfers.update(message);
        // Remembered with the window's size for the next run.
        self.geometry.details_pane = self.transfers.pane;
        self.geometry.pane_share = self.transfers.pane_share;
        self.geometry.sidebar_hidden = self.transfers.sidebar_hidden;
        Task::batch([task, self.geometry_changed()])
    }

    /// A choice in a row's menu.
    fn menu_entry(&mut self, id: OperationId, entry: &transfers::menu::Entry) -> Task<Message> {
        use transfers::menu::Entry;
        let Some(snapshot) = self.transfers.get(id) else {
            return Task::none();
        };
        let engine = self.backend.engine.clone();
        match entry {
            Entry::Row(action) => {
                return self.transfers_message(&transfers::Message::Row(id, *action));
            }
            Entry::CopyAddress => return iced::clipboard::write(snapshot.url.clone()),
            Entry::MoveUp | Entry::MoveDown => {
                let to = if *entry == Entry::MoveUp {
                    QueueMove::Up
                } else {
                    QueueMove::Down
                };
                return self.move_in_queue(id, to);
            }
            Entry::Limit(choice) => {
                let limit = (choice.value > 0).then(|| choice.value.saturating_mul(1024));
                self.backend
                    .run(async move { answered(engine.set_operation_limit(id, limit).await) });
            }
        }
        Task::none()
    }

    /// Move a waiting transfer in the queue: one place up or down, or to either
    /// end. Nothing when it is not waiting or already there. When it is one of
    /// several picked, the waiting ones among them move together, keeping
    /// their order.
    pub(super) fn move_in_queue(&mut self, id: OperationId, to: QueueMove) -> Task<Message> {
        let place = match to {
            QueueMove::Up => Place::Up,
            QueueMove::Down => Place::Down,
            QueueMove::First => Place::First,
            QueueMove::Last => Place::Last,
        };
        let several = self.transfers.selection.len() > 1 && self.transfers.selection.contains(id);
        let mut ids: Vec<OperationId> = if several {
            let picked = self
                .transfers
                .picked_where(|s| ferry::engine::queue::is_queued(s.status));
            let mut queued: Vec<&Snapshot> = picked
                .iter()
                .filter_map(|id| self.transfers.get(*id))
                .collect();
            queued.sort_by_key(|s| s.queue_key());
            queued.iter().map(|s| s.id).collect()
        } else if self.transfers.queue_spot(id).is_some() {
            vec![id]
        } else {
            return Task::none();
        };
        // The one nearest where they go moves first, so none jumps another.
        if matches!(to, QueueMove::Down | QueueMove::First) {
            ids.reverse();
        }
        let engine = self.backend.engine.clone();
        self.backend.run(async move {
            for id in ids {
                if let Err(refused) = engine.move_in_queue(id, place).await {
                    return answered(Err(refused));
                }
            }
            answered(Ok(()))
        });
        Task::none()
    }

    /// `change` on every picked transfer that has not ended (a priority or a
    /// policy means nothing to one that has).
    fn each_picked_unfinished<F, Fut>(&mut self, change: F)
    where
        F: Fn(ferry::engine::Engine, OperationId) -> Fut,
        Fut: Future<Output = Result<(), EngineError>> + Send + 'static,
    {
        for id in self.transfers.picked_where(|s| !s.status.is_finished()) {
            let changed = change(self.backend.engine.clone(), id);
            self.backend.run(async move { answered(changed.await) });
        }
    }

    /// `action` on every picked row it fits. Cancel and Remove ask once first
    /// (the notice says how many), as they do for one row.
    pub(super) fn batch(&mut self, action: RowAction) {
        let targets = self
            .transfers
            .picked_where(|s| transfers::fits(action, s.status));
        if targets.is_empty() {
            return;
        }
        let asks = matches!(action, RowAction::Cancel | RowAction::Remove);
        if asks && self.transfers.batch_asked != Some(action) {
            self.transfers.batch_asked = Some(action);
            let count = targets.len();
            self.transfers.notice = Some(if action == RowAction::Cancel {
                tr!(self.tr, "notice-batch-cancel-again", count = count)
            } else {
                tr!(self.tr, "notice-batch-remove-again", count = count)
            });
            return;
        }
        self.transfers.batch_asked = None;
        self.transfers.notice = None;
        for id in targets {
            self.row_action(id, action);
        }
    }

    pub(super) fn row_action(&mut self, id: OperationId, action: RowAction) {
        let engine = self.backend.engine.clone();
        match action {
            RowAction::Pause => self
                .backend
                .run(async move { answered(engine.pause(id).await) }),
            RowAction::Resume => self
                .backend
                .run(async move { answered(engine.resume(id).await) }),
            RowAction::Cancel => self
                .backend
                .run(async move { answered(engine.cancel(id).await) }),
            RowAction::Retry => self
                .backend
                .run(async move { answered(engine.restart(id).await) }),
            RowAction::RunAnyway => self.set_policy(id, ferry::engine::CostPolicy::Always),
            RowAction::Remove => self
                .backend
                .run(async move { answered(engine.remove(id).await) }),
            RowAction::Details => self.screen = Screen::Details(id),
            RowAction::ChangeAddress => {
                let name = self
                    .transfers
                    .get(id)
                    .map(|s| format::name(&self.tr, s))
                    .unwrap_or_default();
                self.screen = Screen::ChangeAddress(change_address::State::new(id, name));
            }
            RowAction::Open | RowAction::ShowInFolder => {
                let Some(path) = self.transfers.get(id).and_then(|s| s.destination.clone()) else {
                    return;
                };
                let target = match action {
                    RowAction::Open => path,
                    _ => path.parent().map(PathBuf::from).unwrap_or(path),
                };
                let name = self
                    .transfers
                    .get(id)
                    .map(Snapshot::display_name)
                    .unwrap_or_default();
                self.backend.run(async move {
                    match platform::open(&target).await {
                        Ok(()) => Reply::Done,
                        Err(reason) => Reply::OpenFailed { name, reason },
                    }
                });
            }
        }
    }

    pub(super) fn set_policy(&self, id: OperationId, policy: ferry::engine::CostPolicy) {
        let engine = self.backend.engine.clone();
        self.backend
            .run(async move { answered(engine.set_policy(id, policy).await) });
    }

    pub(super) fn change_address_message(&mut self, message: change_address::Message) {
        let Screen::ChangeAddress(state) = &mut self.screen else {
            return;
        };
        match state.update(message) {
            change_address::Action::None => {}
            change_address::Action::Close => self.screen = Screen::Transfers,
            change_address::Action::Refresh(id, url) => {
                let engine = self.backend.engine.clone();
                self.backend.run(async move {
                    match engine.refresh(id, &url).await {
                        Ok(_) => Reply::Refreshed(id),
                        Err(e) => Reply::Refused(Arc::new(e)),
                    }
                });
            }
            change_address::Action::StartOver(id, url) => {
                let engine = self.backend.engine.clone();
                self.backend.run(async move {
                    match engine.start_over(id, &url).await {
                        Ok(_) => Reply::Refreshed(id),
                        Err(e) => Reply::Refused(Arc::new(e)),
                    }
                });
            }
        }
    }
}

/// What an engine command's result tells the app.
fn answered(result: Result<(), EngineError>) -> Reply {
    match result {
        Ok(()) => Reply::Done,
        Err(e) => Reply::Failed(e.to_string()),
    }
}
