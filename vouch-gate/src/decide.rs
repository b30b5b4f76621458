//! The decision for one image: which deployment statements of a bundle name
//! it, and whether one of them verifies for this placement.
//!
//! The bundle is untrusted: its envelopes are decoded (never trusted) only
//! to find candidates, deployment statements whose `image` is the digest
//! the pod will run. Each candidate is then verified by
//! [`Verifier::verify_placed`] with the placement the pod is about to run
//! at (cluster and namespace from the gate, workload from the pod's label,
//! environment when configured), so a statement made for staging or for
//! another service is refused when replayed here. The image is admitted
//! when one candidate's verdict passes; otherwise it is denied with every
//! candidate's reasons, and denied when no statement names it.

use vouch_chain::{Bundle, Placement, Target, Verdict, Verifier};
use vouch_core::{Digest, Timestamp};
use vouch_manifest::{Deployment, Signed};

/// The most candidates verified for one image. Each costs a full chain
/// verification, and an attacker who can write to the bundle source could
/// otherwise make the gate verify thousands of copies.
pub const MAX_CANDIDATES: usize = 8;

/// The most reasons quoted per candidate in a denial.
pub const MAX_REASONS: usize = 8;

/// What was decided for one image.
#[derive(Debug)]
#[non_exhaustive]
pub enum ImageDecision {
    /// A candidate passed: its verdict.
    Admitted(Box<Verdict>),
    /// No deployment statement in the bundle names the image.
    NoStatement,
    /// Every candidate failed: their verdicts (at most [`MAX_CANDIDATES`]).
    Denied(Vec<Verdict>),
}

impl ImageDecision {
    /// Whether the image is admitted.
    pub fn admitted(&self) -> bool {
        matches!(self, Self::Admitted(_))
    }

    /// The earliest instant at which time alone could change this decision
    /// (of the verdicts it rests on), when there is one.
    pub fn could_change_at(&self) -> Option<Timestamp> {
        match self {
            Self::Admitted(v) => v.could_change_at(),
            Self::NoStatement => None,
            Self::Denied(vs) => vs.iter().filter_map(Verdict::could_change_at).min(),
        }
    }

    /// The reasons of a denial, one line each, bounded: at most
    /// [`MAX_REASONS`] per candidate. Empty when admitted.
    pub fn reasons(&self, image: &Digest) -> Vec<String> {
        match self {
            Self::Admitted(_) => Vec::new(),
            Self::NoStatement => vec![format!(
                "no deployment statement in the bundle names image {image}"
            )],
            Self::Denied(verdicts) => verdicts
                .iter()
                .flat_map(|v| {
                    let failures = v.failures();
                    let mut lines: Vec<String> = failures
                        .iter()
                        .take(MAX_REASONS)
                        .map(|f| format!("deployment {}: {f}", v.target().digest))
                        .collect();
                    if failures.len() > MAX_REASONS {
                        lines.push(format!(
                            "deployment {}: {} more reasons",
                            v.target().digest,
                            failures.len() - MAX_REASONS
                        ));
                    }
                    lines
                })
                .collect(),
        }
    }
}

/// The digests of the deployment statements in `bundle` whose `image` is
/// `image`, decoded without verification, at most [`MAX_CANDIDATES`], in
/// bundle order without repeats. Envelopes that are not deployment
/// statements, or do not decode, are skipped: the verifier judges the
/// chain, this only picks what to ask it about.
pub fn candidates(bundle: &Bundle, image: &Digest) -> Vec<Digest> {
    let mut found = Vec::new();
    for envelope in bundle.envelopes() {
        let Ok(signed) = Signed::<Deployment>::from_bytes(envelope) else {
            continue;
        };
        if signed.unverified().predicate().image == *image && !found.contains(&signed.digest()) {
            found.push(signed.digest());
            if found.len() == MAX_CANDIDATES {
                break;
            }
        }
    }
    found
}

/// Decides one image at `placement` and time `now`.
pub fn decide(
    verifier: &Verifier,
    bundle: &Bundle,
    image: &Digest,
    placement: &Placement,
    now: Timestamp,
) -> ImageDecision {
    let found = candidates(bundle, image);
    if found.is_empty() {
        return ImageDecision::NoStatement;
    }
    let mut failed = Vec::new();
    for digest in found {
        let verdict = verifier.verify_placed(bundle, &Target::Deployment(digest), placement, now);
        if verdict.passed() {
            return ImageDecision::Admitted(Box::new(verdict));
        }
        failed.push(verdict);
    }
    ImageDecision::Denied(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_empty_bundles_have_no_candidates() {
        let image = Digest::sha256(b"image");
        assert!(candidates(&Bundle::new(), &image).is_empty());
        let mut bundle = Bundle::new();
        bundle.add_envelope(b"not an envelope".to_vec());
        bundle.add_envelope(vec![0xd8, 0x62, 0x84]);
        assert!(candidates(&bundle, &image).is_empty());
        assert_eq!(
            ImageDecision::NoStatement.reasons(&image),
            vec![format!(
                "no deployment statement in the bundle names image {image}"
            )]
        );
        assert!(!ImageDecision::NoStatement.admitted());
    }
}
