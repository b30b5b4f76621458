//! The Sigstore instance the roster trusts, and which of its certified
//! identities speak for which roster identities.
//!
//! A Sigstore bundle made by `cosign attest` in CI is signed with a
//! ten-minute Fulcio certificate that names the signer by an OIDC identity
//! (for GitHub Actions, the workflow file and ref as a URI SAN, with the
//! issuer `https://token.actions.githubusercontent.com`) and is logged in
//! Rekor, whose entry proves when it was signed. For vouch to count such a
//! signature, the roster says two things, signed with the rest of it, so
//! that the roster stays the one root of trust:
//!
//! - [`SigstoreTrust::trusted_root`]: the `trusted_root.json` (Fulcio CAs,
//!   Rekor and CT log keys, timestamp authorities) bundles are verified
//!   against. A verifier never fetches one (no TUF, no network): a root
//!   supplied beside the roster would be a second root of trust that the
//!   roster's threshold of owners did not sign.
//! - [`SigstoreTrust::signers`]: each maps one exact (issuer, SAN) pair to a
//!   roster identity for a window of time. The SAN is compared byte for
//!   byte, never as a prefix or pattern: `https://github.com/o/repo/...`
//!   does not match `https://github.com/o/repo-evil/...`, and a workflow on
//!   another ref is another identity.
//!
//! The mapping is its own list rather than
//! [`IdentityProof::Oidc`](crate::IdentityProof::Oidc): that proof documents an account (its
//! `subject` is an OIDC token's `sub`, such as `repo:o/r:ref:refs/heads/main`,
//! which is not the SAN Fulcio certifies), and rosters signed before this
//! list existed never meant it as signing authority. A mapping is signing
//! authority, only meaningful under the Fulcio CA of this trusted root, and
//! bounded in time like a key.

use serde::{Deserialize, Serialize};
use vouch_core::Timestamp;

use crate::error::RosterError;
use crate::ids::IdentityId;

/// Largest trusted root a roster carries (the public-good root is about
/// 10 KiB; the same bound as vouch-sigstore's reader).
pub const MAX_TRUSTED_ROOT: usize = 4 << 20;

/// The Sigstore trusted root and the identities it certifies that the
/// roster maps to its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SigstoreTrust {
    /// A label for people (`sigstore public-good`).
    pub label: String,
    /// The `trusted_root.json` document
    /// (`application/vnd.dev.sigstore.trustedroot+json`), exactly as
    /// written: kept as text so its bytes are what the owners signed.
    pub trusted_root: String,
    /// Certified identities that speak for roster identities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signers: Vec<SigstoreSigner>,
}

/// One Fulcio-certified identity mapped to a roster identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SigstoreSigner {
    /// The roster identity it speaks for (`workload:ci/build`).
    pub identity: IdentityId,
    /// The OIDC issuer the certificate names (extension
    /// `1.3.6.1.4.1.57264.1.8`), exactly.
    pub issuer: String,
    /// The certificate's subject alternative name, exactly (a workflow
    /// URI, or an email address).
    pub san: String,
    /// Signatures proven (by the log or a timestamp) at or after this
    /// time count.
    pub valid_from: Timestamp,
    /// ...and before this one (exclusive), if bounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Timestamp>,
}

impl SigstoreSigner {
    /// Whether a signature proven at `at` falls in the window.
    pub fn holds_at(&self, at: Timestamp) -> bool {
        at >= self.valid_from && self.valid_until.is_none_or(|u| at < u)
    }
}

impl SigstoreTrust {
    /// Checks what a roster check can without verifying Sigstore material
    /// (vouch-manifest has no Sigstore verifier): a bounded trusted root
    /// that is a JSON object, every mapping to an identity of the roster,
    /// non-empty issuer and SAN, a forward window, and no (issuer, SAN)
    /// pair mapped to two identities (one party counting twice).
    pub(crate) fn check(&self, known: impl Fn(&IdentityId) -> bool) -> Result<(), RosterError> {
        if self.trusted_root.len() > MAX_TRUSTED_ROOT {
            return Err(RosterError::SigstoreTrustedRootTooLarge {
                len: self.trusted_root.len(),
                max: MAX_TRUSTED_ROOT,
            });
        }
        if !serde_json::from_str::<serde_json::Value>(&self.trusted_root)
            .is_ok_and(|v| v.is_object())
        {
            return Err(RosterError::SigstoreTrustedRoot {
                len: self.trusted_root.len(),
            });
        }
        for (i, s) in self.signers.iter().enumerate() {
            if !known(&s.identity) {
                return Err(RosterError::UnknownSigstoreIdentity(s.identity.clone()));
            }
            if s.issuer.is_empty() || s.san.is_empty() {
                return Err(RosterError::EmptySigstoreSigner(s.identity.clone()));
            }
            if s.valid_until.is_some_and(|u| u <= s.valid_from) {
                return Err(RosterError::InvalidSigstoreWindow(s.identity.clone()));
            }
            if let Some(first) = self.signers[..i]
                .iter()
                .find(|o| o.issuer == s.issuer && o.san == s.san && o.identity != s.identity)
            {
                return Err(RosterError::DuplicateSigstoreSigner {
                    issuer: s.issuer.chars().take(128).collect(),
                    san: s.san.chars().take(128).collect(),
                    first: first.identity.clone(),
                    second: s.identity.clone(),
                });
            }
        }
        Ok(())
    }

    /// The mapping for exactly this issuer and SAN, if any (whatever its
    /// window: the caller judges it at the proven time, to say why).
    pub fn signer(&self, issuer: &str, san: &str) -> impl Iterator<Item = &SigstoreSigner> {
        self.signers
            .iter()
            .filter(move |s| s.issuer == issuer && s.san == san)
    }
}
