//! `vouch roster ...`: the editable draft, the signed chain, rotation.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use vouch_core::fido::{EnrollmentAttestation, TrustAnchor};
use vouch_core::text::{Escaped, error_chain};
use vouch_core::{Digest, KeyId, Timestamp};
use vouch_manifest::{
    AttestationRoot, GitObjectId, Grandfathered, HardwareClaim, Identity, IdentityId,
    IdentityProof, KeyAttestation, Predicate as _, Revocation, RevocationReason, RoleGrant,
    RoleName, RootKeys, Roster, RosterChain, RosterKey, Signed, Statement, TrustedRoster,
};

mod ci;
mod tpm;
mod witness;

use crate::cmd::SignerArgs;
use crate::exit::{CliError, CliResult, Outcome};

/// The long help of `vouch roster`: how the draft and the chain relate.
pub(crate) const LONG_ABOUT: &str = "\
Build, sign, rotate and verify the roster: the trust root.

A roster lists identities (person:... and workload:...), their keys with
validity windows, revocations and hardware claims, the roles they hold, and
the root keys that sign the roster itself. Two files:

  DRAFT   one roster version being edited, unsigned: JSON of the roster, or
          TOML when the file name ends in .toml. `roster init` creates it;
          add-identity, add-key, grant and revoke edit it in place (every
          edit is checked); a text editor may edit it too.
  CHAIN   the signed roster file that `vouch verify --roster` reads: every
          version, oldest first, each signed by its root keys (canonical CBOR).

The first version:
  vouch roster init --name acme --root-key root1.key.pub --root-key root2.key.pub --threshold 2 -o roster.json
  vouch roster add-identity roster.json --id person:alice@example.com --name Alice
  vouch roster add-key roster.json --id person:alice@example.com --pubkey alice.key.pub
  vouch roster grant roster.json --role maintainer --id person:alice@example.com
  vouch roster sign roster.json --key root1.key -o roster.chain
  vouch roster sign roster.json --key root2.key --chain roster.chain -o roster.chain

`roster sign` reads the chain given with --chain (without it, it starts a new
chain and OUT must not exist). When the chain already holds exactly this
draft, the signature is added to it: that is how a second root key co-signs.
Otherwise the draft is appended and must be the next version. A version is
trusted once a threshold of its own root keys signed it and, from the second
version on, a threshold of the previous version's root keys too; `roster sign`
says what is still missing.

The next version (rotation, new people, revocations):
  vouch roster init --from roster.chain -o roster-v2.json
  vouch roster revoke roster-v2.json --key <KEYID> --reason superseded
  vouch roster sign roster-v2.json --key root1.key --chain roster.chain -o roster.chain
  vouch roster sign roster-v2.json --key root2.key --chain roster.chain -o roster.chain
`init --from` copies the newest verified version with the version number
raised by one; --root-key and --threshold replace its root keys, and then the
old and the new root keys must both sign.

Every version expires (`init --expires T`, default a year after the draft is
made; `sign --expires T` changes it): verifiers refuse a roster whose newest
version has expired, so that a roster frozen by whoever serves the file (one
withholding the version that revokes a key) is noticed. Sign the next version
before then; `init --from` works on an expired chain.

Check the result, pinning the first version's digest (distributed out of band):
  vouch roster verify roster.chain --pin sha256:<digest of version 1>
Verifiers pin the same digest (`vouch verify --roster-pin`), and keep the
newest version they have verified in a state file, refusing older ones.";

/// How long a new roster version is trusted unless `--expires` says otherwise.
const DEFAULT_VALIDITY_SECONDS: i64 = 365 * 86_400;

/// `vouch roster ...`
#[derive(Subcommand, Debug)]
pub(crate) enum RosterCommand {
    /// Create a draft: version 1, or with --from the next version of a chain.
    Init(InitArgs),
    /// Add a person or workload to a draft.
    AddIdentity(AddIdentityArgs),
    /// Add a key to an identity of a draft.
    AddKey(AddKeyArgs),
    /// Add an OpenPGP key (a certificate, `gpg --armor --export
    /// --export-options export-minimal FPR`) to an identity of a draft,
    /// for OpenPGP-signed commits and tags. The forge's key (GitHub's
    /// web-flow key, which signs merges made in its web interface) goes on
    /// a `workload:` identity with the forge's committer email as proof.
    AddOpenpgpKey(AddOpenPgpKeyArgs),
    /// Give an identity a role in a draft.
    Grant(GrantArgs),
    /// Trust an authenticator vendor's attestation root, and optionally
    /// allow only some authenticator models (AAGUIDs), in a draft.
    ///
    /// A FIDO key enrolled with an attestation that chains to one of these
    /// roots (and, when models are listed, of a listed model) meets the
    /// policy requirement `attested-authenticator`.
    TrustAuthenticator(TrustAuthenticatorArgs),
    /// Enroll a machine's TPM: trust its attestation key for an identity,
    /// in a draft.
    ///
    /// A TPM key of that identity whose TPM2_Certify by this attestation
    /// key verifies meets the policy requirement `tpm-attested`.
    TrustTpm(tpm::TrustTpmArgs),
    /// Trust a TPM manufacturer's EK certificate authority (its root
    /// certificate), in a draft: AKs may then be enrolled under an EK
    /// certificate that chains to it (`roster tpm-challenge`, then
    /// `roster trust-tpm --pending --answer`).
    TrustTpmCa(tpm::TrustTpmCaArgs),
    /// Make the credential challenge that proves a machine's AK shares a
    /// TPM with its certified EK (TPM2_MakeCredential).
    ///
    /// Verifies the EK certificate (`key tpm-ek-cert` on the machine) up to
    /// an EK root the draft trusts, and writes OUT (for the machine: `key
    /// tpm-activate`) and OUT.pending (the secret: keep it here, it is
    /// what `roster trust-tpm --pending` checks the answer against). The
    /// draft is not changed.
    TpmChallenge(tpm::TpmChallengeArgs),
    /// Trust a transparency log, in a draft: its COSE receipts in a
    /// statement prove when the statement existed (policy `time =
    /// "proven"`; key validity and revocation are then judged at that time).
    TrustLog(witness::TrustLogArgs),
    /// Trust an RFC 3161 timestamp authority by its root certificate, in a
    /// draft: its tokens over a statement (NAME.tst next to NAME in `bundle
    /// create`) prove when the statement existed.
    TrustTsa(witness::TrustTsaArgs),
    /// Trust a witness that cosigns logs' checkpoints (C2SP
    /// cosignature/v1), in a draft: an inclusion proof whose checkpoint it
    /// cosigned proves its statement existed at the cosigned time.
    TrustWitness(witness::TrustWitnessArgs),
    /// Trust a CI provider's OIDC token issuer, with its JWKS, in a draft:
    /// a deployment's `ciToken` signed by it proves the deploying workload,
    /// run and triggering person through the mappings of `roster map-ci`.
    TrustCiIssuer(ci::TrustCiIssuerArgs),
    /// Map a CI repository + workflow to a workload, or a CI login to a
    /// person, for a trusted CI issuer in a draft.
    MapCi(ci::MapCiArgs),
    /// Revoke a key in a draft: it signs nothing valid from then on.
    ///
    /// A revocation of any reason ends what the key can sign. What it
    /// signed earlier stays valid only when it is grandfathered here
    /// (--grandfather-statement, --grandfather-commit), or when the
    /// verifier's policy sets roster.trust_claimed_time_after_revocation =
    /// true and the time the statement claims is before the revocation
    /// (never for key-compromise: a stolen key can claim any time).
    Revoke(RevokeArgs),
    /// Sign a draft into a chain file: append it as the next version, or co-sign it.
    Sign(SignArgs),
    /// Verify a chain file and print the newest trusted version (exit 1 if
    /// it does not verify or its newest version has expired).
    ///
    /// Without --pin, the oldest version in the file is the trust anchor:
    /// whoever handed over the file is trusted for that version. Pin the
    /// digest of a version you trust (e.g. the first) to check the file
    /// against it. The `anchor` line is the digest that verifiers pin
    /// (`vouch verify --roster-pin`), once checked out of band.
    Verify(VerifyArgs),
}

/// Arguments of `vouch roster init`.
#[derive(Args, Debug)]
pub(crate) struct InitArgs {
    /// The roster's name (an organisation or project).
    #[arg(long, required_unless_present = "from")]
    name: Option<String>,
    /// A root key (PUB; repeatable). With --from, the list replaces the root keys.
    #[arg(
        long = "root-key",
        value_name = "PUB",
        required_unless_present = "from"
    )]
    root_keys: Vec<String>,
    /// How many distinct root keys must sign each version (default 1, or
    /// the previous version's with --from).
    #[arg(long, value_name = "N")]
    threshold: Option<u32>,
    /// Start the next version's draft from the newest verified version of CHAINFILE.
    #[arg(long, value_name = "CHAINFILE")]
    from: Option<PathBuf>,
    /// The digest of a version of CHAINFILE to trust (default: its oldest).
    #[arg(long, value_name = "DIGEST", requires = "from")]
    pin: Option<Digest>,
    /// When this version stops being trusted (RFC 3339 UTC; default now +
    /// 365 days): verifiers refuse a newest version past its expiry, so the
    /// root keys must sign a new version before then.
    #[arg(long, value_name = "T")]
    expires: Option<Timestamp>,
    /// Where to write the draft (TOML if the name ends in .toml, else JSON); must not exist.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    out: PathBuf,
}

/// Arguments of `vouch roster add-identity`.
#[derive(Args, Debug)]
pub(crate) struct AddIdentityArgs {
    /// The draft.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The identity id: person:NAME or workload:NAME.
    #[arg(long, value_name = "ID")]
    id: IdentityId,
    /// A name for people to read.
    #[arg(long)]
    name: String,
    /// An email address the identity controls (repeatable).
    #[arg(long, value_name = "ADDRESS")]
    email: Vec<String>,
    /// An OpenID Connect issuer URL and subject (repeatable).
    #[arg(long, num_args = 2, value_names = ["ISSUER", "SUBJECT"])]
    oidc: Vec<String>,
}

/// Hardware claims a roster makes about a key.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub(crate) enum HardwareArg {
    /// The private key is non-exportable in a TPM.
    TpmResident,
    /// The key lives in a FIDO authenticator.
    FidoAuthenticator,
}

/// Arguments of `vouch roster add-openpgp-key`.
#[derive(Args, Debug)]
pub(crate) struct AddOpenPgpKeyArgs {
    /// The draft.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The identity the key belongs to.
    #[arg(long, value_name = "ID")]
    id: IdentityId,
    /// The certificate: armored or binary transferable public key.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// Valid from this time (RFC 3339 UTC; default now).
    #[arg(long, value_name = "T")]
    valid_from: Option<Timestamp>,
    /// Valid until this time (exclusive; default unbounded).
    #[arg(long, value_name = "T")]
    valid_until: Option<Timestamp>,
}

/// Arguments of `vouch roster add-key`.
#[derive(Args, Debug)]
pub(crate) struct AddKeyArgs {
    /// The draft.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The identity the key belongs to.
    #[arg(long, value_name = "ID")]
    id: IdentityId,
    /// The public key (PUB: an OpenSSH line inline or in a file, PEM, or COSE_Key).
    #[arg(long, value_name = "PUB")]
    pubkey: String,
    /// Valid from this time (RFC 3339 UTC; default now). Statements are
    /// checked at the time they claim, so cover older commits with an earlier time.
    #[arg(long, value_name = "T")]
    valid_from: Option<Timestamp>,
    /// Valid until this time (exclusive; default unbounded).
    #[arg(long, value_name = "T")]
    valid_until: Option<Timestamp>,
    /// What the roster's owners checked about where the key lives (repeatable).
    #[arg(long, value_enum)]
    hardware: Vec<HardwareArg>,
    /// The FIDO key's enrollment attestation: the file `ssh-keygen -O
    /// write-attestation=FILE` writes, or a WebAuthn attestationObject.
    /// Verified now against the draft's trusted authenticators (and again
    /// by every verifier); an empty attestation records the key unattested.
    #[arg(long, value_name = "FILE")]
    fido_attestation: Option<PathBuf>,
    /// The enrollment challenge of an OpenSSH attestation (the file given
    /// to `ssh-keygen -O challenge=FILE`).
    #[arg(long, value_name = "FILE", requires = "fido_attestation")]
    challenge: Option<PathBuf>,
    /// The clientDataJSON of a WebAuthn attestationObject (its SHA-256 is
    /// what the attestation signs).
    #[arg(
        long,
        value_name = "FILE",
        requires = "fido_attestation",
        conflicts_with = "challenge"
    )]
    client_data: Option<PathBuf>,
    /// The TPM key's TPM2_Certify (the STUB.attestation file `key generate
    /// --backend tpm` writes). Verified now against the attestation keys the
    /// draft trusts for the identity (and again by every verifier).
    #[arg(long, value_name = "FILE", conflicts_with = "fido_attestation")]
    tpm_attestation: Option<PathBuf>,
}

/// Arguments of `vouch roster trust-authenticator`.
#[derive(Args, Debug)]
pub(crate) struct TrustAuthenticatorArgs {
    /// The draft.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// A root certificate (PEM or DER) of an authenticator vendor's
    /// attestation CA (repeatable).
    #[arg(long, value_name = "CERT")]
    root: Vec<PathBuf>,
    /// An authenticator model (AAGUID, a UUID) to allow; once any is
    /// listed, only listed models are attested (repeatable).
    #[arg(long, value_name = "UUID")]
    aaguid: Vec<vouch_manifest::Aaguid>,
}

/// Arguments of `vouch roster grant`.
#[derive(Args, Debug)]
pub(crate) struct GrantArgs {
    /// The draft.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The role (lowercase letters, digits, - and _), e.g. maintainer.
    #[arg(long)]
    role: RoleName,
    /// The identity that gets the role.
    #[arg(long, value_name = "ID")]
    id: IdentityId,
    /// Held from this time (RFC 3339 UTC; default now). A statement counts
    /// for the role only when signed inside the grant's window, so cover
    /// older statements with an earlier time.
    #[arg(long, value_name = "T")]
    valid_from: Option<Timestamp>,
    /// Held until this time (exclusive; default unbounded).
    #[arg(long, value_name = "T")]
    valid_until: Option<Timestamp>,
}

/// Why a key is revoked. Whatever the reason, the key signs nothing valid
/// after the revocation; earlier signatures stay valid only when
/// grandfathered, or (except for key-compromise) when the verifier's policy
/// trusts the time the signer claimed.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub(crate) enum ReasonArg {
    /// The key may be in someone else's hands: only what is grandfathered
    /// counts, whatever time a signature claims.
    KeyCompromise,
    /// Replaced by a newer key.
    Superseded,
    /// No longer needed (the holder left, the workload is gone).
    Retired,
}

/// Arguments of `vouch roster revoke`.
#[derive(Args, Debug)]
pub(crate) struct RevokeArgs {
    /// The draft.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The key: its key id (hex, as `vouch key show` prints it) or its public key (PUB).
    #[arg(long, value_name = "KEYID")]
    key: String,
    /// When the key stopped being valid (RFC 3339 UTC; default now).
    #[arg(long, value_name = "T")]
    at: Option<Timestamp>,
    /// Why.
    #[arg(long, value_enum)]
    reason: ReasonArg,
    /// A statement this key signed that stays valid after the revocation:
    /// its statement digest, or the signed statement file (repeatable). A
    /// grandfathered release also covers the signatures inside the commit
    /// objects it certifies.
    #[arg(long = "grandfather-statement", value_name = "DIGEST|FILE")]
    grandfather_statements: Vec<String>,
    /// A git commit whose signature by this key (in the commit object or a
    /// commit attestation) stays valid after the revocation (repeatable).
    #[arg(long = "grandfather-commit", value_name = "COMMIT_ID")]
    grandfather_commits: Vec<GitObjectId>,
}

/// Arguments of `vouch roster sign`.
#[derive(Args, Debug)]
pub(crate) struct SignArgs {
    /// The draft to sign.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// A root key of this version, or of the previous one.
    #[command(flatten)]
    signer: SignerArgs,
    /// The chain file to add to (without it, a new chain is started).
    #[arg(long, value_name = "CHAINFILE")]
    chain: Option<PathBuf>,
    /// Where to write the chain (may be the same file as --chain).
    #[arg(short = 'o', long = "out", value_name = "CHAINFILE")]
    out: PathBuf,
    /// Set the version's expiry (RFC 3339 UTC) before signing; it is also
    /// written into the draft, so that co-signers sign the same version.
    #[arg(long, value_name = "T")]
    expires: Option<Timestamp>,
}

/// Arguments of `vouch roster verify`.
#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// The chain file.
    #[arg(value_name = "CHAINFILE")]
    chain: PathBuf,
    /// The statement digest of the version to trust (default: the oldest in the file).
    #[arg(long, value_name = "DIGEST")]
    pin: Option<Digest>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `vouch roster ...`.
pub(crate) fn run(command: RosterCommand) -> CliResult {
    match command {
        RosterCommand::Init(a) => init(a),
        RosterCommand::AddIdentity(a) => edit(&a.file, |r| add_identity(r, &a)),
        RosterCommand::AddKey(a) => edit(&a.file, |r| add_key(r, &a)),
        RosterCommand::AddOpenpgpKey(a) => edit(&a.file, |r| add_openpgp_key(r, &a)),
        RosterCommand::Grant(a) => edit(&a.file, |r| grant(r, &a)),
        RosterCommand::TrustAuthenticator(a) => edit(&a.file, |r| trust_authenticator(r, &a)),
        RosterCommand::TrustTpm(a) => edit(&a.file, |r| tpm::trust_tpm(r, &a)),
        RosterCommand::TrustTpmCa(a) => edit(&a.file, |r| tpm::trust_tpm_ca(r, &a)),
        RosterCommand::TpmChallenge(a) => tpm::challenge(&a),
        RosterCommand::TrustLog(a) => edit(&a.file, |r| witness::trust_log(r, &a)),
        RosterCommand::TrustTsa(a) => edit(&a.file, |r| witness::trust_tsa(r, &a)),
        RosterCommand::TrustWitness(a) => edit(&a.file, |r| witness::trust_witness(r, &a)),
        RosterCommand::TrustCiIssuer(a) => edit(&a.file, |r| ci::trust_ci_issuer(r, &a)),
        RosterCommand::MapCi(a) => edit(&a.file, |r| ci::map_ci(r, &a)),
        RosterCommand::Revoke(a) => edit(&a.file, |r| revoke(r, &a)),
        RosterCommand::Sign(a) => sign(a),
        RosterCommand::Verify(a) => verify(a),
    }
}

/// Reads a draft: JSON when it starts with `{`, TOML otherwise.
fn read_draft(path: &Path) -> Result<Roster, CliError> {
    let text = crate::io::read_text(path, crate::io::Input::DRAFT)?;
    let bad = |e: Box<dyn std::error::Error + Send + Sync>| {
        CliError::usage(format!("{} is not a roster draft", path.display()), e)
    };
    if text.trim_start().starts_with('{') {
        serde_json::from_str(&text).map_err(|e| bad(e.into()))
    } else {
        toml::from_str(&text).map_err(|e| bad(e.into()))
    }
}

/// Writes a draft: TOML when the file name ends in `.toml`, JSON otherwise.
fn write_draft(path: &Path, roster: &Roster, new: bool) -> Result<(), CliError> {
    let text = if path.extension().is_some_and(|x| x == "toml") {
        toml::to_string_pretty(roster)
            .map_err(|e| CliError::usage("cannot write the draft as TOML", e))?
    } else {
        let mut t = serde_json::to_string_pretty(roster)
            .map_err(|e| CliError::usage("cannot write the draft as JSON", e))?;
        t.push('\n');
        t
    };
    if new {
        crate::io::write_new(path, text.as_bytes())
    } else {
        crate::io::write(path, text.as_bytes())
    }
}

/// Loads a draft, applies one edit, checks the result and saves it.
fn edit(path: &Path, f: impl FnOnce(&mut Roster) -> Result<String, CliError>) -> CliResult {
    let mut roster = read_draft(path)?;
    let done = f(&mut roster)?;
    roster.check().map_err(|e| {
        CliError::usage(
            format!("refusing an edit that makes {} invalid", path.display()),
            e,
        )
    })?;
    write_draft(path, &roster, false)?;
    crate::io::outln!("{done} [{} v{}]", path.display(), roster.version);
    Ok(Outcome::Done)
}

/// The identity `id` of the draft.
fn identity_mut<'r>(roster: &'r mut Roster, id: &IdentityId) -> Result<&'r mut Identity, CliError> {
    let missing = || {
        CliError::usage_msg(format!(
            "the draft has no identity {} (add it with roster add-identity)",
            Escaped(id.as_str())
        ))
    };
    roster
        .identities
        .iter_mut()
        .find(|i| i.id == *id)
        .ok_or_else(missing)
}

/// `vouch roster init`: version 1, or the next version of a verified chain.
fn init(args: InitArgs) -> CliResult {
    let mut roster = match &args.from {
        Some(chain) => {
            // An expired newest version is no obstacle here: replacing it
            // is what the next version is for.
            let trusted = verify_ignoring_expiry(&read_chain(chain)?, args.pin).map_err(|e| {
                CliError::usage(
                    format!(
                        "{} does not verify; sign its newest version first",
                        chain.display()
                    ),
                    e,
                )
            })?;
            let mut next = trusted.roster().clone();
            next.version = next.version.checked_add(1).ok_or_else(|| {
                CliError::usage_msg("the chain's newest version is the last one possible")
            })?;
            next
        }
        None => Roster {
            name: String::new(),
            version: 1,
            expires: Timestamp::now(),
            root: RootKeys {
                keys: Vec::new(),
                threshold: 1,
            },
            identities: Vec::new(),
            roles: Default::default(),
            authenticators: Default::default(),
            tpm: Default::default(),
            witnesses: Default::default(),
            ci: Default::default(),
        },
    };
    if let Some(name) = args.name {
        roster.name = name;
    }
    if !args.root_keys.is_empty() {
        roster.root.keys = args
            .root_keys
            .iter()
            .map(|k| crate::io::public_key(k))
            .collect::<Result<_, _>>()?;
    }
    if let Some(t) = args.threshold {
        roster.root.threshold = t;
    }
    roster.expires = args
        .expires
        .unwrap_or_else(|| Timestamp::now().plus_seconds(DEFAULT_VALIDITY_SECONDS));
    roster
        .check()
        .map_err(|e| CliError::usage("the new draft is not a valid roster", e))?;
    write_draft(&args.out, &roster, true)?;
    crate::io::outln!(
        "draft of roster {} v{} ({} of {} root keys must sign, expires {}) written to {}",
        Escaped(&roster.name),
        roster.version,
        roster.root.threshold,
        roster.root.keys.len(),
        roster.expires,
        args.out.display()
    );
    Ok(Outcome::Done)
}

/// `vouch roster add-identity`.
fn add_identity(roster: &mut Roster, args: &AddIdentityArgs) -> Result<String, CliError> {
    if roster.identities.iter().any(|i| i.id == args.id) {
        return Err(CliError::usage_msg(format!(
            "identity {} is already in the draft",
            Escaped(args.id.as_str())
        )));
    }
    let mut proofs: Vec<IdentityProof> = args
        .email
        .iter()
        .map(|a| IdentityProof::Email { address: a.clone() })
        .collect();
    for pair in args.oidc.chunks(2) {
        if let [issuer, subject] = pair {
            proofs.push(IdentityProof::Oidc {
                issuer: issuer.clone(),
                subject: subject.clone(),
            });
        }
    }
    roster.identities.push(Identity {
        id: args.id.clone(),
        display_name: args.name.clone(),
        openpgp_keys: Vec::new(),
        proofs,
        keys: Vec::new(),
    });
    Ok(format!("added identity {}", Escaped(args.id.as_str())))
}

/// `vouch roster add-openpgp-key`: the certificate is read (its primary
/// key's fingerprint is what the roster enrolls) and stored in binary.
#[cfg(feature = "openpgp")]
fn add_openpgp_key(roster: &mut Roster, args: &AddOpenPgpKeyArgs) -> Result<String, CliError> {
    let input = crate::io::Input::new("OpenPGP certificate", vouch_git::openpgp::MAX_CERT_LEN);
    let bytes = crate::io::read(&args.key, input)?;
    let cert = vouch_git::openpgp::Certificate::parse(&bytes).map_err(|e| {
        CliError::usage(
            format!("{} is not an OpenPGP certificate", args.key.display()),
            e,
        )
    })?;
    let binary = cert
        .to_bytes()
        .map_err(|e| CliError::usage("cannot encode the certificate", e))?;
    let fingerprint = vouch_manifest::OpenPgpFingerprint::parse(cert.fingerprint())
        .map_err(|e| CliError::usage("bad fingerprint", e))?;
    let certificate = vouch_manifest::OpenPgpCertBytes::from_binary(binary)
        .map_err(|e| CliError::usage("certificate too large", e))?;
    let mut entry = vouch_manifest::OpenPgpKey::new(
        fingerprint.clone(),
        certificate,
        args.valid_from.unwrap_or_else(Timestamp::now),
    );
    entry.valid_until = args.valid_until;
    let from = entry.valid_from;
    identity_mut(roster, &args.id)?.openpgp_keys.push(entry);
    Ok(format!(
        "added OpenPGP key {fingerprint} ({}) to {} (valid from {from})",
        Escaped(&cert.user_ids().join(", ")),
        Escaped(args.id.as_str())
    ))
}

/// Without feature `openpgp` the certificate cannot be read.
#[cfg(not(feature = "openpgp"))]
fn add_openpgp_key(_roster: &mut Roster, _args: &AddOpenPgpKeyArgs) -> Result<String, CliError> {
    Err(CliError::usage_msg(
        "OpenPGP support not built (vouch-cli feature openpgp)",
    ))
}

/// `vouch roster add-key`.
fn add_key(roster: &mut Roster, args: &AddKeyArgs) -> Result<String, CliError> {
    let key = crate::io::public_key(&args.pubkey)?;
    let key_id = key.key_id();
    identity_mut(roster, &args.id)?;
    let trust = roster.authenticators.clone();
    let mut entry = RosterKey::new(key, args.valid_from.unwrap_or_else(Timestamp::now));
    entry.valid_until = args.valid_until;
    entry.hardware = args
        .hardware
        .iter()
        .map(|h| match h {
            HardwareArg::TpmResident => HardwareClaim::TpmResident,
            HardwareArg::FidoAuthenticator => HardwareClaim::FidoAuthenticator,
        })
        .collect();
    let from = entry.valid_from;
    let mut attested = String::new();
    if let Some(path) = &args.fido_attestation {
        let attestation = read_attestation(path, args)?;
        let k = KeyAttestation::enroll(&attestation, &entry.key, &trust, from)
            .map_err(|e| CliError::usage(format!("cannot enroll {}", path.display()), e))?;
        attested = format!("; {}", Escaped(&k.recorded));
        entry.attestation = Some(k);
    }
    if let Some(path) = &args.tpm_attestation {
        let bytes = crate::io::read(path, crate::io::Input::KEY)?;
        let certify = vouch_core::tpm::KeyAttestation::from_bytes(&bytes).map_err(|e| {
            CliError::usage(format!("{} is not a TPM attestation", path.display()), e)
        })?;
        let record = vouch_manifest::TpmKeyAttestation {
            certify: certify.to_bytes(),
        };
        let status = vouch_manifest::tpm::status(&record, &args.id, &entry.key, &roster.tpm);
        attested = format!("; {}", Escaped(&status.to_string()));
        entry.tpm = Some(record);
    }
    identity_mut(roster, &args.id)?.keys.push(entry);
    Ok(format!(
        "added key {key_id} to {} (valid from {from}){attested}",
        Escaped(args.id.as_str())
    ))
}

/// Reads an enrollment attestation: OpenSSH's file (its challenge from
/// `--challenge`) or a WebAuthn attestationObject (hashing `--client-data`).
fn read_attestation(path: &Path, args: &AddKeyArgs) -> Result<EnrollmentAttestation, CliError> {
    let bytes = crate::io::read(path, crate::io::Input::KEY)?;
    let bad = |e: vouch_core::fido::AttestationError| {
        CliError::usage(format!("{} is not a usable attestation", path.display()), e)
    };
    // OpenSSH's file starts with its version string, length-prefixed.
    if bytes.get(4..17) == Some(b"ssh-sk-attest") {
        let challenge = match &args.challenge {
            Some(c) => crate::io::read(c, crate::io::Input::KEY)?,
            None => Vec::new(),
        };
        return EnrollmentAttestation::openssh(&bytes, &challenge).map_err(bad);
    }
    let Some(client_data) = &args.client_data else {
        return Err(CliError::usage_msg(format!(
            "{} is a WebAuthn attestationObject: pass its clientDataJSON with --client-data",
            path.display()
        )));
    };
    let hash = vouch_core::Digest::sha256(&crate::io::read(client_data, crate::io::Input::KEY)?);
    let hash = *hash.as_sha256().unwrap_or(&[0; 32]);
    EnrollmentAttestation::webauthn(&bytes, hash).map_err(bad)
}

/// `vouch roster trust-authenticator`.
fn trust_authenticator(
    roster: &mut Roster,
    args: &TrustAuthenticatorArgs,
) -> Result<String, CliError> {
    if args.root.is_empty() && args.aaguid.is_empty() {
        return Err(CliError::usage_msg(
            "nothing to trust: pass --root CERT and/or --aaguid UUID",
        ));
    }
    let mut done = Vec::new();
    for path in &args.root {
        let anchor = read_certificate(path)?;
        let root = AttestationRoot(anchor.der().to_vec());
        if !roster.authenticators.roots.contains(&root) {
            roster.authenticators.roots.push(root);
        }
        done.push(format!("root {}", Escaped(anchor.subject())));
    }
    for a in &args.aaguid {
        if !roster.authenticators.aaguids.contains(a) {
            roster.authenticators.aaguids.push(*a);
        }
        done.push(format!("model {a}"));
    }
    Ok(format!("trusted {}", done.join(", ")))
}

/// A certificate file, PEM or DER.
fn read_certificate(path: &Path) -> Result<TrustAnchor, CliError> {
    let bytes = crate::io::read(path, crate::io::Input::KEY)?;
    match std::str::from_utf8(&bytes) {
        Ok(pem) if pem.contains("-----BEGIN") => TrustAnchor::from_pem(pem),
        _ => TrustAnchor::from_der(&bytes),
    }
    .map_err(|e| CliError::usage(format!("{} is not a certificate", path.display()), e))
}

/// `vouch roster grant`: a grant already covering the window changes nothing.
fn grant(roster: &mut Roster, args: &GrantArgs) -> Result<String, CliError> {
    identity_mut(roster, &args.id)?;
    let mut grant = RoleGrant::new(
        args.id.clone(),
        args.valid_from.unwrap_or_else(Timestamp::now),
    );
    grant.valid_until = args.valid_until;
    let grants = roster.roles.entry(args.role.clone()).or_default();
    let covered = grants.iter().any(|g| {
        g.identity == grant.identity
            && g.holds_at(grant.valid_from)
            && match (g.valid_until, grant.valid_until) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(held), Some(wanted)) => wanted <= held,
            }
    });
    let (id, role) = (Escaped(args.id.as_str()), Escaped(args.role.as_str()));
    if covered {
        return Ok(format!("{id} already holds role {role} then"));
    }
    let window = window(grant.valid_from, grant.valid_until);
    grants.push(grant);
    Ok(format!("granted role {role} to {id} ({window})"))
}

/// `from T` or `from T until U`.
fn window(from: Timestamp, until: Option<Timestamp>) -> String {
    match until {
        Some(u) => format!("from {from} until {u}"),
        None => format!("from {from}"),
    }
}

/// `vouch roster revoke`.
fn revoke(roster: &mut Roster, args: &RevokeArgs) -> Result<String, CliError> {
    let key_id: KeyId = match args.key.parse() {
        Ok(id) => id,
        Err(_) => crate::io::public_key(&args.key)?.key_id(),
    };
    let entry = roster
        .identities
        .iter_mut()
        .flat_map(|i| i.keys.iter_mut())
        .find(|k| k.key.key_id() == key_id)
        .ok_or_else(|| CliError::usage_msg(format!("the draft has no key {key_id}")))?;
    let statements = args
        .grandfather_statements
        .iter()
        .map(|a| match a.parse::<Digest>() {
            Ok(d) => Ok(d),
            Err(_) => crate::cmd::digest::statement_digest(Path::new(a)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let reason = match args.reason {
        ReasonArg::KeyCompromise => RevocationReason::KeyCompromise,
        ReasonArg::Superseded => RevocationReason::Superseded,
        ReasonArg::Retired => RevocationReason::Retired,
    };
    let at = args.at.unwrap_or_else(Timestamp::now);
    entry.revoked = Some(Revocation { at, reason });
    let mut done = format!("revoked key {key_id} at {at} ({reason})");
    if !statements.is_empty() || !args.grandfather_commits.is_empty() {
        let kept = entry
            .grandfathered
            .get_or_insert_with(Grandfathered::default);
        for d in statements {
            if !kept.statements.contains(&d) {
                kept.statements.push(d);
            }
        }
        for c in &args.grandfather_commits {
            if !kept.commits.contains(c) {
                kept.commits.push(c.clone());
            }
        }
        done.push_str(&format!(
            "; grandfathered: {} statement(s), {} commit(s)",
            kept.statements.len(),
            kept.commits.len()
        ));
    }
    Ok(done)
}

/// Reads a chain file; a file that does not decode is refused (exit 1),
/// since it is signed data presented for verification.
fn read_chain(path: &Path) -> Result<RosterChain, CliError> {
    RosterChain::from_bytes(&crate::io::read(path, crate::io::Input::SIGNED)?)
        .map_err(|e| CliError::refused(format!("{} is not a roster chain file", path.display()), e))
}

/// `vouch roster sign`: co-signs the chain's copy of the draft, or
/// appends the draft as the next version.
fn sign(args: SignArgs) -> CliResult {
    let mut draft = read_draft(&args.file)?;
    let version = draft.version;
    let changed = args.expires.is_some_and(|t| t != draft.expires);
    if let Some(t) = args.expires {
        draft.expires = t;
    }
    let now = Timestamp::now();
    if draft.expires <= now {
        return Err(CliError::usage_msg(format!(
            "roster v{version} in {} expired at {} (now {now}): verifiers would refuse it; \
             give a later expiry with --expires T",
            args.file.display(),
            draft.expires
        )));
    }
    let edited = changed.then(|| draft.clone());
    let statement = Statement::from_predicate(draft).map_err(|e| {
        CliError::usage(format!("{} is not a valid roster", args.file.display()), e)
    })?;
    let signer = args.signer.open()?;
    let key_id = signer.key_id();
    let mut versions = match &args.chain {
        Some(chain) => read_chain(chain)?.versions().to_vec(),
        None if args.out.exists() => {
            return Err(CliError::usage_msg(format!(
                "{} already exists; pass --chain {} to add to it",
                args.out.display(),
                args.out.display()
            )));
        }
        None => Vec::new(),
    };
    let version_of = |s: &Signed<Roster>| s.unverified().predicate().version;
    let is_root = |root: &RootKeys| root.keys.iter().any(|k| k.key_id() == key_id);
    let previous_root = versions
        .iter()
        .find(|s| version_of(s).checked_add(1) == Some(version))
        .map(|s| &s.unverified().predicate().root);
    if !is_root(&statement.predicate().root) && !previous_root.is_some_and(is_root) {
        return Err(CliError::usage_msg(format!(
            "key {key_id} is not a root key of roster v{version} or of the version before it"
        )));
    }
    let digest = Digest::sha256(
        &statement
            .to_canonical_bytes()
            .map_err(|e| CliError::usage("cannot encode the roster", e))?,
    );
    let action = if let Some(existing) = versions.iter_mut().find(|s| s.digest() == digest) {
        if existing.signature_key_ids().contains(&Some(key_id)) {
            return Err(CliError::usage_msg(format!(
                "roster v{version} is already signed by key {key_id}"
            )));
        }
        existing
            .cosign(&*signer)
            .map_err(|e| CliError::usage("cannot sign the roster", e))?;
        "added a signature to"
    } else {
        if let Some(other) = versions.iter().find(|s| version_of(s) == version) {
            return Err(CliError::usage_msg(format!(
                "the chain already holds a different roster v{version} ({}); \
                 start the next version with `vouch roster init --from`",
                other.digest()
            )));
        }
        if let Some(newest) = versions.iter().map(version_of).max()
            && newest.checked_add(1) != Some(version)
        {
            return Err(CliError::usage_msg(format!(
                "the chain's newest version is v{newest}, \
                 so the draft must be the version after it, not v{version}"
            )));
        }
        versions.push(
            Signed::sign(&statement, &*signer)
                .map_err(|e| CliError::usage("cannot sign the roster", e))?,
        );
        "signed"
    };
    let chain = RosterChain::new(versions);
    let bytes = chain
        .to_bytes()
        .map_err(|e| CliError::usage("cannot encode the chain", e))?;
    crate::io::write(&args.out, &bytes)?;
    crate::io::outln!(
        "{action} roster v{version} {digest} with key {key_id} into {}",
        args.out.display()
    );
    if let Some(edited) = edited {
        write_draft(&args.file, &edited, false)?;
        crate::io::outln!(
            "set the expiry of v{version} to {} in {} (co-signers sign that draft)",
            edited.expires,
            args.file.display()
        );
    }
    // Whoever signs holds a root key: the oldest version is the anchor here.
    match chain.verify_insecure_unpinned(now) {
        Ok(t) => crate::io::outln!(
            "the chain verifies: newest trusted version v{} {}",
            t.version(),
            t.digest()
        ),
        // The reason may quote the roster (names, ids): escaped like them.
        Err(e) => crate::io::outln!("the chain does not verify yet: {}", Escaped(&e.to_string())),
    }
    Ok(Outcome::Done)
}

/// Verifies `chain` from `pin` (default: its oldest version) without
/// looking at the newest version's expiry.
fn verify_ignoring_expiry(
    chain: &RosterChain,
    pin: Option<Digest>,
) -> Result<TrustedRoster, vouch_manifest::ManifestError> {
    let anchor = match pin {
        Some(pin) => pin,
        None => oldest(chain).ok_or(vouch_manifest::RosterError::EmptyChain)?,
    };
    TrustedRoster::verify_chain(&anchor, chain.versions())
}

/// The statement digest of the chain's oldest version.
fn oldest(chain: &RosterChain) -> Option<Digest> {
    chain
        .versions()
        .iter()
        .min_by_key(|v| v.unverified().predicate().version)
        .map(Signed::digest)
}

/// `vouch roster verify`: a chain that does not verify, or whose newest
/// version has expired, exits 1.
fn verify(args: VerifyArgs) -> CliResult {
    let now = Timestamp::now();
    let checked = read_chain(&args.chain).and_then(|chain| {
        let verified = match args.pin {
            Some(pin) => chain.verify(&pin, now),
            None => chain.verify_insecure_unpinned(now),
        };
        verified.map(|t| (t, chain.versions().len())).map_err(|e| {
            CliError::refused(
                format!("roster {} does not verify", args.chain.display()),
                e,
            )
        })
    });
    let (trusted, count) = match checked {
        Ok(c) => c,
        Err(e) if args.json => {
            let json = serde_json::json!({ "verified": false, "error": error_chain(&e) });
            crate::io::outln!("{json:#}");
            return Ok(Outcome::Refused);
        }
        Err(e) => return Err(e),
    };
    if args.json {
        let json = serde_json::json!({
            "verified": true,
            "version": trusted.version(),
            "digest": trusted.digest(),
            "anchor": trusted.anchor(),
            "pinned": trusted.pinned(),
            "expires": trusted.roster().expires,
            "versions": count,
            "history": trusted
                .history()
                .iter()
                .map(|(v, d)| serde_json::json!({ "version": v, "digest": d }))
                .collect::<Vec<_>>(),
            "roster": trusted.roster(),
        });
        crate::io::outln!("{json:#}");
    } else {
        print_roster(&trusted, count, now);
    }
    Ok(Outcome::Done)
}

/// Prints a verified roster for people. Every string the roster's authors
/// chose (names, ids, addresses, issuers, subjects, roles) is escaped: a
/// signed roster is still someone else's text, not terminal commands.
fn print_roster(trusted: &TrustedRoster, count: usize, now: Timestamp) {
    let r = trusted.roster();
    crate::io::outln!(
        "roster {} v{}: verified ({count} version(s) in the file)",
        Escaped(&r.name),
        r.version
    );
    crate::io::outln!("digest   {}", trusted.digest());
    let how = if trusted.pinned() {
        "pinned"
    } else {
        "oldest version in the file, not pinned: check it out of band, then pin it \
         with --roster-pin"
    };
    crate::io::outln!("anchor   {} ({how})", trusted.anchor());
    let days = (r.expires.unix_seconds() - now.unix_seconds()) / 86_400;
    crate::io::outln!("expires  {} (in {days} day(s))", r.expires);
    crate::io::outln!(
        "root keys: {} of {} must sign",
        r.root.threshold,
        r.root.keys.len()
    );
    for k in &r.root.keys {
        crate::io::outln!("  {} {}", k.key_id(), k.algorithm());
    }
    crate::io::outln!("identities:");
    for i in &r.identities {
        crate::io::outln!(
            "  {} \"{}\"",
            Escaped(i.id.as_str()),
            Escaped(&i.display_name)
        );
        for p in &i.proofs {
            match p {
                IdentityProof::Email { address } => {
                    crate::io::outln!("    email {}", Escaped(address))
                }
                IdentityProof::Oidc { issuer, subject } => {
                    crate::io::outln!("    oidc {} {}", Escaped(issuer), Escaped(subject))
                }
            }
        }
        for k in &i.keys {
            let mut line = format!(
                "    key {} {} valid from {}",
                k.key.key_id(),
                k.key.algorithm(),
                k.valid_from
            );
            if let Some(u) = k.valid_until {
                line.push_str(&format!(" until {u}"));
            }
            for h in &k.hardware {
                line.push_str(match h {
                    HardwareClaim::TpmResident => " tpm-resident",
                    HardwareClaim::FidoAuthenticator => " fido-authenticator",
                    #[allow(unreachable_patterns)]
                    _ => " hardware",
                });
            }
            if let Some(rev) = &k.revoked {
                line.push_str(&format!(" REVOKED at {} ({})", rev.at, rev.reason));
            }
            crate::io::outln!("{line}");
            if let Some(g) = &k.grandfathered {
                crate::io::outln!(
                    "      grandfathered: {} statement(s), {} commit(s)",
                    g.statements.len(),
                    g.commits.len()
                );
                for d in &g.statements {
                    crate::io::outln!("        statement {d}");
                }
                for c in &g.commits {
                    crate::io::outln!("        commit {c}");
                }
            }
        }
    }
    crate::io::outln!("roles:");
    for (role, grants) in &r.roles {
        let held: Vec<String> = grants
            .iter()
            .map(|g| {
                format!(
                    "{} ({})",
                    Escaped(g.identity.as_str()),
                    window(g.valid_from, g.valid_until)
                )
            })
            .collect();
        crate::io::outln!("  {}: {}", Escaped(role.as_str()), held.join(", "));
    }
}
