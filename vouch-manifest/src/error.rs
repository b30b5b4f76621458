//! The error type of vouch-manifest.

use vouch_core::cbor::CborError;
use vouch_core::{Digest, EnvelopeError, KeyId, Timestamp};

use crate::ids::{IdentityId, RoleName};

/// Why a statement, envelope or roster was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// An authenticator attestation root in the roster is not a certificate.
    #[error("roster authenticator root is not a usable certificate: {0}")]
    AttestationRoot(String),
    /// A key that is not a FIDO key carries an authenticator attestation.
    #[error("key {0} carries an authenticator attestation but is not a FIDO (sk-) key")]
    AttestationOnPlainKey(vouch_core::KeyId),
    /// An EK-certified TPM enrollment was refused (the challenge could not
    /// be made, or the answer is wrong).
    #[error("TPM enrollment refused: {0}")]
    TpmEnrollment(String),
    /// The roster's witnesses (logs, timestamp authorities) are unusable.
    #[error("roster witnesses: {0}")]
    Witness(String),
    /// The roster's CI token issuers (JWKS, mappings) are unusable.
    #[error("roster CI issuers: {0}")]
    Ci(String),
    /// The statement's bytes decode, but are not the canonical encoding of
    /// what they decode to (a byte string where a text string belongs).
    #[error("the statement is not in its canonical encoding (a byte string where text belongs?)")]
    NotCanonical,
    /// An AAGUID is not a UUID.
    #[error("invalid AAGUID {0:?} (expected a UUID, 8-4-4-4-12 hex digits)")]
    InvalidAaguid(String),
    /// An identity id is not `person:<name>` or `workload:<name>`.
    #[error("invalid identity id {0:?} (expected person:<name> or workload:<name>)")]
    InvalidIdentityId(String),
    /// A role name has characters outside `[a-z0-9_-]` or a bad length.
    #[error("invalid role name {0:?} (lowercase letters, digits, - and _)")]
    InvalidRoleName(String),
    /// A git object id is not 40 or 64 lowercase hex digits.
    #[error("invalid git object id {0:?}")]
    InvalidGitObjectId(String),
    /// A statement has no subjects.
    #[error("a statement must have at least one subject")]
    EmptySubjects,
    /// A subject digest names no algorithm.
    #[error("subject {0:?} has no digest")]
    EmptySubjectDigest(String),
    /// The statement's `_type` is not in-toto Statement v1.
    #[error("statement _type {0:?} is not https://in-toto.io/Statement/v1")]
    StatementType(String),
    /// The statement carries another predicate type than the one expected.
    #[error("expected predicate type {expected}, found {found:?}")]
    PredicateTypeMismatch {
        /// The type asked for.
        expected: &'static str,
        /// The type in the statement.
        found: String,
    },
    /// The predicate type is not one vouch knows.
    #[error("unknown predicate type {0:?}")]
    UnknownPredicateType(String),
    /// A predicate field breaks a rule of its type.
    #[error("invalid {predicate} predicate: {field} {problem}")]
    InvalidPredicate {
        /// The predicate kind (`commit`, `release`, ...).
        predicate: &'static str,
        /// The field at fault.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The envelope's protected content type is not a vouch statement.
    #[error("envelope content type {0:?} is not {expected}", expected = crate::STATEMENT_CONTENT_TYPE)]
    ContentType(Option<String>),
    /// Canonical CBOR was refused.
    #[error("statement is not acceptable canonical CBOR")]
    Cbor(#[from] CborError),
    /// JSON could not be read or written.
    #[error("statement JSON is invalid")]
    Json(#[from] serde_json::Error),
    /// The COSE envelope was refused.
    #[error("statement envelope refused")]
    Envelope(#[from] EnvelopeError),
    /// A roster rule was broken.
    #[error(transparent)]
    Roster(#[from] RosterError),
    /// An SBOM could not be imported.
    #[error(transparent)]
    Sbom(#[from] crate::release::SbomError),
    /// A content manifest was refused.
    #[error(transparent)]
    Tree(#[from] crate::tree::TreeError),
    /// A statement's subject does not name what its predicate describes.
    #[error(
        "subject {subject:?} does not carry the {what} of the {predicate} predicate ({expected})"
    )]
    SubjectBinding {
        /// The predicate kind.
        predicate: &'static str,
        /// What the subject must carry (`image manifest digest`, ...).
        what: &'static str,
        /// The digest (or commit id) it must carry.
        expected: String,
        /// The subject's name.
        subject: String,
    },
    /// A forge audit export could not be read.
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    /// A repository policy version was refused.
    #[error(transparent)]
    RepoPolicy(#[from] crate::repo_policy::RepoPolicyError),
    /// A file could not be read or written.
    #[error("I/O error")]
    Io(#[source] std::io::Error),
    /// An input is larger than its limit: a roster state file
    /// ([`crate::RosterState::MAX_LEN`]), a TPM enrollment file
    /// ([`crate::tpm::endorsement::MAX_FILE_LEN`]), an identity name
    /// ([`crate::IdentityId::MAX_NAME_LEN`]) or a role name
    /// ([`crate::RoleName::MAX_LEN`]).
    #[error("{what} of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Which input.
        what: &'static str,
        /// Its length (of a file read to one byte past the limit: that).
        len: usize,
        /// The limit.
        max: usize,
    },
}

/// Which root keys a roster rotation was checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootSet {
    /// The root keys of the version before.
    Previous,
    /// The new version's own root keys.
    Own,
}

impl std::fmt::Display for RootSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RootSet::Previous => "the previous version's",
            RootSet::Own => "its own",
        })
    }
}

/// Why a roster, or a key's standing in it, was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RosterError {
    /// The root threshold is zero.
    #[error("roster root threshold must be at least 1")]
    ZeroThreshold,
    /// The root threshold exceeds the number of root keys.
    #[error("roster root threshold {threshold} exceeds its {keys} root keys")]
    ThresholdAboveKeys {
        /// The threshold.
        threshold: u32,
        /// Distinct root keys.
        keys: usize,
    },
    /// Two identities share an id.
    #[error("identity {0} appears twice in the roster")]
    DuplicateIdentity(IdentityId),
    /// One key is listed twice (for one identity or two).
    #[error("key {key_id} is listed for both {first} and {second}")]
    DuplicateKey {
        /// The key.
        key_id: KeyId,
        /// The first identity listing it.
        first: IdentityId,
        /// The second identity listing it.
        second: IdentityId,
    },
    /// A root key is listed twice.
    #[error("root key {0} is listed twice")]
    DuplicateRootKey(KeyId),
    /// A role names an identity the roster does not have.
    #[error("role {role} names unknown identity {identity}")]
    UnknownRoleMember {
        /// The role.
        role: RoleName,
        /// The missing identity.
        identity: IdentityId,
    },
    /// A TPM attestation key is listed for an identity the roster lacks.
    #[error("a TPM attestation key is listed for {0}, which is not in the roster")]
    UnknownAkIdentity(IdentityId),
    /// A key's validity window ends before it starts.
    #[error("key {key_id} of {identity} has valid_until before valid_from")]
    InvalidWindow {
        /// The identity.
        identity: IdentityId,
        /// The key.
        key_id: KeyId,
    },
    /// A roster older than (or as old as) the one already trusted.
    #[error(
        "roster version {offered} does not go above the trusted version {current} (rollback refused)"
    )]
    Rollback {
        /// Version already trusted.
        current: u64,
        /// Version offered.
        offered: u64,
    },
    /// A roster version skips one.
    #[error("roster version {found} follows version {current}; expected {expected}", expected = current + 1)]
    VersionGap {
        /// Version already trusted.
        current: u64,
        /// Version offered.
        found: u64,
    },
    /// Not enough root keys signed a roster version.
    #[error("roster version {version} is signed by {have} of {set} root keys; {need} required")]
    RootThreshold {
        /// The version being checked.
        version: u64,
        /// Whose root keys.
        set: RootSet,
        /// Distinct valid root signatures found.
        have: usize,
        /// The threshold.
        need: u32,
    },
    /// The first roster does not have the pinned digest.
    #[error("roster statement digest {found} does not match the pinned {expected}")]
    PinMismatch {
        /// The pin.
        expected: Digest,
        /// The roster's digest.
        found: Digest,
    },
    /// A roster file holds no versions.
    #[error("roster file holds no roster versions")]
    EmptyChain,
    /// A roster statement's subject does not name the roster's own digest.
    #[error("roster subject digest does not match its content")]
    SubjectMismatch,
    /// A revoked or expired key's signature whose only evidence of being
    /// made in time is the time the signer wrote: it is neither
    /// grandfathered by the roster nor accepted by the verifier's policy.
    #[error(
        "key {key_id} of {identity} stopped signing at {ended_at} ({why}); the statement claims {at}, \
         a time its signer wrote, and the roster does not grandfather it"
    )]
    EndedKeyClaimedTime {
        /// The identity.
        identity: IdentityId,
        /// The key.
        key_id: KeyId,
        /// When the key stopped signing (revocation or end of its window).
        ended_at: Timestamp,
        /// `revoked (superseded)`, `window ended`, ...
        why: String,
        /// The time the statement claims.
        at: Timestamp,
    },
    /// A key's end (expiry or revocation) came before the time a witness
    /// proved the signature: nothing shows it was signed while the key was
    /// valid.
    #[error(
        "key {key_id} of {identity} ended at {ended_at} ({why}); the signature is proven only at {proven}, after that"
    )]
    EndedBeforeProvenTime {
        /// The identity.
        identity: IdentityId,
        /// The key.
        key_id: KeyId,
        /// When the key stopped signing.
        ended_at: Timestamp,
        /// `revoked: key-compromise`, `its validity window ended`, ...
        why: String,
        /// The proven time.
        proven: Timestamp,
    },
    /// The newest roster version has passed its expiry.
    #[error(
        "roster version {version} expired at {expires} (now {now}); the root keys must sign a new version"
    )]
    RosterExpired {
        /// The version.
        version: u64,
        /// Its expiry.
        expires: Timestamp,
        /// The time of the check.
        now: Timestamp,
    },
    /// A role grant's window ends before it starts.
    #[error("role {role} of {identity} has validUntil before validFrom")]
    InvalidGrantWindow {
        /// The role.
        role: RoleName,
        /// The identity.
        identity: IdentityId,
    },
    /// A role lists an identity twice with overlapping windows.
    #[error("role {role} grants {identity} twice")]
    DuplicateGrant {
        /// The role.
        role: RoleName,
        /// The identity.
        identity: IdentityId,
    },
    /// A key's grandfathered list is present but empty (write nothing instead).
    #[error("key {key_id} of {identity} has an empty grandfathered list")]
    EmptyGrandfathered {
        /// The identity.
        identity: IdentityId,
        /// The key.
        key_id: KeyId,
    },
    /// The verifier's state recorded another digest for a roster version
    /// than the chain passes through (a fork signed by old root keys).
    #[error(
        "roster version {version} in the trusted state is {expected}, but the roster file has {found:?} for it"
    )]
    StateFork {
        /// The recorded version.
        version: u64,
        /// The digest recorded.
        expected: Digest,
        /// The digest the file's chain has for that version, if any.
        found: Option<Digest>,
    },
    /// The roster state file has an unknown format version.
    #[error("roster state format version {0} is not supported (expected 1)")]
    StateVersion(u64),
    /// The key is not in the roster.
    #[error("key {0} is not in the roster")]
    UnknownKey(KeyId),
    /// The key was used before its validity window.
    #[error("key {key_id} of {identity} is not valid before {valid_from} (used at {at})")]
    NotYetValid {
        /// The identity.
        identity: IdentityId,
        /// The key.
        key_id: KeyId,
        /// Start of its window.
        valid_from: Timestamp,
        /// When it was used.
        at: Timestamp,
    },
    /// The key was used after its validity window.
    #[error("key {key_id} of {identity} expired at {valid_until} (used at {at})")]
    Expired {
        /// The identity.
        identity: IdentityId,
        /// The key.
        key_id: KeyId,
        /// End of its window.
        valid_until: Timestamp,
        /// When it was used.
        at: Timestamp,
    },
    /// The key was revoked before it was used, or revoked as compromised.
    #[error("key {key_id} of {identity} was revoked at {revoked_at} ({reason}); used at {at}")]
    Revoked {
        /// The identity.
        identity: IdentityId,
        /// The key.
        key_id: KeyId,
        /// When it was revoked.
        revoked_at: Timestamp,
        /// Why.
        reason: crate::roster::RevocationReason,
        /// When it was used.
        at: Timestamp,
    },
    /// Two identity ids are the same name once compared as
    /// [`names::skeleton`](crate::names::skeleton) compares them: up to
    /// case, width and look-alike letters of other scripts.
    #[error(
        "identities {first:?} and {second:?} are confusable: the same name up to case, width or look-alike letters",
        first = first.as_str(),
        second = second.as_str()
    )]
    ConfusableIdentities {
        /// The identity listed first.
        first: IdentityId,
        /// The identity listed later, confusable with the first.
        second: IdentityId,
    },
    /// An email proof is confusable with an email proof of another identity,
    /// or is listed twice for one identity (then `first == second`).
    #[error(
        "email proof {address:?} of {second:?} is confusable with an email proof of {first:?}",
        second = second.as_str(),
        first = first.as_str()
    )]
    DuplicateEmail {
        /// The later address, as the roster wrote it (at most 128 characters).
        address: String,
        /// The identity holding the earlier, confusable address.
        first: IdentityId,
        /// The identity holding this address.
        second: IdentityId,
    },
    /// An email proof is confusable with another identity's `person:` id:
    /// an email names exactly one identity.
    #[error(
        "email proof {address:?} of {identity:?} is confusable with the id of {other:?}",
        identity = identity.as_str(),
        other = other.as_str()
    )]
    EmailNamesOtherIdentity {
        /// The address, as the roster wrote it (at most 128 characters).
        address: String,
        /// The identity listing the proof.
        identity: IdentityId,
        /// The person whose id the address names.
        other: IdentityId,
    },
    /// An email proof contains an invisible (format or default-ignorable),
    /// control or whitespace character.
    #[error(
        "email proof {address:?} of {identity:?} contains an invisible, control or whitespace character",
        identity = identity.as_str()
    )]
    InvisibleCharacter {
        /// The identity listing the proof.
        identity: IdentityId,
        /// The address, as the roster wrote it (at most 128 characters).
        address: String,
    },
    /// Two identities claim the same OIDC subject at the same issuer.
    #[error(
        "OIDC subject {subject:?} at {issuer:?} is claimed by both {first:?} and {second:?}",
        first = first.as_str(),
        second = second.as_str()
    )]
    DuplicateOidcSubject {
        /// The issuer (at most 128 characters).
        issuer: String,
        /// The subject (at most 128 characters).
        subject: String,
        /// The first identity claiming it.
        first: IdentityId,
        /// The second.
        second: IdentityId,
    },
    /// The roster's Sigstore trusted root is not a JSON object.
    #[error("the roster's Sigstore trusted root ({len} bytes) is not a JSON object")]
    SigstoreTrustedRoot {
        /// Its length in bytes.
        len: usize,
    },
    /// The roster's Sigstore trusted root is larger than
    /// [`crate::sigstore::MAX_TRUSTED_ROOT`].
    #[error("the roster's Sigstore trusted root of {len} bytes exceeds the limit of {max} bytes")]
    SigstoreTrustedRootTooLarge {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A Sigstore signer mapping names an identity the roster does not have.
    #[error("a Sigstore signer is mapped to {}, which is not an identity of the roster", .0.as_str())]
    UnknownSigstoreIdentity(IdentityId),
    /// A Sigstore signer mapping has an empty issuer or SAN.
    #[error("a Sigstore signer of {} has an empty issuer or SAN", .0.as_str())]
    EmptySigstoreSigner(IdentityId),
    /// A Sigstore signer mapping's window ends before it starts.
    #[error("a Sigstore signer of {}: valid_until is not after valid_from", .0.as_str())]
    InvalidSigstoreWindow(IdentityId),
    /// One (issuer, SAN) pair is mapped to two identities.
    #[error(
        "Sigstore identity {san:?} from issuer {issuer:?} is mapped to both {} and {}",
        first.as_str(),
        second.as_str()
    )]
    DuplicateSigstoreSigner {
        /// The issuer (at most 128 characters).
        issuer: String,
        /// The SAN (at most 128 characters).
        san: String,
        /// The first identity it is mapped to.
        first: IdentityId,
        /// The second.
        second: IdentityId,
    },
    /// One public key (the same algorithm and curve point) is enrolled
    /// twice among the identities' keys, under different key types or FIDO
    /// applications (so under different key ids), for one identity or two.
    #[error(
        "key {key_id} of {second:?} is the same public key as a key of {first:?}",
        second = second.as_str(),
        first = first.as_str()
    )]
    KeyMaterialReused {
        /// The identity listing the key first.
        first: IdentityId,
        /// The identity listing it again.
        second: IdentityId,
        /// The key id of the later listing.
        key_id: KeyId,
    },
    /// One OpenPGP key (by fingerprint) is enrolled twice.
    #[error(
        "OpenPGP key {fingerprint} of {second:?} is also enrolled for {first:?}",
        second = second.as_str(),
        first = first.as_str()
    )]
    DuplicateOpenPgpKey {
        /// The fingerprint.
        fingerprint: String,
        /// The identity listing the key first.
        first: IdentityId,
        /// The identity listing it again.
        second: IdentityId,
    },
}
