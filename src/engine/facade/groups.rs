//! Groups and their completion actions, as the engine exposes them.

use crate::engine::*;

impl Engine {
    /// Create a group that operations can then join with [`Request::group`].
    pub async fn create_group(
        &self,
        name: &str,
        behavior: Behavior,
        action: Option<Action>,
        when_done: WhenDone,
    ) -> Result<Group, EngineError> {
        self.inner.refuse_if_shutting_down()?;
        group::check_name(name).map_err(|reason| InvalidRequest::InvalidGroupName {
            name: name.to_owned(),
            reason,
        })?;
        if action.as_ref().is_some_and(|a| a.program.trim().is_empty()) {
            return Err(InvalidRequest::EmptyAction.into());
        }
        let _transition = self.inner.transitions.lock().await;
        if self.inner.lock().groups.contains_key(name) {
            return Err(InvalidRequest::GroupExists(name.to_owned()).into());
        }
        let mut group = Group::new(name.to_owned(), behavior, action);
        group.when_done = when_done;
        self.inner.commit_group(group.clone()).await?;
        tracing::info!(group = %name, ?behavior, "group created");
        Ok(group)
    }

    /// Enable a group: once all its operations have ended, its action runs.
    pub async fn enable_group(&self, name: &str) -> Result<Group, EngineError> {
        self.inner.refuse_if_shutting_down()?;
        let _transition = self.inner.transitions.lock().await;
        let mut group = self.group_named(name)?;
        if !group.enabled {
            group.enabled = true;
            self.inner.commit_group(group).await?;
            self.inner.check_group(name).await?;
        }
        self.group_named(name)
    }

    /// Every group, by name.
    pub fn groups(&self) -> Vec<Group> {
        self.inner.lock().groups.values().cloned().collect()
    }

    pub fn group(&self, name: &str) -> Option<Group> {
        self.inner.lock().groups.get(name).cloned()
    }

    pub(in crate::engine) fn group_named(&self, name: &str) -> Result<Group, EngineError> {
        self.group(name)
            .ok_or_else(|| InvalidRequest::NoSuchGroup(name.to_owned()).into())
    }

    /// The operations of a group, in creation order.
    pub fn members(&self, name: &str) -> Vec<Snapshot> {
        self.list()
            .into_iter()
            .filter(|s| s.group.as_deref() == Some(name))
            .collect()
    }

    /// A completion action due now (with the results it receives), and otherwise
    /// when the next one is due.
    pub fn due_action(&self) -> (Option<(Group, Results)>, Option<time::Millis>) {
        let now = time::now_millis();
        let mut next = None;
        for group in self.groups() {
            if let ActionState::Due { at } = group.action_state {
                if at <= now {
                    let results = Results::new(&group.name, &self.members(&group.name));
                    return (Some((group, results)), None);
                }
                next = Some(next.map_or(at, |n: u64| n.min(at)));
            }
        }
        (None, next)
    }

    /// Record that a group's action is starting: if the agent dies before it is
    /// known to have ended, it runs again at the next start.
    pub async fn action_started(&self, name: &str) -> Result<(), EngineError> {
        let _transition = self.inner.transitions.lock().await;
        let mut group = self.group_named(name)?;
        group.action_state = ActionState::Running {
            since: time::now_millis(),
        };
        self.inner.commit_group(group).await?;
        Ok(())
    }

    /// Record how a run of a group's action ended; `retry_at` makes a failed run
    /// due again then, else a failure is final.
    pub async fn action_finished(
        &self,
        name: &str,
        run: ActionRun,
        retry_at: Option<time::Millis>,
    ) -> Result<Group, EngineError> {
        let _transition = self.inner.transitions.lock().await;
        let mut group = self.group_named(name)?;
        group.action_state = match (run.succeeded(), retry_at) {
            (true, _) => ActionState::Succeeded,
            (false, Some(at)) => ActionState::Due { at },
            (false, None) => ActionState::Failed,
        };
        group.runs.push(run);
        self.inner.commit_group(group.clone()).await?;
        Ok(group)
    }
}

impl Inner {
    /// Persist a group, then apply and announce it. Callers hold `transitions`.
    pub(in crate::engine) async fn commit_group(&self, group: Group) -> Result<(), StoreError> {
        self.store.put_group(&group).await?;
        self.lock().groups.insert(group.name.clone(), group.clone());
        self.announce(Event::GroupChanged {
            group: Box::new(group),
        });
        Ok(())
    }

    /// Make a group's action due if the group is enabled and all its operations
    /// have ended. Callers hold `transitions` (or nothing else runs yet).
    pub(in crate::engine) async fn check_group(&self, name: &str) -> Result<(), StoreError> {
        let due = {
            let state = self.lock();
            let Some(group) = state.groups.get(name) else {
                return Ok(());
            };
            let members: Vec<&Snapshot> = state
                .ops
                .values()
                .map(|e| &*e.snapshot)
                .filter(|s| s.group.as_deref() == Some(name))
                .collect();
            group.action_becomes_due(&members).then(|| group.clone())
        };
        if let Some(mut group) = due {
            tracing::info!(group = %name, "every operation of the group has ended; its completion is due");
            // Without a program there is nothing to run: done at once (the
            // agent then does its when-done).
            group.action_state = if group.action.is_some() {
                ActionState::Due {
                    at: time::now_millis(),
                }
            } else {
                ActionState::Succeeded
            };
            self.commit_group(group).await?;
        }
        Ok(())
    }
}
