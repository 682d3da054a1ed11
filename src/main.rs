//! `ferry`: pick the mode from the arguments. No subcommand opens the window
//! (asking a running agent for it, or becoming the agent); `ferry agent` runs the
//! agent (with its tray and app when there is a display); anything else is a
//! client command.

mod i18n;
mod platform;
mod ui;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use ferry::cli::{Cli, Command, Endpoint, Exit};
use ferry::config;
use ferry::ipc::{Request, Response};
use ferry::logging;
use ferry::{agent, data_dir};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let data_dir = cli
        .data_dir
        .clone()
        .unwrap_or_else(data_dir::default_data_dir);
    let config_path = cli.config.clone().unwrap_or_else(config::default_path);
    let endpoint = Endpoint {
        data_dir: data_dir.clone(),
        config: cli.config.clone(),
    };
    match cli.command {
        Some(Command::Completions { shell }) => {
            clap_complete::generate(shell, &mut Cli::command(), "ferry", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        None => open_window(&endpoint, data_dir, config_path),
        Some(Command::Agent) => {
            let with_app = ui::launch::display_available();
            become_agent(data_dir, config_path, with_app, false)
        }
        Some(command) => {
            logging::init_client();
            let Some(runtime) = runtime() else {
                return Exit::Unreachable.into();
            };
            let exit = runtime.block_on(ferry::cli::run(command, &endpoint));
            // A watch stream or a pending connection must not keep the process alive.
            runtime.shutdown_background();
            exit.into()
        }
    }
}

fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => Some(runtime),
        Err(e) => {
            eprintln!("ferry: cannot start: {e}");
            None
        }
    }
}

/// `ferry`: show the running agent's window, or become the agent with a window.
fn open_window(endpoint: &Endpoint, data_dir: PathBuf, config_path: PathBuf) -> ExitCode {
    let Some(runtime) = runtime() else {
        return Exit::Unreachable.into();
    };
    let asked = runtime.block_on(async {
        let mut client = endpoint.connect_existing().await.ok()??;
        client.call(&Request::ShowWindow).await.ok()
    });
    drop(runtime);
    match asked {
        Some(Response::Done) => ExitCode::SUCCESS,
        Some(Response::Error { message, .. }) => {
            eprintln!("ferry: {message}");
            Exit::Failed.into()
        }
        Some(_) => Exit::Unreachable.into(),
        None if ui::launch::display_available() => become_agent(data_dir, config_path, true, true),
        None => {
            let tr = i18n::Tr::new(config::load(&config_path).config.language);
            eprintln!("ferry: {}", i18n::tr!(tr, "app-no-display"));
            eprintln!();
            let _ = Cli::command().print_help();
            ExitCode::SUCCESS
        }
    }
}

fn become_agent(
    data_dir: PathBuf,
    config_path: PathBuf,
    with_app: bool,
    open_window: bool,
) -> ExitCode {
    if let Err(e) = data_dir::ensure_data_dir(&data_dir) {
        eprintln!("ferry: cannot create {}: {e}", data_dir.display());
        return ExitCode::FAILURE;
    }
    if let Err(e) = logging::init_agent(&data_dir) {
        eprintln!("ferry: cannot open the log file: {e}");
    }
    let result = if with_app {
        ui::launch::run(data_dir, config_path, open_window)
    } else {
        match runtime() {
            Some(runtime) => {
                let result = runtime.block_on(agent::run(data_dir, config_path));
                // A stop during start-up leaves the store's opening thread behind;
                // it holds nothing that must be finished.
                runtime.shutdown_timeout(std::time::Duration::from_millis(250));
                result
            }
            None => return ExitCode::FAILURE,
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("ferry: {e:#}");
            ExitCode::FAILURE
        }
    }
}
