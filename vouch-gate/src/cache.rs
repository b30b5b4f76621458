//! The verdict cache: a bounded map from everything a verdict depends on to
//! the decision, each entry expiring when its verdict could change.
//!
//! The key holds every input of [`crate::decide::decide`] that can change
//! its answer: the deployment statement (by digest), the placement
//! (environment, cluster, namespace, workload), the bundle (by digest, so
//! a new revocation or statement in the bundle is a miss), the roster
//! version and the policy digest. Time is the one input not in the key:
//! an entry carries the earliest instant its verdict could change (the
//! deployment's time plus `max_age`, or the end of a key validity window
//! the verdict rests on) and is a miss from then on. Reloading the roster
//! or policy empties the whole cache ([`VerdictCache::clear`]), although
//! the key alone would already miss, so that memory is not held by
//! entries that can never hit again.
//!
//! Eviction is least recently used, with an index ordered by last use, so
//! a lookup and an insert cost O(log n) and the size never exceeds the
//! capacity.

use std::collections::{BTreeMap, HashMap};

use vouch_core::{Digest, Timestamp};

/// Everything a cached verdict depends on, apart from time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    /// The deployment statement's digest.
    pub deployment: Digest,
    /// The environment, when the gate is configured with one.
    pub environment: Option<String>,
    /// The cluster.
    pub cluster: String,
    /// The namespace.
    pub namespace: String,
    /// The workload (the statement's `target.service`).
    pub workload: String,
    /// SHA-256 of the bundle's bytes.
    pub bundle: Digest,
    /// The roster version verified against.
    pub roster_version: u64,
    /// The policy's digest.
    pub policy: Digest,
}

struct Entry<V> {
    value: V,
    expires: Timestamp,
    tick: u64,
}

/// A bounded, expiring, least-recently-used cache of verdicts.
pub struct VerdictCache<V> {
    capacity: usize,
    entries: HashMap<CacheKey, Entry<V>>,
    by_use: BTreeMap<u64, CacheKey>,
    tick: u64,
}

impl<V: Clone> VerdictCache<V> {
    /// An empty cache holding at most `capacity` entries (0 disables it).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: HashMap::new(),
            by_use: BTreeMap::new(),
            tick: 0,
        }
    }

    /// How many entries are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value for `key` if present and not expired at `now`; an expired
    /// entry is removed.
    pub fn get(&mut self, key: &CacheKey, now: Timestamp) -> Option<V> {
        let entry = self.entries.get(key)?;
        if now >= entry.expires {
            self.remove(key);
            return None;
        }
        self.tick += 1;
        let tick = self.tick;
        let entry = self.entries.get_mut(key)?;
        self.by_use.remove(&entry.tick);
        entry.tick = tick;
        self.by_use.insert(tick, key.clone());
        Some(entry.value.clone())
    }

    /// Stores `value` for `key` until `expires` (exclusive); nothing is
    /// stored when it has already expired at `now`. The least recently used
    /// entry is evicted when full.
    pub fn insert(&mut self, key: CacheKey, value: V, expires: Timestamp, now: Timestamp) {
        if self.capacity == 0 || expires <= now {
            return;
        }
        self.remove(&key);
        while self.entries.len() >= self.capacity {
            let Some((_, oldest)) = self.by_use.pop_first() else {
                break;
            };
            self.entries.remove(&oldest);
        }
        self.tick += 1;
        self.by_use.insert(self.tick, key.clone());
        self.entries.insert(
            key,
            Entry {
                value,
                expires,
                tick: self.tick,
            },
        );
    }

    /// Empties the cache (a roster or policy reload).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.by_use.clear();
    }

    fn remove(&mut self, key: &CacheKey) {
        if let Some(entry) = self.entries.remove(key) {
            self.by_use.remove(&entry.tick);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> CacheKey {
        CacheKey {
            deployment: Digest::sha256(&[n]),
            environment: Some("production".into()),
            cluster: "eu-1".into(),
            namespace: "shop".into(),
            workload: "api".into(),
            bundle: Digest::sha256(b"bundle"),
            roster_version: 3,
            policy: Digest::sha256(b"policy"),
        }
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_unix_seconds(1_800_000_000 + secs).unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn hits_until_expiry() {
        let mut c = VerdictCache::new(4);
        c.insert(key(1), true, at(100), at(0));
        assert_eq!(c.get(&key(1), at(99)), Some(true));
        assert_eq!(c.get(&key(1), at(100)), None);
        assert!(c.is_empty());
        c.insert(key(2), true, at(5), at(5));
        assert!(c.is_empty(), "an entry already expired is not stored");
    }

    #[test]
    fn every_key_field_matters() {
        let mut c = VerdictCache::new(8);
        c.insert(key(1), true, at(100), at(0));
        type Change = Box<dyn Fn(&mut CacheKey)>;
        let variants: Vec<Change> = vec![
            Box::new(|k| k.environment = None),
            Box::new(|k| k.cluster = "us-1".into()),
            Box::new(|k| k.namespace = "other".into()),
            Box::new(|k| k.workload = "web".into()),
            Box::new(|k| k.bundle = Digest::sha256(b"other bundle")),
            Box::new(|k| k.roster_version = 4),
            Box::new(|k| k.policy = Digest::sha256(b"other policy")),
        ];
        for change in variants {
            let mut k = key(1);
            change(&mut k);
            assert_eq!(c.get(&k, at(1)), None, "{k:?}");
        }
    }

    #[test]
    fn evicts_the_least_recently_used_and_clears() {
        let mut c = VerdictCache::new(2);
        c.insert(key(1), 1, at(100), at(0));
        c.insert(key(2), 2, at(100), at(0));
        assert_eq!(c.get(&key(1), at(1)), Some(1));
        c.insert(key(3), 3, at(100), at(0));
        assert_eq!(c.len(), 2);
        assert_eq!(c.get(&key(2), at(1)), None, "2 was least recently used");
        assert_eq!(c.get(&key(1), at(1)), Some(1));
        assert_eq!(c.get(&key(3), at(1)), Some(3));
        c.clear();
        assert!(c.is_empty());
        assert_eq!(c.get(&key(1), at(1)), None);
    }

    #[test]
    fn a_zero_capacity_cache_stores_nothing() {
        let mut c = VerdictCache::new(0);
        c.insert(key(1), 1, at(100), at(0));
        assert!(c.is_empty());
    }

    proptest::proptest! {
        #[test]
        fn never_exceeds_capacity(ops in proptest::collection::vec((0u8..16, 0i64..50, proptest::prelude::any::<bool>()), 0..200), cap in 0usize..6) {
            let mut c = VerdictCache::new(cap);
            for (n, t, insert) in ops {
                if insert {
                    c.insert(key(n), n, at(t + 10), at(t));
                } else {
                    let _ = c.get(&key(n), at(t));
                }
                proptest::prop_assert!(c.len() <= cap);
                proptest::prop_assert_eq!(c.len(), c.by_use.len());
            }
        }
    }
}
