//! `vouch roster trust-log` and `vouch roster trust-tsa`: the witnesses
//! whose proofs make a statement's time proven.

use std::path::PathBuf;

use clap::Args;
use vouch_core::text::Escaped;
use vouch_manifest::{AttestationRoot, Roster, TrustedCosigner, TrustedLog, TrustedTsa};

use super::read_certificate;
use crate::exit::CliError;

/// Arguments of `vouch roster trust-log`.
#[derive(Args, Debug)]
pub(crate) struct TrustLogArgs {
    /// The draft.
    #[arg(value_name = "FILE")]
    pub(super) file: PathBuf,
    /// A name for people; receipts by this log are reported under it.
    #[arg(long)]
    label: String,
    /// The log's origin (its checkpoints' first line).
    #[arg(long)]
    origin: String,
    /// The log's signing key: an OpenSSH public key line or file.
    #[arg(long, value_name = "PUB")]
    key: String,
}

/// Arguments of `vouch roster trust-tsa`.
#[derive(Args, Debug)]
pub(crate) struct TrustTsaArgs {
    /// The draft.
    #[arg(value_name = "FILE")]
    pub(super) file: PathBuf,
    /// A name for people.
    #[arg(long)]
    label: String,
    /// The root certificate (PEM or DER) the authority's signing
    /// certificates chain to.
    #[arg(long, value_name = "CERT")]
    root: PathBuf,
}

/// Arguments of `vouch roster trust-witness`.
#[derive(Args, Debug)]
pub(crate) struct TrustWitnessArgs {
    /// The draft.
    #[arg(value_name = "FILE")]
    pub(super) file: PathBuf,
    /// A name for people.
    #[arg(long)]
    label: String,
    /// The witness's key name in its cosignature lines.
    #[arg(long)]
    name: String,
    /// The witness's Ed25519 key: an OpenSSH public key line or file.
    #[arg(long, value_name = "PUB")]
    key: String,
}

/// `vouch roster trust-witness`.
pub(super) fn trust_witness(
    roster: &mut Roster,
    args: &TrustWitnessArgs,
) -> Result<String, CliError> {
    let key = crate::io::public_key(&args.key)?;
    roster
        .witnesses
        .cosigners
        .retain(|c| c.label != args.label && c.key != key);
    roster.witnesses.cosigners.push(TrustedCosigner {
        label: args.label.clone(),
        name: args.name.clone(),
        key: key.clone(),
    });
    Ok(format!(
        "trusted witness {} ({}), key {}",
        Escaped(&args.label),
        Escaped(&args.name),
        key.key_id()
    ))
}

/// `vouch roster trust-log`.
pub(super) fn trust_log(roster: &mut Roster, args: &TrustLogArgs) -> Result<String, CliError> {
    let key = crate::io::public_key(&args.key)?;
    roster
        .witnesses
        .logs
        .retain(|l| l.label != args.label && l.key != key);
    roster.witnesses.logs.push(TrustedLog {
        label: args.label.clone(),
        origin: args.origin.clone(),
        key: key.clone(),
    });
    Ok(format!(
        "trusted log {} ({}), key {}",
        Escaped(&args.label),
        Escaped(&args.origin),
        key.key_id()
    ))
}

/// `vouch roster trust-tsa`.
pub(super) fn trust_tsa(roster: &mut Roster, args: &TrustTsaArgs) -> Result<String, CliError> {
    let anchor = read_certificate(&args.root)?;
    roster
        .witnesses
        .timestamp_authorities
        .retain(|t| t.label != args.label);
    roster.witnesses.timestamp_authorities.push(TrustedTsa {
        label: args.label.clone(),
        root: AttestationRoot(anchor.der().to_vec()),
    });
    Ok(format!(
        "trusted timestamp authority {} (root {})",
        Escaped(&args.label),
        Escaped(anchor.subject())
    ))
}
