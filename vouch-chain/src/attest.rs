//! From signatures to attested facts: each verified signature mapped to the
//! roster identity that held its key when the statement says it was
//! signed, judged without letting that claimed time alone move a key back
//! inside its validity.

use std::collections::HashSet;

use vouch_core::{Digest, EnvelopeError, Evidence, KeyId, Timestamp};
use vouch_manifest::{
    ClaimedTimeTrust, GitObjectId, Identity, KeyStanding, Predicate, RosterError, RosterKey,
    SignedThing, TrustedRoster,
};

use crate::counter::{Counters, SignedItem};
use crate::error::Reason;
use crate::index::Decoded;
use vouch_core::text::error_chain;

/// A verified signature and the identity that held its key at signing time.
#[derive(Clone, Debug)]
pub(crate) struct Attested<'r> {
    pub(crate) identity: &'r Identity,
    /// The roster's entry for the key; `None` for a Sigstore certificate's
    /// ephemeral key, which the roster does not hold (its identity is
    /// mapped through `witnesses.sigstore.signers`).
    pub(crate) roster_key: Option<&'r RosterKey>,
    pub(crate) key_id: KeyId,
    pub(crate) evidence: Option<Evidence>,
    /// The time the statement claims (what keys and roles are judged at);
    /// for a Sigstore signature, its proven time.
    pub(crate) at: Timestamp,
    pub(crate) standing: KeyStanding,
    /// For a signature in a Sigstore bundle: the signer as the trace shows it.
    pub(crate) sigstore: Option<Box<crate::trace::TraceSigstore>>,
}

/// What the roster's grandfathered lists may name for one signature.
#[derive(Clone, Copy)]
pub(crate) struct Covers<'a> {
    pub(crate) statement: Option<&'a Digest>,
    pub(crate) commit: Option<&'a GitObjectId>,
    /// Releases that certify the commit (a grandfathered release covers
    /// the signatures of the commits it certifies).
    pub(crate) releases: &'a [Digest],
}

impl Covers<'_> {
    pub(crate) fn statement(d: &Digest) -> Covers<'_> {
        Covers {
            statement: Some(d),
            commit: None,
            releases: &[],
        }
    }
}

/// The earliest of the instants, after the evaluation time, at which its
/// verdict could change as time passes alone; interior so that the
/// evaluation's shared helpers can record it.
///
/// Instants at or before the evaluation time are not recorded: a
/// statement already past its `max_age` changes nothing more as time
/// passes, and recording it would hide a later instant that does (a key
/// that signed it ending), leaving a cache to hold the verdict past it.
#[derive(Debug)]
pub(crate) struct Until {
    after: Timestamp,
    earliest: std::cell::Cell<Option<Timestamp>>,
}

impl Until {
    /// Nothing recorded yet, for an evaluation at `now`.
    pub(crate) fn after(now: Timestamp) -> Self {
        Until {
            after: now,
            earliest: std::cell::Cell::new(None),
        }
    }

    /// Records that the verdict could change at `t` (ignored unless `t`
    /// is after the evaluation time).
    pub(crate) fn at(&self, t: Timestamp) {
        if t <= self.after {
            return;
        }
        let earliest = match self.earliest.get() {
            Some(u) if u <= t => u,
            _ => t,
        };
        self.earliest.set(Some(earliest));
    }

    /// The earliest instant recorded.
    pub(crate) fn get(&self) -> Option<Timestamp> {
        self.earliest.get()
    }
}

/// The signature pass's view of the roster and the evaluation time.
pub(crate) struct Attester<'r> {
    pub(crate) roster: &'r TrustedRoster,
    pub(crate) now: Timestamp,
    /// The earliest instant at which the verdict could change with time
    /// alone (see [`crate::Verdict::could_change_at`]).
    pub(crate) until: Until,
    pub(crate) trust: ClaimedTimeTrust,
    /// The FIDO signatures the counter rule refuses (none when it is off).
    pub(crate) counters: Counters,
    /// The roster's Sigstore trust, for statements in Sigstore bundles.
    #[cfg(feature = "sigstore")]
    pub(crate) sigstore: crate::sigstore::Context<'r>,
    /// The roster's OpenPGP certificates, read on first use.
    #[cfg(feature = "openpgp")]
    pub(crate) openpgp: std::cell::OnceCell<crate::openpgp::Ring>,
}

impl<'r> Attester<'r> {
    /// Verifies every signature of one statement (possibly in several
    /// envelopes) and maps each key to its holder at `at`. Each distinct
    /// key counts once; every signature that cannot be accounted for is a
    /// failure, with its cause.
    pub(crate) fn statement<P: Predicate>(
        &self,
        group: &[Decoded<'_, P>],
        at: Timestamp,
        proven: Option<Timestamp>,
        covers: Covers<'_>,
        failures: &mut Vec<Reason>,
    ) -> Vec<Attested<'r>> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for d in group {
            #[cfg(feature = "sigstore")]
            if let Some(item) = &d.lazy.sigstore {
                if let Some(a) = self.sigstore_signer(item, covers, failures)
                    && seen.insert(a.key_id)
                {
                    out.push(a);
                }
                continue;
            }
            let Some(checked) = d.lazy.checked(self.roster) else {
                continue;
            };
            for f in &checked.failed {
                failures.push(match &f.error {
                    EnvelopeError::UnknownKey(k) => Reason::UnknownKey { key_id: *k },
                    e => Reason::BadSignature {
                        key_id: f.key_id,
                        cause: error_chain(e),
                    },
                });
            }
            for v in &checked.ok {
                if !seen.insert(v.key_id) {
                    continue;
                }
                let evidence = v.evidence.as_deref().cloned();
                if let Some(a) = self.holder(v.key_id, evidence, at, proven, covers, failures) {
                    out.push(a);
                }
            }
        }
        out
    }

    /// The standing of `key_id` (a vouch key, or an OpenPGP key by its
    /// roster id) for `thing`: its holder, its roster entry (none for an
    /// OpenPGP key), its standing and when it ends.
    #[allow(clippy::type_complexity)]
    fn standing(
        &self,
        key_id: &KeyId,
        at: Timestamp,
        proven: Option<Timestamp>,
        thing: SignedThing<'_>,
    ) -> Result<
        (
            &'r Identity,
            Option<&'r RosterKey>,
            KeyStanding,
            Option<Timestamp>,
        ),
        RosterError,
    > {
        if self.roster.openpgp_key(key_id).is_some() {
            let r = match proven {
                Some(p) => self
                    .roster
                    .openpgp_key_standing_proven(key_id, at, p, thing),
                None => self
                    .roster
                    .openpgp_key_standing(key_id, at, self.now, thing, self.trust),
            };
            return r.map(|(i, k, s)| (i, None, s, k.end().map(|e| e.0)));
        }
        let r = match proven {
            Some(p) => self.roster.key_standing_proven(key_id, at, p, thing),
            None => self
                .roster
                .key_standing(key_id, at, self.now, thing, self.trust),
        };
        r.map(|(i, k, s)| (i, Some(k), s, k.end().map(|e| e.0)))
    }

    /// Maps a verified key to the identity that held it at `at`, or records
    /// why it cannot count (revoked or ended and not grandfathered, outside
    /// its window, not in the roster). With a `proven` time (a witness saw
    /// the signature then), the key's end is judged at it instead.
    pub(crate) fn holder(
        &self,
        key_id: KeyId,
        evidence: Option<Evidence>,
        at: Timestamp,
        proven: Option<Timestamp>,
        covers: Covers<'_>,
        failures: &mut Vec<Reason>,
    ) -> Option<Attested<'r>> {
        let item = match (covers.statement, covers.commit) {
            (Some(d), _) => Some(SignedItem::Statement(*d)),
            (None, Some(c)) => Some(SignedItem::Commit(c.clone())),
            (None, None) => None,
        };
        if let Some(reason) = item.and_then(|i| self.counters.refusal(&key_id, &i)) {
            failures.push(reason.clone());
            return None;
        }
        // A release that grandfathers covers the commits it certifies: try
        // the signature as the statement itself, then as each release.
        let own = SignedThing {
            statement: covers.statement,
            commit: covers.commit,
        };
        let things = std::iter::once(own).chain(covers.releases.iter().map(|d| SignedThing {
            statement: Some(d),
            commit: None,
        }));
        let mut last = None;
        for thing in things {
            match self.standing(&key_id, at, proven, thing) {
                Ok((identity, roster_key, standing, end)) => {
                    // Counted as live on a claimed time only while the
                    // key's end is still ahead.
                    if standing == KeyStanding::Live
                        && proven.is_none()
                        && let Some(end) = end
                    {
                        self.until.at(end);
                    }
                    return Some(Attested {
                        identity,
                        roster_key,
                        key_id,
                        evidence,
                        at,
                        standing,
                        sigstore: None,
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        failures.push(match last {
            Some(RosterError::EndedKeyClaimedTime {
                identity,
                key_id,
                ended_at,
                why,
                at,
            }) => Reason::KeyEnded {
                key_id,
                identity,
                ended_at,
                why,
                at,
            },
            Some(RosterError::EndedBeforeProvenTime {
                identity,
                key_id,
                ended_at,
                why,
                proven,
            }) => Reason::KeyEndedBeforeProvenTime {
                key_id,
                identity,
                ended_at,
                why,
                proven,
            },
            Some(RosterError::Revoked {
                identity,
                key_id,
                revoked_at,
                reason,
                ..
            }) => Reason::KeyRevoked {
                key_id,
                identity,
                revoked_at,
                reason,
            },
            Some(
                RosterError::NotYetValid {
                    identity, key_id, ..
                }
                | RosterError::Expired {
                    identity, key_id, ..
                },
            ) => {
                let (valid_from, valid_until) = self
                    .roster
                    .identity(&identity)
                    .and_then(|i| {
                        i.keys
                            .iter()
                            .find(|k| k.key.key_id() == key_id)
                            .map(|k| (k.valid_from, k.valid_until))
                            .or_else(|| {
                                i.openpgp_keys
                                    .iter()
                                    .find(|k| k.key_id() == key_id)
                                    .map(|k| (k.valid_from, k.valid_until))
                            })
                    })
                    .unwrap_or((at, None));
                Reason::KeyOutsideWindow {
                    key_id,
                    identity,
                    at,
                    valid_from,
                    valid_until,
                }
            }
            _ => Reason::UnknownKey { key_id },
        });
        None
    }
}
