//! `vouch gate serve`: run the Kubernetes admission webhook (vouch-gate).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::exit::{CliError, CliResult, Outcome};

/// `vouch gate ...`.
#[derive(Subcommand, Debug)]
pub(crate) enum GateCommand {
    /// Serve the validating admission webhook (HTTPS, POST /validate) and
    /// its health and metrics port until the process is stopped.
    Serve(ServeArgs),
}

/// Arguments of `vouch gate serve`.
#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// The gate's configuration (TOML; see deploy/gate.yaml).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
}

/// Runs `vouch gate ...`: a configuration that cannot be read is exit 2,
/// trust inputs that are refused (roster, policy, TLS) exit 1.
pub(crate) fn run(command: GateCommand) -> CliResult {
    match command {
        GateCommand::Serve(args) => {
            let config = vouch_gate::config::Config::read(&args.config).map_err(|e| {
                CliError::usage(
                    format!("cannot use the configuration {}", args.config.display()),
                    e,
                )
            })?;
            vouch_gate::serve(config)
                .map_err(|e| CliError::refused("vouch gate cannot start", e))?;
            Ok(Outcome::Done)
        }
    }
}
