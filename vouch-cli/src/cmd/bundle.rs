//! `vouch bundle create`: signed statements and commit objects in one file.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use vouch_chain::Bundle;
use vouch_core::cose::Sign;
use vouch_git::commit::{CommitObject, ObjectFormat};
use vouch_manifest::STATEMENT_CONTENT_TYPE;

use crate::exit::{CliError, CliResult, Outcome};
use crate::progress::Progress;

/// `vouch bundle ...`
#[derive(Subcommand, Debug)]
pub(crate) enum BundleCommand {
    /// Gather signed statements and raw git commit objects into one bundle file.
    ///
    /// Files ending in .commit are raw commit objects (as `git cat-file
    /// commit` prints them, or `vouch attest commit --object-out` writes
    /// them); files ending in .tag are raw annotated tag objects (`git
    /// cat-file tag`, or `vouch attest release --tag-out`); files ending
    /// in .sigstore.json are Sigstore bundles (e.g.
    /// from `cosign attest`), kept as written, which `vouch verify` built
    /// with feature sigstore counts as evidence; every other file must be
    /// a signed statement, kept byte for byte. `vouch verify --bundle`
    /// reads the file, or a directory of such files directly.
    ///
    /// A file NAME.tst is an RFC 3161 timestamp token (DER) of the signed
    /// statement in file NAME, which must be given too: its message imprint
    /// is SHA-256 of the statement as signed (`vouch digest --timestamped
    /// NAME` prints it; `openssl ts -query -digest HEX -sha256` asks a TSA
    /// for it). A file NAME.inclusion is a checkpoint-bound inclusion proof
    /// of NAME (`vouch log prove`, cosigned with `vouch log cosign`).
    /// Receipts of transparency logs travel inside the statements.
    Create(CreateArgs),
}

/// Arguments of `vouch bundle create`.
#[derive(Args, Debug)]
pub(crate) struct CreateArgs {
    /// Where to write the bundle.
    #[arg(short = 'o', long = "out", value_name = "BUNDLE")]
    out: PathBuf,
    /// Signed statements, *.commit, *.tag and *.sigstore.json files.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
}

/// An RFC 3161 token: a few KiB, bounded as vouch-core bounds them.
const TIMESTAMP: crate::io::Input =
    crate::io::Input::new("timestamp token", vouch_core::timestamp::MAX_TOKEN_LEN);
/// A checkpoint-bound inclusion proof.
pub(crate) const INCLUSION: crate::io::Input =
    crate::io::Input::new("inclusion proof", vouch_chain::MAX_INCLUSION);
/// A Sigstore bundle.
const TAG: crate::io::Input = crate::io::Input::new("git tag object", vouch_git::tag::MAX_TAG_LEN);

const SIGSTORE: crate::io::Input =
    crate::io::Input::new("Sigstore bundle", vouch_chain::MAX_SIGSTORE_BUNDLE);

/// Runs `vouch bundle ...`.
pub(crate) fn run(command: BundleCommand) -> CliResult {
    let BundleCommand::Create(args) = command;
    let progress = Progress::bar(args.files.len() as u64, "bundling");
    let mut bundle = Bundle::new();
    let (mut statements, mut commits) = (0usize, 0usize);
    let mut envelopes = std::collections::HashMap::new();
    let mut tokens = Vec::new();
    for path in &args.files {
        if path.extension().is_some_and(|x| x == "commit") {
            let bytes = crate::io::read(path, crate::io::Input::COMMIT)?;
            // Parsed now, as the verifier will parse it (either object
            // format), so garbage is refused here rather than carried.
            CommitObject::parse(&bytes, ObjectFormat::Sha1)
                .or_else(|_| CommitObject::parse(&bytes, ObjectFormat::Sha256))
                .map_err(|e| {
                    CliError::usage(format!("{} is not a git commit object", path.display()), e)
                })?;
            bundle.add_commit_object(bytes);
            commits += 1;
        } else if path.extension().is_some_and(|x| x == "tag") {
            let bytes = crate::io::read(path, TAG)?;
            vouch_git::tag::TagObject::parse(&bytes, ObjectFormat::Sha1)
                .or_else(|_| vouch_git::tag::TagObject::parse(&bytes, ObjectFormat::Sha256))
                .map_err(|e| {
                    CliError::usage(format!("{} is not a git tag object", path.display()), e)
                })?;
            bundle.add_tag_object(bytes);
            commits += 1;
        } else if path.extension().is_some_and(|x| x == "tst") {
            let bytes = crate::io::read(path, TIMESTAMP)?;
            tokens.push((path.with_extension(""), false, bytes));
        } else if path.extension().is_some_and(|x| x == "inclusion") {
            let bytes = crate::io::read(path, INCLUSION)?;
            tokens.push((path.with_extension(""), true, bytes));
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".sigstore.json"))
        {
            let bytes = crate::io::read(path, SIGSTORE)?;
            bundle
                .add_sigstore(bytes)
                .map_err(|e| CliError::usage(format!("{}", path.display()), e))?;
            statements += 1;
        } else {
            let bytes = crate::io::read(path, crate::io::Input::SIGNED)?;
            let envelope = Sign::from_bytes(&bytes).map_err(|e| {
                CliError::usage(format!("{} is not a signed statement", path.display()), e)
            })?;
            if envelope.content_type() != Some(STATEMENT_CONTENT_TYPE) {
                return Err(CliError::usage_msg(format!(
                    "{} is a COSE_Sign envelope but not a vouch statement",
                    path.display()
                )));
            }
            envelopes.insert(path.clone(), bytes.clone());
            bundle.add_envelope(bytes);
            statements += 1;
        }
        progress.inc();
    }
    drop(progress);
    let timestamps = tokens.len();
    for (path, inclusion, bytes) in tokens {
        let Some(envelope) = envelopes.get(&path) else {
            return Err(CliError::usage_msg(format!(
                "a proof of time (.tst, .inclusion) of {}, which is not among the files given",
                path.display()
            )));
        };
        let added = if inclusion {
            vouch_chain::Inclusion::from_bytes(&bytes)
                .and_then(|i| bundle.add_inclusion(envelope, i))
        } else {
            bundle.add_timestamp(envelope, bytes)
        };
        added.map_err(|e| {
            CliError::usage(
                format!("cannot add the proof of time of {}", path.display()),
                e,
            )
        })?;
    }
    let bytes = bundle
        .to_bytes()
        .map_err(|e| CliError::usage("cannot encode the bundle", e))?;
    crate::io::write(&args.out, &bytes)?;
    if timestamps == 0 {
        crate::io::outln!(
            "{} statements and {} commit objects written to {}",
            statements,
            commits,
            args.out.display()
        );
    } else {
        crate::io::outln!(
            "{} statements, {} commit objects and {} proofs of time written to {}",
            statements,
            commits,
            timestamps,
            args.out.display()
        );
    }
    Ok(Outcome::Done)
}
