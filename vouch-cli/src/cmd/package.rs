//! `vouch package verify`: a package archive against the release statement
//! that certifies it; and the archive reading that `vouch attest release
//! --archive` shares.

use std::path::{Path, PathBuf};
use vouch_core::text::escape;

use clap::{Args, Subcommand};
use vouch_chain::{Policy, Target, Verifier};
use vouch_core::{Digest, Timestamp};
use vouch_manifest::{Release, Signed};
use vouch_package::{Format, Package, PackageError, ReadOptions};

use crate::cmd::trust::RosterTrustArgs;
use crate::exit::{CliError, CliResult, Outcome};
use crate::progress::Progress;

/// `vouch package ...`.
#[derive(Subcommand, Debug)]
pub(crate) enum PackageCommand {
    /// Verify a package archive (.crate, wheel, sdist, npm .tgz, zip, tar)
    /// against the release statement that names its digest: the chain
    /// under the policy's release stage, then the archive's files against
    /// the release's contents.
    Verify(VerifyArgs),
}

/// How an archive's format is chosen (shared with `attest release`).
#[derive(Args, Debug, Clone)]
pub(crate) struct FormatArgs {
    /// The archive format, when its file name does not say it: crate,
    /// sdist, npm, wheel, zip, tar, tar-gz (decides the top-level
    /// directory stripped; see docs/packages.md).
    #[arg(long, value_name = "FORMAT")]
    pub(crate) format: Option<Format>,
}

/// Arguments of `vouch package verify`.
#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// The archive.
    #[arg(value_name = "FILE")]
    archive: PathBuf,
    /// The bundle: a file from `vouch bundle create`, or a directory of
    /// signed statements.
    #[arg(long, value_name = "PATH")]
    bundle: PathBuf,
    /// The roster file and how it is trusted.
    #[command(flatten)]
    trust: RosterTrustArgs,
    /// The policy (TOML, or JSON); its [release] stage judges the release.
    #[arg(long, value_name = "FILE")]
    policy: PathBuf,
    /// The archive format.
    #[command(flatten)]
    format: FormatArgs,
    /// Evaluate the statements as of this time (RFC 3339 UTC; default now).
    #[arg(long, value_name = "TIME")]
    at: Option<Timestamp>,
}

/// Reads and checks an archive file: the bytes within the archive bound,
/// then [`Package::read`]. A file that cannot be read is exit 2; an
/// archive refused (unsafe, malformed, over a bound) is exit 1.
pub(crate) fn read_archive(path: &Path, format: Option<Format>) -> Result<Package, CliError> {
    let max =
        usize::try_from(vouch_package::Limits::DEFAULT.max_archive_size).unwrap_or(usize::MAX);
    let bytes = crate::io::read(path, crate::io::Input::new("package archive", max))?;
    let name = path.file_name().and_then(|n| n.to_str());
    let options = ReadOptions {
        format,
        ..ReadOptions::default()
    };
    let _progress = Progress::spinner(format!("reading {}", path.display()));
    Package::read(&bytes, name, &options).map_err(|e| match e {
        // A format that cannot be told is a usage error: name it.
        PackageError::UnknownFormat { .. } => {
            CliError::usage(format!("cannot read {}", path.display()), e)
        }
        _ => CliError::refused(format!("archive {} refused", path.display()), e),
    })
}

/// The archive's file name, for its release subject.
pub(crate) fn archive_name(path: &Path) -> Result<String, CliError> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .ok_or_else(|| CliError::usage_msg(format!("{} has no UTF-8 file name", path.display())))
}

/// Prints what registries state of an archive.
fn print_package(path: &Path, p: &Package) {
    crate::io::outln!("archive   {}", path.display());
    crate::io::outln!(
        "format    {}{}",
        p.format(),
        p.top_directory()
            .map(|d| format!(" (top-level directory {}/ stripped)", escape(d)))
            .unwrap_or_default()
    );
    crate::io::outln!(
        "entries   {} files and links ({} members)",
        p.manifest().entries().len(),
        p.members()
    );
    crate::io::outln!("sha256    {}", p.sha256_hex());
    crate::io::outln!("sha512    {}", p.npm_integrity());
    crate::io::outln!("contents  {}", p.manifest().root());
}

/// The release statement with digest `digest` in the bundle.
fn release_in(bundle: &vouch_chain::Bundle, digest: &Digest) -> Option<Signed<Release>> {
    bundle
        .envelopes()
        .iter()
        .filter_map(|e| Signed::<Release>::from_bytes(e).ok())
        .find(|s| s.digest() == *digest)
}

/// Runs `vouch package ...`.
pub(crate) fn run(command: PackageCommand) -> CliResult {
    match command {
        PackageCommand::Verify(args) => verify(args),
    }
}

fn verify(args: VerifyArgs) -> CliResult {
    let policy = Policy::from_bytes(&crate::io::read(&args.policy, crate::io::Input::POLICY)?)
        .map_err(|e| {
            CliError::usage(
                format!("cannot read the policy {}", args.policy.display()),
                e,
            )
        })?;
    let roster = args.trust.trusted()?;
    let bundle = crate::cmd::verify::bundle(&args.bundle)?;
    let package = read_archive(&args.archive, args.format.format)?;
    print_package(&args.archive, &package);
    let verifier = Verifier::new(policy, roster);
    let target = Target::Release(package.sha256());
    let verdict = {
        let _progress = Progress::spinner("verifying");
        verifier.verify(&bundle, &target, args.at.unwrap_or_else(Timestamp::now))
    };
    crate::io::print(&verdict.render_text());
    if !verdict.passed() {
        return Ok(Outcome::Refused);
    }
    // The chain vouches for a release statement naming the archive's
    // digest; the archive's files must also be the ones it certifies
    // (a statement made by hand could name an archive with other
    // contents).
    let Some(statement) = verdict.trace().statement else {
        return Err(CliError::refused_msg(
            "the verdict names no release statement to compare contents with",
        ));
    };
    let Some(release) = release_in(&bundle, &statement) else {
        return Err(CliError::refused_msg(format!(
            "release statement {statement} is not in the bundle"
        )));
    };
    let release = release.unverified().predicate();
    // The statement's strings reach the terminal escaped.
    let (name, version) = (escape(&release.package), escape(&release.version));
    if let Err(e) = package.verify_contents(&release.contents) {
        // A format other than the release's strips another directory (or
        // none): say so, since that is the likely cause.
        let hint = match &release.archive {
            Some(a) if a.format != package.format().name() => format!(
                " (the release read it as {}, this run as {}: try --format {})",
                escape(&a.format),
                package.format(),
                escape(&a.format)
            ),
            _ => String::new(),
        };
        return Err(CliError::refused(
            format!(
                "{} is not the contents release {name} {version} certifies{hint}",
                args.archive.display(),
            ),
            e,
        ));
    }
    crate::io::outln!("contents match release {name} {version} (statement {statement})");
    // The stripped directory is not in the manifest: a `.crate` or sdist
    // renamed inside still matches its contents, so say when its name is
    // not the release's NAME-VERSION (sdists may normalize the name, so
    // this is a note, not a refusal).
    if let Some(top) = package.top_directory()
        && matches!(package.format(), Format::Crate | Format::Sdist)
        && top != format!("{}-{}", release.package, release.version)
    {
        eprintln!(
            "note: the archive's top-level directory {}/ is not {name}-{version}/",
            escape(top)
        );
    }
    Ok(Outcome::Done)
}
