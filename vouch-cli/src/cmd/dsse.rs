//! `vouch dsse sign|verify`: DSSE JSON envelopes for the in-toto ecosystem.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use vouch_core::dsse::Envelope;

use crate::cmd::SignerArgs;
use crate::exit::{CliError, CliResult, Outcome};

/// `vouch dsse ...`
#[derive(Subcommand, Debug)]
pub(crate) enum DsseCommand {
    /// Sign a payload into a DSSE v1 JSON envelope.
    ///
    /// The signature covers the pre-authentication encoding of the payload
    /// type and the payload; the keyid written is the vouch key id (hex).
    /// In-toto statements use the payload type application/vnd.in-toto+json.
    Sign(SignArgs),
    /// Verify a DSSE envelope with a public key; print the key id, payload
    /// type and payload length, or write the payload with --payload-out.
    Verify(VerifyArgs),
}

/// Arguments of `vouch dsse sign`.
#[derive(Args, Debug)]
pub(crate) struct SignArgs {
    /// The signing key.
    #[command(flatten)]
    signer: SignerArgs,
    /// The payload type, e.g. application/vnd.in-toto+json.
    #[arg(long, value_name = "T")]
    payload_type: String,
    /// The file to sign (`-` for standard input).
    #[arg(value_name = "PAYLOAD")]
    payload: PathBuf,
    /// Where to write the envelope (`-` for standard output).
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    out: PathBuf,
}

/// Arguments of `vouch dsse verify`.
#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// The public key: an OpenSSH public key line (inline or in a file), or a
    /// file with PEM SubjectPublicKeyInfo or a COSE_Key.
    #[arg(long, value_name = "PUB")]
    pubkey: String,
    /// The envelope file.
    #[arg(value_name = "ENVELOPE")]
    envelope: PathBuf,
    /// Refuse the envelope unless its payload type is T.
    #[arg(long, value_name = "T")]
    payload_type: Option<String>,
    /// Write the verified payload to FILE (`-` for standard output).
    #[arg(long, value_name = "FILE")]
    payload_out: Option<PathBuf>,
}

/// Runs `vouch dsse ...`.
pub(crate) fn run(command: DsseCommand) -> CliResult {
    match command {
        DsseCommand::Sign(a) => sign(a),
        DsseCommand::Verify(a) => verify(a),
    }
}

/// `vouch dsse sign`.
fn sign(args: SignArgs) -> CliResult {
    let payload = crate::io::read(&args.payload, crate::io::Input::SIGNED)?;
    let len = payload.len();
    let signer = args.signer.open()?;
    let envelope = Envelope::sign(&*signer, args.payload_type, payload)
        .map_err(|e| CliError::usage("cannot sign the DSSE envelope", e))?;
    let mut json = envelope.to_json();
    json.push('\n');
    crate::io::write(&args.out, json.as_bytes())?;
    if args.out.as_os_str() != "-" {
        crate::io::outln!(
            "signed {len} bytes with key {} into {}",
            signer.key_id(),
            args.out.display()
        );
    }
    Ok(Outcome::Done)
}

/// `vouch dsse verify`: a refusal exits 1.
fn verify(args: VerifyArgs) -> CliResult {
    let key = crate::io::public_key(&args.pubkey)?;
    let bytes = crate::io::read(&args.envelope, crate::io::Input::SIGNED)?;
    let refused = |e| {
        CliError::refused(
            format!("DSSE envelope {} refused", args.envelope.display()),
            e,
        )
    };
    let envelope = Envelope::from_json(&bytes).map_err(refused)?;
    let verified = match &args.payload_type {
        Some(t) => envelope.verify_typed(&key, t),
        None => envelope.verify(&key),
    }
    .map_err(refused)?;
    let to_stdout = args
        .payload_out
        .as_deref()
        .is_some_and(|p| p.as_os_str() == "-");
    if let Some(out) = &args.payload_out {
        crate::io::write(out, verified.value())?;
    }
    let summary = format!(
        "verified: key {} ({}), payload type {}, payload {} bytes",
        key.key_id(),
        key.algorithm(),
        vouch_core::text::Escaped(envelope.payload_type()),
        verified.value().len()
    );
    if to_stdout {
        eprintln!("{summary}");
    } else {
        crate::io::outln!("{summary}");
    }
    Ok(Outcome::Done)
}
