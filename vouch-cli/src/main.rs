//! The `vouch` command line: the capabilities of the vouch libraries from a
//! shell. Thin on purpose: every decision is made in the libraries.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod exit;
mod git;

use exit::{CliError, EXIT_CODES_HELP, Outcome};

/// vouch: who wrote this code, who built it, who deployed it, who approved it, and can we prove it?
#[derive(Parser, Debug)]
#[command(name = "vouch", version, after_help = EXIT_CODES_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Git commit signing and verification (SSHSIG, through gpg.ssh.program).
    Git(git::GitArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap prints help and version to stdout with success; usage errors exit 2.
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    let result = match cli.command {
        Command::Git(args) => git::run(args),
    };
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Refused) => ExitCode::from(1),
        Err(e) => {
            e.report();
            e.exit_code()
        }
    }
}

#[allow(dead_code)]
fn _uses(_: CliError) {}
