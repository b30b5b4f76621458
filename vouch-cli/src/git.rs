//! `vouch git ...`: being written.

use clap::Args;

use crate::exit::CliResult;

/// Arguments of `vouch git`.
#[derive(Args, Debug)]
pub struct GitArgs {}

/// Runs `vouch git`.
pub fn run(_args: GitArgs) -> CliResult {
    Err(crate::exit::CliError::usage_msg("vouch git: not built yet"))
}
