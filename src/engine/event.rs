//! What the engine announces to subscribers (the window, the socket's `watch`).

use serde::{Deserialize, Serialize};

use super::group::Group;
use super::operation::{OperationId, Segment, Snapshot};
use super::policy::NetworkState;

/// What subscribers hear. `Progress` is throttled; the others arrive once per change,
/// after the change is persisted (`StatusChanged` also when a running download
/// learns its file's name).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Added {
        snapshot: Box<Snapshot>,
    },
    Progress {
        id: OperationId,
        bytes: u64,
        total: Option<u64>,
        speed: f64,
        eta_secs: Option<u64>,
    },
    StatusChanged {
        snapshot: Box<Snapshot>,
    },
    /// A segmented download's parts, each as far as it is safely on disk, and
    /// where each connection is now (the offsets its part has been fetched
    /// up to): at every checkpoint (about once a second), so a window can draw
    /// them.
    Parts {
        id: OperationId,
        segments: Vec<Segment>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        fetching: Vec<u64>,
    },
    Removed {
        id: OperationId,
    },
    /// A group was created or changed (enabled, its action ran…).
    GroupChanged {
        group: Box<Group>,
    },
    /// The network or power conditions changed.
    NetworkChanged {
        state: NetworkState,
    },
    /// The subscriber fell behind and missed events: read `list()` again.
    Resync,
}

impl Event {
    pub fn id(&self) -> Option<OperationId> {
        match self {
            Self::Added { snapshot } | Self::StatusChanged { snapshot } => Some(snapshot.id),
            Self::Progress { id, .. } | Self::Parts { id, .. } | Self::Removed { id } => Some(*id),
            Self::GroupChanged { .. } | Self::NetworkChanged { .. } | Self::Resync => None,
        }
    }
}
