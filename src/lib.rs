//! Ferry: a download and upload manager that keeps transfers going in the
//! background. The engine owns transfers and their persistence; the agent serves it
//! on a local socket; the command line and the desktop app are its clients.

// What the binary, the tests and the benches use is `pub`; the rest says
// `pub(crate)`, so the public surface is what it looks like.
#![warn(unreachable_pub)]

pub mod agent;
pub mod browser;
pub mod cli;
pub mod config;
pub mod data_dir;
pub mod engine;
pub mod ipc;
pub mod logging;
pub mod rpc;
pub mod system;
