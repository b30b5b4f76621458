//! Errors (inputs that cannot be evaluated) and reasons (why a chain fails).

use serde::Serialize;
use vouch_core::text::Escaped;
use vouch_core::{Digest, KeyId, Timestamp};
use vouch_manifest::{GitObjectId, IdentityId, RevocationReason, RoleName};

use crate::policy::{HardwareRequirement, MaxAge};

/// Why an evaluation could not run at all (as opposed to a failing verdict).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The bundle file decodes but is not the canonical encoding of what it
    /// decodes to.
    #[error("bundle is not in its canonical encoding")]
    NotCanonical,
    /// A proof of time in the bundle is malformed (a timestamp that names
    /// no envelope, an envelope whose receipts cannot be read).
    #[error("bundle time proof: {0}")]
    Witness(String),
    /// The bundle file is not acceptable canonical CBOR.
    #[error("bundle is not acceptable canonical CBOR")]
    Cbor(#[from] vouch_core::cbor::CborError),
    /// The bundle file has an unknown version.
    #[error("bundle version {0} is not supported (expected 1)")]
    BundleVersion(u64),
    /// The bundle file, or a directory bundle's files together, are larger
    /// than [`crate::MAX_BUNDLE`].
    #[error("bundle of {size} bytes exceeds the limit of {max} bytes")]
    BundleTooLarge {
        /// The size found (of a directory: of its files read so far).
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The bundle holds more items (envelopes, commit objects, timestamps,
    /// inclusion proofs and Sigstore bundles together) than
    /// [`crate::MAX_ITEMS`]. A bundle file is refused on the counts its
    /// lists declare, before any item is decoded.
    #[error("bundle of {count} items exceeds the limit of {max}")]
    TooManyItems {
        /// The items found (of a directory: one past the limit).
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A Sigstore bundle is larger than [`crate::MAX_SIGSTORE_BUNDLE`].
    #[error("Sigstore bundle of {size} bytes exceeds the limit of {max} bytes")]
    SigstoreBundleTooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// An inclusion file is larger than [`crate::MAX_INCLUSION`].
    #[error("inclusion file of {size} bytes exceeds the limit of {max} bytes")]
    InclusionTooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// An inclusion proof has more hashes than
    /// [`vouch_core::tlog::merkle::MAX_PROOF_HASHES`], refused on the count
    /// its list declares.
    #[error("inclusion proof of {len} hashes exceeds the limit of {max}")]
    ProofTooLong {
        /// Hashes in the proof.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The target text is not `deployment:<digest>`, `image:<digest>` or a digest.
    #[error(
        "invalid target {0:?}: expected deployment:sha256:<hex>, image:sha256:<hex> or sha256:<hex>"
    )]
    Target(String),
    /// A statement or summary could not be made.
    #[error("could not make the statement")]
    Manifest(#[from] vouch_manifest::ManifestError),
    /// A policy could not be read.
    #[error(transparent)]
    Policy(#[from] crate::policy::PolicyError),
    /// A signer rule is malformed.
    #[error(transparent)]
    Rule(#[from] crate::policy::RuleError),
    /// A summary needs the image the verdict is about, and the verified
    /// chain named none (no image statement was found).
    #[error("the verdict names no image, so a summary has no subject")]
    NoImage,
    /// A summary's verification time differs from the evaluation time.
    #[error(
        "the chain was evaluated for {evaluated_at}, not at the signing time {signed_at}: a summary is only signed for an evaluation at the real time"
    )]
    SummaryTime {
        /// The evaluation time.
        evaluated_at: Timestamp,
        /// The time of signing.
        signed_at: Timestamp,
    },
}

/// The rule a link broke. Each names the identity, digest or field it is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Reason {
    /// No deployment statement with the target digest is in the bundle.
    DeploymentMissing {
        /// The target digest.
        digest: Digest,
    },
    /// No image statement for this image digest is in the bundle.
    ImageMissing {
        /// The image digest looked for.
        image: Digest,
    },
    /// A package of the image has no release statement with the digest it names.
    ReleaseMissing {
        /// Package name.
        package: String,
        /// Package version.
        version: String,
        /// The release statement digest the image names.
        release: Digest,
    },
    /// A commit has no valid signed attestation.
    CommitUnsigned {
        /// The commit.
        commit: GitObjectId,
    },
    /// A signature was made by a key that is not in the roster.
    UnknownKey {
        /// The key.
        key_id: KeyId,
    },
    /// A signature does not verify.
    BadSignature {
        /// The key the signature names, if any.
        key_id: Option<KeyId>,
        /// Why, as the verifier said it.
        cause: String,
    },
    /// A key was used before or after its validity window.
    KeyOutsideWindow {
        /// The key.
        key_id: KeyId,
        /// Its holder.
        identity: IdentityId,
        /// When the statement says it was signed.
        at: Timestamp,
        /// Start of the key's window.
        valid_from: Timestamp,
        /// End of the key's window, if bounded.
        valid_until: Option<Timestamp>,
    },
    /// A revoked or expired key signed, and only the signer's own claimed
    /// time says it signed in time (not grandfathered by the roster, and
    /// the policy does not trust claimed time).
    KeyEnded {
        /// The key.
        key_id: KeyId,
        /// Its holder.
        identity: IdentityId,
        /// When the key stopped signing.
        ended_at: Timestamp,
        /// Why it stopped (revocation reason or window end).
        why: String,
        /// The time the statement claims.
        at: Timestamp,
    },
    /// A key's end (expiry or revocation, any reason) came before the time
    /// a witness proved the statement: nothing shows it was signed while
    /// the key was valid.
    KeyEndedBeforeProvenTime {
        /// The key.
        key_id: KeyId,
        /// Its holder.
        identity: IdentityId,
        /// When the key stopped signing.
        ended_at: Timestamp,
        /// Why it stopped.
        why: String,
        /// When a witness first saw the statement.
        proven: Timestamp,
    },
    /// The stage's policy demands proven time (`time = "proven"`) and no
    /// witness the roster trusts proved this statement's.
    TimeNotProven {
        /// The statement.
        statement: Digest,
        /// The proofs it carried that did not verify, with why (empty when
        /// it carried none).
        refused: Vec<String>,
    },
    /// The commit stage demands proven time and the commit has no
    /// attestation a witness could have seen (only its git object).
    CommitTimeNotProven {
        /// The commit.
        commit: GitObjectId,
    },
    /// The statement claims a time later than a witness saw it (beyond the
    /// clock skew): the claim is false.
    ClaimedAfterProven {
        /// The statement.
        statement: Digest,
        /// The time it claims.
        claimed: Timestamp,
        /// When a witness saw it.
        proven: Timestamp,
    },
    /// The statement claims a time earlier than a witness saw it by more
    /// than the policy's `time.max_log_delay`: a backdating the log cannot
    /// rule out.
    LoggedTooLate {
        /// The statement.
        statement: Digest,
        /// The time it claims.
        claimed: Timestamp,
        /// When a witness saw it.
        proven: Timestamp,
        /// The policy's limit.
        max_log_delay: String,
    },
    /// A key was used after its revocation, or was revoked as compromised.
    KeyRevoked {
        /// The key.
        key_id: KeyId,
        /// Its holder.
        identity: IdentityId,
        /// When it was revoked.
        revoked_at: Timestamp,
        /// Why.
        reason: RevocationReason,
    },
    /// Not enough distinct identities satisfied a signer rule.
    Threshold {
        /// The rule, as text.
        rule: String,
        /// Distinct qualifying identities found.
        have: usize,
        /// Required.
        need: u32,
        /// Signers whose signature verified but who held none of the
        /// rule's roles when they signed.
        without_role: Vec<IdentityId>,
    },
    /// A signature lacks hardware evidence the policy demands.
    MissingHardware {
        /// The signer.
        identity: IdentityId,
        /// The key.
        key_id: KeyId,
        /// The requirement not met.
        requirement: HardwareRequirement,
    },
    /// A party the statement names did not sign it (or an approval for it).
    NotProven {
        /// The field naming the party (`builder`, `deployer`, `triggeredBy`, ...).
        field: &'static str,
        /// The party named.
        identity: IdentityId,
    },
    /// A party must be a workload but is a person.
    NotAWorkload {
        /// The field.
        field: &'static str,
        /// The party.
        identity: IdentityId,
    },
    /// A party must be a person but is a workload.
    NotAPerson {
        /// The field.
        field: &'static str,
        /// The party.
        identity: IdentityId,
    },
    /// A party does not hold a role the policy requires for its field.
    RoleNotHeld {
        /// The field.
        field: &'static str,
        /// The party.
        identity: IdentityId,
        /// Roles that would do.
        roles: Vec<RoleName>,
    },
    /// The person who triggered a deployment also authorized it.
    SelfAuthorized {
        /// The person.
        identity: IdentityId,
    },
    /// A commit's certification rests on its own author: without the
    /// author's signature, the release rule does not hold for it.
    SelfCertified {
        /// The commit.
        commit: GitObjectId,
        /// The certifier who is the commit's proven author.
        certifier: IdentityId,
    },
    /// The deployment is for an environment this verifier does not accept.
    EnvironmentNotAllowed {
        /// The environment in the statement.
        environment: String,
        /// The environments accepted.
        allowed: Vec<String>,
    },
    /// A statement is older than the policy's maximum age.
    TooOld {
        /// The statement's time.
        at: Timestamp,
        /// The maximum age.
        max_age: String,
    },
    /// A statement's time lies in the future of the evaluation time.
    FromTheFuture {
        /// The statement's time.
        at: Timestamp,
    },
    /// The commit's author is no identity of the roster (no `person:EMAIL`
    /// id or email proof matches the author email).
    AuthorNotInRoster {
        /// The commit.
        commit: GitObjectId,
        /// The author email, as the commit has it.
        email: String,
    },
    /// The commit's author did not sign it: the signatures are someone else's.
    AuthorNotSigner {
        /// The commit.
        commit: GitObjectId,
        /// The author's identity.
        author: IdentityId,
        /// Who did sign.
        signers: Vec<IdentityId>,
    },
    /// Under committer attribution, neither the author nor the committer signed.
    NotAttributed {
        /// The commit.
        commit: GitObjectId,
        /// The author email.
        author: String,
        /// The committer email.
        committer: String,
        /// Who did sign.
        signers: Vec<IdentityId>,
    },
    /// A commit attestation says something else than the commit object.
    AttestationDisagrees {
        /// The commit.
        commit: GitObjectId,
        /// The attestation.
        statement: Digest,
        /// The field that differs (`author`, `committer`, `parents`, `treeId`).
        field: &'static str,
    },
    /// The commit's git object is not in the bundle, and the policy requires it.
    CommitObjectMissing {
        /// The commit.
        commit: GitObjectId,
    },
    /// A git signature problem, as git verification reported it (another
    /// namespace, two signature headers, a malformed signature...).
    GitSignature {
        /// The commit.
        commit: GitObjectId,
        /// What is wrong.
        problem: String,
    },
    /// A parent of a certified commit is neither certified by this
    /// release, nor by its previous release, nor exempt: code that reaches
    /// the release without anyone certifying it.
    UncertifiedAncestor {
        /// The certified commit.
        commit: GitObjectId,
        /// Its parent.
        parent: GitObjectId,
    },
    /// The image names no release, but the policy has a release stage.
    NoRelease {
        /// The image.
        image: Digest,
    },
    /// A source commit of the image is certified by none of its releases.
    SourceCommitUncertified {
        /// The commit.
        commit: GitObjectId,
    },
    /// The image has no packages and no source commits.
    EmptyImage {
        /// The image.
        image: Digest,
    },
    /// The image's package name or version differs from the release statement's.
    PackageMismatch {
        /// The release statement.
        release: Digest,
        /// What the image says (`name version`).
        image_says: String,
        /// What the release says.
        release_says: String,
    },
    /// A statement the chain reaches cannot be read: it does not decode,
    /// or its subject does not bind to what its predicate describes.
    StatementUnreadable {
        /// The statement digest, when the envelope had a payload.
        statement: Option<Digest>,
        /// Why.
        error: String,
    },
    /// A statement the chain reaches that no key of the roster signed
    /// (every signature is by an unknown key or does not verify), beside
    /// one that a roster key did sign: it counts for nothing and is listed
    /// under the link's ignored items, never as a failure, so that anyone
    /// able to add to a bundle (a registry's referrers) cannot make a valid
    /// chain fail.
    NoRosterSignature {
        /// The statement.
        statement: Digest,
    },
    /// The policy requires a CI provider's ID token (`deployment.ci_token =
    /// "required"`) and the deployment statement carries none.
    CiTokenMissing,
    /// The statement's `ciToken` is not a JWT that can be read (not three
    /// base64url parts, a header or payload that is not JSON, a claim the
    /// rule needs is absent or of the wrong type).
    CiTokenUnreadable {
        /// What is wrong with it.
        detail: String,
    },
    /// The token's `iss` is not an issuer the roster's `ci` section trusts.
    CiTokenUnknownIssuer {
        /// The token's `iss`.
        issuer: String,
    },
    /// The token names a `kid` the issuer's JWKS in the roster does not hold
    /// (or names none).
    CiTokenUnknownKid {
        /// The issuer.
        issuer: String,
        /// The token's `kid` (empty when it has none).
        kid: String,
    },
    /// The token's header says `alg: none`: an unsigned token proves nothing.
    CiTokenAlgNone {
        /// The issuer the token claims.
        issuer: String,
    },
    /// The token's header names an algorithm other than the one its key is
    /// for (RS256 for an RSA key, ES256 for a P-256 key).
    CiTokenAlgMismatch {
        /// The key's `kid`.
        kid: String,
        /// The algorithm the header names.
        header: String,
        /// The algorithm the roster's key is for.
        key: String,
    },
    /// The token's signature does not verify with the roster's key for its `kid`.
    CiTokenBadSignature {
        /// The issuer.
        issuer: String,
        /// The key.
        kid: String,
    },
    /// The token had expired at the statement's time.
    CiTokenExpired {
        /// The token's `exp`.
        exp: i64,
        /// The statement's time it is judged at.
        at: Timestamp,
    },
    /// The token was not yet valid at the statement's time.
    CiTokenNotYetValid {
        /// `nbf` or `iat`.
        claim: &'static str,
        /// The claim's value.
        value: i64,
        /// The statement's time it is judged at.
        at: Timestamp,
    },
    /// The token's `aud` is not `vouch:KEYID` of any key that validly signed
    /// the deployment statement.
    CiTokenWrongAudience {
        /// The token's audiences.
        audience: Vec<String>,
        /// `vouch:KEYID` of each valid signer.
        expected: Vec<String>,
    },
    /// A field of the statement disagrees with what the token proves.
    CiTokenMismatch {
        /// The statement's field (`deployer`, `pipeline.runId`,
        /// `pipeline.url`, `triggeredBy`).
        field: &'static str,
        /// The token's claim it is compared with (`run_id`, `pipeline_id`,
        /// `repository+workflow`, `actor`...).
        claim: &'static str,
        /// What the token says (mapped to an identity where the field is one).
        token: String,
        /// What the statement says.
        statement: String,
    },
    /// The token's repository + workflow, or its login, is not mapped to a
    /// roster identity under its issuer.
    CiTokenUnmapped {
        /// `repository+workflow` or `login`.
        what: &'static str,
        /// The token's value.
        value: String,
    },
    /// More failures of one link than a trace keeps
    /// ([`crate::MAX_FAILURES_PER_LINK`]): the first ones are listed, this
    /// counts the rest. Junk in a bundle (envelopes signed by keys no
    /// roster knows, say) adds failures to the links it names; the bound
    /// keeps the verdict's size independent of how much there is.
    FailuresOmitted {
        /// How many were left out.
        count: usize,
    },
    /// The target is not a deployment, but the policy has a deployment stage.
    TargetNotDeployment {
        /// The target digest.
        target: Digest,
    },
    /// The deployment was made for somewhere else than where it is about to run.
    WrongPlacement {
        /// `environment`, `cluster`, `namespace` or `service`.
        field: &'static str,
        /// Where it is about to run.
        expected: String,
        /// What the statement says.
        found: String,
    },
    /// Claimed times out of order: a statement dated before one it depends on.
    OutOfOrder {
        /// The later statement (`release`, `image`, `deployment`, `approval by ...`).
        what: String,
        /// Its claimed time.
        at: Timestamp,
        /// What it must not predate.
        before: String,
        /// That one's claimed time.
        before_at: Timestamp,
    },
    /// Two valid statements disagree about one subject.
    Conflict {
        /// What they are about.
        subject: String,
        /// The first statement.
        first: Digest,
        /// The second statement.
        second: Digest,
    },
    /// The release's previous release is not in the bundle.
    PreviousReleaseMissing {
        /// Its digest.
        release: Digest,
    },
    /// The target is a released artifact, and no release statement in the
    /// bundle names it as its subject.
    ReleaseArtifactMissing {
        /// The artifact digest (SHA-256 or SHA-512).
        artifact: Digest,
    },
    /// The target is a released artifact, and the policy has no release
    /// stage to judge release statements by.
    NoReleaseStage {
        /// The artifact digest.
        artifact: Digest,
    },
    /// Each part of an `all_of` holds, but not with distinct identities:
    /// the same person would have to count toward two parts.
    NotDistinct {
        /// The rule.
        rule: String,
    },
    /// A rule could not be decided within its evaluation budget (a
    /// combination with very many signers); refused rather than guessed.
    RuleTooComplex {
        /// The rule.
        rule: String,
    },
    /// Under `counter = "increasing"`: a FIDO signature whose counter is not
    /// above that of another signature by the same key claiming an earlier
    /// time (a cloned authenticator, or a replayed assertion).
    CounterNotIncreasing {
        /// The key.
        key_id: KeyId,
        /// What the refused signature is on.
        signed: String,
        /// The time it claims.
        at: Timestamp,
        /// Its counter.
        counter: u32,
        /// The earlier signature by the same key.
        earlier: String,
        /// The time that one claims.
        earlier_at: Timestamp,
        /// Its counter.
        earlier_counter: u32,
    },
    /// Under `counter = "increasing"`: a FIDO signature with counter 0, as
    /// authenticators without a counter send.
    NoCounter {
        /// The key.
        key_id: KeyId,
        /// What the signature is on.
        signed: String,
    },
    /// A statement comes in a Sigstore bundle, and the roster trusts no
    /// Sigstore instance (`witnesses.sigstore`), or this verifier was built
    /// without feature `sigstore`.
    SigstoreNotTrusted {
        /// The SHA-256 of the Sigstore bundle's JSON.
        bundle: Digest,
    },
    /// A Sigstore bundle did not verify against the roster's trusted root.
    SigstoreRefused {
        /// The SHA-256 of the Sigstore bundle's JSON.
        bundle: Digest,
        /// What failed, as vouch-sigstore says it.
        cause: String,
    },
    /// A Sigstore bundle's certificate names an identity (SAN and issuer)
    /// the roster maps to no roster identity.
    SigstoreUnmapped {
        /// The SHA-256 of the Sigstore bundle's JSON.
        bundle: Digest,
        /// The certificate's subject alternative name (as the unverified
        /// certificate says: it was never trusted).
        san: String,
        /// The certificate's OIDC issuer.
        issuer: String,
    },
    /// A key-signed Sigstore bundle names (by its hint) no key of the roster.
    SigstoreUnknownKey {
        /// The SHA-256 of the Sigstore bundle's JSON.
        bundle: Digest,
        /// The bundle's key hint.
        hint: String,
    },
    /// A Sigstore identity is mapped to a roster identity, but not at the
    /// time the bundle was proven to be signed.
    SigstoreOutsideWindow {
        /// The SHA-256 of the Sigstore bundle's JSON.
        bundle: Digest,
        /// The roster identity of the mapping.
        identity: IdentityId,
        /// The SAN.
        san: String,
        /// The proven signing time.
        at: Timestamp,
    },
    /// A Sigstore bundle signs an in-toto statement of a type that is no
    /// link of a vouch chain (an SLSA provenance, say): the chain ignores it.
    SigstoreNotALink {
        /// The SHA-256 of the Sigstore bundle's JSON.
        bundle: Digest,
        /// The statement's predicate type.
        predicate_type: String,
    },
    /// A key-signed Sigstore bundle proves no time (neither a Rekor v1
    /// integrated time nor an RFC 3161 timestamp).
    SigstoreNoTime {
        /// The SHA-256 of the Sigstore bundle's JSON.
        bundle: Digest,
    },
    /// The rule demands hardware evidence, and this signer signed through
    /// Sigstore, whose signatures carry none (a Fulcio certificate's key is
    /// ephemeral software; a bundle carries no FIDO or TPM evidence).
    SigstoreNoHardware {
        /// The signer.
        identity: IdentityId,
        /// The requirement not met.
        requirement: HardwareRequirement,
    },
    /// A dependency in the release's SBOM has no evidence of its
    /// publisher that the policy's `[dependencies]` accepts (with
    /// `[release] check_dependencies`), and no allow-list entry names it.
    DependencyUnattributed {
        /// The dependency, `name@version`.
        dependency: String,
        /// Every reason found.
        why: Vec<crate::deps::Unattributed>,
    },
    /// `[release] check_dependencies` is on, but the dependencies cannot
    /// be checked: the policy has no `[dependencies]`, or a roster it pins
    /// was not given to the verifier.
    DependencyCheckUnavailable {
        /// Why.
        cause: String,
    },
    /// A certified commit of a repository whose reference log the policy
    /// requires is reachable from no logged update of a protected ref: a
    /// commit added behind the log's back (by the forge, say).
    RefLogUnlogged {
        /// The commit.
        commit: GitObjectId,
        /// The repository.
        repository: String,
        /// The protected refs' heads by the log (`ref at id (entry N)`).
        logged: Vec<String>,
    },
    /// A certified commit is reachable from a logged update of a protected
    /// ref, but the log up to that update does not verify.
    RefLogRefused {
        /// The commit.
        commit: GitObjectId,
        /// The repository.
        repository: String,
        /// The sequence of the first logged update that reaches it.
        sequence: u64,
        /// That update (`ref old..new`).
        update: String,
        /// The log's failures up to it (each naming its entry, rule and party).
        failures: Vec<String>,
    },
    /// A git object is OpenPGP-signed and this build has no OpenPGP
    /// support (vouch-chain feature `openpgp`): it is not counted signed.
    OpenPgpNotBuilt {
        /// The object (`commit <id>`, `tag <name>`).
        object: String,
    },
    /// An OpenPGP signature names a key no roster identity enrolls.
    UnknownOpenPgpKey {
        /// The object (`commit <id>`, `tag <name>`).
        object: String,
        /// The issuer fingerprint (or key id) the signature names.
        issuer: String,
    },
    /// An OpenPGP signature is malformed, refused (weak hash, a key that
    /// may not sign) or does not verify.
    OpenPgpSignature {
        /// The object (`commit <id>`, `tag <name>`).
        object: String,
        /// What is wrong.
        problem: String,
    },
    /// Policy requires a release tag, and the release names none, or the
    /// bundle lacks (or cannot read) the tag object it names.
    ReleaseTagMissing {
        /// The release (`package version`).
        release: String,
        /// The tag name and object id it names, if any.
        tag: Option<String>,
        /// Why the object cannot be used, when it is there.
        problem: Option<String>,
    },
    /// The tag object's name is not the one the release gives.
    ReleaseTagName {
        /// The release.
        release: String,
        /// The name the release gives.
        expected: String,
        /// The name in the tag object.
        found: String,
    },
    /// The tag does not point at the release's head commit.
    ReleaseTagTarget {
        /// The release.
        release: String,
        /// The tag name.
        tag: String,
        /// What the tag points at (`commit <id>`, `tree <id>`...).
        points_to: String,
        /// The release's head commit, when there is exactly one.
        head: Option<GitObjectId>,
    },
    /// The release's certified commits have no single head (no commit, or
    /// several that no other certified commit has as parent).
    ReleaseHeadAmbiguous {
        /// The release.
        release: String,
        /// The heads found.
        heads: Vec<GitObjectId>,
    },
    /// The tag is unsigned, or its signature is refused.
    ReleaseTagSignature {
        /// The release.
        release: String,
        /// The tag name.
        tag: String,
        /// What is wrong.
        problem: String,
    },
    /// The tag is signed by an identity that did not certify the release.
    ReleaseTagNotByCertifier {
        /// The release.
        release: String,
        /// The tag name.
        tag: String,
        /// Who signed the tag.
        signer: IdentityId,
        /// Who certified the release.
        certifiers: Vec<IdentityId>,
    },
    /// The roster enrolls an OpenPGP key whose certificate cannot be used
    /// (unreadable, or its primary key has another fingerprint).
    OpenPgpKeyUnusable {
        /// The enrolled fingerprint.
        fingerprint: String,
        /// Its identity.
        identity: IdentityId,
        /// Why.
        problem: String,
    },
}

impl Reason {
    /// Whether this is something anyone who can add to a bundle can add
    /// (a signature or statement no roster key vouches for), which
    /// therefore proves nothing and, beside a valid signer, fails nothing.
    pub(crate) fn counts_for_nothing(&self) -> bool {
        matches!(
            self,
            Reason::UnknownKey { .. }
                | Reason::BadSignature { .. }
                | Reason::NoRosterSignature { .. }
                | Reason::StatementUnreadable { .. }
                | Reason::SigstoreUnknownKey { .. }
        )
    }

    pub(crate) fn too_old(at: Timestamp, max_age: MaxAge) -> Self {
        Reason::TooOld {
            at,
            max_age: max_age.to_string(),
        }
    }
}

fn list(ids: &[IdentityId]) -> String {
    if ids.is_empty() {
        return "nobody".into();
    }
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::DeploymentMissing { digest } => {
                write!(f, "no deployment statement {digest} in the bundle")
            }
            Reason::ImageMissing { image } => {
                write!(f, "no image statement for image {image} in the bundle")
            }
            Reason::ReleaseMissing {
                package,
                version,
                release,
            } => {
                write!(
                    f,
                    "package {package} {version} has no release statement {release}"
                )
            }
            Reason::CommitUnsigned { commit } => {
                write!(f, "commit {commit} has no valid signed attestation")
            }
            Reason::UnknownKey { key_id } => {
                write!(f, "signed by key {key_id}, which is not in the roster")
            }
            Reason::BadSignature {
                key_id: Some(k),
                cause,
            } => {
                write!(f, "signature by key {k} does not verify: {cause}")
            }
            Reason::BadSignature {
                key_id: None,
                cause,
            } => {
                write!(f, "a signature naming no key id does not verify: {cause}")
            }
            Reason::KeyOutsideWindow {
                key_id,
                identity,
                at,
                valid_from,
                valid_until,
            } => {
                write!(
                    f,
                    "key {key_id} of {identity} was not valid at {at} (claimed): "
                )?;
                match valid_until {
                    Some(u) if at >= u => write!(f, "its window ended at {u}"),
                    Some(u) => write!(f, "its window is {valid_from} to {u}"),
                    None => write!(f, "its window starts at {valid_from}"),
                }
            }
            Reason::KeyEndedBeforeProvenTime {
                key_id,
                identity,
                ended_at,
                why,
                proven,
            } => write!(
                f,
                "key {key_id} of {identity} stopped signing at {ended_at} ({why}); \
                 a witness saw the statement only at {proven}, after that"
            ),
            Reason::TimeNotProven { statement, refused } => {
                write!(
                    f,
                    "statement {statement}: the policy demands proven time (time = \"proven\") \
                     and no log or timestamp authority the roster trusts proved it"
                )?;
                for r in refused.iter().take(4) {
                    write!(f, "; {}", Escaped(r))?;
                }
                Ok(())
            }
            Reason::CommitTimeNotProven { commit } => write!(
                f,
                "commit {commit}: the policy demands proven time (time = \"proven\") and the \
                 commit has no attestation statement a log or timestamp authority could prove"
            ),
            Reason::ClaimedAfterProven {
                statement,
                claimed,
                proven,
            } => write!(
                f,
                "statement {statement} claims {claimed}, later than a witness saw it ({proven}): \
                 the claimed time is false"
            ),
            Reason::LoggedTooLate {
                statement,
                claimed,
                proven,
                max_log_delay,
            } => write!(
                f,
                "statement {statement} claims {claimed} but a witness saw it first at {proven}, \
                 more than time.max_log_delay = {max_log_delay} later: a backdated statement \
                 cannot be ruled out"
            ),
            Reason::KeyEnded {
                key_id,
                identity,
                ended_at,
                why,
                at,
            } => {
                write!(
                    f,
                    "key {key_id} of {identity} stopped signing at {ended_at} ({why}); \
                     the statement claims {at}, a time its signer wrote, and the roster \
                     does not grandfather it (policy roster.trust_claimed_time_after_revocation is off)"
                )
            }
            Reason::KeyRevoked {
                key_id,
                identity,
                revoked_at,
                reason,
            } => {
                write!(
                    f,
                    "key {key_id} of {identity} was revoked at {revoked_at} ({reason})"
                )
            }
            Reason::Threshold {
                rule,
                have,
                need,
                without_role,
            } => {
                write!(f, "needs {rule}: {have} of {need} distinct identities")?;
                if !without_role.is_empty() {
                    write!(
                        f,
                        " (signed without the role at signing time: {})",
                        list(without_role)
                    )?;
                }
                Ok(())
            }
            Reason::CounterNotIncreasing {
                key_id,
                signed,
                at,
                counter,
                earlier,
                earlier_at,
                earlier_counter,
            } => write!(
                f,
                "FIDO counter not increasing (rule counter = \"increasing\"): key {key_id} signed {signed} at {at} with counter {counter}, \
                 but {earlier} by the same key claims an earlier time ({earlier_at}) with counter {earlier_counter}: a cloned authenticator or a replayed assertion"
            ),
            Reason::NoCounter { key_id, signed } => write!(
                f,
                "FIDO signature by key {key_id} on {signed} has no counter (0), which the rule counter = \"increasing\" refuses"
            ),
            Reason::SigstoreNotTrusted { bundle } => write!(
                f,
                "Sigstore bundle {bundle}: the roster trusts no Sigstore instance \
                 (witnesses.sigstore), or this verifier was built without Sigstore support, \
                 so it proves nothing"
            ),
            Reason::SigstoreRefused { bundle, cause } => write!(
                f,
                "Sigstore bundle {bundle} does not verify against the roster's Sigstore \
                 trusted root: {}",
                Escaped(cause)
            ),
            Reason::SigstoreUnmapped {
                bundle,
                san,
                issuer,
            } => write!(
                f,
                "Sigstore bundle {bundle} is signed for {} (OIDC issuer {}), which the roster \
                 maps to no identity (witnesses.sigstore.signers, matched exactly)",
                Escaped(san),
                Escaped(issuer)
            ),
            Reason::SigstoreUnknownKey { bundle, hint } => write!(
                f,
                "Sigstore bundle {bundle} is signed by a key (hint {}) that is not in the roster",
                Escaped(hint)
            ),
            Reason::SigstoreOutsideWindow {
                bundle,
                identity,
                san,
                at,
            } => write!(
                f,
                "Sigstore bundle {bundle}: {} speaks for {identity} only within its window \
                 (witnesses.sigstore.signers), and the bundle was signed at {at}",
                Escaped(san)
            ),
            Reason::SigstoreNotALink {
                bundle,
                predicate_type,
            } => write!(
                f,
                "Sigstore bundle {bundle} signs a statement of type {}, which is no link of a \
                 vouch chain (image, release, deployment, commit, approval): it is ignored",
                Escaped(predicate_type)
            ),
            Reason::SigstoreNoTime { bundle } => write!(
                f,
                "Sigstore bundle {bundle} proves no signing time (no Rekor v1 integrated time, \
                 no RFC 3161 timestamp)"
            ),
            Reason::SigstoreNoHardware {
                identity,
                requirement,
            } => write!(
                f,
                "signature by {identity} is a Sigstore signature, which carries no hardware \
                 evidence: the rule's {requirement} is not met"
            ),
            Reason::DependencyUnattributed { dependency, why } => {
                write!(f, "dependency {dependency} is not attributed: ")?;
                for (i, w) in why.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{w}")?;
                }
                Ok(())
            }
            Reason::DependencyCheckUnavailable { cause } => {
                write!(f, "the release's dependencies cannot be checked: {cause}")
            }
            Reason::MissingHardware {
                identity,
                key_id,
                requirement,
            } => {
                write!(
                    f,
                    "signature by {identity} (key {key_id}) lacks {requirement}"
                )
            }
            Reason::NotProven { field, identity } => {
                write!(
                    f,
                    "{field} names {identity}, who did not sign it or an approval of it"
                )
            }
            Reason::NotAWorkload { field, identity } => {
                write!(f, "{field} {identity} must be a workload")
            }
            Reason::NotAPerson { field, identity } => {
                write!(f, "{field} {identity} must be a person")
            }
            Reason::RoleNotHeld {
                field,
                identity,
                roles,
            } => {
                let r: Vec<&str> = roles.iter().map(RoleName::as_str).collect();
                write!(
                    f,
                    "{field} {identity} holds none of the roles {}",
                    r.join(", ")
                )
            }
            Reason::SelfAuthorized { identity } => {
                write!(f, "{identity} both triggered and authorized the deployment")
            }
            Reason::SelfCertified { commit, certifier } => {
                write!(
                    f,
                    "commit {commit} is certified only with its own author {certifier}: \
                     without the author, the release rule does not hold"
                )
            }
            Reason::EnvironmentNotAllowed {
                environment,
                allowed,
            } => {
                write!(f, "environment {environment:?} is not one of {allowed:?}")
            }
            Reason::TooOld { at, max_age } => {
                write!(f, "made at {at}, older than the maximum age {max_age}")
            }
            Reason::FromTheFuture { at } => {
                write!(f, "claims to be made at {at}, after the evaluation time")
            }
            Reason::AuthorNotInRoster { commit, email } => write!(
                f,
                "commit {commit}: author email {email:?} belongs to no identity of the roster"
            ),
            Reason::AuthorNotSigner {
                commit,
                author,
                signers,
            } => write!(
                f,
                "commit {commit} is authored by {author} but signed by {}",
                list(signers)
            ),
            Reason::NotAttributed {
                commit,
                author,
                committer,
                signers,
            } => write!(
                f,
                "commit {commit}: neither its author {author:?} nor its committer {committer:?} \
                 signed it (signed by {})",
                list(signers)
            ),
            Reason::AttestationDisagrees {
                commit,
                statement,
                field,
            } => write!(
                f,
                "commit attestation {statement} for {commit} disagrees with the commit object on {field}"
            ),
            Reason::CommitObjectMissing { commit } => write!(
                f,
                "the git object of commit {commit} is not in the bundle: only the object proves \
                 its author, committer and parents (policy commit.require_objects)"
            ),
            Reason::GitSignature { commit, problem } => {
                write!(f, "commit {commit}: {problem}")
            }
            Reason::UncertifiedAncestor { commit, parent } => write!(
                f,
                "parent {parent} of certified commit {commit} is not certified \
                 (by this release or its previous one) nor exempt"
            ),
            Reason::NoRelease { image } => write!(
                f,
                "image {image} names no release, and the policy has a release stage"
            ),
            Reason::SourceCommitUncertified { commit } => write!(
                f,
                "source commit {commit} is certified by none of the image's releases"
            ),
            Reason::EmptyImage { image } => write!(
                f,
                "image {image} has no packages and no source commits (policy image.allow_empty is off)"
            ),
            Reason::PackageMismatch {
                release,
                image_says,
                release_says,
            } => write!(
                f,
                "the image names package {image_says:?} for release {release}, which is {release_says:?}"
            ),
            Reason::StatementUnreadable { statement, error } => match statement {
                Some(d) => write!(f, "statement {d} cannot be used: {error}"),
                None => write!(f, "a statement cannot be used: {error}"),
            },
            Reason::NoRosterSignature { statement } => write!(
                f,
                "statement {statement} carries no valid signature by a roster key"
            ),
            Reason::CiTokenMissing => write!(
                f,
                "the policy requires a CI ID token (deployment.ci_token = \"required\") and the deployment carries none"
            ),
            Reason::CiTokenUnreadable { detail } => {
                write!(f, "the CI ID token cannot be read: {}", Escaped(detail))
            }
            Reason::CiTokenUnknownIssuer { issuer } => write!(
                f,
                "the CI ID token's issuer {:?} is not trusted by the roster",
                issuer
            ),
            Reason::CiTokenUnknownKid { issuer, kid } => write!(
                f,
                "the CI ID token names kid {:?}, which the roster's JWKS for {:?} does not hold",
                kid, issuer
            ),
            Reason::CiTokenAlgNone { issuer } => write!(
                f,
                "the CI ID token (issuer {:?}) is unsigned (alg none)",
                issuer
            ),
            Reason::CiTokenAlgMismatch { kid, header, key } => write!(
                f,
                "the CI ID token's header names alg {:?}, but key {:?} is for {}",
                header, kid, key
            ),
            Reason::CiTokenBadSignature { issuer, kid } => write!(
                f,
                "the CI ID token's signature does not verify with key {:?} of {:?}",
                kid, issuer
            ),
            Reason::CiTokenExpired { exp, at } => write!(
                f,
                "the CI ID token expired (exp {exp}) before the deployment's time {at} ({})",
                at.unix_seconds()
            ),
            Reason::CiTokenNotYetValid { claim, value, at } => write!(
                f,
                "the CI ID token is not valid before {claim} {value}, after the deployment's time {at} ({})",
                at.unix_seconds()
            ),
            Reason::CiTokenWrongAudience { audience, expected } => write!(
                f,
                "the CI ID token's audience {:?} is none of the deployment's signers {:?}",
                audience, expected
            ),
            Reason::CiTokenMismatch {
                field,
                claim,
                token,
                statement,
            } => write!(
                f,
                "the deployment's {field} is {:?}, but the CI ID token's {claim} gives {:?}",
                statement, token
            ),
            Reason::CiTokenUnmapped { what, value } => write!(
                f,
                "the CI ID token's {what} {:?} is not mapped to a roster identity",
                value
            ),
            Reason::FailuresOmitted { count } => write!(
                f,
                "and {count} more failures of this link (a trace keeps the first {})",
                crate::MAX_FAILURES_PER_LINK
            ),
            Reason::TargetNotDeployment { target } => write!(
                f,
                "target {target} is not a deployment, and the policy has a deployment stage \
                 (policy image.allow_as_target is off)"
            ),
            Reason::WrongPlacement {
                field,
                expected,
                found,
            } => write!(
                f,
                "deployment is for {field} {found:?}, but it is about to run in {expected:?}"
            ),
            Reason::OutOfOrder {
                what,
                at,
                before,
                before_at,
            } => write!(
                f,
                "{what} claims {at}, before {before} at {before_at} (beyond the allowed clock skew)"
            ),
            Reason::Conflict {
                subject,
                first,
                second,
            } => write!(
                f,
                "statements {first} and {second} disagree about {subject}"
            ),
            Reason::PreviousReleaseMissing { release } => {
                write!(f, "previous release {release} is not in the bundle")
            }
            Reason::ReleaseArtifactMissing { artifact } => write!(
                f,
                "no release statement in the bundle names the artifact {artifact}"
            ),
            Reason::NoReleaseStage { artifact } => write!(
                f,
                "target {artifact} is a released artifact, and the policy has no [release] stage"
            ),
            Reason::NotDistinct { rule } => write!(
                f,
                "needs {rule}: each part holds, but only by counting one identity toward two parts"
            ),
            Reason::RuleTooComplex { rule } => {
                write!(f, "rule {rule} has too many signer combinations to decide")
            }
            Reason::RefLogUnlogged {
                commit,
                repository,
                logged,
            } => write!(
                f,
                "certified commit {commit} of {} is reachable from no logged update of a \
                 protected ref (added behind the reference log's back); the log has {}",
                vouch_core::text::escape(repository),
                if logged.is_empty() {
                    "no protected ref".to_owned()
                } else {
                    logged.join(", ")
                }
            ),
            Reason::RefLogRefused {
                commit,
                repository,
                sequence,
                update,
                failures,
            } => write!(
                f,
                "certified commit {commit} of {} came in through log entry {sequence} ({update}), \
                 but the log up to it is refused: {}",
                vouch_core::text::escape(repository),
                failures.join("; ")
            ),
            Reason::OpenPgpNotBuilt { object } => write!(
                f,
                "{object} is OpenPGP-signed, and OpenPGP support is not built (feature openpgp)"
            ),
            Reason::UnknownOpenPgpKey { object, issuer } => write!(
                f,
                "{object} is signed by OpenPGP key {issuer}, which no roster identity enrolls"
            ),
            Reason::OpenPgpSignature { object, problem } => {
                write!(f, "{object}: OpenPGP signature refused: {problem}")
            }
            Reason::ReleaseTagMissing {
                release, tag: None, ..
            } => write!(
                f,
                "release {release} names no git tag, and policy requires one"
            ),
            Reason::ReleaseTagMissing {
                release,
                tag: Some(tag),
                problem: None,
            } => write!(f, "release {release}: its tag {tag} is not in the bundle"),
            Reason::ReleaseTagMissing {
                release,
                tag: Some(tag),
                problem: Some(p),
            } => write!(
                f,
                "release {release}: its tag object {tag} cannot be read: {p}"
            ),
            Reason::ReleaseTagName {
                release,
                expected,
                found,
            } => write!(
                f,
                "release {release} names tag {expected:?}, but the tag object is named {found:?}"
            ),
            Reason::ReleaseTagTarget {
                release,
                tag,
                points_to,
                head: Some(head),
            } => write!(
                f,
                "release {release}: tag {tag} points at {points_to}, not at the head commit {head}"
            ),
            Reason::ReleaseTagTarget {
                release,
                tag,
                points_to,
                head: None,
            } => write!(
                f,
                "release {release}: tag {tag} points at {points_to}, and the release has no single head commit"
            ),
            Reason::ReleaseHeadAmbiguous { release, heads } => write!(
                f,
                "release {release} has {} head commits (certified commits no other has as parent), not one",
                heads.len()
            ),
            Reason::ReleaseTagSignature {
                release,
                tag,
                problem,
            } => write!(f, "release {release}: tag {tag}: {problem}"),
            Reason::ReleaseTagNotByCertifier {
                release,
                tag,
                signer,
                certifiers,
            } => write!(
                f,
                "release {release}: tag {tag} is signed by {signer}, who did not certify the release (certified by {})",
                list(certifiers)
            ),
            Reason::OpenPgpKeyUnusable {
                fingerprint,
                identity,
                problem,
            } => write!(
                f,
                "OpenPGP key {fingerprint} of {identity} cannot be used: {problem}"
            ),
        }
    }
}
