//! Offline verification of Sigstore bundles.
//!
//! A Sigstore bundle (`*.sigstore.json`, versions 0.1 to 0.3) says that an
//! artifact was signed by an identity that Fulcio certified (keyless) or by
//! a key, that the signature is in a Rekor transparency log (v1 or v2), and
//! when it existed (a log's integrated time, an RFC 3161 timestamp). This
//! crate checks all of that against a trusted root the caller supplies and
//! reports what was proven:
//!
//! - [`TrustedRoot::from_json`]: the Fulcio, Rekor, CT and timestamp
//!   authority keys (`trusted_root.json`), never fetched: no TUF, no
//!   network;
//! - [`Bundle::from_json`]: the bundle, bounded in size;
//! - [`verify`] with an [`ArtifactRef`] (bytes, or a SHA-256 digest) and an
//!   [`Expectation`] (an exact identity and OIDC issuer, or a key), giving a
//!   [`VerifiedBundle`]: the signer, the certificate's workload
//!   [claims](CertificateClaims) (repository, ref, workflow, run), the DSSE
//!   payload (an in-toto statement), the log entries and the proven time;
//! - [`Error`]: what failed, by check.
//!
//! The verification itself is sigstore-rust's `sigstore-verify`, which
//! passes the whole sigstore-conformance `bundle-verify` suite (the test
//! `tests/conformance.rs` runs it); this crate chooses its strict policy
//! (certificate chain, SCT, log inclusion and the identity all checked,
//! never skipped), reads the result into vouch's vocabulary and keeps
//! sigstore-verify's types out of its API.
//!
//! ```no_run
//! use vouch_sigstore::{ArtifactRef, Bundle, Expectation, TrustedRoot, verify};
//! # fn main() -> Result<(), vouch_sigstore::Error> {
//! # let (root_json, bundle_json, artifact) = (Vec::new(), Vec::new(), Vec::new());
//! let root = TrustedRoot::from_json(&root_json)?;
//! let bundle = Bundle::from_json(&bundle_json)?;
//! let expected = Expectation::Identity {
//!     san: "https://github.com/o/r/.github/workflows/release.yml@refs/heads/main".into(),
//!     issuer: "https://token.actions.githubusercontent.com".into(),
//! };
//! let verified = verify(&bundle, ArtifactRef::Bytes(&artifact), &root, &expected)?;
//! println!("signed by {:?}, proven by {:?}", verified.san(), verified.proven_time());
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

mod bundle;
mod claims;
mod error;
mod expectation;
mod root;
mod unverified;
mod verified;
mod verify;

pub use bundle::{Bundle, BundleVersion, MAX_BUNDLE};
pub use claims::{CertificateClaims, Claim};
pub use error::{Cause, Error, Input};
pub use expectation::{ArtifactRef, Expectation, MAX_PUBLIC_KEY, PublicKey};
pub use root::{MAX_TRUSTED_ROOT, TrustedRoot};
pub use unverified::ClaimedSigner;
pub use verified::{
    CertificateSigner, DssePayload, LogEntry, ProvenTime, RekorVersion, SanKind, Signer,
    TimeSource, VerifiedBundle,
};
pub use verify::verify;
