//! `vouch gate serve`: run the Kubernetes admission webhook (vouch-gate);
//! `vouch gate review`: the webhook's answer to one AdmissionReview, without
//! serving.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use vouch_core::Timestamp;
use vouch_gate::config::Config;
use vouch_gate::gate::Gate;
use vouch_gate::review::MAX_REVIEW_BYTES;

use crate::exit::{CliError, CliResult, Outcome};
use crate::io::{Input, read};

/// `vouch gate ...`.
#[derive(Subcommand, Debug)]
pub(crate) enum GateCommand {
    /// Serve the validating admission webhook (HTTPS, POST /validate) and
    /// its health and metrics port until the process is stopped.
    Serve(ServeArgs),
    /// Answer one AdmissionReview (a file, as the API server sends it) as
    /// the webhook would, without serving: the response on stdout, the
    /// decision and its reasons on stderr; exit 0 when allowed, 1 when
    /// denied.
    ///
    /// It reads the same configuration as `serve` and uses its cluster,
    /// environment, workload label, exempt namespaces, dry-run, trust files
    /// and bundle sources; the TLS, listen, audit and cache settings are
    /// not used, and no admission record is written or read (a deployment
    /// older than its max_age is denied here).
    Review(ReviewArgs),
}

/// Arguments of `vouch gate review`.
#[derive(Args, Debug)]
pub(crate) struct ReviewArgs {
    /// The gate's configuration (TOML; see deploy/gate.yaml).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Decide as at this time (RFC 3339) instead of now.
    #[arg(long, value_name = "TIME")]
    at: Option<Timestamp>,
    /// The AdmissionReview (admission.k8s.io/v1, JSON).
    #[arg(value_name = "REVIEW")]
    review: PathBuf,
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
        GateCommand::Review(args) => review(&args),
        GateCommand::Serve(args) => {
            let config = read_config(&args.config)?;
            vouch_gate::serve(config)
                .map_err(|e| CliError::refused("vouch gate cannot start", e))?;
            Ok(Outcome::Done)
        }
    }
}

fn read_config(path: &std::path::Path) -> Result<Config, CliError> {
    Config::read(path).map_err(|e| {
        CliError::usage(
            format!("cannot use the configuration {}", path.display()),
            e,
        )
    })
}

/// `vouch gate review`: the gate as `serve` builds it, but without a cache
/// or admission records, asked once.
fn review(args: &ReviewArgs) -> CliResult {
    let config = read_config(&args.config)?;
    let now = args.at.unwrap_or_else(Timestamp::now);
    let trust = vouch_gate::trust::load(&config.trust, now)
        .map_err(|e| CliError::refused("vouch gate cannot use its trust files", e))?;
    let body = read(
        &args.review,
        Input::new("AdmissionReview", MAX_REVIEW_BYTES),
    )?;
    let review = vouch_gate::review::decode(&body).map_err(|e| {
        CliError::usage(
            format!("cannot read the AdmissionReview {}", args.review.display()),
            e,
        )
    })?;
    let sources = vouch_gate::server::sources(&config).map_err(|e| {
        CliError::usage(
            format!("cannot use the bundle sources of {}", args.config.display()),
            e,
        )
    })?;
    let gate = Gate::new(
        vouch_gate::server::settings(&config),
        Arc::new(trust.verifier),
        trust.policy_digest,
        sources,
        0,
    );
    let reviewed = gate.review(&review.request, now);
    let response = vouch_gate::review::respond(&review.request.uid, &reviewed.decision);
    println!("{}", String::from_utf8_lossy(&response));
    let decision = &reviewed.decision;
    // The message comes from statements and the object: the gate bounds
    // and cleans it for a response; escape it again for a terminal.
    let message = vouch_core::text::Escaped(&decision.message);
    if decision.allowed {
        eprintln!("vouch gate allowed");
        for warning in &decision.warnings {
            eprintln!("  warning: {}", vouch_core::text::Escaped(warning));
        }
        Ok(Outcome::Done)
    } else {
        // The message says "vouch gate denied: ..." itself.
        eprintln!("{message}");
        Ok(Outcome::Refused)
    }
}
