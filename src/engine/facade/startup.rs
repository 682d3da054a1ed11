//! Opening the engine: the store, recovery of every record against its files,
//! interrupted group actions, then the scheduler.

use crate::engine::*;

impl Engine {
    /// Open the store in `options.data_dir`, recover every operation (cut `.part`
    /// files back to their checkpoints, finish interrupted renames) and start
    /// running what was running or queued.
    pub async fn open(options: Options) -> Result<Self, EngineError> {
        std::fs::create_dir_all(&options.data_dir).map_err(|e| {
            EngineError::Store(StoreError::Open {
                path: options.data_dir.clone(),
                source: redb::Error::Io(e),
            })
        })?;
        let db_path = options.database_path();
        let opened = tokio::task::spawn_blocking(move || Store::open(&db_path))
            .await
            .map_err(|_| StoreError::TaskFailed)??;
        for notice in &opened.notices {
            tracing::warn!("{notice}");
        }
        let mut records = opened.records;
        let groups = restore_groups(&opened.store, opened.groups).await?;
        let boot = recover(&options, &opened.store, opened.boot, &mut records).await?;
        let (ops, next_seq, resumed) = table(records);
        let (clients, tls_warnings) =
            http::build_clients(&options, None, false).map_err(EngineError::Client)?;
        for warning in &tls_warnings {
            tracing::warn!("{warning}");
        }
        let (secrets, secrets_notice) =
            secrets::SecretStore::open(&options.data_dir, options.secret_backend).await;
        if let Some(notice) = &secrets_notice {
            tracing::warn!("{notice}");
        }
        let (events, _) = broadcast::channel(4096);
        let max_running = options.max_running.max(1);
        let limit = options.limit;
        let schedule = options.schedule.clone();
        let network =
            network::Network::new(opened.metered, options.data_budget, time::now_millis());
        let group_names: Vec<String> = groups.keys().cloned().collect();
        let inner = Arc::new(Inner {
            options,
            store: opened.store,
            state: Mutex::new(State {
                ops,
                groups,
                next_seq,
                resumed,
            }),
            transitions: tokio::sync::Mutex::new(()),
            events,
            wake_scheduler: Notify::new(),
            clients: http::ClientCache::new(clients),
            notices: opened
                .notices
                .iter()
                .map(ToString::to_string)
                .chain(tls_warnings)
                .chain(secrets_notice)
                .collect(),
            shutting_down: watch::Sender::new(false),
            tasks: Mutex::new(Vec::new()),
            max_running: std::sync::atomic::AtomicUsize::new(max_running),
            network,
            global_limit: Arc::new(pace::Bucket::new(limit)),
            scoped_limits: pace::ScopedLimits::default(),
            user_limit: Mutex::new(limit),
            schedule: Mutex::new(schedule),
            traffic: traffic::Traffic::new(opened.traffic),
            counted: scheduler::Counted::default(),
            wake_prober: Notify::new(),
            secrets,
            hosts: hosts::Hosts::new(opened.host_caps),
            boot,
        });
        // Operations may have ended while the agent was away from a group's action.
        for name in group_names {
            inner.check_group(&name).await?;
        }
        // A schedule's limit window may be open already.
        inner.apply_limits();
        let tasks = scheduler::spawn(&inner);
        *inner
            .tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = tasks;
        Ok(Self { inner })
    }
}

/// Groups by name; an action the last agent left running runs again.
pub(in crate::engine) async fn restore_groups(
    store: &Store,
    groups: Vec<Group>,
) -> Result<BTreeMap<String, Group>, StoreError> {
    let mut groups: BTreeMap<String, Group> =
        groups.into_iter().map(|g| (g.name.clone(), g)).collect();
    for group in groups.values_mut() {
        if let ActionState::Running { .. } = group.action_state {
            tracing::warn!(group = %group.name, "a completion action was interrupted; it runs again");
            group.action_state = ActionState::Due {
                at: time::now_millis(),
            };
            store.put_group(group).await?;
        }
    }
    Ok(groups)
}

/// Bring the records in line with the files they describe (see [`recovery`] and
/// [`written`]): in the boot that wrote them, what was written is kept; after a
/// machine restart every `.part` is cut back to its checkpoint. Returns this boot.
pub(in crate::engine) async fn recover(
    options: &Options,
    store: &Store,
    recovered_in: Option<u64>,
    records: &mut [Box<Snapshot>],
) -> Result<Option<u64>, StoreError> {
    let boot = boot::current(&options.boot_id_path);
    let same_boot = boot.is_some() && boot == recovered_in;
    written::apply_at_start(&options.data_dir, boot, same_boot, records);
    for record in records.iter_mut() {
        if recovery::reconcile(record, same_boot) {
            store.put(record).await?;
        }
    }
    if let Some(boot) = boot.filter(|_| !same_boot) {
        // Every `.part` is cut back to its checkpoint now: from here on, what
        // is written stays until the machine restarts.
        store.put_boot(boot).await?;
    }
    Ok(boot)
}

/// The operations' table from their records, the next creation sequence, and
/// those that had not ended (resumed now).
#[allow(clippy::vec_box)] // they come boxed; each box moves into the table as is
fn table(
    records: Vec<Box<Snapshot>>,
) -> (
    HashMap<OperationId, Entry>,
    u64,
    std::collections::HashSet<OperationId>,
) {
    // Saturating: a damaged record may carry any number.
    let next_seq = records
        .iter()
        .map(|r| r.seq.saturating_add(1))
        .max()
        .unwrap_or(1);
    let resumed = records
        .iter()
        .filter(|r| !r.status.is_finished())
        .map(|r| r.id)
        .collect();
    let ops = records
        .into_iter()
        .map(|snapshot| {
            (
                snapshot.id,
                Entry {
                    snapshot,
                    run: None,
                },
            )
        })
        .collect();
    (ops, next_seq, resumed)
}
