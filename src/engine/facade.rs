//! The engine's methods, by concern; the types they work on (`Engine`, `Inner`,
//! `State`) and the core of persisting and announcing are in `engine.rs`. These
//! files are part of the engine's root: they may use any engine module; other
//! modules reach them only as methods of `Inner` (cancel in place, requeue,
//! check a group…), never by path.

mod admission;
mod control;
mod groups;
mod startup;

pub use admission::Submitted;
