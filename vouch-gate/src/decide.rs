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
//!
//! # Multi-platform images
//!
//! A pod may be pinned to an image index's digest (what `docker pull
//! image@sha256:<index>` and a multi-arch deployment use) or to one of its
//! platform manifests' digests. A deployment statement names its image by
//! one digest, and an index pin needs a deployment of that index digest:
//! an exact match, like any single-platform image. A platform-manifest pin
//! is admitted through a deployment of an index when the index's image
//! statement, the one the verified chain rests on (the image link of the
//! verdict's trace, which passed), lists that manifest in its `platforms`.
//! Image statements in the bundle are read unverified only to find which
//! indexes to ask about; a list in a statement the chain did not verify
//! (signed by an unknown key, say) admits nothing.
//!
//! The bundle is fetched by the digest the pod is pinned to, so for a
//! platform pin the source must serve the index's bundle under each
//! platform manifest's digest too (a directory source: the same bundle
//! file under each name; a registry: the statements attached to each
//! platform manifest).

use vouch_chain::{Bundle, LinkKind, Outcome, Placement, Target, Verdict, Verifier};
use vouch_core::cose::Sign;
use vouch_core::{Digest, Timestamp};
use vouch_manifest::{Deployment, Image, Predicate, Signed};

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
    /// Every candidate failed: their verdicts (at most [`MAX_CANDIDATES`]),
    /// and the reasons of candidates through an image index that does not
    /// certify the pinned platform manifest.
    Denied {
        /// The verdicts of the candidates that failed.
        verdicts: Vec<Verdict>,
        /// One line per index candidate refused before its verdict counted.
        uncertified: Vec<String>,
    },
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
            Self::Denied { verdicts, .. } => {
                verdicts.iter().filter_map(Verdict::could_change_at).min()
            }
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
            Self::Denied {
                verdicts,
                uncertified,
            } => uncertified
                .iter()
                .cloned()
                .chain(verdicts.iter().flat_map(|v| {
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
                }))
                .collect(),
        }
    }
}

/// A deployment statement to verify for a pinned image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The deployment statement's digest.
    pub deployment: Digest,
    /// The image index the deployment names, when the pin is one of that
    /// index's platform manifests (none for an exact match).
    pub index: Option<Digest>,
}

/// The deployment statements in `bundle` to verify for a pod pinned to
/// `image`, decoded without verification, at most [`MAX_CANDIDATES`], in
/// bundle order without repeats: those whose `image` is `image` (exact
/// matches, first), then those whose `image` is an index that an image
/// statement of the bundle lists `image` as a platform manifest of.
/// Envelopes that do not decode are skipped: the verifier judges the
/// chain, this only picks what to ask it about.
pub fn candidates(bundle: &Bundle, image: &Digest) -> Vec<Candidate> {
    let mut deployments = Vec::new();
    let mut indexes = Vec::new();
    for bytes in bundle.envelopes() {
        // Each envelope decoded once, sorted by the type it names.
        let Ok(envelope) = Sign::from_bytes(bytes) else {
            continue;
        };
        match Signed::<Deployment>::from_envelope_or_other_type(envelope) {
            Ok(Ok(signed)) => {
                deployments.push((signed.digest(), signed.unverified().predicate().image));
            }
            Ok(Err((envelope, ty))) if ty == Image::PREDICATE_TYPE => {
                let Ok(signed) = Signed::<Image>::from_envelope(envelope) else {
                    continue;
                };
                let i = signed.unverified().predicate();
                if i.image != *image && i.names(image) && !indexes.contains(&i.image) {
                    indexes.push(i.image);
                }
            }
            _ => {}
        }
    }
    let mut found: Vec<Candidate> = Vec::new();
    let exact = deployments
        .iter()
        .filter(|(_, i)| i == image)
        .map(|(d, _)| Candidate {
            deployment: *d,
            index: None,
        });
    let through_index = deployments
        .iter()
        .filter(|(_, i)| indexes.contains(i))
        .map(|(d, i)| Candidate {
            deployment: *d,
            index: Some(*i),
        });
    for c in exact.chain(through_index) {
        if found.len() == MAX_CANDIDATES {
            break;
        }
        if !found.iter().any(|f| f.deployment == c.deployment) {
            found.push(c);
        }
    }
    found
}

/// The statement digest of the image link of `verdict`'s trace, when that
/// link passed: the image statement the chain verified.
fn verified_image_statement(verdict: &Verdict) -> Option<Digest> {
    verdict
        .trace()
        .children
        .iter()
        .find(|c| c.kind == LinkKind::Image && c.outcome == Outcome::Pass)
        .and_then(|c| c.statement)
}

/// Whether the image statement `verdict`'s chain verified (its image
/// link, which passed) is of `index` and lists `platform` among its
/// platform manifests.
pub fn certifies_platform(
    bundle: &Bundle,
    verdict: &Verdict,
    index: &Digest,
    platform: &Digest,
) -> bool {
    if verdict.target().image.as_ref() != Some(index) {
        return false;
    }
    let Some(statement) = verified_image_statement(verdict) else {
        return false;
    };
    bundle.envelopes().iter().any(|envelope| {
        Signed::<Image>::from_bytes(envelope).is_ok_and(|s| {
            let i = s.unverified().predicate();
            s.digest() == statement
                && i.image == *index
                && i.platforms.iter().any(|p| p.manifest == *platform)
        })
    })
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
    let mut verdicts = Vec::new();
    let mut uncertified = Vec::new();
    for c in found {
        let verdict =
            verifier.verify_placed(bundle, &Target::Deployment(c.deployment), placement, now);
        // A candidate whose image link failed keeps its verdict: its
        // reasons say why, and it can neither pass nor be re-admitted.
        if let Some(index) = &c.index
            && verified_image_statement(&verdict).is_some()
            && !certifies_platform(bundle, &verdict, index, image)
        {
            uncertified.push(format!(
                "deployment {}: its image index {index} has no verified image statement \
                 listing the platform manifest {image}",
                c.deployment
            ));
            continue;
        }
        if verdict.passed() {
            return ImageDecision::Admitted(Box::new(verdict));
        }
        verdicts.push(verdict);
    }
    ImageDecision::Denied {
        verdicts,
        uncertified,
    }
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
