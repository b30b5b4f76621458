//! `vouch deps check`: who published each dependency of a lock file.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use vouch_chain::Policy;
use vouch_chain::deps::{DependencyChecker, DepsCheckError};
use vouch_core::Timestamp;
use vouch_deps::{Format, Lock};

use crate::cmd::trust::{RosterTrustArgs, UpstreamRosterArgs};
use crate::exit::{CliError, CliResult, Outcome};

/// `vouch deps ...`.
#[derive(Subcommand, Debug)]
pub(crate) enum DepsCommand {
    /// Check each dependency of a lock file (Cargo.lock, package-lock.json,
    /// pip requirements with --hash) for evidence of its publisher in a
    /// bundle: exit 0 when the policy's [dependencies] holds, 1 when not.
    Check(CheckArgs),
}

/// Arguments of `vouch deps check`.
#[derive(Args, Debug)]
pub(crate) struct CheckArgs {
    /// The lock file.
    #[arg(long, value_name = "FILE")]
    lock: PathBuf,
    /// Its format; by default from its name (Cargo.lock,
    /// package-lock.json, npm-shrinkwrap.json, *.txt / *.in for pip).
    #[arg(long, value_name = "cargo|npm|pip")]
    format: Option<Format>,
    /// The bundle: a file from `vouch bundle create`, or a directory.
    #[arg(long, value_name = "PATH")]
    bundle: PathBuf,
    /// The policy, with a [dependencies] section.
    #[arg(long, value_name = "FILE")]
    policy: PathBuf,
    /// The project's roster file and how it is trusted.
    #[command(flatten)]
    trust: RosterTrustArgs,
    /// Upstream rosters the policy pins.
    #[command(flatten)]
    upstream: UpstreamRosterArgs,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Evaluate the statements as of this time (RFC 3339 UTC; default now).
    #[arg(long, value_name = "TIME")]
    at: Option<Timestamp>,
}

/// Runs `vouch deps ...`.
pub(crate) fn run(command: DepsCommand) -> CliResult {
    match command {
        DepsCommand::Check(args) => check(args),
    }
}

fn check(args: CheckArgs) -> CliResult {
    let shown = args.lock.display();
    let format = match args.format {
        Some(f) => f,
        None => args
            .lock
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(Format::from_file_name)
            .ok_or_else(|| {
                CliError::usage_msg(format!(
                    "cannot tell the format of {shown} from its name: give --format cargo, npm or pip"
                ))
            })?,
    };
    let bytes = crate::io::read(
        &args.lock,
        crate::io::Input::new("lock file", vouch_deps::MAX_LOCK),
    )?;
    let lock = Lock::parse(format, &bytes)
        .map_err(|e| CliError::usage(format!("cannot read the lock file {shown}"), e))?;
    let policy = Policy::from_bytes(&crate::io::read(&args.policy, crate::io::Input::POLICY)?)
        .map_err(|e| {
            CliError::usage(
                format!("cannot read the policy {}", args.policy.display()),
                e,
            )
        })?;
    let project = args.trust.trusted()?;
    let upstream = args.upstream.trusted(&policy)?;
    let checker = DependencyChecker::new(&policy, &project, &upstream).map_err(|e| match e {
        DepsCheckError::NoSection => CliError::usage(
            format!(
                "the policy {} cannot check dependencies",
                args.policy.display()
            ),
            e,
        ),
        _ => CliError::usage("give the roster file the policy pins with --roster-file", e),
    })?;
    let bundle = crate::cmd::verify::bundle(&args.bundle)?;
    for include in &lock.includes {
        eprintln!(
            "note: {shown} line {} includes {} (not read: check it with its own --lock)",
            include.line,
            vouch_core::text::Escaped(&include.path)
        );
    }
    let report = checker.check(
        &bundle,
        &lock.dependencies,
        args.at.unwrap_or_else(Timestamp::now),
    );
    if args.json {
        crate::io::outln!("{}", report.to_json());
    } else {
        crate::io::print(&report.render_text());
    }
    Ok(if report.passed() {
        Outcome::Done
    } else {
        Outcome::Refused
    })
}
