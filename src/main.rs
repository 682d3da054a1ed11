//! `ferry`: pick the mode from the arguments (agent, client command, completions).

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use ferry::agent;
use ferry::cli::{Cli, Command, Endpoint, Exit};
use ferry::config;
use ferry::logging;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let data_dir = cli.data_dir.clone().unwrap_or_else(agent::default_data_dir);
    let command = match cli.command {
        Some(Command::Completions { shell }) => {
            clap_complete::generate(shell, &mut Cli::command(), "ferry", &mut std::io::stdout());
            return ExitCode::SUCCESS;
        }
        Some(command) => command,
        None => {
            // The desktop window is not built yet: show what the command line offers.
            let _ = Cli::command().print_help();
            return ExitCode::SUCCESS;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("ferry: cannot start: {e}");
            return Exit::Unreachable.into();
        }
    };
    if let Command::Agent = command {
        return runtime.block_on(run_agent(data_dir, cli.config));
    }
    logging::init_client();
    let endpoint = Endpoint {
        data_dir,
        config: cli.config,
    };
    let exit = runtime.block_on(ferry::cli::run(command, &endpoint));
    // A watch stream or a pending connection must not keep the process alive.
    runtime.shutdown_background();
    exit.into()
}

async fn run_agent(data_dir: std::path::PathBuf, config: Option<std::path::PathBuf>) -> ExitCode {
    if let Err(e) = agent::ensure_data_dir(&data_dir) {
        eprintln!("ferry: cannot create {}: {e}", data_dir.display());
        return ExitCode::FAILURE;
    }
    if let Err(e) = logging::init_agent(&data_dir) {
        eprintln!("ferry: cannot open the log file: {e}");
    }
    let config = config.unwrap_or_else(config::default_path);
    match agent::run(data_dir, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("ferry: {e:#}");
            ExitCode::FAILURE
        }
    }
}
