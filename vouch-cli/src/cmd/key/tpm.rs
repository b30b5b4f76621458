//! `vouch key tpm-ek-cert` and `vouch key tpm-activate`: the machine's side
//! of an EK-certified TPM enrollment.

use std::path::PathBuf;

use clap::Args;

use crate::exit::{CliError, CliResult};

/// Arguments of `vouch key tpm-ek-cert`.
#[derive(Args, Debug)]
pub(crate) struct EkCertArgs {
    /// Where to write the certificate (DER); must not exist.
    #[arg(short, long, value_name = "OUT")]
    out: PathBuf,
}

/// Arguments of `vouch key tpm-activate`.
#[derive(Args, Debug)]
pub(crate) struct ActivateArgs {
    /// The TPM key's stub (`key generate --backend tpm`): its attestation
    /// key answers.
    #[arg(value_name = "STUB")]
    stub: PathBuf,
    /// The challenge (`roster tpm-challenge` OUT).
    #[arg(long, value_name = "FILE")]
    challenge: PathBuf,
    /// Where to write the answer, for the enroller; must not exist.
    #[arg(short, long, value_name = "OUT")]
    out: PathBuf,
}

#[cfg(feature = "tpm")]
fn tcti() -> Result<String, CliError> {
    vouch_keys::tpm::tcti_from_env().ok_or_else(|| {
        CliError::usage_msg(
            "no TPM: set VOUCH_TPM_TCTI (e.g. device:/dev/tpmrm0 or swtpm:host=127.0.0.1,port=2321)",
        )
    })
}

/// `vouch key tpm-ek-cert`.
#[cfg(feature = "tpm")]
pub(super) fn ek_cert(args: &EkCertArgs) -> CliResult {
    let tcti = tcti()?;
    let der = vouch_keys::tpm::endorsement_certificate(&tcti)
        .map_err(|e| CliError::usage("cannot read the EK certificate", e))?;
    let subject = vouch_core::x509::TrustAnchor::from_der(&der)
        .map(|c| c.subject().to_owned())
        .map_err(|e| CliError::usage("the TPM's EK certificate does not parse", e))?;
    crate::io::write_new(&args.out, &der)?;
    crate::io::outln!(
        "EK certificate {} ({}) written to {}",
        vouch_core::text::Escaped(&subject),
        vouch_core::Digest::sha256(&der),
        args.out.display()
    );
    Ok(crate::exit::Outcome::Done)
}

/// `vouch key tpm-activate`.
#[cfg(feature = "tpm")]
pub(super) fn activate(args: &ActivateArgs) -> CliResult {
    let tcti = tcti()?;
    let key = vouch_keys::tpm::TpmKey::open(&args.stub, &tcti)
        .map_err(|e| CliError::usage("cannot open the TPM key", e))?;
    let bytes = crate::io::read(&args.challenge, crate::io::Input::KEY)?;
    let challenge =
        vouch_manifest::tpm::endorsement::Challenge::from_bytes(&bytes).map_err(|e| {
            CliError::usage(
                format!("{} is not a credential challenge", args.challenge.display()),
                e,
            )
        })?;
    let answer = key
        .activate_credential(&challenge.id_object, &challenge.encrypted_secret)
        .map_err(|e| CliError::refused("the TPM did not activate the credential", e))?;
    crate::io::write_new_private(&args.out, &answer)?;
    crate::io::outln!(
        "credential activated; answer {} (send it to the enroller)",
        args.out.display()
    );
    Ok(crate::exit::Outcome::Done)
}

#[cfg(not(feature = "tpm"))]
fn no_tpm() -> CliResult {
    Err(CliError::usage_msg(
        "this vouch was built without the tpm feature (cargo build --features tpm; needs libtss2-dev)",
    ))
}

/// `vouch key tpm-ek-cert` without the feature.
#[cfg(not(feature = "tpm"))]
pub(super) fn ek_cert(_args: &EkCertArgs) -> CliResult {
    no_tpm()
}

/// `vouch key tpm-activate` without the feature.
#[cfg(not(feature = "tpm"))]
pub(super) fn activate(_args: &ActivateArgs) -> CliResult {
    no_tpm()
}
