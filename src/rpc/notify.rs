//! The engine's events as aria2's WebSocket notifications: a download that
//! starts, pauses, is removed, completes or fails, each said once per change.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::aria2::gid;
use crate::engine::{Event, Kind, OperationId, Status};

/// What a connection was last told of each download, so a status event that
/// changes nothing it can see is not said twice.
#[derive(Debug, Default)]
pub(super) struct Told {
    last: HashMap<OperationId, &'static str>,
}

impl Told {
    /// The notifications an event makes (none for most).
    pub(super) fn notifications(&mut self, event: &Event) -> Vec<Value> {
        let snapshot = match event {
            Event::Added { snapshot } | Event::StatusChanged { snapshot } => snapshot,
            Event::Removed { id } => {
                self.last.remove(id);
                return Vec::new();
            }
            _ => return Vec::new(),
        };
        if snapshot.kind != Kind::Download {
            return Vec::new();
        }
        let method = match snapshot.status {
            Status::Running => "aria2.onDownloadStart",
            Status::PausedByApplication => "aria2.onDownloadPause",
            Status::Canceled => "aria2.onDownloadStop",
            Status::Completed => "aria2.onDownloadComplete",
            Status::Error | Status::NeedsNewAddress => "aria2.onDownloadError",
            _ => {
                self.last.remove(&snapshot.id);
                return Vec::new();
            }
        };
        if self.last.insert(snapshot.id, method) == Some(method) {
            return Vec::new();
        }
        vec![json!({
            "jsonrpc": "2.0",
            "method": method,
            "params": [{ "gid": gid(snapshot.id) }],
        })]
    }
}
