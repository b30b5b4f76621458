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
    /// them); every other file must be a signed statement, kept byte for
    /// byte. `vouch verify --bundle` reads the file, or a directory of such
    /// files directly.
    Create(CreateArgs),
}

/// Arguments of `vouch bundle create`.
#[derive(Args, Debug)]
pub(crate) struct CreateArgs {
    /// Where to write the bundle.
    #[arg(short = 'o', long = "out", value_name = "BUNDLE")]
    out: PathBuf,
    /// Signed statements and *.commit files.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
}

/// Runs `vouch bundle ...`.
pub(crate) fn run(command: BundleCommand) -> CliResult {
    let BundleCommand::Create(args) = command;
    let progress = Progress::bar(args.files.len() as u64, "bundling");
    let mut bundle = Bundle::new();
    let (mut statements, mut commits) = (0usize, 0usize);
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
            bundle.add_envelope(bytes);
            statements += 1;
        }
        progress.inc();
    }
    drop(progress);
    let bytes = bundle
        .to_bytes()
        .map_err(|e| CliError::usage("cannot encode the bundle", e))?;
    crate::io::write(&args.out, &bytes)?;
    crate::io::outln!(
        "{} statements and {} commit objects written to {}",
        statements,
        commits,
        args.out.display()
    );
    Ok(Outcome::Done)
}
