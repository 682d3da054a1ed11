//! aria2's methods, each done with the engine: what a front end asks of aria2
//! becomes the same Ferry operation the window and `ferry` would make.

use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};
use tokio::sync::Notify;

use super::aria2::{self, gid};
use super::jsonrpc::RpcError;
use crate::engine::{Engine, Kind, Place, Priority, Snapshot, Status};

/// Every method answered (besides `system.*`).
pub(super) const METHODS: &[&str] = &[
    "aria2.addUri",
    "aria2.addTorrent",
    "aria2.addMetalink",
    "aria2.remove",
    "aria2.forceRemove",
    "aria2.pause",
    "aria2.pauseAll",
    "aria2.forcePause",
    "aria2.forcePauseAll",
    "aria2.unpause",
    "aria2.unpauseAll",
    "aria2.tellStatus",
    "aria2.getUris",
    "aria2.getFiles",
    "aria2.getPeers",
    "aria2.getServers",
    "aria2.tellActive",
    "aria2.tellWaiting",
    "aria2.tellStopped",
    "aria2.changePosition",
    "aria2.changeUri",
    "aria2.getOption",
    "aria2.changeOption",
    "aria2.getGlobalOption",
    "aria2.changeGlobalOption",
    "aria2.getGlobalStat",
    "aria2.purgeDownloadResult",
    "aria2.removeDownloadResult",
    "aria2.getVersion",
    "aria2.getSessionInfo",
    "aria2.shutdown",
    "aria2.forceShutdown",
    "aria2.saveSession",
    "system.multicall",
    "system.listMethods",
    "system.listNotifications",
];

pub(super) const NOTIFICATIONS: &[&str] = &[
    "aria2.onDownloadStart",
    "aria2.onDownloadPause",
    "aria2.onDownloadStop",
    "aria2.onDownloadComplete",
    "aria2.onDownloadError",
    "aria2.onBtDownloadComplete",
];

/// The aria2 version whose API this follows (clients check it for features).
const ARIA2_VERSION: &str = "1.37.0";

/// What every call needs.
pub(super) struct Context {
    pub(super) engine: Engine,
    secret: String,
    quit: Arc<Notify>,
    /// Told by `getSessionInfo`: new each time the agent starts.
    session: String,
    /// `max-concurrent-downloads` as last set (the engine takes it, not tells it).
    max_running: Mutex<usize>,
}

impl Context {
    pub(super) fn new(engine: Engine, secret: String, quit: Arc<Notify>) -> Self {
        let max_running = engine.options().max_running;
        Self {
            engine,
            secret,
            quit,
            session: uuid::Uuid::new_v4().simple().to_string(),
            max_running: Mutex::new(max_running),
        }
    }

    /// The secret token (`token:…`, the first parameter) is checked in constant
    /// time and taken off the parameters.
    fn authorize(&self, params: &mut Vec<Value>) -> Result<(), RpcError> {
        let given = match params.first().and_then(Value::as_str) {
            Some(token) if token.starts_with("token:") => {
                let token = token["token:".len()..].to_owned();
                params.remove(0);
                token
            }
            _ => String::new(),
        };
        if constant_time_eq(given.as_bytes(), self.secret.as_bytes()) {
            Ok(())
        } else {
            Err(RpcError::aria2("Unauthorized"))
        }
    }
}

/// Equal bytes, in a time that depends on the lengths only.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut differ = a.len() ^ b.len();
    for (i, byte) in b.iter().enumerate() {
        differ |= usize::from(a.get(i).copied().unwrap_or(!byte) ^ byte);
    }
    differ == 0
}

/// Answer one call (`system.multicall` answers each of its calls).
pub(super) async fn call(
    ctx: &Context,
    method: &str,
    params: Vec<Value>,
) -> Result<Value, RpcError> {
    if method == "system.multicall" {
        return multicall(ctx, params).await;
    }
    one(ctx, method, params).await
}

async fn multicall(ctx: &Context, mut params: Vec<Value>) -> Result<Value, RpcError> {
    // Each call carries its own token; one given to the whole is checked too.
    if params
        .first()
        .and_then(Value::as_str)
        .is_some_and(|p| p.starts_with("token:"))
    {
        ctx.authorize(&mut params)?;
    }
    let Some(Value::Array(calls)) = params.into_iter().next() else {
        return Err(RpcError::invalid_params(
            "system.multicall takes an array of {methodName, params}",
        ));
    };
    if calls.len() > super::jsonrpc::MAX_BATCH {
        return Err(RpcError::invalid_params(format!(
            "at most {} calls at once",
            super::jsonrpc::MAX_BATCH
        )));
    }
    let mut answers = Vec::with_capacity(calls.len());
    for entry in calls {
        let method = entry.get("methodName").and_then(Value::as_str);
        let params = match entry.get("params") {
            None => Some(Vec::new()),
            Some(Value::Array(p)) => Some(p.clone()),
            Some(_) => None,
        };
        let answer = match (method, params) {
            (Some("system.multicall"), _) => {
                Err(RpcError::aria2("system.multicall cannot be nested"))
            }
            (Some(method), Some(params)) => one(ctx, method, params).await,
            _ => Err(RpcError::invalid_params(
                "each call is {methodName, params}",
            )),
        };
        answers.push(match answer {
            Ok(result) => json!([result]),
            Err(e) => e.to_value(),
        });
    }
    Ok(Value::Array(answers))
}

#[expect(
    clippy::too_many_lines,
    reason = "one arm per aria2 method, each a call and its answer"
)]
async fn one(ctx: &Context, method: &str, mut params: Vec<Value>) -> Result<Value, RpcError> {
    match method {
        "system.listMethods" => return Ok(json!(METHODS)),
        "system.listNotifications" => return Ok(json!(NOTIFICATIONS)),
        _ if !METHODS.contains(&method) => return Err(RpcError::no_method(method)),
        _ => {}
    }
    ctx.authorize(&mut params)?;
    let engine = &ctx.engine;
    let arg = |i: usize| params.get(i);
    let failed = |e: crate::engine::EngineError| RpcError::aria2(e.to_string());
    let found = |i: usize| aria2::find(engine, arg(i).unwrap_or(&Value::Null));
    Ok(match method {
        "aria2.addUri" => {
            let uris = arg(0)
                .and_then(Value::as_array)
                .filter(|u| !u.is_empty())
                .ok_or_else(|| RpcError::invalid_params("addUri takes an array of URIs"))?;
            // aria2 takes several URIs as mirrors of one file: Ferry uses the first.
            let uri = uris[0]
                .as_str()
                .ok_or_else(|| RpcError::invalid_params("URIs are strings"))?;
            let options = options_of(arg(1))?;
            let mut request =
                aria2::download_request(uri, &options, &engine.options().download_dir)?;
            if arg(2).and_then(Value::as_i64) == Some(0) {
                request.priority = Priority::High;
            }
            gid(engine.submit(request).await.map_err(failed)?.snapshot.id).into()
        }
        "aria2.addTorrent" | "aria2.addMetalink" => {
            return Err(RpcError::aria2(
                "not supported: Ferry downloads HTTP(S) and FTP(S) addresses (use addUri)",
            ));
        }
        "aria2.getPeers" => json!([]),
        "aria2.remove" | "aria2.forceRemove" => {
            let snapshot = found(0)?;
            if snapshot.status.is_finished() {
                return Err(RpcError::aria2(format!(
                    "Active Download not found for GID#{}",
                    gid(snapshot.id)
                )));
            }
            engine.cancel(snapshot.id).await.map_err(failed)?;
            gid(snapshot.id).into()
        }
        "aria2.pause" | "aria2.forcePause" => {
            let snapshot = found(0)?;
            engine.pause(snapshot.id).await.map_err(failed)?;
            gid(snapshot.id).into()
        }
        "aria2.unpause" => {
            let snapshot = found(0)?;
            engine.resume(snapshot.id).await.map_err(failed)?;
            gid(snapshot.id).into()
        }
        "aria2.pauseAll" | "aria2.forcePauseAll" => {
            engine.pause_all().await.map_err(failed)?;
            "OK".into()
        }
        "aria2.unpauseAll" => {
            engine.resume_all().await.map_err(failed)?;
            "OK".into()
        }
        "aria2.tellStatus" => {
            let keys = aria2::keys(arg(1))?;
            aria2::status(&found(0)?, keys.as_deref())
        }
        "aria2.getUris" => aria2::uris(&found(0)?),
        "aria2.getFiles" => aria2::files(&found(0)?),
        "aria2.getServers" => {
            let snapshot = found(0)?;
            if snapshot.status != Status::Running {
                return Err(RpcError::aria2(format!(
                    "No active download for GID#{}",
                    gid(snapshot.id)
                )));
            }
            json!([{ "index": "1", "servers": [{
                "uri": snapshot.url,
                "currentUri": snapshot.url,
                "downloadSpeed": (snapshot.speed as u64).to_string(),
            }]}])
        }
        "aria2.tellActive" => {
            let keys = aria2::keys(arg(0))?;
            let active = downloads(engine, |s| s.status == Status::Running);
            listed(&active, keys.as_deref())
        }
        "aria2.tellWaiting" | "aria2.tellStopped" => {
            let (offset, num) = (int(arg(0))?, int(arg(1))?);
            let keys = aria2::keys(arg(2))?;
            let queue = if method == "aria2.tellWaiting" {
                waiting(engine)
            } else {
                stopped(engine)
            };
            listed(&window(&queue, offset, num), keys.as_deref())
        }
        "aria2.changePosition" => {
            let snapshot = found(0)?;
            let pos = int(arg(1))?;
            let how = arg(2).and_then(Value::as_str).unwrap_or("");
            let queue = waiting(engine);
            let Some(from) = queue.iter().position(|s| s.id == snapshot.id) else {
                return Err(failed(crate::engine::EngineError::InvalidState {
                    id: snapshot.id,
                    status: snapshot.status,
                    action: "move",
                }));
            };
            let last = queue.len() as i64 - 1;
            let to = match how {
                "POS_SET" => pos,
                "POS_CUR" => from as i64 + pos,
                "POS_END" => last + pos,
                _ => {
                    return Err(RpcError::invalid_params(
                        "how is POS_SET, POS_CUR or POS_END",
                    ));
                }
            }
            .clamp(0, last.max(0));
            // aria2's list holds downloads only; Ferry's queue has uploads too:
            // the download moves next to the one whose place it takes.
            let place = match usize::try_from(to).ok().and_then(|i| queue.get(i)) {
                Some(other) if other.id == snapshot.id => None,
                Some(other) if to as usize > from => Some(Place::After(other.id)),
                Some(other) => Some(Place::Before(other.id)),
                None => None,
            };
            if let Some(place) = place {
                engine
                    .move_in_queue(snapshot.id, place)
                    .await
                    .map_err(failed)?;
            }
            let place = waiting(engine).iter().position(|s| s.id == snapshot.id);
            json!(place.unwrap_or(0))
        }
        "aria2.changeUri" => {
            let snapshot = found(0)?;
            let added = arg(3)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let deleted = arg(2).and_then(Value::as_array).map_or(0, Vec::len);
            let Some(url) = added.first().and_then(Value::as_str) else {
                return Ok(json!([0, 0]));
            };
            // Ferry's link refresh: continued only if the new address serves
            // the same file.
            engine.refresh(snapshot.id, url).await.map_err(failed)?;
            json!([deleted.max(1), 1])
        }
        "aria2.getOption" => options_struct(&found(0)?),
        "aria2.changeOption" => {
            let snapshot = found(0)?;
            let options = options_of(arg(1))?;
            if let Some(limit) = options.get("max-download-limit").and_then(aria2::text_of) {
                let limit = Some(aria2::size(&limit)?).filter(|l| *l > 0);
                engine
                    .set_operation_limit(snapshot.id, limit)
                    .await
                    .map_err(failed)?;
            }
            "OK".into()
        }
        "aria2.getGlobalOption" => {
            let options = engine.options();
            let max_running = *ctx.max_running.lock().unwrap_or_else(|p| p.into_inner());
            json!({
                "dir": options.download_dir.display().to_string(),
                "max-concurrent-downloads": max_running.to_string(),
                "max-overall-download-limit": engine.limit().unwrap_or(0).to_string(),
                "max-connection-per-server": options.connections_per_host.to_string(),
                "split": options.connections.map_or(16, u8::from).to_string(),
                "continue": "true",
            })
        }
        "aria2.changeGlobalOption" => {
            let options = options_of(arg(0))?;
            if let Some(max) = options
                .get("max-concurrent-downloads")
                .and_then(aria2::text_of)
            {
                let max = max
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|m| *m > 0)
                    .ok_or_else(|| RpcError::aria2(format!("not a count: {max}")))?;
                engine.set_max_running(max);
                *ctx.max_running.lock().unwrap_or_else(|p| p.into_inner()) = max;
            }
            if let Some(limit) = options
                .get("max-overall-download-limit")
                .and_then(aria2::text_of)
            {
                engine.set_limit(Some(aria2::size(&limit)?).filter(|l| *l > 0));
            }
            "OK".into()
        }
        "aria2.getGlobalStat" => {
            let all = downloads(engine, |_| true);
            let count = |word: &[&str]| {
                all.iter()
                    .filter(|s| word.contains(&aria2::status_word(s.status)))
                    .count()
                    .to_string()
            };
            let speed: f64 = all.iter().map(|s| s.speed).sum();
            json!({
                "downloadSpeed": (speed as u64).to_string(),
                "uploadSpeed": "0",
                "numActive": count(&["active"]),
                "numWaiting": count(&["waiting", "paused"]),
                "numStopped": count(&["complete", "removed", "error"]),
                "numStoppedTotal": count(&["complete", "removed", "error"]),
            })
        }
        "aria2.purgeDownloadResult" => {
            for snapshot in downloads(engine, |s| s.status.is_finished()) {
                engine.remove(snapshot.id).await.map_err(failed)?;
            }
            "OK".into()
        }
        "aria2.removeDownloadResult" => {
            let snapshot = found(0)?;
            if !snapshot.status.is_finished() {
                return Err(RpcError::aria2(format!(
                    "Could not remove download result of GID#{}: it has not stopped",
                    gid(snapshot.id)
                )));
            }
            engine.remove(snapshot.id).await.map_err(failed)?;
            "OK".into()
        }
        "aria2.getVersion" => json!({
            "version": ARIA2_VERSION,
            "enabledFeatures": ["HTTPS", "Message Digest", "Async DNS"],
            "ferry": env!("CARGO_PKG_VERSION"),
        }),
        "aria2.getSessionInfo" => json!({ "sessionId": ctx.session }),
        // Ferry keeps every operation in its database at every change.
        "aria2.saveSession" => "OK".into(),
        "aria2.shutdown" | "aria2.forceShutdown" => {
            // The agent checkpoints every transfer and stops (as `ferry quit`).
            ctx.quit.notify_one();
            "OK".into()
        }
        other => return Err(RpcError::no_method(other)),
    })
}

/// Downloads only: aria2 has no uploads to show them as.
fn downloads(engine: &Engine, keep: impl Fn(&Snapshot) -> bool) -> Vec<Snapshot> {
    engine
        .list()
        .into_iter()
        .filter(|s| s.kind == Kind::Download && keep(s))
        .collect()
}

/// The queue, in the order it will run: priority, then age.
fn waiting(engine: &Engine) -> Vec<Snapshot> {
    let mut queue = downloads(engine, |s| {
        matches!(aria2::status_word(s.status), "waiting" | "paused")
    });
    queue.sort_by_key(Snapshot::queue_key);
    queue
}

/// Stopped downloads, oldest first.
fn stopped(engine: &Engine) -> Vec<Snapshot> {
    let mut done = downloads(engine, |s| {
        matches!(
            aria2::status_word(s.status),
            "complete" | "removed" | "error"
        )
    });
    done.sort_by_key(|s| (s.finished_at.unwrap_or(s.updated_at), s.seq));
    done
}

/// aria2's `offset`/`num`: from the start, or with a negative offset from the
/// end, backwards.
fn window(queue: &[Snapshot], offset: i64, num: i64) -> Vec<Snapshot> {
    let num = usize::try_from(num).unwrap_or(0);
    let len = queue.len() as i64;
    if offset >= 0 {
        queue
            .iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(num)
            .cloned()
            .collect()
    } else {
        let last = len + offset;
        if last < 0 {
            return Vec::new();
        }
        queue[..=usize::try_from(last).unwrap_or(0)]
            .iter()
            .rev()
            .take(num)
            .cloned()
            .collect()
    }
}

fn listed(snapshots: &[Snapshot], keys: Option<&[String]>) -> Value {
    Value::Array(snapshots.iter().map(|s| aria2::status(s, keys)).collect())
}

fn int(value: Option<&Value>) -> Result<i64, RpcError> {
    match value {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| RpcError::invalid_params("expected an integer"))
}

fn options_of(value: Option<&Value>) -> Result<Map<String, Value>, RpcError> {
    match value {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(options)) => Ok(options.clone()),
        Some(_) => Err(RpcError::invalid_params("options are an object")),
    }
}

/// A download's options as aria2 would list them.
fn options_struct(snapshot: &Snapshot) -> Value {
    let mut options = Map::new();
    if let Some(path) = &snapshot.destination {
        if let Some(dir) = path.parent() {
            options.insert("dir".into(), dir.display().to_string().into());
        }
        if let Some(name) = path.file_name() {
            options.insert("out".into(), name.to_string_lossy().into_owned().into());
        }
    }
    options.insert(
        "max-download-limit".into(),
        snapshot.limit.unwrap_or(0).to_string().into(),
    );
    if let Some(connections) = snapshot.connections {
        options.insert("split".into(), connections.to_string().into());
        options.insert(
            "max-connection-per-server".into(),
            connections.to_string().into(),
        );
    }
    let headers: Vec<Value> = snapshot
        .headers
        .iter()
        .map(|h| format!("{}: {}", h.name, h.value).into())
        .collect();
    if !headers.is_empty() {
        options.insert("header".into(), headers.into());
    }
    Value::Object(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secre", b"secret"));
        assert!(!constant_time_eq(b"secret!", b"secret"));
        assert!(!constant_time_eq(b"", b"secret"));
        assert!(!constant_time_eq(b"sEcret", b"secret"));
    }
}
