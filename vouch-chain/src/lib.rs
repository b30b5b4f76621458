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
//! # Policy
//!
//! A complete policy in TOML (the same fields work in JSON):
//!
//! ```
//! let policy = vouch_chain::Policy::from_toml(r#"
//! [deployment]
//! ## The deploying CI workload signs the deployment statement.
//! signers = { roles = ["deployer"], threshold = 1 }
//! ## This gate admits production deployments only: a statement made for
//! ## staging and replayed here is refused.
//! environments = ["production"]
//! ## Approvers prove their approval with their own signature.
//! authorizers = { roles = ["approver"], threshold = 1 }
//! ## Who may trigger a deployment (also proven by their own signature).
//! trigger_roles = ["developer", "maintainer"]
//! max_age = "7d"
//! separate_trigger_and_authorizer = true
//!
//! [image]
//! ## The builder, with a key attested as TPM-resident.
//! signers = { roles = ["builder"], threshold = 1, hardware = ["tpm-attested"] }
//! max_age = "30d"
//!
//! [release]
//! ## Two maintainers, or one security officer.
//! signers = { any_of = [
//!     { roles = ["maintainer"], threshold = 2 },
//!     { roles = ["security"], threshold = 1 },
//! ] }
//! certifier_not_sole_author = true
//!
//! [commit]
//! ## The author, touching a FIDO key.
//! signers = { roles = ["developer", "maintainer"], threshold = 1, hardware = ["user-presence"] }
//! ## History from before signing was required, listed one by one.
//! legacy = { commits = ["4b825dc642cb6eb9a060e54bf8d69288fbee4904"] }
//! "#).unwrap();
//! assert_eq!(policy.release.signers.to_string(), "any of (2 of role maintainer; 1 of role security)");
//! ```
//!
//! The same example is in `examples/policy.toml` in the repository.
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
mod error;
mod eval;
mod index;
pub mod policy;
mod rules;
mod trace;
mod vsa;

pub use bundle::{Bundle, MAX_BUNDLE, MAX_ITEMS};
pub use error::{ChainError, Reason};
pub use eval::{Target, Verifier, verify};
pub use index::BundleCounts;
pub use policy::{HardwareRequirement, Policy, Rule, RuleView};
pub use trace::{
    EvidenceSummary, Failure, LinkKind, Outcome, Placement, RosterSummary, Standing,
    TargetSummary, TimeKind, TracePerson, TraceNode, TraceSigner, TraceTime, Verdict,
};
pub use vsa::{ResourceDescriptor, VerificationSummary, VsaVerifier};
