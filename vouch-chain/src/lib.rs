//! Chain-of-trust evaluation: *may this run?*
//!
//! vouch-chain follows the chain deployment → image → releases → commits →
//! authors through a [`Bundle`] of signed statements, checks every link
//! against a [`TrustedRoster`](vouch_manifest::TrustedRoster) and a
//! [`Policy`], and answers with a [`Verdict`]: pass or fail, with a trace of
//! every link (who signed, with which key, in which role, with what hardware
//! evidence, at what time) and *every* reason for a refusal.
//!
//! Digests are followed, never names: the image statement is found by the
//! deployment's image digest, releases by the digests the image names,
//! commits by id. Each key is mapped to the identity that held it at the
//! time the statement claims (validity windows, revocations), and
//! thresholds count distinct identities, never keys.
//!
//! What no roster key signed proves nothing, and so fails nothing on its
//! own: anyone able to add to a bundle (push access to a registry's
//! referrers, say) could otherwise block a valid chain with counterfeit
//! statements. At a link that passes on valid signatures, statements no
//! roster key signed, signatures by unknown keys or that do not verify, and
//! statements that do not decode are listed under
//! [`TraceNode::ignored`]; two statements that roster keys signed and that
//! disagree are still a conflict, and at a link that fails those items are
//! failures, as one may be the missing signature.
//!
//! # Policy
//!
//! A complete policy in TOML (the same fields work in JSON, where `null` is
//! refused anywhere: leave a setting out instead). Every setting is shown,
//! most with its default; the defaults are the strict choice.
//!
//! ```
//! let policy = vouch_chain::Policy::from_toml(r#"
//! ## Optional: without it, targets are images and nothing below the image
//! ## is about deployments.
//! [deployment]
//! ## The deploying CI workload signs the deployment statement.
//! signers = { roles = ["deployer"], threshold = 1 }
//! ## This gate admits production deployments only: a statement made for
//! ## staging and replayed here is refused. (`vouch verify --environment`,
//! ## `--cluster`, `--namespace` and `--service` also pin where it runs.)
//! environments = ["production"]
//! ## Approvers prove their approval with their own signature.
//! authorizers = { roles = ["approver"], threshold = 1 }
//! ## Who may trigger a deployment (also proven by their own signature),
//! ## holding the role when the deployment was made.
//! trigger_roles = ["developer", "maintainer"]
//! max_age = "7d"
//! separate_trigger_and_authorizer = true   # default true
//!
//! ## Required.
//! [image]
//! ## The builder, with a key attested as TPM-resident.
//! signers = { roles = ["builder"], threshold = 1, hardware = ["tpm-attested"] }
//! max_age = "30d"
//! ## An image with no packages and no source commits certifies nothing.
//! allow_empty = false                      # default false
//! ## With a [deployment] stage, an image target would skip it.
//! allow_as_target = false                  # default false
//!
//! ## Optional. With it, an image names at least one release, and every
//! ## source commit of the image is certified by one of them (or exempt).
//! [release]
//! ## Two maintainers, or one security officer. An `all_of` needs distinct
//! ## people for its parts unless it says `distinct_identities = false`.
//! signers = { any_of = [
//!     { roles = ["maintainer"], threshold = 2 },
//!     { roles = ["security"], threshold = 1 },
//! ] }
//! ## Nobody certifies their own code alone: for every certified commit the
//! ## rule above must hold without that commit's proven author.
//! certifier_not_sole_author = true         # default false
//! ## Each release's SBOM dependencies are checked under [dependencies]
//! ## (see the `deps` module), each unattributed one failing the release.
//! check_dependencies = false               # default false
//!
//! ## Optional. A release's certified commits are closed under ancestry:
//! ## every parent is certified too (here or by the release's `previous`
//! ## release), or exempt.
//! [commit]
//! ## The author, touching a FIDO key. Only the attributed person's
//! ## signatures count: the author (matched by email to a roster identity,
//! ## local part exact, domain case-insensitive) must have signed the
//! ## commit object or a commit attestation over its id.
//! signers = { roles = ["developer", "maintainer"], threshold = 1, hardware = ["user-presence"] }
//! ## "committer" also accepts the committer's signature (rebases, patches
//! ## applied by a maintainer); an author outside the roster is then marked
//! ## unverified in the trace.
//! attribution = "author"                   # default "author"
//! ## Every commit travels as its git object: only the object (whose id is
//! ## its hash) proves author, committer and parents; an attestation alone
//! ## is its signer's word about them.
//! require_objects = true                   # default true
//! ## History from before signing was required: commit ids, and a cut-over
//! ## commit that is exempt with all its ancestors (proven by the commit
//! ## objects in the bundle). Never a date: dates are the signer's claim.
//! legacy = { commits = ["4b825dc642cb6eb9a060e54bf8d69288fbee4904"] }
//!
//! ## Optional.
//! [roster]
//! ## A key revoked (for any reason but compromise) or past its window
//! ## still counts for statements whose claimed time lies inside its
//! ## window. Off by default: only what the roster grandfathers counts.
//! trust_claimed_time_after_revocation = false
//! "#).unwrap();
//! let release = policy.release.as_ref().unwrap();
//! assert_eq!(release.signers.to_string(), "any of (2 of role maintainer; 1 of role security)");
//! ```
//!
//! The same example is in `examples/policy.toml` in the repository. The
//! `[dependencies]` section, for `vouch deps check` and
//! `check_dependencies`, is documented with [`deps`].
//!
//! # Time
//!
//! Every time in a statement is what its signer wrote: a claim. The trace
//! marks each as claimed, with who claimed it. Claimed times must be in
//! order: a release is not dated before a commit it certifies, an image not
//! before its releases, a deployment not before its image, an approval not
//! before the deployment it approves, and nothing after the evaluation
//! time, each up to [`policy::CLOCK_SKEW_SECONDS`] (5 minutes) of clock
//! skew between honest machines. A claimed time never moves a key back
//! inside its validity: once a key is revoked (for any reason) or past its
//! window, what it signed counts only when the roster grandfathers it, or
//! when the policy's `roster.trust_claimed_time_after_revocation` says so.
//!
//! ## Proven time
//!
//! A witness the roster lists (`witnesses` in the roster) turns a claim
//! into a proof: a transparency log, by a COSE receipt in the statement's
//! envelope (label 394; its inclusion proof for the envelope as registered
//! leads to a root the log signed, with its issued-at time), or an RFC 3161
//! timestamp authority, by a token in the bundle over the envelope's
//! [`timestamped_digest`]. Wherever a statement carries such a proof:
//!
//! - its time in the trace is marked proven (by which log and entry, or
//!   which authority), next to the time it claims;
//! - the key's end, its expiry or a revocation of any reason (compromise
//!   included), is judged at the proven time: a signature a witness saw
//!   before the end counts without grandfathering, one seen only after it
//!   never does, whatever it claims and whatever
//!   `trust_claimed_time_after_revocation` says;
//! - the claimed time must not be later than the proven one (beyond the
//!   skew), nor earlier by more than `time.max_log_delay` (default 7 days).
//!
//! A stage with `time = "proven"` demands such a proof of each of its
//! statements (the deployment's rule covers its approvals):
//!
//! ```
//! let policy = vouch_chain::Policy::from_toml(r#"
//! [image]
//! signers = { roles = ["builder"], threshold = 1 }
//! time = "proven"
//! [time]
//! max_log_delay = "2d"
//! "#).unwrap();
//! assert_eq!(policy.image.time, vouch_chain::policy::TimeRule::Proven);
//! ```
//!
//! # Evaluating
//!
//! ```no_run
//! # fn demo(roster: vouch_manifest::TrustedRoster, policy: vouch_chain::Policy) -> Result<(), Box<dyn std::error::Error>> {
//! use vouch_chain::{Bundle, Target, Verifier};
//! let bundle = Bundle::read(std::path::Path::new("release.bundle"))?;
//! let verifier = Verifier::new(policy, roster);
//! let target: Target = "deployment:sha256:...".parse()?;
//! let verdict = verifier.verify(&bundle, &target, vouch_core::Timestamp::now());
//! println!("{}", verdict.render_text());
//! # Ok(()) }
//! ```

mod attest;
mod bundle;
pub mod ci_token;
mod counter;
pub mod deps;
mod error;
mod eval;
mod index;
mod openpgp;
pub mod policy;
#[cfg(feature = "sigstore")]
mod provenance;
mod reach;
mod rules;
#[cfg(feature = "sigstore")]
mod sigstore;
mod trace;
mod vsa;
mod witness;

pub use bundle::{
    Bundle, Inclusion, MAX_BUNDLE, MAX_INCLUSION, MAX_ITEMS, MAX_SIGSTORE_BUNDLE,
    timestamped_digest,
};
pub use error::{ChainError, Reason};
pub use eval::{Target, Verifier, verify};
pub use index::BundleCounts;
pub use policy::{CiTokenRule, HardwareRequirement, Policy, RefLogRule, Rule, RuleView};
pub use reach::Threads;
#[cfg(feature = "sigstore")]
pub use sigstore::{SigstoreEvidence, verify_sigstore};
pub use trace::{
    EvidenceSummary, Failure, LinkKind, MAX_FAILURES_PER_LINK, Outcome, Placement, ProvenTime,
    RosterSummary, Standing, TargetSummary, TimeKind, TraceCiToken, TraceClaim, TraceNode,
    TracePerson, TraceSigner, TraceSigstore, TraceTime, Verdict,
};
pub use vsa::{ResourceDescriptor, VerificationSummary, VsaVerifier};
pub use witness::MAX_PROOFS_PER_ENVELOPE;
