//! Every integration suite in one test binary: `tests/support` and the crate are
//! compiled and linked once instead of once per suite (a large share of a clean
//! test build on two cores). Run one suite with `cargo test --test it download::`.

#[path = "../support/mod.rs"]
mod support;

mod access;
mod cli;
mod desktop;
mod download;
mod faults;
mod ftp;
mod fuzz;
mod groups;
mod integrity;
mod kill_loop;
mod limits;
mod many;
mod network;
mod reading;
mod security;
mod segmented;
mod tls;
mod upload;
mod window;
