//! Persistence in redb: one table of operation records (JSON, so fields can be added
//! without a migration), one of metadata holding the schema version.
//!
//! A database that cannot be read is moved aside and replaced by an empty one, so a
//! damaged file never turns into a crash loop; a database written by a newer Ferry is
//! refused, never rewritten.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

use super::group::Group;
use super::hosts::LearnedCap;
use super::operation::{OperationId, Snapshot};
use super::time::now_millis;

const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// META keys `host-cap:HOST:PORT`: connections the host accepts at most, and
/// `host-cap-until:HOST:PORT`: until when (ms since the epoch) that holds.
const HOST_CAP_PREFIX: &str = "host-cap:";
const HOST_CAP_UNTIL_PREFIX: &str = "host-cap-until:";
const OPERATIONS: TableDefinition<u128, &[u8]> = TableDefinition::new("operations");
/// Groups by name, JSON like operations.
const GROUPS: TableDefinition<&str, &[u8]> = TableDefinition::new("groups");
/// Bytes moved on metered networks this month: the month as `yyyymm`, then the count.
const METERED_MONTH_KEY: &str = "metered_month";
const METERED_BYTES_KEY: &str = "metered_bytes";
const SCHEMA_KEY: &str = "schema_version";
/// The boot (a digest of the kernel's boot id) in which the last agent finished
/// its start-up recovery: every `.part` byte written since is in the page cache.
const BOOT_KEY: &str = "recovered_in_boot";

/// redb's page cache: small, since every record is read once at start and kept
/// by the engine (with 10,000 queued operations, 4 MiB of cache was a fifth of
/// the agent's memory for them).
const CACHE_BYTES: usize = 1 << 20;

/// The layout this build writes. Raise it with a migration in [`Store::open`].
pub const SCHEMA_VERSION: u64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database {path} was written by a newer Ferry (schema {found}, this build knows {supported}); \
         update Ferry, or move the file away to start empty"
    )]
    NewerSchema {
        path: PathBuf,
        found: u64,
        supported: u64,
    },
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: redb::Error,
    },
    #[error("cannot move the damaged database {path} aside: {source}")]
    MoveAside {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("database write failed: {0}")]
    Write(#[source] redb::Error),
    #[error("cannot encode an operation record: {0}")]
    Encode(#[source] serde_json::Error),
    #[error("the database task stopped unexpectedly")]
    TaskFailed,
    #[error("the database is closed")]
    Closed,
}

/// Something the user should be told about what happened while opening the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreNotice {
    /// The file could not be read; it was kept under `moved_to` and an empty one made.
    MovedAside { moved_to: PathBuf, reason: String },
    /// Records this build cannot decode; they stay in the file untouched.
    UnreadableRecords { count: usize },
}

impl std::fmt::Display for StoreNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::MovedAside { moved_to, reason } => write!(
                f,
                "the database was damaged ({reason}); it was moved to {} and Ferry started with an empty list",
                moved_to.display()
            ),
            Self::UnreadableRecords { count } => write!(
                f,
                "{count} operation record(s) in the database could not be read and were skipped"
            ),
        }
    }
}

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    /// `None` once closed.
    db: Arc<std::sync::Mutex<Option<Arc<Database>>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

/// What [`Store::open`] found.
#[derive(Debug)]
pub struct Opened {
    pub store: Store,
    /// Boxed as they were decoded: the engine keeps each box as it is.
    #[allow(clippy::vec_box)]
    pub records: Vec<Box<Snapshot>>,
    pub groups: Vec<Group>,
    /// The metered traffic counted so far: (`yyyymm`, bytes).
    pub metered: Option<(u64, u64)>,
    /// The traffic of each day, as recorded.
    pub traffic: Vec<crate::engine::traffic::DayTraffic>,
    /// Connections hosts accept at most (`host:port`, count).
    pub host_caps: Vec<(String, LearnedCap)>,
    /// The boot in which the last start-up recovery finished (see [`Store::put_boot`]).
    pub boot: Option<u64>,
    pub notices: Vec<StoreNotice>,
}

/// Why a file could not be used: damaged (move it aside) or an error to report.
enum OpenFailure {
    Damaged(String),
    Fatal(StoreError),
}

impl Store {
    /// Open or create the database at `path` and read every record. Blocking.
    pub fn open(path: &Path) -> Result<Opened, StoreError> {
        match Self::try_open(path) {
            Ok((store, read)) => Ok(Opened {
                store,
                records: read.records,
                groups: read.groups,
                metered: read.metered,
                traffic: read.traffic,
                host_caps: read.host_caps,
                boot: read.boot,
                notices: skipped_notice(read.skipped),
            }),
            Err(OpenFailure::Fatal(error)) => Err(error),
            Err(OpenFailure::Damaged(reason)) => {
                let moved_to = move_aside(path)?;
                tracing::error!(
                    path = %path.display(),
                    moved_to = %moved_to.display(),
                    %reason,
                    "database damaged; moved aside, starting with an empty one"
                );
                let (store, read) = Self::try_open(path).map_err(|failure| match failure {
                    OpenFailure::Fatal(error) => error,
                    OpenFailure::Damaged(reason) => StoreError::Open {
                        path: path.to_owned(),
                        source: redb::Error::Corrupted(reason),
                    },
                })?;
                let mut notices = vec![StoreNotice::MovedAside { moved_to, reason }];
                notices.extend(skipped_notice(read.skipped));
                Ok(Opened {
                    store,
                    records: read.records,
                    groups: read.groups,
                    metered: read.metered,
                    traffic: read.traffic,
                    host_caps: read.host_caps,
                    boot: read.boot,
                    notices,
                })
            }
        }
    }

    fn try_open(path: &Path) -> Result<(Store, Contents), OpenFailure> {
        // redb checks some invariants with debug assertions; a damaged file must not
        // bring the agent down, whatever the build.
        let opened = std::panic::catch_unwind(AssertUnwindSafe(|| {
            // A small cache: every record is read once at start and kept in
            // memory by the engine; the store only writes after that.
            let db = redb::Builder::new()
                .set_cache_size(CACHE_BYTES)
                .create(path)
                .map_err(|e| classify(path, e.into()))?;
            let contents = init_and_read(path, &db)?;
            Ok((db, contents))
        }));
        match opened {
            Ok(Ok((db, contents))) => Ok((
                Store {
                    db: Arc::new(std::sync::Mutex::new(Some(Arc::new(db)))),
                },
                contents,
            )),
            Ok(Err(failure)) => Err(failure),
            Err(_) => Err(OpenFailure::Damaged(
                "the storage engine rejected the file".into(),
            )),
        }
    }

    /// Write one record, durably, before the caller announces the change.
    pub async fn put(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        let key = snapshot.id.as_u128();
        let bytes = serde_json::to_vec(snapshot).map_err(StoreError::Encode)?;
        self.write(move |db| {
            let txn = db.begin_write()?;
            txn.open_table(OPERATIONS)?.insert(key, bytes.as_slice())?;
            txn.commit()?;
            Ok(())
        })
        .await
    }

    /// Write several records in one durable transaction: all or none.
    pub async fn put_all(&self, snapshots: &[Snapshot]) -> Result<(), StoreError> {
        let records = snapshots
            .iter()
            .map(|s| Ok((s.id.as_u128(), serde_json::to_vec(s)?)))
            .collect::<Result<Vec<(u128, Vec<u8>)>, serde_json::Error>>()
            .map_err(StoreError::Encode)?;
        self.write(move |db| {
            let txn = db.begin_write()?;
            {
                let mut table = txn.open_table(OPERATIONS)?;
                for (key, bytes) in &records {
                    table.insert(*key, bytes.as_slice())?;
                }
            }
            txn.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn put_group(&self, group: &Group) -> Result<(), StoreError> {
        let name = group.name.clone();
        let bytes = serde_json::to_vec(group).map_err(StoreError::Encode)?;
        self.write(move |db| {
            let txn = db.begin_write()?;
            txn.open_table(GROUPS)?
                .insert(name.as_str(), bytes.as_slice())?;
            txn.commit()?;
            Ok(())
        })
        .await
    }

    /// Record the month's metered traffic (`yyyymm`, bytes).
    pub async fn put_metered(&self, month: u64, bytes: u64) -> Result<(), StoreError> {
        self.write(move |db| {
            let txn = db.begin_write()?;
            {
                let mut meta = txn.open_table(META)?;
                meta.insert(METERED_MONTH_KEY, month)?;
                meta.insert(METERED_BYTES_KEY, bytes)?;
            }
            txn.commit()?;
            Ok(())
        })
        .await
    }

    /// Remember how many connections `host` accepts at most, and until when.
    /// Remember that start-up recovery finished in `boot`: until the machine
    /// restarts, a `.part` file holds every byte written to it (kill -9 does not
    /// lose the page cache), so the next start may trust its length.
    pub async fn put_boot(&self, boot: u64) -> Result<(), StoreError> {
        self.write(move |db| {
            let txn = db.begin_write()?;
            txn.open_table(META)?.insert(BOOT_KEY, boot)?;
            txn.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn put_host_cap(&self, host: &str, learned: LearnedCap) -> Result<(), StoreError> {
        let cap_key = format!("{HOST_CAP_PREFIX}{host}");
        let until_key = format!("{HOST_CAP_UNTIL_PREFIX}{host}");
        self.write(move |db| {
            let txn = db.begin_write()?;
            {
                let mut meta = txn.open_table(META)?;
                meta.insert(cap_key.as_str(), learned.cap as u64)?;
                meta.insert(until_key.as_str(), learned.until)?;
            }
            txn.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn delete(&self, id: OperationId) -> Result<(), StoreError> {
        let key = id.as_u128();
        self.write(move |db| {
            let txn = db.begin_write()?;
            txn.open_table(OPERATIONS)?.remove(key)?;
            txn.commit()?;
            Ok(())
        })
        .await
    }

    fn database(&self) -> Option<Arc<Database>> {
        self.db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Release the file, waiting for writes under way; later writes fail.
    pub async fn close(&self) {
        let taken = self
            .db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        let Some(mut db) = taken else { return };
        for _ in 0..500 {
            match Arc::try_unwrap(db) {
                Ok(db) => {
                    drop(db);
                    return;
                }
                Err(shared) => db = shared,
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        tracing::warn!("the database is still in use after closing");
    }

    async fn write(
        &self,
        work: impl FnOnce(&Database) -> Result<(), redb::Error> + Send + 'static,
    ) -> Result<(), StoreError> {
        let db = self.database().ok_or(StoreError::Closed)?;
        tokio::task::spawn_blocking(move || work(&db))
            .await
            .map_err(|_| StoreError::TaskFailed)?
            .map_err(StoreError::Write)
    }
}

fn skipped_notice(skipped: usize) -> Vec<StoreNotice> {
    if skipped == 0 {
        Vec::new()
    } else {
        vec![StoreNotice::UnreadableRecords { count: skipped }]
    }
}

/// Everything read at opening.
struct Contents {
    #[allow(clippy::vec_box)]
    records: Vec<Box<Snapshot>>,
    groups: Vec<Group>,
    metered: Option<(u64, u64)>,
    traffic: Vec<crate::engine::traffic::DayTraffic>,
    host_caps: Vec<(String, LearnedCap)>,
    boot: Option<u64>,
    /// Records that could not be decoded.
    skipped: usize,
}

/// Record the schema version (or check it) and decode every operation and group.
fn init_and_read(path: &Path, db: &Database) -> Result<Contents, OpenFailure> {
    let fail = |e: redb::Error| classify(path, e);
    let txn = db.begin_write().map_err(|e| fail(e.into()))?;
    {
        let mut meta = txn.open_table(META).map_err(|e| fail(e.into()))?;
        let found = meta
            .get(SCHEMA_KEY)
            .map_err(|e| fail(e.into()))?
            .map(|v| v.value());
        match found {
            Some(found) if found > SCHEMA_VERSION => {
                return Err(OpenFailure::Fatal(StoreError::NewerSchema {
                    path: path.to_owned(),
                    found,
                    supported: SCHEMA_VERSION,
                }));
            }
            Some(_) => {}
            None => {
                meta.insert(SCHEMA_KEY, SCHEMA_VERSION)
                    .map_err(|e| fail(e.into()))?;
                meta.insert("created_at", now_millis())
                    .map_err(|e| fail(e.into()))?;
            }
        }
        txn.open_table(OPERATIONS).map_err(|e| fail(e.into()))?;
        txn.open_table(GROUPS).map_err(|e| fail(e.into()))?;
        txn.open_table(traffic::TRAFFIC)
            .map_err(|e| fail(e.into()))?;
    }
    txn.commit().map_err(|e| fail(e.into()))?;

    let read = db.begin_read().map_err(|e| fail(e.into()))?;
    let (mut records, mut skipped) = read_records(&read).map_err(fail)?;
    records.sort_by_key(|r| r.seq);

    let table = read.open_table(GROUPS).map_err(|e| fail(e.into()))?;
    let mut groups = Vec::new();
    for entry in table.iter().map_err(|e| fail(e.into()))? {
        let (key, value) = entry.map_err(|e| fail(e.into()))?;
        match serde_json::from_slice::<Group>(value.value()) {
            Ok(group) if group.name == key.value() => groups.push(group),
            Ok(_) | Err(_) => {
                tracing::warn!(group = key.value(), "skipping an unreadable group record");
                skipped += 1;
            }
        }
    }

    let meta = read.open_table(META).map_err(|e| fail(e.into()))?;
    let get = |key: &str| -> Result<Option<u64>, OpenFailure> {
        Ok(meta
            .get(key)
            .map_err(|e| fail(e.into()))?
            .map(|v| v.value()))
    };
    let metered = get(METERED_MONTH_KEY)?.zip(get(METERED_BYTES_KEY)?);
    let mut caps = std::collections::HashMap::new();
    let mut untils = std::collections::HashMap::new();
    for entry in meta.iter().map_err(|e| fail(e.into()))? {
        let (key, value) = entry.map_err(|e| fail(e.into()))?;
        if let Some(host) = key.value().strip_prefix(HOST_CAP_UNTIL_PREFIX) {
            untils.insert(host.to_owned(), value.value());
        } else if let Some(host) = key.value().strip_prefix(HOST_CAP_PREFIX) {
            caps.insert(host.to_owned(), value.value());
        }
    }
    // A cap from before caps expired holds for a day from now.
    let default_until = now_millis() + super::hosts::CAP_MEMORY.as_millis() as u64;
    let host_caps = caps
        .into_iter()
        .map(|(host, cap)| {
            let until = untils.get(&host).copied().unwrap_or(default_until);
            let cap = LearnedCap {
                cap: usize::try_from(cap).unwrap_or(1).max(1),
                until,
            };
            (host, cap)
        })
        .collect();
    let traffic = traffic::read(&read).map_err(fail)?;
    Ok(Contents {
        records,
        groups,
        metered,
        traffic,
        host_caps,
        boot: get(BOOT_KEY)?,
        skipped,
    })
}

/// Every operation record, decoded on every core (ids are random, so slices of
/// the key space hold about as many each): with tens of thousands of records
/// the JSON is most of the agent's start. Also returns how many were unreadable.
#[allow(clippy::vec_box)]
fn read_records(read: &redb::ReadTransaction) -> Result<(Vec<Box<Snapshot>>, usize), redb::Error> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let len = read.open_table(OPERATIONS)?.len()?;
    if threads < 2 || len < 1000 {
        return read_slice(read, 0, u128::MAX);
    }
    let step = u128::MAX / threads as u128;
    let parts = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads as u128)
            .map(|i| {
                let end = if i + 1 == threads as u128 {
                    u128::MAX
                } else {
                    (i + 1) * step - 1
                };
                scope.spawn(move || read_slice(read, i * step, end))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect::<Vec<_>>()
    });
    let mut records = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    let mut skipped = 0;
    for part in parts {
        let (part, unreadable) = part?;
        records.extend(part);
        skipped += unreadable;
    }
    Ok((records, skipped))
}

/// The records with keys in `from..=to`.
#[allow(clippy::vec_box)]
fn read_slice(
    read: &redb::ReadTransaction,
    from: u128,
    to: u128,
) -> Result<(Vec<Box<Snapshot>>, usize), redb::Error> {
    let table = read.open_table(OPERATIONS)?;
    let mut records = Vec::new();
    let mut skipped = 0;
    for entry in table.range(from..=to)? {
        let (key, value) = entry?;
        // Boxed where it is decoded: the engine keeps the boxes.
        match serde_json::from_slice::<Box<Snapshot>>(value.value()) {
            Ok(record) if record.id.as_u128() == key.value() => records.push(record),
            Ok(_) | Err(_) => {
                tracing::warn!(key = %OperationId::from_u128(key.value()), "skipping an unreadable operation record");
                skipped += 1;
            }
        }
    }
    Ok((records, skipped))
}

/// Damage means "move it aside"; anything else (permissions, a full disk, a lock)
/// is reported as it is, because moving the file would not help and could lose data.
fn classify(path: &Path, error: redb::Error) -> OpenFailure {
    let damaged = match &error {
        redb::Error::Corrupted(_) | redb::Error::TableTypeMismatch { .. } => true,
        redb::Error::Io(io) => io.kind() == std::io::ErrorKind::InvalidData,
        _ => false,
    };
    if damaged {
        OpenFailure::Damaged(error.to_string())
    } else {
        OpenFailure::Fatal(StoreError::Open {
            path: path.to_owned(),
            source: error,
        })
    }
}

fn move_aside(path: &Path) -> Result<PathBuf, StoreError> {
    let stamp = now_millis() / 1000;
    let mut moved = path.as_os_str().to_owned();
    moved.push(format!(".corrupt-{stamp}"));
    let moved = PathBuf::from(moved);
    std::fs::rename(path, &moved).map_err(|source| StoreError::MoveAside {
        path: path.to_owned(),
        source,
    })?;
    Ok(moved)
}

#[cfg(test)]
mod tests;
mod traffic;
