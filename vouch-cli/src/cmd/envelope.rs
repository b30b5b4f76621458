//! `vouch envelope sign|verify`: COSE_Sign1 envelopes of arbitrary payloads.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use vouch_core::cose::Sign1;

use crate::cmd::SignerArgs;
use crate::exit::{CliError, CliResult, Outcome};

/// `vouch envelope ...`
#[derive(Subcommand, Debug)]
pub(crate) enum EnvelopeCommand {
    /// Sign a payload into a COSE_Sign1 envelope (RFC 9052).
    ///
    /// The protected header holds the algorithm, the key id and the content
    /// type; the payload is carried inside the envelope.
    Sign(SignArgs),
    /// Verify a COSE_Sign1 envelope with a public key; print the key id and
    /// the payload's length, or write the payload with --payload-out.
    Verify(VerifyArgs),
}

/// Arguments of `vouch envelope sign`.
#[derive(Args, Debug)]
pub(crate) struct SignArgs {
    /// The signing key.
    #[command(flatten)]
    signer: SignerArgs,
    /// The payload's media type (type/subtype).
    #[arg(long, value_name = "T", default_value = "application/octet-stream")]
    content_type: String,
    /// The file to sign (`-` for standard input).
    #[arg(value_name = "PAYLOAD")]
    payload: PathBuf,
    /// Where to write the envelope (`-` for standard output).
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    out: PathBuf,
}

/// Arguments of `vouch envelope verify`.
#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// The public key: an OpenSSH public key line (inline or in a file), or a
    /// file with PEM SubjectPublicKeyInfo or a COSE_Key.
    #[arg(long, value_name = "PUB")]
    pubkey: String,
    /// The envelope file.
    #[arg(value_name = "ENVELOPE")]
    envelope: PathBuf,
    /// Write the verified payload to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    payload_out: Option<PathBuf>,
}

/// Runs `vouch envelope ...`.
pub(crate) fn run(command: EnvelopeCommand) -> CliResult {
    match command {
        EnvelopeCommand::Sign(a) => sign(a),
        EnvelopeCommand::Verify(a) => verify(a),
    }
}

/// `vouch envelope sign`.
fn sign(args: SignArgs) -> CliResult {
    let payload = crate::io::read(&args.payload, crate::io::Input::SIGNED)?;
    let signer = args.signer.open()?;
    let envelope = Sign1::sign(&*signer, &args.content_type, &payload)
        .and_then(|e| e.to_bytes())
        .map_err(|e| CliError::usage("cannot sign the envelope", e))?;
    crate::io::write(&args.out, &envelope)?;
    if args.out.as_os_str() != "-" {
        crate::io::outln!(
            "signed {} bytes with key {} into {}",
            payload.len(),
            signer.key_id(),
            args.out.display()
        );
    }
    Ok(Outcome::Done)
}

/// `vouch envelope verify`: a refusal exits 1.
fn verify(args: VerifyArgs) -> CliResult {
    let key = crate::io::public_key(&args.pubkey)?;
    let bytes = crate::io::read(&args.envelope, crate::io::Input::SIGNED)?;
    let refused = |e| CliError::refused(format!("envelope {} refused", args.envelope.display()), e);
    let envelope = Sign1::from_bytes(&bytes).map_err(refused)?;
    let verified = envelope.verify(&key).map_err(refused)?;
    let to_stdout = args
        .payload_out
        .as_deref()
        .is_some_and(|p| p.as_os_str() == "-");
    if let Some(out) = &args.payload_out {
        crate::io::write(out, verified.value())?;
    }
    let summary = format!(
        "verified: key {} ({}), content type {}, payload {} bytes",
        key.key_id(),
        key.algorithm(),
        vouch_core::text::Escaped(envelope.content_type().unwrap_or("(none)")),
        verified.value().len()
    );
    if to_stdout {
        eprintln!("{summary}");
    } else {
        crate::io::outln!("{summary}");
    }
    Ok(Outcome::Done)
}
