//! Creating an operation: the request checked once ([`admit`]), then either a
//! new operation or the unfinished one that already does the same (a rerun
//! attaches instead of starting a second copy).

use crate::engine::operation::SecretSummary;
use crate::engine::*;

/// A request that passed every check, in the form an operation is made from.
struct Admitted {
    url: reqwest::Url,
    target: Option<Target>,
    upload: Option<UploadState>,
    secrets: secrets::Secrets,
    summary: SecretSummary,
    proxy: Option<String>,
}

/// How a request reaches its server: what an attached request brings anew.
#[derive(Debug)]
struct Access {
    headers: Vec<Header>,
    secrets: secrets::Secrets,
    summary: SecretSummary,
    proxy: Option<String>,
    insecure: bool,
}

/// What [`Engine::submit`] did.
#[derive(Clone, Debug)]
pub struct Submitted {
    /// The operation, as it is now.
    pub snapshot: Snapshot,
    /// An unfinished operation already did the same: this is that one.
    pub attached: bool,
}

impl Engine {
    /// Validate and persist a new operation; it runs when a slot is free. The
    /// same request as an unfinished operation attaches to it (see [`Engine::submit`]).
    pub async fn create(&self, request: Request) -> Result<Snapshot, EngineError> {
        self.submit(request)
            .await
            .map(|submitted| submitted.snapshot)
    }

    /// Create an operation, or attach to the unfinished one that already does the
    /// same (same kind, address and destination — or target and files for an
    /// upload): a rerun after a crash, or two clients asking at once, get one
    /// operation. An attached operation that was paused or failed is resumed.
    /// [`Request::duplicate`] asks for a second operation all the same.
    pub async fn submit(&self, mut request: Request) -> Result<Submitted, EngineError> {
        self.inner.refuse_if_shutting_down()?;
        let Admitted {
            url,
            target,
            upload,
            secrets,
            summary,
            proxy,
        } = self.admit(&mut request)?;
        let _transition = self.inner.transitions.lock().await;
        if !request.duplicate {
            let twin = {
                let mut state = self.inner.lock();
                state
                    .unfinished_twin(url.as_str(), target.as_ref(), upload.as_ref())
                    .or_else(|| state.resumed_twin(url.as_str(), target.as_ref(), upload.as_ref()))
            };
            if let Some(twin) = twin {
                let access = Access {
                    headers: request.headers,
                    secrets,
                    summary,
                    proxy,
                    insecure: request.insecure,
                };
                return self.inner.attach(twin, access, request.paused).await;
            }
        }
        let snapshot = {
            let mut state = self.inner.lock();
            let seq = state.next_seq;
            state.next_seq = seq.saturating_add(1);
            let mut snapshot = Snapshot::new(seq, &request, url.to_string(), target);
            if let (Some(Target::File(path)), false) = (&snapshot.target, snapshot.overwrite) {
                snapshot.destination = Some(state.free_destination(path, snapshot.id));
            }
            snapshot.total = upload.as_ref().map(UploadState::total);
            snapshot.upload = upload;
            if !snapshot.category_chosen {
                let name = snapshot.display_name();
                snapshot.category = self.inner.options.categories.of(&name, None);
            }
            snapshot.secrets = summary;
            snapshot.proxy = proxy;
            if request.paused {
                snapshot.status = Status::PausedByApplication;
            }
            snapshot
        };
        if !secrets.is_empty() {
            self.inner.secrets.put(snapshot.id, &secrets).await?;
        }
        self.inner.store.put(&snapshot).await?;
        if snapshot.insecure {
            tracing::warn!(id = %snapshot.id, url = %redact_url(&snapshot.url), "TLS certificate checks are off for this operation (--insecure)");
        }
        self.inner.lock().ops.insert(
            snapshot.id,
            Entry {
                snapshot: Box::new(snapshot.clone()),
                run: None,
            },
        );
        tracing::info!(id = %snapshot.id, url = %redact_url(&snapshot.url), "operation created");
        self.inner.announce(Event::Added {
            snapshot: Box::new(snapshot.clone()),
        });
        self.inner.wake_scheduler.notify_one();
        Ok(Submitted {
            snapshot,
            attached: false,
        })
    }

    /// What a download request's address serves (name, size, type, whether
    /// it resumes), asked before it is created: nothing is created, persisted
    /// or written, and the request's own credentials, cookies, headers and
    /// proxy are used, as its download would.
    pub async fn inspect(&self, mut request: Request) -> Result<Inspection, EngineError> {
        self.inner.refuse_if_shutting_down()?;
        if request.kind != Kind::Download {
            return Err(EngineError::Inspect(TransferError::new(
                ErrorStatus::BadRequest,
                "only a download's address can be checked",
            )));
        }
        let Admitted {
            url,
            target,
            secrets,
            summary,
            proxy,
            ..
        } = self.admit(&mut request)?;
        let mut snapshot = Snapshot::new(0, &request, url.to_string(), target);
        snapshot.secrets = summary;
        snapshot.proxy = proxy;
        let mut found = transfer::inspect(&self.inner, &snapshot, &secrets)
            .await
            .map_err(EngineError::Inspect)?;
        found.category = match request.category {
            Some(chosen) => chosen,
            None => (self.inner.options.categories).of(&found.name, found.media_type.as_deref()),
        };
        Ok(found)
    }

    /// Check a request once, whoever sends it (the socket, the window, the RPC):
    /// its address, headers, checksum, secrets, group and destination or files.
    /// Nothing is persisted here.
    fn admit(&self, request: &mut Request) -> Result<Admitted, EngineError> {
        validate::sizes(request)?;
        let mut url = validate::url(&request.url)?;
        validate::headers(request)?;
        if request.insecure && validate::is_ftp(&url) {
            return Err(InvalidRequest::InsecureFtp.into());
        }
        if let Some(checksum) = &mut request.checksum {
            *checksum = Checksum::parse(checksum.algorithm, &checksum.hex)?;
        }
        let (secrets, summary, proxy) = validate::secrets(request, &mut url)?;
        if let Some(name) = &request.group {
            let state = self.inner.lock();
            let group = state
                .groups
                .get(name)
                .ok_or_else(|| InvalidRequest::NoSuchGroup(name.clone()))?;
            if !group.accepts_members() {
                return Err(InvalidRequest::GroupClosed(name.clone()).into());
            }
        }
        let (target, upload) = match request.kind {
            Kind::Download => {
                let target = validate::target(
                    request.destination.as_deref(),
                    request.into_folder,
                    &self.inner.options.download_dir,
                )?;
                (Some(target), None)
            }
            Kind::Upload => {
                let upload = validate::upload(request.upload.as_ref())?;
                if validate::is_ftp(&url) {
                    validate::ftp_upload(&mut url, &upload)?;
                }
                (None, Some(upload))
            }
        };

        Ok(Admitted {
            url,
            target,
            upload,
            secrets,
            summary,
            proxy,
        })
    }
}

impl Inner {
    /// A request found its twin: the user's pause or a failure is undone (that is
    /// what asking again means), a wait for the network or a policy is left as it
    /// is (and a request to start paused undoes nothing). Credentials, headers, cookies and proxy given now replace the old ones
    /// (a login that failed, cookies refreshed), from the next attempt on; what
    /// the new request leaves out is kept.
    /// Callers hold `transitions`.
    async fn attach(
        &self,
        id: OperationId,
        access: Access,
        paused: bool,
    ) -> Result<Submitted, EngineError> {
        // The stored record, not the live view: `commit` replaces it.
        let mut stored = self.record(id)?;
        tracing::info!(%id, status = %stored.status, "the same request again: attached to the unfinished operation");
        // What the new request gives replaces what the operation had; what it
        // leaves out is kept (the same command rerun without --user still has
        // the password it was given).
        let mut changed = false;
        if !access.secrets.is_empty() {
            self.secrets.put(id, &access.secrets).await?;
            stored.secrets = access.summary;
            changed = true;
        }
        if !access.headers.is_empty() && stored.headers != access.headers {
            stored.headers = access.headers;
            changed = true;
        }
        if access.proxy.is_some() && stored.proxy != access.proxy {
            stored.proxy = access.proxy;
            changed = true;
        }
        if access.insecure && !stored.insecure {
            stored.insecure = true;
            changed = true;
        }
        if changed {
            self.commit(stored).await?;
        }
        let snapshot = self.snapshot_of(id)?;
        if matches!(snapshot.status, Status::PausedByApplication | Status::Error) && !paused {
            self.requeue(snapshot).await?;
        }
        Ok(Submitted {
            snapshot: self.snapshot_of(id)?,
            attached: true,
        })
    }
}

impl State {
    /// The unfinished operation that does what a new request asks (same address
    /// and download target, or same upload target, method, mode and files), if
    /// any; the oldest when there are several.
    pub(in crate::engine) fn unfinished_twin(
        &mut self,
        url: &str,
        target: Option<&Target>,
        upload: Option<&UploadState>,
    ) -> Option<OperationId> {
        // A failed operation can still be resumed; completed or canceled ones
        // cannot, and a new request for them is a new operation.
        let twin = self.twin(url, target, upload, |s| {
            !matches!(s.status, Status::Completed | Status::Canceled)
        })?;
        // Asked for: a later completion is no longer the crash's rerun.
        self.resumed.remove(&twin);
        Some(twin)
    }

    /// The oldest operation that `keeps` and that does what the request asks.
    fn twin(
        &self,
        url: &str,
        target: Option<&Target>,
        upload: Option<&UploadState>,
        keeps: impl Fn(&Snapshot) -> bool,
    ) -> Option<OperationId> {
        let same_upload = |mine: &UploadState, theirs: &UploadState| {
            mine.method == theirs.method
                && mine.mode == theirs.mode
                && mine.sources.len() == theirs.sources.len()
                && mine
                    .sources
                    .iter()
                    .zip(&theirs.sources)
                    .all(|(a, b)| a.path == b.path)
        };
        self.ops
            .values()
            .map(|entry| &*entry.snapshot)
            .filter(|s| keeps(s))
            .filter(|s| s.url == url && s.target.as_ref() == target)
            .filter(|s| match (upload, &s.upload) {
                (None, None) => true,
                (Some(mine), Some(theirs)) => same_upload(mine, theirs),
                _ => false,
            })
            .min_by_key(|s| s.seq)
            .map(|s| s.id)
    }

    /// A twin that was unfinished when the engine opened and has completed
    /// since, its file still there, asked for the first time since the start:
    /// the rerun after a crash, that the resumed transfer beat to the end. It
    /// gets that transfer, not a second copy; a later request gets a new one.
    pub(in crate::engine) fn resumed_twin(
        &mut self,
        url: &str,
        target: Option<&Target>,
        upload: Option<&UploadState>,
    ) -> Option<OperationId> {
        let twin = self.twin(url, target, upload, |s| {
            self.resumed.contains(&s.id)
                && s.status == Status::Completed
                && s.destination.as_deref().is_some_and(Path::exists)
        })?;
        self.resumed.remove(&twin);
        Some(twin)
    }

    /// `path`, or the first `path (n)` that no file, no `.part` and no other
    /// unfinished operation already uses.
    /// The owner's own destination stays free for it even though its `.part` exists.
    pub(in crate::engine) fn free_destination(&self, path: &Path, owner: OperationId) -> PathBuf {
        let own = self
            .ops
            .get(&owner)
            .and_then(|entry| entry.snapshot.destination.as_deref());
        filename::free_variant(path, |candidate| {
            let claimed = self.ops.values().any(|entry| {
                entry.snapshot.id != owner
                    && !entry.snapshot.status.is_finished()
                    && entry.snapshot.destination.as_deref() == Some(candidate)
            });
            let part_taken = own != Some(candidate) && operation::part_path(candidate).exists();
            !claimed && !part_taken && !candidate.exists()
        })
    }
}
