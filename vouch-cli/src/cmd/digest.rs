//! `vouch digest` and `vouch manifest tree`: content digests of files and trees.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use vouch_core::Digest;
use vouch_manifest::tree::{TreeManifest, TreeOptions};

use crate::exit::{CliError, CliResult, Outcome};
use crate::progress::Progress;

/// How directories are walked (the same options must be used to build and
/// to check a manifest).
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct TreeArgs {
    /// Record `.git` directories and files too (skipped by default).
    #[arg(long)]
    include_git: bool,
    /// Skip anything matching PATTERN: a name, `*suffix`, `prefix*`, or a
    /// relative path without `*` (repeatable).
    #[arg(long, value_name = "PATTERN")]
    ignore: Vec<String>,
}

impl TreeArgs {
    /// The library's options.
    pub(crate) fn options(&self) -> TreeOptions {
        TreeOptions {
            include_git: self.include_git,
            ignore: self.ignore.clone(),
            threads: None,
        }
    }
}

/// Arguments of `vouch digest`.
#[derive(Args, Debug)]
pub(crate) struct DigestArgs {
    /// Files and directories. A file's digest is SHA-256 of its bytes; a
    /// directory's is the root digest of its content manifest (see `vouch
    /// manifest tree`).
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
    /// Treat each file as a signed statement and print the statement's
    /// digest: the name other statements and `vouch verify` use for it.
    #[arg(long, conflicts_with = "timestamped")]
    statement: bool,
    /// Treat each file as a signed statement and print the digest an RFC
    /// 3161 timestamp of it must carry as its message imprint: SHA-256 of
    /// the envelope as signed, without the receipts it carries.
    #[arg(long)]
    timestamped: bool,
    /// How directories are walked.
    #[command(flatten)]
    tree: TreeArgs,
}

/// `vouch manifest ...`
#[derive(Subcommand, Debug)]
pub(crate) enum ManifestCommand {
    /// Build the reproducible content manifest of a directory tree.
    ///
    /// Every regular file (path, size, SHA-256, executable bit) and symbolic
    /// link (its target text) under DIR, sorted by path, with one root
    /// digest over the list. `.git` is skipped unless --include-git is
    /// given. Written as canonical CBOR with -o, as JSON on standard output
    /// otherwise (or with --json).
    Tree(TreeCommandArgs),
}

/// Arguments of `vouch manifest tree`.
#[derive(Args, Debug)]
pub(crate) struct TreeCommandArgs {
    /// The directory.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Write the manifest to FILE (canonical CBOR unless --json).
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    out: Option<PathBuf>,
    /// Write JSON (the default without -o).
    #[arg(long)]
    json: bool,
    /// How the directory is walked.
    #[command(flatten)]
    tree: TreeArgs,
}

/// Builds a directory's manifest, with a spinner on a terminal.
pub(crate) fn build_tree(dir: &Path, options: &TreeOptions) -> Result<TreeManifest, CliError> {
    let _progress = Progress::spinner(format!("hashing {}", dir.display()));
    TreeManifest::build(dir, options).map_err(|e| {
        CliError::usage(
            format!("cannot build the content manifest of {}", dir.display()),
            e,
        )
    })
}

/// The digest of a signed statement file: SHA-256 of its canonical statement bytes.
pub(crate) fn statement_digest(path: &Path) -> Result<Digest, CliError> {
    let bytes = crate::io::read(path, crate::io::Input::SIGNED)?;
    let envelope = vouch_core::cose::Sign::from_bytes(&bytes)
        .map_err(|e| CliError::usage(format!("{} is not a signed statement", path.display()), e))?;
    Ok(Digest::sha256(envelope.unverified_payload()))
}

/// Runs `vouch digest`.
pub(crate) fn run(args: DigestArgs) -> CliResult {
    let options = args.tree.options();
    for path in &args.paths {
        let digest = if args.statement {
            statement_digest(path)?
        } else if args.timestamped {
            let bytes = crate::io::read(path, crate::io::Input::SIGNED)?;
            vouch_chain::timestamped_digest(&bytes).map_err(|e| {
                CliError::usage(format!("{} is not a signed statement", path.display()), e)
            })?
        } else if path.is_dir() {
            build_tree(path, &options)?.root()
        } else {
            Digest::sha256_file(path)
                .map_err(|e| CliError::usage(format!("cannot read {}", path.display()), e))?
        };
        crate::io::outln!("{digest}  {}", path.display());
    }
    Ok(Outcome::Done)
}

/// Runs `vouch manifest ...`.
pub(crate) fn run_manifest(command: ManifestCommand) -> CliResult {
    let ManifestCommand::Tree(args) = command;
    let manifest = build_tree(&args.dir, &args.tree.options())?;
    let json = || {
        serde_json::to_vec_pretty(&manifest)
            .map(|mut v| {
                v.push(b'\n');
                v
            })
            .map_err(|e| CliError::usage("cannot encode the manifest as JSON", e))
    };
    match &args.out {
        None => crate::io::write(Path::new("-"), &json()?)?,
        Some(out) => {
            let bytes = if args.json {
                json()?
            } else {
                manifest
                    .to_canonical_bytes()
                    .map_err(|e| CliError::usage("cannot encode the manifest", e))?
            };
            crate::io::write(out, &bytes)?;
            crate::io::outln!(
                "{}  {} ({} entries)",
                manifest.root(),
                out.display(),
                manifest.entries().len()
            );
        }
    }
    Ok(Outcome::Done)
}
