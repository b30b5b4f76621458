//! `vouch roster trust-tpm`, `trust-tpm-ca` and `tpm-challenge`: enrolling
//! machines' TPMs, directly (an AK the roster's owners vouch for) or under
//! an EK certificate (a credential challenge the TPM must answer).

use std::path::{Path, PathBuf};

use clap::Args;
use vouch_core::Timestamp;
use vouch_core::text::Escaped;
use vouch_manifest::tpm::endorsement::Pending;
use vouch_manifest::{AttestationRoot, IdentityId, Roster};

use super::{identity_mut, read_certificate, read_draft};
use crate::exit::{CliError, CliResult, Outcome};

/// Arguments of `vouch roster trust-tpm`.
#[derive(Args, Debug)]
pub(crate) struct TrustTpmArgs {
    /// The draft.
    #[arg(value_name = "FILE")]
    pub(super) file: PathBuf,
    /// The identity whose machine holds the TPM.
    #[arg(long, value_name = "ID")]
    id: IdentityId,
    /// The attestation key's public area (the STUB.ak file `key generate
    /// --backend tpm` writes, a marshaled TPMT_PUBLIC).
    #[arg(long, value_name = "FILE")]
    ak: PathBuf,
    /// A name for the machine.
    #[arg(long)]
    label: String,
    /// Enroll under the EK certificate: the OUT.pending file `roster
    /// tpm-challenge` wrote for this AK (with --answer).
    #[arg(long, value_name = "FILE", requires = "answer")]
    pending: Option<PathBuf>,
    /// The machine's answer to the challenge (`key tpm-activate`).
    #[arg(long, value_name = "FILE", requires = "pending")]
    answer: Option<PathBuf>,
}

/// Arguments of `vouch roster trust-tpm-ca`.
#[derive(Args, Debug)]
pub(crate) struct TrustTpmCaArgs {
    /// The draft.
    #[arg(value_name = "FILE")]
    pub(super) file: PathBuf,
    /// A root certificate of EK certificates (PEM or DER); repeatable.
    #[arg(long, value_name = "CERT", required = true)]
    root: Vec<PathBuf>,
}

/// Arguments of `vouch roster tpm-challenge`.
#[derive(Args, Debug)]
pub(crate) struct TpmChallengeArgs {
    /// The draft (its EK roots are used; it is not changed).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The machine's attestation key (STUB.ak).
    #[arg(long, value_name = "FILE")]
    ak: PathBuf,
    /// The machine's EK certificate (`key tpm-ek-cert`; PEM or DER).
    #[arg(long, value_name = "CERT")]
    ek_cert: PathBuf,
    /// A certificate between the EK certificate and the root (PEM or DER),
    /// the EK certificate's issuer first; repeatable.
    #[arg(long, value_name = "CERT")]
    ek_intermediate: Vec<PathBuf>,
    /// The challenge to send to the machine; OUT.pending is written too.
    #[arg(short, long, value_name = "OUT")]
    out: PathBuf,
}

/// `vouch roster trust-tpm`.
pub(super) fn trust_tpm(roster: &mut Roster, args: &TrustTpmArgs) -> Result<String, CliError> {
    identity_mut(roster, &args.id)?;
    let public = crate::io::read(&args.ak, crate::io::Input::KEY)?;
    let parsed = vouch_core::tpm::Public::parse(&public).map_err(|e| {
        CliError::usage(format!("{} is not a TPM public area", args.ak.display()), e)
    })?;
    vouch_core::tpm::check_ak_attributes(&parsed).map_err(|e| {
        CliError::usage(
            format!("{} is not an attestation key", args.ak.display()),
            e,
        )
    })?;
    let ak = match (&args.pending, &args.answer) {
        (Some(pending), Some(answer)) => {
            let bytes = crate::io::read(pending, crate::io::Input::KEY)?;
            let pending = Pending::from_bytes(&bytes).map_err(|e| {
                CliError::usage(
                    format!("{} is not a pending enrollment", pending.display()),
                    e,
                )
            })?;
            if pending.ak_public() != public.as_slice() {
                return Err(CliError::usage_msg(format!(
                    "the challenge was made for another attestation key than {}",
                    args.ak.display()
                )));
            }
            let answer = crate::io::read(answer, crate::io::Input::KEY)?;
            pending
                .complete(
                    &answer,
                    args.id.clone(),
                    args.label.clone(),
                    Timestamp::now(),
                )
                .map_err(|e| CliError::refused("EK-certified enrollment refused", e))?
        }
        _ => vouch_manifest::TrustedAk {
            identity: args.id.clone(),
            label: args.label.clone(),
            public,
            endorsement: None,
        },
    };
    let how = if ak.endorsement.is_some() {
        "under its EK certificate (credential activated)"
    } else {
        "as listed"
    };
    // One entry per AK: a new enrollment of the same AK replaces the old.
    roster
        .tpm
        .attestation_keys
        .retain(|a| !(a.identity == ak.identity && a.public == ak.public));
    roster.tpm.attestation_keys.push(ak);
    Ok(format!(
        "trusted the TPM {} of {} {how}",
        Escaped(&args.label),
        Escaped(args.id.as_str())
    ))
}

/// `vouch roster trust-tpm-ca`.
pub(super) fn trust_tpm_ca(roster: &mut Roster, args: &TrustTpmCaArgs) -> Result<String, CliError> {
    let mut done = Vec::new();
    for path in &args.root {
        let anchor = read_certificate(path)?;
        let root = AttestationRoot(anchor.der().to_vec());
        if !roster.tpm.endorsement_roots.contains(&root) {
            roster.tpm.endorsement_roots.push(root);
        }
        done.push(Escaped(anchor.subject()).to_string());
    }
    Ok(format!("trusted EK root {}", done.join(", ")))
}

/// `vouch roster tpm-challenge`.
pub(super) fn challenge(args: &TpmChallengeArgs) -> CliResult {
    let roster = read_draft(&args.file)?;
    let ak = crate::io::read(&args.ak, crate::io::Input::KEY)?;
    let ek = read_certificate(&args.ek_cert)?;
    let intermediates = args
        .ek_intermediate
        .iter()
        .map(|p| read_certificate(p).map(|c| c.der().to_vec()))
        .collect::<Result<Vec<_>, _>>()?;
    let (challenge, pending) = vouch_manifest::tpm::endorsement::challenge(
        &ak,
        ek.der(),
        &intermediates,
        &roster.tpm,
        Timestamp::now(),
    )
    .map_err(|e| CliError::refused("cannot challenge this TPM", e))?;
    let pending_path = pending_path(&args.out);
    let bytes = challenge
        .to_bytes()
        .map_err(|e| CliError::usage("cannot encode the challenge", e))?;
    let secret = pending
        .to_bytes()
        .map_err(|e| CliError::usage("cannot encode the pending enrollment", e))?;
    crate::io::write_new_private(&pending_path, &secret)?;
    if let Err(e) = crate::io::write_new(&args.out, &bytes) {
        let _ = std::fs::remove_file(&pending_path);
        return Err(e);
    }
    crate::io::outln!(
        "EK certificate {} verified; challenge {} (send it to the machine: vouch key tpm-activate STUB --challenge {} -o ANSWER)",
        Escaped(ek.subject()),
        args.out.display(),
        args.out.display()
    );
    crate::io::outln!(
        "keep {} here; then: vouch roster trust-tpm {} --id ID --label MACHINE --ak {} --pending {} --answer ANSWER",
        pending_path.display(),
        args.file.display(),
        args.ak.display(),
        pending_path.display()
    );
    Ok(Outcome::Done)
}

/// `OUT.pending`.
fn pending_path(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".pending");
    PathBuf::from(name)
}
