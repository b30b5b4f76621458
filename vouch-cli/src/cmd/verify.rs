//! `vouch verify`: may this run? The verdict, its trace, and an optional
//! signed SLSA verification summary.

use std::path::{Path, PathBuf};

use clap::Args;
use vouch_chain::{Bundle, ChainError, Placement, Policy, Target, Verifier};
use vouch_core::Timestamp;
use vouch_core::cose::Sign;
use vouch_manifest::{Deployment, Image, Predicate as _, Signed, peek_predicate_type};

use crate::cmd::PassphraseArgs;
use crate::cmd::trust::{RosterTrustArgs, UpstreamRosterArgs};
use crate::exit::{CliError, CliResult, Outcome};
use crate::progress::Progress;

/// The verifier id written into summaries unless --verifier-id says otherwise.
const DEFAULT_VERIFIER_ID: &str = "https://vouch.dev/verifier/vouch-cli";

/// Arguments of `vouch verify`.
#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// The policy (TOML, or JSON), as in examples/policy.toml.
    #[arg(long, value_name = "FILE")]
    policy: PathBuf,
    /// The roster file and how it is trusted.
    #[command(flatten)]
    trust: RosterTrustArgs,
    /// Upstream rosters the policy's [dependencies] pins, for [release]
    /// check_dependencies.
    #[command(flatten)]
    upstream: UpstreamRosterArgs,
    /// The bundle: a file from `vouch bundle create`, or a directory of
    /// signed statements and *.commit files.
    #[arg(long, value_name = "PATH")]
    bundle: PathBuf,
    /// What is about to run: deployment:sha256:<hex>, image:sha256:<hex>,
    /// sha256:<hex> (a deployment statement in the bundle, else an image),
    /// or a signed deployment or image statement file.
    #[arg(value_name = "TARGET")]
    target: String,
    /// Where the deployment is about to run: its statement must name this
    /// environment, so one made for another (staging) is refused here.
    #[arg(long, value_name = "NAME")]
    environment: Option<String>,
    /// The cluster it is about to run in (must equal the statement's).
    #[arg(long, value_name = "NAME")]
    cluster: Option<String>,
    /// The namespace it is about to run in (must equal the statement's).
    #[arg(long, value_name = "NAME")]
    namespace: Option<String>,
    /// The service it is about to run as (must equal the statement's).
    #[arg(long, value_name = "NAME")]
    service: Option<String>,
    /// Print the verdict as JSON instead of a text tree.
    #[arg(long)]
    json: bool,
    /// Evaluate the statements as of this time (RFC 3339 UTC; default now).
    /// The roster's own expiry is always checked at the real time.
    #[arg(long, value_name = "TIME")]
    at: Option<Timestamp>,
    /// Sign a SLSA verification summary of the verdict with this key...
    /// (a summary states what holds now: not with --at)
    #[arg(
        long,
        value_name = "KEYREF",
        requires = "summary_out",
        conflicts_with = "at"
    )]
    summary_key: Option<String>,
    /// ...and write it to FILE (written whether the verdict passes or fails).
    #[arg(long, value_name = "FILE", requires = "summary_key")]
    summary_out: Option<PathBuf>,
    /// The verifier id (a URI) in the summary.
    #[arg(long, value_name = "URI", default_value = DEFAULT_VERIFIER_ID)]
    verifier_id: String,
    /// The resource URI in the summary (default: the image digest).
    #[arg(long, value_name = "URI")]
    resource_uri: Option<String>,
    /// How to unlock the summary key.
    #[command(flatten)]
    passphrase: PassphraseArgs,
}

/// Parses TARGET: a target string, or a signed deployment or image statement file.
fn target(arg: &str) -> Result<Target, CliError> {
    let parse_error = match arg.parse::<Target>() {
        Ok(t) => return Ok(t),
        Err(e) => e,
    };
    let path = Path::new(arg);
    if !path.is_file() {
        return Err(CliError::usage(
            "invalid target, and no such file",
            parse_error,
        ));
    }
    let bytes = crate::io::read(path, crate::io::Input::SIGNED)?;
    let not_a_target = || {
        CliError::usage_msg(format!(
            "{} is not a signed deployment or image statement",
            path.display()
        ))
    };
    let envelope = Sign::from_bytes(&bytes).map_err(|_| not_a_target())?;
    match peek_predicate_type(envelope.unverified_payload()) {
        Ok(Some(Deployment::PREDICATE_TYPE)) => Signed::<Deployment>::from_envelope(envelope)
            .map(|s| Target::Deployment(s.digest()))
            .map_err(|_| not_a_target()),
        Ok(Some(Image::PREDICATE_TYPE)) => Signed::<Image>::from_envelope(envelope)
            .map(|s| Target::Image(s.unverified().predicate().image))
            .map_err(|_| not_a_target()),
        _ => Err(not_a_target()),
    }
}

/// Reads the bundle: a file or directory that cannot be read is unreadable
/// input (exit 2); one that does not decode is refused (exit 1).
pub(crate) fn bundle(path: &Path) -> Result<Bundle, CliError> {
    let _progress = Progress::spinner(format!("reading {}", path.display()));
    Bundle::read(path).map_err(|e| {
        let message = format!("bundle {} refused", path.display());
        match e {
            ChainError::Io { .. } => {
                CliError::usage(format!("cannot read bundle {}", path.display()), e)
            }
            _ => CliError::refused(message, e),
        }
    })
}

/// Runs `vouch verify`.
pub(crate) fn run(args: VerifyArgs) -> CliResult {
    let policy = Policy::from_bytes(&crate::io::read(&args.policy, crate::io::Input::POLICY)?)
        .map_err(|e| {
            CliError::usage(
                format!("cannot read the policy {}", args.policy.display()),
                e,
            )
        })?;
    let target = target(&args.target)?;
    let summary_signer = args
        .summary_key
        .as_deref()
        .map(|k| crate::io::open_signer(k, args.passphrase.file()))
        .transpose()?;
    let roster = args.trust.trusted()?;
    let upstream = args.upstream.trusted(&policy)?;
    let bundle = bundle(&args.bundle)?;
    let placement = Placement {
        environment: args.environment.clone(),
        cluster: args.cluster.clone(),
        namespace: args.namespace.clone(),
        service: args.service.clone(),
    };
    let verifier = Verifier::new(policy, roster).with_dependency_rosters(&upstream);
    let verdict = {
        let _progress = Progress::spinner("verifying");
        let at = args.at.unwrap_or_else(Timestamp::now);
        verifier.verify_placed(&bundle, &target, &placement, at)
    };
    if args.json {
        crate::io::outln!("{}", verdict.to_json());
    } else {
        crate::io::print(&verdict.render_text());
    }
    if let (Some(signer), Some(out)) = (summary_signer, &args.summary_out) {
        // The summary's subject is the image the verdict established.
        let summary = verdict
            .signed_summary(&*signer, &args.verifier_id, args.resource_uri.as_deref())
            .and_then(|s| Ok(s.to_bytes()?))
            .map_err(|e| CliError::usage("cannot sign the verification summary", e))?;
        crate::io::write(out, &summary)?;
        eprintln!("verification summary written to {}", out.display());
    }
    Ok(if verdict.passed() {
        Outcome::Done
    } else {
        Outcome::Refused
    })
}
