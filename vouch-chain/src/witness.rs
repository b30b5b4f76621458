//! Proven time: the earliest time a witness the roster trusts saw a
//! statement envelope.
//!
//! Two kinds of witness prove time, each verified here from the bytes:
//!
//! - a transparency log listed in the roster (`witnesses.logs`), by a COSE
//!   receipt in the envelope's unprotected header (label 394) whose
//!   inclusion proof, for the envelope's leaf, leads to a root the log
//!   signed with its issued-at time;
//! - a timestamp authority whose certificate chains to a root the roster
//!   lists (`witnesses.timestampAuthorities`), by an RFC 3161 token in the
//!   bundle whose imprint is the envelope's
//!   [`timestamped_digest`](crate::bundle::timestamped_digest).
//!
//! - a log listed in the roster, by a checkpoint-bound inclusion proof in
//!   the bundle (the log's signed checkpoint, the envelope's index, the
//!   proof), dated by the `cosignature/v1` of a witness the roster lists
//!   (`witnesses.cosigners`): the log's checkpoint alone says the entry is
//!   in the tree, a witness's cosignature says since when.
//!
//! Each is over the envelope as registered (without its receipts), so it
//! covers the statement and every signature on it. A proof that does not
//! verify proves nothing and is reported; a witness the roster does not
//! list proves nothing either.

use std::collections::HashMap;

use vouch_core::text::error_chain;
use vouch_core::timestamp::{HashAlgorithm, Imprint, Verifier};
use vouch_core::tlog::receipt::{receipts, statement_leaf};
use vouch_core::tlog::{Checkpoint, NoteVerifier, Receipt};
use vouch_core::x509::TrustAnchor;
use vouch_core::{Digest, Timestamp};
use vouch_manifest::{TrustedLog, TrustedRoster};

use crate::bundle::{Bundle, Inclusion};
use crate::trace::ProvenTime;

/// Proofs of each kind (receipts, timestamps, inclusion proofs) tried per
/// envelope; more are ignored, so a bundle cannot make the verifier check
/// thousands of signatures for one statement.
pub const MAX_PROOFS_PER_ENVELOPE: usize = 8;

/// What the witnesses say about one envelope (or one statement's several
/// envelopes): the earliest proven time, and the proofs that did not
/// verify, with why.
#[derive(Clone, Debug, Default)]
pub(crate) struct Proof {
    pub(crate) time: Option<ProvenTime>,
    pub(crate) refused: Vec<String>,
}

impl Proof {
    /// Keeps the earlier of the two proven times and every refusal.
    pub(crate) fn merge(&mut self, other: Proof) {
        if let Some(t) = other.time
            && self.time.as_ref().is_none_or(|mine| t.at < mine.at)
        {
            self.time = Some(t);
        }
        self.refused.extend(other.refused);
    }
}

/// The roster's witnesses and the bundle's timestamps, ready to prove.
pub(crate) struct Witnesses<'a> {
    logs: &'a [TrustedLog],
    cosigners: Vec<(&'a str, NoteVerifier)>,
    inclusions: HashMap<[u8; 32], Vec<&'a Inclusion>>,
    tsa_labels: Vec<&'a str>,
    tsa: Vec<TrustAnchor>,
    tokens: HashMap<Digest, Vec<&'a [u8]>>,
}

impl<'a> Witnesses<'a> {
    pub(crate) fn new(roster: &'a TrustedRoster, bundle: &'a Bundle) -> Self {
        let trust = &roster.roster().witnesses;
        // The roster's check refuses roots that do not parse; should one
        // slip through, it is no anchor.
        let tsa = trust.tsa_anchors().unwrap_or_default();
        let mut tokens: HashMap<Digest, Vec<&[u8]>> = HashMap::new();
        for (d, t) in bundle.timestamps() {
            let v = tokens.entry(*d).or_default();
            if v.len() < MAX_PROOFS_PER_ENVELOPE {
                v.push(t);
            }
        }
        let mut inclusions: HashMap<[u8; 32], Vec<&Inclusion>> = HashMap::new();
        for (leaf, i) in bundle.inclusions() {
            let v = inclusions.entry(*leaf).or_default();
            if v.len() < MAX_PROOFS_PER_ENVELOPE {
                v.push(i);
            }
        }
        // The roster's check refuses cosigners whose key is no note key.
        let cosigners = trust
            .cosigners
            .iter()
            .filter_map(|c| {
                NoteVerifier::cosignature_v1(&c.name, &c.key)
                    .ok()
                    .map(|v| (c.label.as_str(), v))
            })
            .collect();
        Witnesses {
            logs: &trust.logs,
            cosigners,
            inclusions,
            tsa_labels: trust
                .timestamp_authorities
                .iter()
                .map(|t| t.label.as_str())
                .collect(),
            tsa,
            tokens,
        }
    }

    /// Whether anything could prove a time at all (the roster lists a
    /// witness): without, envelopes are not even read for receipts, so a
    /// roster without witnesses costs the hot path nothing.
    pub(crate) fn any(&self) -> bool {
        !self.logs.is_empty() || !self.tsa.is_empty()
    }

    /// The earliest time a trusted witness saw `envelope`.
    pub(crate) fn prove(&self, envelope: &[u8]) -> Proof {
        let mut proof = Proof::default();
        if !self.any() {
            return proof;
        }
        let leaf = match statement_leaf(envelope) {
            Ok(l) => l,
            Err(e) => {
                proof.refused.push(format!(
                    "the envelope's receipts cannot be read: {}",
                    error_chain(&e)
                ));
                return proof;
            }
        };
        match receipts(envelope) {
            Ok(list) => {
                for bytes in list.into_iter().take(MAX_PROOFS_PER_ENVELOPE) {
                    proof.merge(self.receipt(bytes, &leaf));
                }
            }
            Err(e) => proof.refused.push(format!("receipts: {}", error_chain(&e))),
        }
        if let Some(list) = self.inclusions.get(&leaf) {
            for i in list {
                proof.merge(self.inclusion(i, &leaf));
            }
        }
        if !self.tokens.is_empty()
            && let Ok(digest) = crate::bundle::timestamped_digest(envelope)
            && let Some(tokens) = self.tokens.get(&digest)
        {
            for token in tokens {
                proof.merge(self.timestamp(token, &digest));
            }
        }
        proof
    }

    fn receipt(&self, bytes: &[u8], leaf: &vouch_core::tlog::Hash) -> Proof {
        let mut proof = Proof::default();
        let receipt = match Receipt::from_bytes(bytes) {
            Ok(r) => r,
            Err(e) => {
                proof
                    .refused
                    .push(format!("a receipt does not decode: {}", error_chain(&e)));
                return proof;
            }
        };
        let mut last = None;
        for log in self.logs {
            match receipt.verify(leaf, &log.key) {
                Ok(v) => {
                    let Some(at) = v.issued_at().and_then(Timestamp::from_unix_seconds) else {
                        proof.refused.push(format!(
                            "the receipt of log {:?} carries no issued-at time",
                            log.label
                        ));
                        return proof;
                    };
                    proof.time = Some(ProvenTime {
                        at,
                        by: log.label.clone(),
                        how: "receipt",
                        index: Some(v.leaf_index()),
                    });
                    return proof;
                }
                Err(e) => last = Some(error_chain(&e)),
            }
        }
        proof.refused.push(match last {
            Some(e) => format!("a receipt verifies with no log the roster lists ({e})"),
            None => "a receipt, but the roster lists no log".into(),
        });
        proof
    }

    /// A checkpoint-bound inclusion proof: the checkpoint is signed by a
    /// listed log (whose origin it names), the leaf is in its tree, and a
    /// listed witness cosigned it; the earliest such cosignature dates it.
    fn inclusion(&self, inclusion: &Inclusion, leaf: &vouch_core::tlog::Hash) -> Proof {
        let mut proof = Proof::default();
        let witnesses: Vec<NoteVerifier> = self.cosigners.iter().map(|(_, v)| v.clone()).collect();
        let mut last = None;
        for log in self.logs {
            let Ok(verifier) = NoteVerifier::ed25519(&log.origin, &log.key) else {
                continue;
            };
            let checked = Checkpoint::verify(&inclusion.checkpoint, &verifier, &witnesses)
                .and_then(|c| {
                    c.verify_inclusion(leaf, inclusion.index, &inclusion.proof)
                        .map(|()| c)
                });
            match checked {
                Ok(c) => {
                    let earliest = c
                        .cosignatures()
                        .filter_map(|s| {
                            let at = s.cosigned_at()?;
                            let (label, _) = self.cosigners.iter().find(|(_, v)| s.is(v))?;
                            Some((at, *label))
                        })
                        .min();
                    let Some((at, witness)) = earliest.and_then(|(at, w)| {
                        Some((Timestamp::from_unix_seconds(i64::try_from(at).ok()?)?, w))
                    }) else {
                        proof.refused.push(format!(
                            "an inclusion in log {:?} that no witness the roster lists cosigned: it proves no time",
                            log.label
                        ));
                        return proof;
                    };
                    proof.time = Some(ProvenTime {
                        at,
                        by: format!("{}, cosigned by {witness}", log.label),
                        how: "checkpoint",
                        index: Some(inclusion.index),
                    });
                    return proof;
                }
                Err(e) => last = Some(error_chain(&e)),
            }
        }
        proof.refused.push(match last {
            Some(e) => format!("an inclusion proof verifies with no log the roster lists ({e})"),
            None => "an inclusion proof, but the roster lists no log with an Ed25519 key".into(),
        });
        proof
    }

    fn timestamp(&self, token: &[u8], digest: &Digest) -> Proof {
        let mut proof = Proof::default();
        if self.tsa.is_empty() {
            proof
                .refused
                .push("a timestamp, but the roster lists no timestamp authority".into());
            return proof;
        }
        let imprint = Imprint::Digest {
            algorithm: HashAlgorithm::Sha256,
            digest: digest.as_bytes(),
        };
        match Verifier::new(&self.tsa).verify_token(token, imprint) {
            Ok(v) => {
                proof.time = Some(ProvenTime {
                    at: v.gen_time(),
                    by: self
                        .tsa_labels
                        .get(v.anchor())
                        .map_or_else(|| v.tsa_subject().to_owned(), |l| (*l).to_owned()),
                    how: "timestamp",
                    index: None,
                });
            }
            Err(e) => proof
                .refused
                .push(format!("a timestamp does not verify: {}", error_chain(&e))),
        }
        proof
    }
}
