//! Typed calls on a [`Client`]: one method per request, each returning what that
//! request answers, so a front end never matches on the whole [`Response`] enum.

use crate::engine::{CostPolicy, Priority, Request as EngineRequest, Snapshot};

use super::{Client, ErrorCode, HandedFile, Handover, IpcError, Request, Response, Spot, Target};

/// Why a call gave no answer of its kind.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The agent could not be reached or talked to.
    #[error(transparent)]
    Ipc(#[from] IpcError),
    /// The agent refused, and said why.
    #[error("{message}")]
    Refused { code: ErrorCode, message: String },
    #[error("unexpected answer from the agent: {0:?}")]
    Unexpected(Box<Response>),
}

/// What a change answered: the operation as it is now, how many a `--all`
/// request changed, or nothing more than "done".
#[derive(Debug)]
pub enum Changed {
    One(Box<Snapshot>),
    Count(usize),
    Done,
}

impl Client {
    /// Send `request`; `pick` takes the answer it expects and hands back any other.
    async fn ask<T>(
        &mut self,
        request: &Request,
        pick: impl FnOnce(Response) -> Result<T, Response>,
    ) -> Result<T, ClientError> {
        match self.call(request).await? {
            Response::Error { code, message } => Err(ClientError::Refused { code, message }),
            answer => pick(answer).map_err(|other| ClientError::Unexpected(Box::new(other))),
        }
    }

    /// A new operation, or the unfinished one that already does the same (`true`).
    pub async fn create(
        &mut self,
        request: EngineRequest,
    ) -> Result<(Box<Snapshot>, bool), ClientError> {
        let request = Request::Create {
            request: Box::new(request),
        };
        self.ask(&request, |answer| match answer {
            Response::Created { snapshot, attached } => Ok((snapshot, attached)),
            other => Err(other),
        })
        .await
    }

    /// A download from the browser (see [`Request::Handoff`]).
    pub async fn hand_over(
        &mut self,
        request: EngineRequest,
        file: Option<HandedFile>,
        ask: bool,
    ) -> Result<Handover, ClientError> {
        let request = Request::Handoff {
            request: Box::new(request),
            file,
            ask,
        };
        self.ask(&request, |answer| match answer {
            Response::HandedOver { handover } => Ok(handover),
            other => Err(other),
        })
        .await
    }

    /// Links for the window to list (see [`Request::Links`]).
    pub async fn offer_links(&mut self, requests: Vec<EngineRequest>) -> Result<(), ClientError> {
        self.ask(&Request::Links { requests }, |answer| match answer {
            Response::Done => Ok(()),
            other => Err(other),
        })
        .await
    }

    pub async fn list(&mut self) -> Result<Vec<Snapshot>, ClientError> {
        self.ask(&Request::List, |answer| match answer {
            Response::Snapshots { snapshots } => Ok(snapshots),
            other => Err(other),
        })
        .await
    }

    /// One operation, by id or unique id prefix.
    pub async fn show(&mut self, id: String) -> Result<Box<Snapshot>, ClientError> {
        self.ask(&Request::Show { id }, |answer| match answer {
            Response::Snapshot { snapshot } => Ok(snapshot),
            other => Err(other),
        })
        .await
    }

    pub async fn pause(&mut self, target: Target) -> Result<Changed, ClientError> {
        self.change(&Request::Pause { target }).await
    }

    pub async fn resume(&mut self, target: Target) -> Result<Changed, ClientError> {
        self.change(&Request::Resume { target }).await
    }

    pub async fn cancel(&mut self, id: String) -> Result<Changed, ClientError> {
        self.change(&Request::Cancel { id }).await
    }

    pub async fn restart(&mut self, id: String) -> Result<Changed, ClientError> {
        self.change(&Request::Restart { id }).await
    }

    /// Continue a download from a new address (refused if it serves another file).
    pub async fn refresh(&mut self, id: String, url: String) -> Result<Changed, ClientError> {
        self.change(&Request::Refresh { id, url }).await
    }

    /// Download a new address from the start in place of what a download had.
    pub async fn start_over(&mut self, id: String, url: String) -> Result<Changed, ClientError> {
        self.change(&Request::StartOver { id, url }).await
    }

    pub async fn remove(&mut self, id: String) -> Result<Changed, ClientError> {
        self.change(&Request::Remove { id }).await
    }

    pub async fn set_policy(
        &mut self,
        id: String,
        policy: CostPolicy,
    ) -> Result<Changed, ClientError> {
        self.change(&Request::SetPolicy { id, policy }).await
    }

    pub async fn set_priority(
        &mut self,
        id: String,
        priority: Priority,
    ) -> Result<Changed, ClientError> {
        self.change(&Request::SetPriority { id, priority }).await
    }

    /// Move a waiting operation in the queue.
    pub async fn move_in_queue(&mut self, id: String, place: Spot) -> Result<Changed, ClientError> {
        self.change(&Request::Move { id, place }).await
    }

    /// One operation's speed limit (`id`), or the global one (`None`).
    pub async fn set_limit(
        &mut self,
        id: Option<String>,
        limit: Option<u64>,
    ) -> Result<Changed, ClientError> {
        self.change(&Request::SetLimit { id, limit }).await
    }

    async fn change(&mut self, request: &Request) -> Result<Changed, ClientError> {
        self.ask(request, |answer| match answer {
            Response::Snapshot { snapshot } => Ok(Changed::One(snapshot)),
            Response::Count { count } => Ok(Changed::Count(count)),
            Response::Done => Ok(Changed::Done),
            other => Err(other),
        })
        .await
    }
}
