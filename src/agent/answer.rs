//! The answers to the socket's requests that the engine alone gives (those
//! that need the agent itself, the window or the connection are in `serve`).

use crate::engine::{self, Engine, EngineError, OperationId, Place};
use crate::ipc::{ErrorCode, Request, Response, Spot, Target};

pub(super) async fn dispatch(engine: &Engine, request: Request) -> Response {
    match answer(engine, request).await {
        Ok(response) => response,
        Err(error) => Response::from(&error),
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "one arm per socket request, each a call and its answer: splitting it would only scatter the protocol"
)]
async fn answer(engine: &Engine, request: Request) -> Result<Response, EngineError> {
    let snapshot_of = |id: OperationId| -> Result<Response, EngineError> {
        let snapshot = engine
            .get(id)
            .ok_or_else(|| EngineError::NotFound(id.to_string()))?;
        Ok(Response::Snapshot {
            snapshot: Box::new(snapshot),
        })
    };
    Ok(match request {
        Request::Create { request } => {
            let submitted = engine.submit(*request).await?;
            Response::Created {
                snapshot: Box::new(submitted.snapshot),
                attached: submitted.attached,
            }
        }
        Request::List => Response::Snapshots {
            snapshots: engine.list(),
        },
        Request::Show { id } => snapshot_of(engine.resolve(&id)?)?,
        Request::Pause {
            target: Target::All,
        } => Response::Count {
            count: engine.pause_all().await?,
        },
        Request::Resume {
            target: Target::All,
        } => Response::Count {
            count: engine.resume_all().await?,
        },
        Request::Pause {
            target: Target::Id(id),
        } => {
            let id = engine.resolve(&id)?;
            engine.pause(id).await?;
            snapshot_of(id)?
        }
        Request::Resume {
            target: Target::Id(id),
        } => {
            let id = engine.resolve(&id)?;
            engine.resume(id).await?;
            snapshot_of(id)?
        }
        Request::Cancel { id } => {
            let id = engine.resolve(&id)?;
            engine.cancel(id).await?;
            snapshot_of(id)?
        }
        Request::Restart { id } => {
            let id = engine.resolve(&id)?;
            engine.restart(id).await?;
            snapshot_of(id)?
        }
        Request::Refresh { id, url } => {
            let id = engine.resolve(&id)?;
            let snapshot = engine.refresh(id, &url).await?;
            Response::Snapshot {
                snapshot: Box::new(snapshot),
            }
        }
        Request::StartOver { id, url } => {
            let id = engine.resolve(&id)?;
            let snapshot = engine.start_over(id, &url).await?;
            Response::Snapshot {
                snapshot: Box::new(snapshot),
            }
        }
        Request::Remove { id } => {
            engine.remove(engine.resolve(&id)?).await?;
            Response::Done
        }
        Request::SetPolicy { id, policy } => {
            let id = engine.resolve(&id)?;
            engine.set_policy(id, policy).await?;
            snapshot_of(id)?
        }
        Request::SetLimit { id: None, limit } => {
            engine.set_limit(limit);
            Response::Done
        }
        Request::SetLimit {
            id: Some(id),
            limit,
        } => {
            let id = engine.resolve(&id)?;
            engine.set_operation_limit(id, limit).await?;
            snapshot_of(id)?
        }
        Request::SetPriority { id, priority } => {
            let id = engine.resolve(&id)?;
            engine.set_priority(id, priority).await?;
            snapshot_of(id)?
        }
        Request::Move { id, place } => {
            let id = engine.resolve(&id)?;
            let place = match place {
                Spot::First => Place::First,
                Spot::Last => Place::Last,
                Spot::Up => Place::Up,
                Spot::Down => Place::Down,
                Spot::Before(other) => Place::Before(engine.resolve(&other)?),
                Spot::After(other) => Place::After(engine.resolve(&other)?),
            };
            engine.move_in_queue(id, place).await?;
            snapshot_of(id)?
        }
        Request::CreateGroup {
            name,
            behavior,
            action,
            when_done,
        } => group_response(
            engine,
            engine
                .create_group(&name, behavior, action, when_done)
                .await?,
        ),
        Request::EnableGroup { name } => group_response(engine, engine.enable_group(&name).await?),
        Request::Stats => Response::Stats {
            days: engine.traffic(),
        },
        Request::Schedule => Response::Schedule {
            rules: engine.schedule(),
        },
        Request::SetSchedule { rules } => {
            engine.set_schedule(rules);
            Response::Schedule {
                rules: engine.schedule(),
            }
        }
        Request::Groups => Response::Groups {
            groups: engine.groups(),
        },
        Request::ShowGroup { name } => {
            let group = engine
                .group(&name)
                .ok_or(engine::InvalidRequest::NoSuchGroup(name))?;
            group_response(engine, group)
        }
        Request::Status => Response::Status {
            network: engine.network_state(),
            usage: engine.data_usage(),
        },
        Request::Hello { .. }
        | Request::Watch { .. }
        | Request::Read { .. }
        | Request::Quit
        | Request::WhenDone { .. }
        | Request::ShowWindow
        | Request::Handoff { .. }
        | Request::Links { .. } => Response::error(ErrorCode::Protocol, "not valid here"),
    })
}

fn group_response(engine: &Engine, group: engine::Group) -> Response {
    Response::Group {
        members: engine.members(&group.name),
        group: Box::new(group),
    }
}
