//! FIDO signature counters: a pass over every verified FIDO signature the
//! target reached, after the signature pass and before any rule.
//!
//! An authenticator increments its counter with every signature, so two
//! signatures by one key tell their order. Under `counter = "increasing"`
//! a signature fails when its counter is not above that of another
//! signature by the same key that claims a strictly earlier time: either
//! the authenticator was cloned, or an old assertion was replayed. Equal
//! times are no evidence (`git rebase -S` signs many commits in one
//! second), and an authenticator that always sends 0 has no counter, which
//! fails the rule by itself.
//!
//! The times are the ones the statements claim, so the rule cannot prove a
//! clone; it catches one whose signatures come out of order, which is what
//! a counter can show. Only signatures that verified take part: nobody but
//! the key's holder can put a counter into it.

use std::collections::HashMap;

use vouch_core::{Digest, Evidence, KeyId, Timestamp};
use vouch_manifest::{Approval, Commit, Deployment, GitObjectId, Image, Predicate, Release};

use crate::error::Reason;
use crate::index::{Index, Lazy, Object};

/// What a signature is on: a statement (by digest) or a commit object.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum SignedItem {
    /// A statement, by the digest of its payload.
    Statement(Digest),
    /// A git commit object's own signature.
    Commit(GitObjectId),
}

impl std::fmt::Display for SignedItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignedItem::Statement(d) => write!(f, "statement {d}"),
            SignedItem::Commit(c) => write!(f, "commit object {c}"),
        }
    }
}

/// One FIDO signature: by which key, on what, when it claims, its counter.
#[derive(Clone, Debug)]
struct Use {
    key_id: KeyId,
    item: SignedItem,
    at: Timestamp,
    counter: u32,
}

/// The signatures the counter rule refuses, each with its reason.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    refused: HashMap<(KeyId, SignedItem), Reason>,
}

impl Counters {
    /// Why the signature by `key_id` on `item` is refused, if it is.
    pub(crate) fn refusal(&self, key_id: &KeyId, item: &SignedItem) -> Option<&Reason> {
        self.refused.get(&(*key_id, item.clone()))
    }

    /// Applies the rule to every FIDO signature the signature pass checked.
    pub(crate) fn check(index: &Index<'_>) -> Self {
        let mut uses = Vec::new();
        collect(&index.deployments, |d: &Deployment| d.time, &mut uses);
        collect(&index.approvals, |a: &Approval| a.time, &mut uses);
        collect(&index.images, |i: &Image| i.finished_at, &mut uses);
        collect(&index.releases, |r: &Release| r.released_at, &mut uses);
        // A commit's time is the committer's; with its object in the bundle
        // the object's (the id covers it, and an attestation that says
        // otherwise fails its link anyway).
        collect(
            &index.commits,
            |c: &Commit| match index.objects.get(&c.commit_id) {
                Some(Object::Parsed(p)) => p.object.committer().time,
                _ => c.committer.time,
            },
            &mut uses,
        );
        for (id, object) in &index.objects {
            let Object::Parsed(p) = object else { continue };
            let Some(Ok(sig)) = p.checked_signature() else {
                continue;
            };
            if let Some(Evidence::Fido(a)) = sig.signature().evidence() {
                uses.push(Use {
                    key_id: sig.key_id(),
                    item: SignedItem::Commit(id.clone()),
                    at: p.object.committer().time,
                    counter: a.counter,
                });
            }
        }
        Counters {
            refused: refusals(uses),
        }
    }
}

/// The FIDO signatures of one kind of statement that the pass checked.
fn collect<K, P: Predicate>(
    map: &HashMap<K, Vec<Lazy<'_, P>>>,
    time: impl Fn(&P) -> Timestamp,
    uses: &mut Vec<Use>,
) {
    for lazy in map.values().flatten() {
        let (Some(statement), Some(checked)) = (lazy.statement(), lazy.checked_now()) else {
            continue;
        };
        for s in &checked.ok {
            if let Some(Evidence::Fido(a)) = s.evidence.as_deref() {
                uses.push(Use {
                    key_id: s.key_id,
                    item: SignedItem::Statement(lazy.digest()),
                    at: time(statement.predicate()),
                    counter: a.counter,
                });
            }
        }
    }
}

/// Applies the rule to each key's signatures, sorted by claimed time: a
/// signature fails when its counter is not above the highest counter of
/// the signatures strictly before it (the one that holds it is named).
fn refusals(mut uses: Vec<Use>) -> HashMap<(KeyId, SignedItem), Reason> {
    // One envelope indexed under several names is one signature.
    uses.sort_by(|a, b| {
        (a.key_id, a.at, &a.item, a.counter).cmp(&(b.key_id, b.at, &b.item, b.counter))
    });
    uses.dedup_by(|a, b| a.key_id == b.key_id && a.item == b.item && a.at == b.at);
    let mut refused = HashMap::new();
    for key in uses.chunk_by(|a, b| a.key_id == b.key_id) {
        // The highest counter among signatures strictly earlier than the
        // current time group, and the signature that holds it.
        let mut highest: Option<&Use> = None;
        for same_time in key.chunk_by(|a, b| a.at == b.at) {
            for u in same_time {
                let reason = if u.counter == 0 {
                    Some(Reason::NoCounter {
                        key_id: u.key_id,
                        signed: u.item.to_string(),
                    })
                } else {
                    highest.filter(|h| u.counter <= h.counter).map(|h| {
                        Reason::CounterNotIncreasing {
                            key_id: u.key_id,
                            signed: u.item.to_string(),
                            at: u.at,
                            counter: u.counter,
                            earlier: h.item.to_string(),
                            earlier_at: h.at,
                            earlier_counter: h.counter,
                        }
                    })
                };
                if let Some(r) = reason {
                    refused.insert((u.key_id, u.item.clone()), r);
                }
            }
            for u in same_time {
                if highest.is_none_or(|h| u.counter > h.counter) {
                    highest = Some(u);
                }
            }
        }
    }
    refused
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_unix_seconds(1_700_000_000 + s).unwrap()
    }

    fn u(key: u8, item: u8, t: i64, counter: u32) -> Use {
        Use {
            key_id: KeyId::from_bytes([key; 32]),
            item: SignedItem::Statement(Digest::sha256(&[item])),
            at: at(t),
            counter,
        }
    }

    fn refused(uses: Vec<Use>) -> Vec<u8> {
        let items: Vec<(KeyId, SignedItem)> =
            uses.iter().map(|u| (u.key_id, u.item.clone())).collect();
        let r = refusals(uses);
        let mut out: Vec<u8> = (0u8..=255)
            .filter(|i| {
                items.iter().any(|(k, s)| {
                    *s == SignedItem::Statement(Digest::sha256(&[*i]))
                        && r.contains_key(&(*k, s.clone()))
                })
            })
            .collect();
        out.sort_unstable();
        out
    }

    #[test]
    fn increasing_counters_pass() {
        assert!(refused(vec![u(1, 1, 0, 5), u(1, 2, 10, 6), u(1, 3, 20, 9)]).is_empty());
    }

    #[test]
    fn a_repeated_or_lower_counter_after_an_earlier_time_fails() {
        // 2 repeats 1's counter later; 3 goes below.
        assert_eq!(
            refused(vec![u(1, 1, 0, 5), u(1, 2, 10, 5), u(1, 3, 20, 4)]),
            vec![2, 3]
        );
    }

    #[test]
    fn equal_times_alone_are_no_evidence() {
        assert!(refused(vec![u(1, 1, 0, 7), u(1, 2, 0, 7), u(1, 3, 0, 3)]).is_empty());
    }

    #[test]
    fn keys_are_judged_apart() {
        assert!(refused(vec![u(1, 1, 0, 50), u(2, 2, 10, 1)]).is_empty());
    }

    #[test]
    fn counter_zero_is_no_counter() {
        assert_eq!(refused(vec![u(1, 1, 0, 0), u(1, 2, 10, 0)]), vec![1, 2]);
    }

    #[test]
    fn the_reason_names_both_signatures() {
        let r = refusals(vec![u(1, 1, 0, 9), u(1, 2, 10, 9)]);
        let key = (
            KeyId::from_bytes([1; 32]),
            SignedItem::Statement(Digest::sha256(&[2])),
        );
        let text = r[&key].to_string();
        assert!(text.contains(&Digest::sha256(&[1]).to_string()), "{text}");
        assert!(text.contains(&Digest::sha256(&[2]).to_string()), "{text}");
    }
}
