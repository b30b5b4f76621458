//! The `vouch` command line: the capabilities of the vouch libraries from a
//! shell. Thin on purpose: every decision is made in the libraries.

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

/// One module per command group.
mod cmd;
/// Exit codes and the error type.
mod exit;
#[cfg(feature = "fido")]
mod fido;
// src/git.rs is another engineer's; its items may stay `pub`.
#[allow(unreachable_pub)]
mod git;
/// Reading and writing files, keys and passphrases.
mod io;
/// Progress indicators on a terminal.
mod progress;

use exit::{EXIT_CODES_HELP, Outcome};

/// vouch: who wrote this code, who built it, who deployed it, who approved it, and can we prove it?
#[derive(Parser, Debug)]
#[command(name = "vouch", version, after_help = EXIT_CODES_HELP)]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The command groups.
#[derive(Subcommand, Debug)]
enum Command {
    /// Generate keys and show what a key reference holds.
    #[command(subcommand)]
    Key(cmd::key::KeyCommand),
    /// Print the SHA-256 digest of files, or the content-manifest root of directories.
    Digest(cmd::digest::DigestArgs),
    /// Content manifests of directory trees.
    #[command(subcommand)]
    Manifest(cmd::digest::ManifestCommand),
    /// Sign and verify arbitrary payloads in COSE_Sign1 envelopes.
    #[command(subcommand)]
    Envelope(cmd::envelope::EnvelopeCommand),
    /// Sign and verify DSSE JSON envelopes (in-toto, SLSA, cosign).
    #[command(subcommand)]
    Dsse(cmd::dsse::DsseCommand),
    /// Build, sign, rotate and verify the roster: the trust root.
    #[command(subcommand, long_about = cmd::roster::LONG_ABOUT)]
    Roster(cmd::roster::RosterCommand),
    /// Make and sign the statements of the chain.
    #[command(subcommand, long_about = cmd::attest::LONG_ABOUT)]
    Attest(cmd::attest::AttestCommand),
    /// Add a signature to a signed statement.
    Cosign(cmd::attest::CosignArgs),
    /// Gather signed statements into one bundle file.
    #[command(subcommand)]
    Bundle(cmd::bundle::BundleCommand),
    /// Attach bundles to OCI images as OCI 1.1 artifacts, and fetch them.
    #[command(subcommand)]
    Oci(cmd::oci::OciCommand),
    /// Verify a deployment or image against a policy and a roster.
    Verify(cmd::verify::VerifyArgs),
    /// Git commit signing and verification (SSHSIG, through gpg.ssh.program).
    Git(git::GitArgs),
    /// Verify Sigstore bundles offline (cosign, GitHub attestations).
    #[command(subcommand)]
    Sigstore(cmd::sigstore::SigstoreCommand),
    /// The Kubernetes admission webhook.
    #[command(subcommand)]
    Gate(cmd::gate::GateCommand),
    /// A small transparency log of statements in a directory (C2SP tlog-tiles).
    #[command(subcommand, long_about = cmd::log::LONG_ABOUT)]
    Log(cmd::log::LogCommand),
    /// Verify package archives (.crate, wheels, sdists, npm tarballs, zip, tar) against their releases.
    #[command(subcommand)]
    Package(cmd::package::PackageCommand),
}

/// Puts the exit codes under the help of every command that has no text
/// of its own there.
fn with_exit_codes(command: clap::Command) -> clap::Command {
    let command = if command.get_after_help().is_none() {
        command.after_help(EXIT_CODES_HELP)
    } else {
        command
    };
    command.mut_subcommands(with_exit_codes)
}

/// Parses the command line; `Err` carries the exit code after clap printed
/// help, the version or a usage error.
fn parse() -> Result<Cli, ExitCode> {
    let report = |e: clap::Error| {
        // clap prints help and version to stdout with success; usage errors exit 2.
        let _ = e.print();
        if e.use_stderr() {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        }
    };
    let matches = with_exit_codes(Cli::command())
        .try_get_matches()
        .map_err(report)?;
    Cli::from_arg_matches(&matches).map_err(report)
}

/// Parses the command line, runs the command and maps its outcome to the exit code.
fn main() -> ExitCode {
    #[cfg(feature = "fido")]
    if let Some(code) = fido::answer_askpass() {
        return code;
    }
    let cli = match parse() {
        Ok(c) => c,
        Err(code) => return code,
    };
    let result = match cli.command {
        Command::Key(c) => cmd::key::run(c),
        Command::Digest(a) => cmd::digest::run(a),
        Command::Manifest(c) => cmd::digest::run_manifest(c),
        Command::Envelope(c) => cmd::envelope::run(c),
        Command::Dsse(c) => cmd::dsse::run(c),
        Command::Roster(c) => cmd::roster::run(c),
        Command::Attest(c) => cmd::attest::run(c),
        Command::Cosign(a) => cmd::attest::cosign(a),
        Command::Bundle(c) => cmd::bundle::run(c),
        Command::Oci(c) => cmd::oci::run(c),
        Command::Verify(a) => cmd::verify::run(a),
        Command::Git(args) => git::run(args),
        Command::Sigstore(c) => cmd::sigstore::run(c),
        Command::Log(c) => cmd::log::run(c),
        Command::Gate(c) => cmd::gate::run(c),
        Command::Package(c) => cmd::package::run(c),
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
