//! Every integration suite in one test binary: `tests/support` and the crate are
//! compiled and linked once instead of once per suite (a large share of a clean
//! test build on two cores). Run one suite with `cargo test --test it download::`.

// A test here is a scenario told from start to end (start a bus, a server, an
// agent; act; check what the user would see), so some are long on purpose.
#![allow(clippy::too_many_lines)]

#[path = "../support/mod.rs"]
mod support;

mod access;
mod architecture;
mod browser;
mod categories;
mod cli;
mod desktop;
mod download;
mod faults;
mod ftp;
mod fuzz;
mod groups;
mod inspect;
mod integrity;
mod kill_loop;
mod limits;
mod many;
mod network;
mod queue;
mod reading;
mod refresh;
mod resumed;
mod rpc;
mod schedule;
mod screenshots;
mod security;
mod segmented;
mod tls;
mod traffic;
mod upload;
mod when_done;
mod window;
