//! The roster: the trust root of a vouch deployment.
//!
//! A roster lists identities (people and workloads), their keys with
//! validity windows and revocations, the roles they hold, and the root keys
//! that sign the roster itself. Versions rotate as in TUF: version `n + 1` is
//! trusted only when signed by a threshold of version `n`'s root keys *and*
//! a threshold of its own; versions only go up.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use vouch_core::text::error_chain;
use vouch_core::{Digest, KeyId, PublicKey, Timestamp};

use crate::authenticator::{AuthenticatorStatus, AuthenticatorTrust, KeyAttestation};
use crate::ci::CiTrust;
use crate::error::{ManifestError, RootSet, RosterError};
use crate::ids::{GitObjectId, IdentityId, IdentityKind, RoleName};
use crate::openpgp::{OpenPgpFingerprint, OpenPgpKey};
use crate::signed::Signed;
use crate::statement::{Predicate, Subject, SubjectDigest};
use crate::tpm::{TpmKeyAttestation, TpmStatus, TpmTrust};
use crate::witness::WitnessTrust;

/// Why a key was revoked.
///
/// Whatever the reason, a revocation ends what the key can sign. Signatures
/// made before it stay valid only when they are known to predate it: the
/// roster lists them in the key's [`Grandfathered`] set, or the verifier's
/// policy accepts the time the signer wrote (never for a compromise).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RevocationReason {
    /// The key may be in someone else's hands: nothing it signed is trusted.
    KeyCompromise,
    /// Replaced by a newer key.
    Superseded,
    /// The holder left or the key is no longer needed.
    Retired,
}

impl fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RevocationReason::KeyCompromise => "key compromise",
            RevocationReason::Superseded => "superseded",
            RevocationReason::Retired => "retired",
        })
    }
}

/// A revocation: when and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Revocation {
    /// When the key stopped being valid.
    pub at: Timestamp,
    /// Why.
    pub reason: RevocationReason,
}

/// What the roster's owners vouch for about where a key lives, checked
/// when the key was enrolled (e.g. a TPM2_Certify attestation, a FIDO
/// attestation). Policy may demand a claim *and* per-signature evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum HardwareClaim {
    /// The private key is non-exportable in a TPM: a bare claim, from
    /// rosters before TPM attestation. It still reads and counts for
    /// nothing: `tpm-attested` needs [`RosterKey::tpm`], verified.
    TpmResident,
    /// The key lives in a FIDO authenticator.
    FidoAuthenticator,
}

/// A key of an identity, with its validity window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RosterKey {
    /// The public key.
    pub key: PublicKey,
    /// Valid from this time on.
    pub valid_from: Timestamp,
    /// Valid until this time (exclusive), if bounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Timestamp>,
    /// Revocation, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Revocation>,
    /// Hardware claims (always written, possibly empty, so that a roster
    /// has exactly one encoding).
    pub hardware: Vec<HardwareClaim>,
    /// What this key signed that stays valid after it was revoked or its
    /// window ended: the roster's owners vouch that these predate the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grandfathered: Option<Grandfathered>,
    /// A FIDO key's enrollment attestation, verified by every verifier
    /// against the roster's [`Roster::authenticators`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<KeyAttestation>,
    /// A TPM key's TPM2_Certify attestation, verified by every verifier
    /// against the AKs [`Roster::tpm`] lists for the key's identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpm: Option<TpmKeyAttestation>,
}

/// Statements and commits a revoked or expired key signed that remain
/// valid, listed by the roster version that ends the key.
///
/// A time written by a signer is only a claim: a stolen key can sign a
/// statement dated last month. Listing what the key signed before it was
/// revoked is how the roster's owners keep honest history valid without
/// trusting any claimed time. A grandfathered release also covers the
/// signatures inside the commit objects it certifies, since the commit id
/// covers them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Grandfathered {
    /// Statement digests (of their canonical payloads).
    pub statements: Vec<Digest>,
    /// Git commit ids whose signatures (in the object or an attestation) stay valid.
    pub commits: Vec<GitObjectId>,
}

impl Grandfathered {
    /// Whether `statement` (a statement digest) is listed.
    pub fn covers_statement(&self, statement: &Digest) -> bool {
        self.statements.contains(statement)
    }

    /// Whether `commit` is listed.
    pub fn covers_commit(&self, commit: &GitObjectId) -> bool {
        self.commits.contains(commit)
    }
}

/// What a signature signed, for looking it up in a [`Grandfathered`] set:
/// covered when the statement or the commit is listed.
#[derive(Clone, Copy, Debug, Default)]
pub struct SignedThing<'a> {
    /// The statement, by the digest of its canonical payload.
    pub statement: Option<&'a Digest>,
    /// The git commit the signature is on or about.
    pub commit: Option<&'a GitObjectId>,
}

impl SignedThing<'_> {
    fn covered_by(self, g: &Grandfathered) -> bool {
        self.statement.is_some_and(|d| g.covers_statement(d))
            || self.commit.is_some_and(|c| g.covers_commit(c))
    }
}

/// How a key's signature counts at the time it claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyStanding {
    /// The key is live: its window is open at the claimed time and has not
    /// ended by the evaluation time.
    Live,
    /// The key has ended, but the roster grandfathers what it signed.
    Grandfathered,
    /// The key has ended and the signature counts only because the caller
    /// accepts the time the signer wrote.
    ClaimedTime,
    /// The key has ended (or will), and a witness the roster trusts proved
    /// the signature existed before that.
    ProvenBeforeEnd,
}

/// Whether a verifier accepts a claimed signing time for a key that has
/// since been revoked or has expired (never for a key compromise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimedTimeTrust {
    /// Only grandfathered signatures of an ended key count (the default).
    Refuse,
    /// A signature claiming a time inside the key's window counts.
    Accept,
}

impl RosterKey {
    /// A key valid from `valid_from` with no end, no revocation, no claims.
    pub fn new(key: PublicKey, valid_from: Timestamp) -> Self {
        RosterKey {
            key,
            valid_from,
            valid_until: None,
            revoked: None,
            hardware: Vec::new(),
            grandfathered: None,
            attestation: None,
            tpm: None,
        }
    }

    /// When the key stopped signing (its revocation or the end of its
    /// window, whichever is first), and why, if it has an end.
    pub fn end(&self) -> Option<(Timestamp, String)> {
        end_of(self)
    }
}

/// A role held by an identity for a time, as a key is.
///
/// A role granted in a later roster version does not validate a statement
/// signed before the grant: the grant's window must contain the time the
/// statement was signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RoleGrant {
    /// The member.
    pub identity: IdentityId,
    /// Held from this time on.
    pub valid_from: Timestamp,
    /// Held until this time (exclusive), if bounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Timestamp>,
}

impl RoleGrant {
    /// A grant to `identity` from `valid_from` with no end.
    pub fn new(identity: IdentityId, valid_from: Timestamp) -> Self {
        RoleGrant {
            identity,
            valid_from,
            valid_until: None,
        }
    }

    /// Whether the grant holds at `at`.
    pub fn holds_at(&self, at: Timestamp) -> bool {
        at >= self.valid_from && self.valid_until.is_none_or(|u| at < u)
    }
}

/// A link from an identity to a real-world identity proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", deny_unknown_fields)]
pub enum IdentityProof {
    /// An email address the identity controls.
    Email {
        /// The address.
        address: String,
    },
    /// An OpenID Connect subject at an issuer.
    Oidc {
        /// The issuer URL.
        issuer: String,
        /// The subject.
        subject: String,
    },
}

/// A person or workload in the roster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Identity {
    /// `person:...` or `workload:...`.
    pub id: IdentityId,
    /// A name for people to read.
    pub display_name: String,
    /// Links to real-world identity proofs (always written, possibly empty).
    pub proofs: Vec<IdentityProof>,
    /// The identity's keys.
    pub keys: Vec<RosterKey>,
    /// The identity's OpenPGP keys (for OpenPGP-signed git commits and
    /// tags); not written when empty, so rosters without any keep their
    /// bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub openpgp_keys: Vec<OpenPgpKey>,
}

impl Identity {
    /// Person or workload (from the id).
    pub fn kind(&self) -> IdentityKind {
        self.id.kind()
    }
}

/// The keys that sign the roster, and how many must.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RootKeys {
    /// The root keys.
    pub keys: Vec<PublicKey>,
    /// Distinct root keys that must sign.
    pub threshold: u32,
}

/// The roster predicate (`predicateType` `https://vouch.dev/roster/v1`).
///
/// In JSON, keys are OpenSSH public key lines:
///
/// ```
/// let predicate: vouch_manifest::Roster = serde_json::from_str(r#"
/// {
///   "identities": [{
///     "displayName": "Alice",
///     "id": "person:alice@example.com",
///     "keys": [{
///       "hardware": [],
///       "key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFOG6kY7Rf4UtCFvPwKgo/BztXck2xC4a2WyA34XtIwZ",
///       "validFrom": "2026-01-01T00:00:00Z",
///       "validUntil": "2027-01-01T00:00:00Z"
///     }],
///     "proofs": [{ "address": "alice@example.com", "kind": "email" }]
///   }],
///   "expires": "2027-06-01T00:00:00Z",
///   "name": "example.com",
///   "roles": { "developer": [{ "identity": "person:alice@example.com", "validFrom": "2026-01-01T00:00:00Z" }] },
///   "root": {
///     "keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFOG6kY7Rf4UtCFvPwKgo/BztXck2xC4a2WyA34XtIwZ"],
///     "threshold": 1
///   },
///   "version": 1
/// }
/// "#).unwrap();
/// # let _ = predicate;
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Roster {
    /// What this roster is for (an organisation or project name).
    pub name: String,
    /// The version; each rotation adds one.
    pub version: u64,
    /// When this version stops being trusted: a verifier refuses a newest
    /// version past its expiry, so a frozen roster (an attacker withholding
    /// the version that revokes a key) is noticed.
    pub expires: Timestamp,
    /// Root keys and threshold.
    pub root: RootKeys,
    /// Identities.
    pub identities: Vec<Identity>,
    /// Roles: role name to the grants of it, each with its window.
    pub roles: BTreeMap<RoleName, Vec<RoleGrant>>,
    /// The FIDO authenticators (attestation roots, allowed models) whose
    /// attestation makes a key's authenticator attested.
    #[serde(default, skip_serializing_if = "AuthenticatorTrust::is_empty")]
    pub authenticators: AuthenticatorTrust,
    /// The TPMs (attestation keys, per identity) whose TPM2_Certify
    /// attestations make a key TPM-attested.
    #[serde(default, skip_serializing_if = "TpmTrust::is_empty")]
    pub tpm: TpmTrust,
    /// The transparency logs and timestamp authorities whose proofs make a
    /// statement's time proven rather than claimed.
    #[serde(default, skip_serializing_if = "WitnessTrust::is_empty")]
    pub witnesses: WitnessTrust,
    /// The CI providers whose OIDC ID tokens prove a deployment's CI
    /// workload, run and triggering person.
    #[serde(default, skip_serializing_if = "CiTrust::is_empty")]
    pub ci: CiTrust,
}

impl Roster {
    /// The digest the roster statement's subject must carry: SHA-256 of the
    /// canonical CBOR of the predicate, so a roster statement names its own content.
    pub fn content_digest(&self) -> Result<Digest, ManifestError> {
        Ok(Digest::sha256(&vouch_core::cbor::to_canonical(self)?))
    }
}

impl Predicate for Roster {
    const PREDICATE_TYPE: &'static str = "https://vouch.dev/roster/v1";

    fn check(&self) -> Result<(), ManifestError> {
        // Roots that do not parse would make every attestation fail later,
        // with a reason nobody asked for: refuse the roster instead.
        self.authenticators.anchors()?;
        self.tpm.endorsement_anchors()?;
        self.witnesses.check()?;
        self.ci.check()?;
        for ak in &self.tpm.attestation_keys {
            if !self.identities.iter().any(|i| i.id == ak.identity) {
                return Err(RosterError::UnknownAkIdentity(ak.identity.clone()).into());
            }
        }
        for ident in &self.identities {
            for k in &ident.keys {
                if k.attestation.is_some() && k.key.fido_application().is_none() {
                    return Err(ManifestError::AttestationOnPlainKey(k.key.key_id()));
                }
            }
        }
        if self.root.threshold == 0 {
            return Err(RosterError::ZeroThreshold.into());
        }
        let mut roots = HashSet::new();
        for k in &self.root.keys {
            if !roots.insert(k.key_id()) {
                return Err(RosterError::DuplicateRootKey(k.key_id()).into());
            }
        }
        if self.root.threshold as usize > roots.len() {
            return Err(RosterError::ThresholdAboveKeys {
                threshold: self.root.threshold,
                keys: roots.len(),
            }
            .into());
        }
        let mut ids = HashSet::new();
        let mut keys: HashMap<KeyId, &IdentityId> = HashMap::new();
        for ident in &self.identities {
            if !ids.insert(&ident.id) {
                return Err(RosterError::DuplicateIdentity(ident.id.clone()).into());
            }
            for k in &ident.keys {
                let kid = k.key.key_id();
                if let Some(first) = keys.insert(kid, &ident.id) {
                    return Err(RosterError::DuplicateKey {
                        key_id: kid,
                        first: first.clone(),
                        second: ident.id.clone(),
                    }
                    .into());
                }
                if k.valid_until.is_some_and(|u| u <= k.valid_from) {
                    return Err(RosterError::InvalidWindow {
                        identity: ident.id.clone(),
                        key_id: kid,
                    }
                    .into());
                }
                if k.grandfathered
                    .as_ref()
                    .is_some_and(|g| g.statements.is_empty() && g.commits.is_empty())
                {
                    return Err(RosterError::EmptyGrandfathered {
                        identity: ident.id.clone(),
                        key_id: kid,
                    }
                    .into());
                }
            }
        }
        let mut fingerprints: HashMap<&OpenPgpFingerprint, &IdentityId> = HashMap::new();
        for ident in &self.identities {
            for k in &ident.openpgp_keys {
                if let Some(first) = fingerprints.insert(&k.fingerprint, &ident.id) {
                    return Err(RosterError::DuplicateOpenPgpKey {
                        fingerprint: k.fingerprint.to_string(),
                        first: first.clone(),
                        second: ident.id.clone(),
                    }
                    .into());
                }
                if k.valid_until.is_some_and(|u| u <= k.valid_from) {
                    return Err(RosterError::InvalidWindow {
                        identity: ident.id.clone(),
                        key_id: k.key_id(),
                    }
                    .into());
                }
                if k.grandfathered
                    .as_ref()
                    .is_some_and(|g| g.statements.is_empty() && g.commits.is_empty())
                {
                    return Err(RosterError::EmptyGrandfathered {
                        identity: ident.id.clone(),
                        key_id: k.key_id(),
                    }
                    .into());
                }
            }
        }
        for (role, grants) in &self.roles {
            if let Some(g) = grants.iter().find(|g| !ids.contains(&g.identity)) {
                return Err(RosterError::UnknownRoleMember {
                    role: role.clone(),
                    identity: g.identity.clone(),
                }
                .into());
            }
            for (i, g) in grants.iter().enumerate() {
                if g.valid_until.is_some_and(|u| u <= g.valid_from) {
                    return Err(RosterError::InvalidGrantWindow {
                        role: role.clone(),
                        identity: g.identity.clone(),
                    }
                    .into());
                }
                // Two grants of one role to one identity must not overlap:
                // each moment has one answer to "did she hold it?".
                let overlaps = grants[..i].iter().any(|h| {
                    h.identity == g.identity
                        && h.valid_until.is_none_or(|u| g.valid_from < u)
                        && g.valid_until.is_none_or(|u| h.valid_from < u)
                });
                if overlaps {
                    return Err(RosterError::DuplicateGrant {
                        role: role.clone(),
                        identity: g.identity.clone(),
                    }
                    .into());
                }
            }
        }
        if let Some(sigstore) = &self.witnesses.sigstore {
            sigstore.check(|id| ids.contains(id))?;
        }
        crate::names::check_roster_names(self)?;
        crate::names::check_roster_keys(self)?;
        Ok(())
    }

    /// A roster statement's subject is the digest of its own content
    /// ([`Roster::content_digest`]).
    fn subject_binding(&self) -> Option<(SubjectDigest, &'static str)> {
        self.content_digest()
            .ok()
            .map(|d| (SubjectDigest::sha256(d), "roster content digest"))
    }

    fn default_subjects(&self) -> Vec<Subject> {
        // A roster that cannot be encoded fails `check` on signing anyway.
        let digest = self
            .content_digest()
            .unwrap_or_else(|_| Digest::sha256(b""));
        vec![Subject::sha256(
            format!("roster:{}@{}", self.name, self.version),
            digest,
        )]
    }
}

/// A roster whose signatures and rotation chain have been verified, indexed
/// for lookups by key id and role.
#[derive(Debug, Clone)]
pub struct TrustedRoster {
    roster: Roster,
    digest: Digest,
    anchor: Digest,
    pinned: bool,
    /// Every version verified on the way from the anchor, oldest first.
    history: Vec<(u64, Digest)>,
    by_key: HashMap<KeyId, (usize, usize)>,
    /// OpenPGP keys by [`OpenPgpKey::key_id`]: identity and key index.
    by_openpgp: HashMap<KeyId, (usize, usize)>,
    by_id: HashMap<IdentityId, usize>,
    /// Person identities by [`crate::names::email_key`] of their id's name
    /// and of their email proofs (unique: the roster check refuses an
    /// address that names two identities).
    by_email: HashMap<String, usize>,
    /// Each identity's grants, by role name order: a role check is one
    /// lookup, not a scan of a role's (hundreds of) members.
    grants_by_identity: HashMap<IdentityId, Vec<(RoleName, RoleGrant)>>,
    /// What this verifier concluded about each FIDO key's authenticator,
    /// from the enrollment attestation (verified when the roster is
    /// trusted, once).
    ///
    /// Computed on first use: a chain of versions is indexed once per
    /// version, and only the newest one's keys are ever asked about.
    authenticators: std::sync::OnceLock<HashMap<KeyId, AuthenticatorStatus>>,
    /// What this verifier concluded about each key carrying a TPM
    /// attestation (on first use, as above).
    tpm: std::sync::OnceLock<HashMap<KeyId, TpmStatus>>,
}

/// Counts distinct root keys of `root` among the verified signers of `signed`.
fn root_signers(signed: &Signed<Roster>, root: &RootKeys) -> usize {
    let (verified, _) = signed.verify_each(|k| root.keys.iter().find(|p| p.key_id() == *k));
    let distinct: HashSet<KeyId> = verified.map(|v| v.key_ids().collect()).unwrap_or_default();
    distinct.len()
}

fn require(signed: &Signed<Roster>, root: &RootKeys, set: RootSet) -> Result<(), RosterError> {
    let have = root_signers(signed, root);
    if have < root.threshold as usize {
        return Err(RosterError::RootThreshold {
            version: signed.unverified().predicate().version,
            set,
            have,
            need: root.threshold,
        });
    }
    Ok(())
}

fn subject_matches(signed: &Signed<Roster>) -> Result<(), ManifestError> {
    let expected = signed.unverified().predicate().content_digest()?;
    if signed
        .unverified()
        .subjects()
        .iter()
        .any(|s| s.digest.sha256 == Some(expected))
    {
        Ok(())
    } else {
        Err(RosterError::SubjectMismatch.into())
    }
}

impl TrustedRoster {
    /// Trusts the first roster because its statement digest equals `pin`
    /// (distributed out of band) and a threshold of its own root keys signed it.
    pub fn from_pinned(signed: &Signed<Roster>, pin: &Digest) -> Result<Self, ManifestError> {
        if signed.digest() != *pin {
            return Err(RosterError::PinMismatch {
                expected: *pin,
                found: signed.digest(),
            }
            .into());
        }
        subject_matches(signed)?;
        require(signed, &signed.unverified().predicate().root, RootSet::Own)?;
        Ok(TrustedRoster::index(
            signed.unverified().predicate().clone(),
            signed.digest(),
            *pin,
            vec![(signed.unverified().predicate().version, signed.digest())],
        ))
    }

    /// Moves to the next version: it must be exactly one above, signed by a
    /// threshold of this version's root keys and of its own.
    pub fn update(&self, next: &Signed<Roster>) -> Result<Self, ManifestError> {
        let offered = next.unverified().predicate().version;
        let current = self.roster.version;
        if offered <= current {
            return Err(RosterError::Rollback { current, offered }.into());
        }
        if offered != current + 1 {
            return Err(RosterError::VersionGap {
                current,
                found: offered,
            }
            .into());
        }
        subject_matches(next)?;
        require(next, &self.roster.root, RootSet::Previous)?;
        require(next, &next.unverified().predicate().root, RootSet::Own)?;
        let mut history = self.history.clone();
        history.push((offered, next.digest()));
        let mut trusted = TrustedRoster::index(
            next.unverified().predicate().clone(),
            next.digest(),
            self.anchor,
            history,
        );
        trusted.pinned = self.pinned;
        Ok(trusted)
    }

    /// Refuses this version when it has expired at `now`: only the newest
    /// version's expiry matters, as in TUF.
    pub fn check_expiry(&self, now: Timestamp) -> Result<(), RosterError> {
        if now >= self.roster.expires {
            return Err(RosterError::RosterExpired {
                version: self.roster.version,
                expires: self.roster.expires,
                now,
            });
        }
        Ok(())
    }

    /// Verifies a rotation chain from the pinned first version through every
    /// later version given (in any order), returning the newest.
    pub fn verify_chain(pin: &Digest, rosters: &[Signed<Roster>]) -> Result<Self, ManifestError> {
        let mut sorted: Vec<&Signed<Roster>> = rosters.iter().collect();
        sorted.sort_by_key(|r| r.unverified().predicate().version);
        let first =
            sorted
                .iter()
                .position(|r| r.digest() == *pin)
                .ok_or(RosterError::PinMismatch {
                    expected: *pin,
                    found: sorted
                        .first()
                        .map(|r| r.digest())
                        .unwrap_or_else(|| Digest::sha256(b"")),
                })?;
        let mut trusted = TrustedRoster::from_pinned(sorted[first], pin)?;
        for next in &sorted[first + 1..] {
            trusted = trusted.update(next)?;
        }
        Ok(trusted)
    }

    fn index(roster: Roster, digest: Digest, anchor: Digest, history: Vec<(u64, Digest)>) -> Self {
        let mut by_key = HashMap::new();
        let mut by_openpgp = HashMap::new();
        let mut by_id = HashMap::new();
        let mut by_email = HashMap::new();
        let mut grants_by_identity: HashMap<IdentityId, Vec<(RoleName, RoleGrant)>> =
            HashMap::new();
        for (role, grants) in &roster.roles {
            for g in grants {
                grants_by_identity
                    .entry(g.identity.clone())
                    .or_default()
                    .push((role.clone(), g.clone()));
            }
        }
        for (i, ident) in roster.identities.iter().enumerate() {
            by_id.insert(ident.id.clone(), i);
            if ident.kind() == IdentityKind::Person {
                by_email
                    .entry(crate::names::email_key(ident.id.name()))
                    .or_insert(i);
                for p in &ident.proofs {
                    if let IdentityProof::Email { address } = p {
                        by_email
                            .entry(crate::names::email_key(address))
                            .or_insert(i);
                    }
                }
            }
            for (j, k) in ident.keys.iter().enumerate() {
                by_key.insert(k.key.key_id(), (i, j));
            }
            for (j, k) in ident.openpgp_keys.iter().enumerate() {
                by_openpgp.insert(k.key_id(), (i, j));
            }
        }
        TrustedRoster {
            roster,
            digest,
            anchor,
            pinned: true,
            history,
            by_key,
            by_openpgp,
            by_id,
            by_email,
            grants_by_identity,
            authenticators: std::sync::OnceLock::new(),
            tpm: std::sync::OnceLock::new(),
        }
    }

    /// What this verifier concluded about key `key_id`'s TPM attestation
    /// (`None` when it carries none).
    pub fn tpm(&self, key_id: &KeyId) -> Option<&TpmStatus> {
        self.tpm
            .get_or_init(|| {
                let roster = &self.roster;
                let mut tpm = HashMap::new();
                for ident in &roster.identities {
                    for k in &ident.keys {
                        if let Some(a) = &k.tpm {
                            let status = crate::tpm::status(a, &ident.id, &k.key, &roster.tpm);
                            tpm.insert(k.key.key_id(), status);
                        }
                    }
                }
                tpm
            })
            .get(key_id)
    }

    /// What this verifier concluded about the authenticator holding FIDO
    /// key `key_id` (`None` for keys that are not FIDO keys, or unknown).
    pub fn authenticator(&self, key_id: &KeyId) -> Option<&AuthenticatorStatus> {
        self.authenticators
            .get_or_init(|| {
                let roster = &self.roster;
                let mut authenticators = HashMap::new();
                for k in roster.identities.iter().flat_map(|i| &i.keys) {
                    if k.key.fido_application().is_none() {
                        continue;
                    }
                    // Roots that do not parse make every attestation refused
                    // with the reason, rather than the roster unusable.
                    let status = crate::authenticator::status(
                        k.attestation.as_ref(),
                        &k.key,
                        &roster.authenticators,
                        k.valid_from,
                    )
                    .unwrap_or_else(|e| AuthenticatorStatus::Refused {
                        reason: error_chain(&e),
                    });
                    authenticators.insert(k.key.key_id(), status);
                }
                authenticators
            })
            .get(key_id)
    }

    /// The person whose `person:EMAIL` id or email proof is `email`, as
    /// [`crate::same_email`] compares addresses (local part exact, domain
    /// case-insensitive): how a commit's author is matched to the roster.
    pub fn person_by_email(&self, email: &str) -> Option<&Identity> {
        self.by_email
            .get(&crate::names::email_key(email))
            .map(|&i| &self.roster.identities[i])
    }

    /// The digest of the version this roster was trusted from (the pin).
    pub fn anchor(&self) -> Digest {
        self.anchor
    }

    /// Whether the anchor was pinned by the caller; `false` only for
    /// [`RosterChain::verify_insecure_unpinned`], where whoever supplied
    /// the roster file chose the trust root.
    pub fn pinned(&self) -> bool {
        self.pinned
    }

    /// Every version verified from the anchor to this one, oldest first,
    /// with its statement digest.
    pub fn history(&self) -> &[(u64, Digest)] {
        &self.history
    }

    /// The roster.
    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    /// The version.
    pub fn version(&self) -> u64 {
        self.roster.version
    }

    /// The statement digest of this version.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// The public key for a key id, whatever its validity (for signature checks).
    pub fn public_key(&self, key_id: &KeyId) -> Option<&PublicKey> {
        self.by_key
            .get(key_id)
            .map(|&(i, j)| &self.roster.identities[i].keys[j].key)
    }

    /// An identity by id.
    pub fn identity(&self, id: &IdentityId) -> Option<&Identity> {
        self.by_id.get(id).map(|&i| &self.roster.identities[i])
    }

    /// The identity that held `key_id` at time `at`, and the key entry.
    ///
    /// A key is valid from `valid_from` (inclusive) to `valid_until`
    /// (exclusive). A revoked key stays valid for signatures made before its
    /// revocation, unless the reason is key compromise: then nothing it
    /// signed is trusted, whenever it claims to have been signed.
    pub fn key_holder(
        &self,
        key_id: &KeyId,
        at: Timestamp,
    ) -> Result<(&Identity, &RosterKey), RosterError> {
        let &(i, j) = self
            .by_key
            .get(key_id)
            .ok_or(RosterError::UnknownKey(*key_id))?;
        let ident = &self.roster.identities[i];
        let k = &ident.keys[j];
        holds(ident, k, key_id, at)?;
        Ok((ident, k))
    }

    /// The identity that held `key_id` when `signed` was signed, judged
    /// without trusting the claimed time `at` beyond what the roster allows.
    ///
    /// The key must be valid at `at` ([`TrustedRoster::key_holder`]). When the
    /// key has ended by `now` (revoked, for any reason, or past its window),
    /// `at` is only the signer's word: the signature counts when the roster
    /// grandfathers `signed`, or when `trust` is
    /// [`ClaimedTimeTrust::Accept`] and the key was not revoked as
    /// compromised. A key revoked as compromised counts only for what the
    /// roster grandfathers.
    pub fn key_standing(
        &self,
        key_id: &KeyId,
        at: Timestamp,
        now: Timestamp,
        signed: SignedThing<'_>,
        trust: ClaimedTimeTrust,
    ) -> Result<(&Identity, &RosterKey, KeyStanding), RosterError> {
        let &(i, j) = self
            .by_key
            .get(key_id)
            .ok_or(RosterError::UnknownKey(*key_id))?;
        let ident = &self.roster.identities[i];
        let k = &ident.keys[j];
        standing(ident, k, key_id, at, now, signed, trust).map(|s| (ident, k, s))
    }

    /// The identity that held `key_id` when `signed` was signed, with the
    /// signing time proven: a witness the roster trusts (a log, a timestamp
    /// authority) saw the signature at `proven`, so it was made no later.
    ///
    /// The claimed `at` must lie in the key's window, as for
    /// [`TrustedRoster::key_holder`] (roles are judged at it too; the
    /// caller bounds how far it may lie from `proven`). The key's end, its
    /// expiry or a revocation of any reason, compromise included, is judged
    /// at `proven`: a signature proven to exist before the end counts, one
    /// proven only after it does not, whatever time it claims.
    pub fn key_standing_proven(
        &self,
        key_id: &KeyId,
        at: Timestamp,
        proven: Timestamp,
        signed: SignedThing<'_>,
    ) -> Result<(&Identity, &RosterKey, KeyStanding), RosterError> {
        let &(i, j) = self
            .by_key
            .get(key_id)
            .ok_or(RosterError::UnknownKey(*key_id))?;
        let ident = &self.roster.identities[i];
        let k = &ident.keys[j];
        standing_proven(ident, k, key_id, at, proven, signed).map(|s| (ident, k, s))
    }

    /// The OpenPGP key whose [`OpenPgpKey::key_id`] is `key_id`, and its
    /// identity, whatever its validity.
    pub fn openpgp_key(&self, key_id: &KeyId) -> Option<(&Identity, &OpenPgpKey)> {
        self.by_openpgp.get(key_id).map(|&(i, j)| {
            let ident = &self.roster.identities[i];
            (ident, &ident.openpgp_keys[j])
        })
    }

    /// Every enrolled OpenPGP key, with its identity.
    pub fn openpgp_keys(&self) -> impl Iterator<Item = (&Identity, &OpenPgpKey)> {
        self.roster
            .identities
            .iter()
            .flat_map(|i| i.openpgp_keys.iter().map(move |k| (i, k)))
    }

    /// [`TrustedRoster::key_standing`] for an OpenPGP key, by its
    /// [`OpenPgpKey::key_id`]: the same window, revocation and
    /// grandfathering rules.
    pub fn openpgp_key_standing(
        &self,
        key_id: &KeyId,
        at: Timestamp,
        now: Timestamp,
        signed: SignedThing<'_>,
        trust: ClaimedTimeTrust,
    ) -> Result<(&Identity, &OpenPgpKey, KeyStanding), RosterError> {
        let (ident, k) = self
            .openpgp_key(key_id)
            .ok_or(RosterError::UnknownKey(*key_id))?;
        standing(ident, k, key_id, at, now, signed, trust).map(|s| (ident, k, s))
    }

    /// [`TrustedRoster::key_standing_proven`] for an OpenPGP key.
    pub fn openpgp_key_standing_proven(
        &self,
        key_id: &KeyId,
        at: Timestamp,
        proven: Timestamp,
        signed: SignedThing<'_>,
    ) -> Result<(&Identity, &OpenPgpKey, KeyStanding), RosterError> {
        let (ident, k) = self
            .openpgp_key(key_id)
            .ok_or(RosterError::UnknownKey(*key_id))?;
        standing_proven(ident, k, key_id, at, proven, signed).map(|s| (ident, k, s))
    }

    /// The grants of a role (empty when the role does not exist).
    pub fn grants(&self, role: &RoleName) -> &[RoleGrant] {
        self.roster
            .roles
            .get(role)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The identities granted a role at any time.
    pub fn members(&self, role: &RoleName) -> impl Iterator<Item = &IdentityId> {
        self.grants(role).iter().map(|g| &g.identity)
    }

    /// Whether `id` holds `role` at `at` (a grant's window contains it).
    pub fn has_role_at(&self, id: &IdentityId, role: &RoleName, at: Timestamp) -> bool {
        self.grants_by_identity
            .get(id)
            .is_some_and(|gs| gs.iter().any(|(r, g)| r == role && g.holds_at(at)))
    }

    /// The roles `id` holds at `at`, in role-name order (each once).
    pub fn roles_at(&self, id: &IdentityId, at: Timestamp) -> Vec<&RoleName> {
        let mut out: Vec<&RoleName> = Vec::new();
        for (r, g) in self
            .grants_by_identity
            .get(id)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            if g.holds_at(at) && out.last() != Some(&r) {
                out.push(r);
            }
        }
        out
    }
}

/// What the standing rules read of a key entry: a vouch key
/// ([`RosterKey`]) or an OpenPGP key ([`OpenPgpKey`]), judged alike.
pub(crate) trait Windowed {
    /// `validFrom` and `validUntil`.
    fn window(&self) -> (Timestamp, Option<Timestamp>);
    /// The revocation, if any.
    fn revocation(&self) -> Option<&Revocation>;
    /// What stays valid after the key ended.
    fn grandfathers(&self) -> Option<&Grandfathered>;
}

impl Windowed for RosterKey {
    fn window(&self) -> (Timestamp, Option<Timestamp>) {
        (self.valid_from, self.valid_until)
    }
    fn revocation(&self) -> Option<&Revocation> {
        self.revoked.as_ref()
    }
    fn grandfathers(&self) -> Option<&Grandfathered> {
        self.grandfathered.as_ref()
    }
}

impl Windowed for OpenPgpKey {
    fn window(&self) -> (Timestamp, Option<Timestamp>) {
        (self.valid_from, self.valid_until)
    }
    fn revocation(&self) -> Option<&Revocation> {
        self.revoked.as_ref()
    }
    fn grandfathers(&self) -> Option<&Grandfathered> {
        self.grandfathered.as_ref()
    }
}

/// When key `k` stopped signing (its revocation or the end of its window,
/// whichever is first), and why.
pub(crate) fn end_of(k: &dyn Windowed) -> Option<(Timestamp, String)> {
    let revoked = k
        .revocation()
        .map(|r| (r.at, format!("revoked: {}", r.reason)));
    let until = k
        .window()
        .1
        .map(|u| (u, "its validity window ended".to_owned()));
    match (revoked, until) {
        (Some(r), Some(u)) => Some(if u.0 < r.0 { u } else { r }),
        (r, u) => r.or(u),
    }
}

/// [`TrustedRoster::key_holder`]'s rule: in the window, and not revoked
/// before `at` (nor ever, for a compromise).
fn holds(
    ident: &Identity,
    k: &dyn Windowed,
    key_id: &KeyId,
    at: Timestamp,
) -> Result<(), RosterError> {
    in_window(ident, k, key_id, at)?;
    if let Some(r) = k.revocation()
        && (r.reason == RevocationReason::KeyCompromise || at >= r.at)
    {
        return Err(RosterError::Revoked {
            identity: ident.id.clone(),
            key_id: *key_id,
            revoked_at: r.at,
            reason: r.reason,
            at,
        });
    }
    Ok(())
}

/// [`TrustedRoster::key_standing`]'s rule.
fn standing(
    ident: &Identity,
    k: &dyn Windowed,
    key_id: &KeyId,
    at: Timestamp,
    now: Timestamp,
    signed: SignedThing<'_>,
    trust: ClaimedTimeTrust,
) -> Result<KeyStanding, RosterError> {
    if k.grandfathers().is_some_and(|g| signed.covered_by(g)) {
        return Ok(KeyStanding::Grandfathered);
    }
    holds(ident, k, key_id, at)?;
    let Some((ended_at, why)) = end_of(k) else {
        return Ok(KeyStanding::Live);
    };
    if now < ended_at {
        return Ok(KeyStanding::Live);
    }
    let compromised = k
        .revocation()
        .is_some_and(|r| r.reason == RevocationReason::KeyCompromise);
    if trust == ClaimedTimeTrust::Accept && !compromised {
        return Ok(KeyStanding::ClaimedTime);
    }
    Err(RosterError::EndedKeyClaimedTime {
        identity: ident.id.clone(),
        key_id: *key_id,
        ended_at,
        why,
        at,
    })
}

/// [`TrustedRoster::key_standing_proven`]'s rule.
fn standing_proven(
    ident: &Identity,
    k: &dyn Windowed,
    key_id: &KeyId,
    at: Timestamp,
    proven: Timestamp,
    signed: SignedThing<'_>,
) -> Result<KeyStanding, RosterError> {
    if k.grandfathers().is_some_and(|g| signed.covered_by(g)) {
        return Ok(KeyStanding::Grandfathered);
    }
    in_window(ident, k, key_id, at)?;
    match end_of(k) {
        None => Ok(KeyStanding::Live),
        Some((ended_at, why)) if proven >= ended_at => Err(RosterError::EndedBeforeProvenTime {
            identity: ident.id.clone(),
            key_id: *key_id,
            ended_at,
            why,
            proven,
        }),
        Some(_) => Ok(KeyStanding::ProvenBeforeEnd),
    }
}

/// Whether `at` lies in key `k`'s window: from `validFrom` (inclusive) to
/// `validUntil` (exclusive).
fn in_window(
    ident: &Identity,
    k: &dyn Windowed,
    key_id: &KeyId,
    at: Timestamp,
) -> Result<(), RosterError> {
    let (valid_from, valid_until) = k.window();
    if at < valid_from {
        return Err(RosterError::NotYetValid {
            identity: ident.id.clone(),
            key_id: *key_id,
            valid_from,
            at,
        });
    }
    if let Some(until) = valid_until
        && at >= until
    {
        return Err(RosterError::Expired {
            identity: ident.id.clone(),
            key_id: *key_id,
            valid_until: until,
            at,
        });
    }
    Ok(())
}

/// A roster file: every version of a roster, oldest first, as signed
/// envelopes (canonical CBOR: an array of byte strings, each one envelope).
/// A file holding a single envelope is also accepted.
#[derive(Debug, Clone)]
pub struct RosterChain {
    versions: Vec<Signed<Roster>>,
}

impl RosterChain {
    /// A chain of signed roster versions.
    pub fn new(versions: Vec<Signed<Roster>>) -> Self {
        RosterChain { versions }
    }

    /// The versions, in file order.
    pub fn versions(&self) -> &[Signed<Roster>] {
        &self.versions
    }

    /// Appends a newer version.
    pub fn push(&mut self, next: Signed<Roster>) {
        self.versions.push(next);
    }

    /// Encodes the file.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ManifestError> {
        let items: Vec<ciborium::Value> = self
            .versions
            .iter()
            .map(|v| v.to_bytes().map(ciborium::Value::Bytes))
            .collect::<Result<_, _>>()?;
        Ok(vouch_core::cbor::value_to_canonical(
            ciborium::Value::Array(items),
        )?)
    }

    /// Decodes a roster file (a chain, or one envelope).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ManifestError> {
        if bytes.starts_with(&[0xd8, 0x62]) {
            return Ok(RosterChain {
                versions: vec![Signed::from_bytes(bytes)?],
            });
        }
        let items: Vec<ciborium::Value> = vouch_core::cbor::from_canonical(bytes)?;
        let mut versions = Vec::with_capacity(items.len());
        for item in items {
            match item {
                ciborium::Value::Bytes(b) => versions.push(Signed::from_bytes(&b)?),
                _ => {
                    return Err(vouch_core::cbor::CborError::Schema {
                        offset: None,
                        reason: "roster file entries must be byte strings".into(),
                    }
                    .into());
                }
            }
        }
        Ok(RosterChain { versions })
    }

    /// Verifies the chain from `pin` (the digest of a trusted version, known
    /// out of band) to the newest version, and refuses a newest version that
    /// has expired at `now`.
    ///
    /// Rollback protection beyond the pin (a file cut back to an older
    /// version) needs trusted state: see [`crate::RosterState`].
    pub fn verify(&self, pin: &Digest, now: Timestamp) -> Result<TrustedRoster, ManifestError> {
        let trusted = TrustedRoster::verify_chain(pin, &self.versions)?;
        trusted.check_expiry(now)?;
        Ok(trusted)
    }

    /// Verifies the chain with the oldest version in the file as its trust
    /// anchor: whoever supplied the file chose the trust root, so an
    /// attacker's self-signed roster passes. For demos and first contact
    /// only; the result says [`TrustedRoster::pinned`] is `false`.
    pub fn verify_insecure_unpinned(&self, now: Timestamp) -> Result<TrustedRoster, ManifestError> {
        let anchor = self
            .versions
            .iter()
            .min_by_key(|v| v.unverified().predicate().version)
            .map(|v| v.digest())
            .ok_or(RosterError::EmptyChain)?;
        let mut trusted = self.verify(&anchor, now)?;
        trusted.pinned = false;
        Ok(trusted)
    }
}
