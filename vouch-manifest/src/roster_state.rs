//! A verifier's trusted roster state: the newest version it has verified
//! for each trust anchor, so an older roster file is a rollback.
//!
//! A pin alone fixes where trust starts, not how far it has come: a roster
//! file cut back to version 1 still chains from the pinned version 1, and
//! trusts a key that version 2 revoked. As in TUF, the verifier remembers
//! the newest version it has verified and refuses anything older, or a
//! different version of the same number (a fork signed by old root keys).
//!
//! The state holds one entry per anchor (the pinned first version's
//! digest), so one state file serves several rosters without collisions.
//! On disk it is JSON:
//!
//! ```json
//! {"version": 1, "rosters": {"sha256:…anchor…": {"version": 2, "digest": "sha256:…"}}}
//! ```
//!
//! ```
//! # fn demo(chain: vouch_manifest::RosterChain, pin: vouch_core::Digest) -> Result<(), Box<dyn std::error::Error>> {
//! use vouch_manifest::RosterState;
//! let path = std::path::Path::new("roster-state.json");
//! let mut state = RosterState::load(path)?;
//! let trusted = chain.verify(&pin, vouch_core::Timestamp::now())?;
//! state.check(&trusted)?; // refuses a rollback or a fork
//! state.record(&trusted);
//! state.save(path)?;
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use vouch_core::Digest;

use crate::error::{ManifestError, RosterError};
use crate::roster::{RosterChain, TrustedRoster};

/// The state file's format version.
const STATE_VERSION: u64 = 1;

/// The newest roster version verified under one anchor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterStateEntry {
    /// The roster version number.
    pub version: u64,
    /// That version's statement digest.
    pub digest: Digest,
}

/// A verifier's trusted state: per anchor, the newest roster version verified.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterState {
    version: u64,
    rosters: BTreeMap<Digest, RosterStateEntry>,
}

impl RosterState {
    /// The largest state file read, in bytes (an entry is about 200 bytes).
    pub const MAX_LEN: usize = 4 << 20;

    /// An empty state (nothing verified yet).
    pub fn new() -> Self {
        RosterState {
            version: STATE_VERSION,
            rosters: BTreeMap::new(),
        }
    }

    /// The entry for `anchor`, if any version under it was verified.
    pub fn entry(&self, anchor: &Digest) -> Option<&RosterStateEntry> {
        self.rosters.get(anchor)
    }

    /// Sets the entry for `anchor` (an embedder restoring its own state).
    pub fn set_entry(&mut self, anchor: Digest, entry: RosterStateEntry) {
        self.rosters.insert(anchor, entry);
    }

    /// The anchor of the state that `chain` belongs to: the first anchor
    /// recorded here that is the digest of one of the chain's versions.
    /// This is what lets a caller that keeps state run without a pin.
    pub fn anchor_for(&self, chain: &RosterChain) -> Option<Digest> {
        chain
            .versions()
            .iter()
            .map(|v| v.digest())
            .find(|d| self.rosters.contains_key(d))
    }

    /// Refuses `trusted` when it is older than the newest version recorded
    /// for its anchor (a rollback), or when it passed through a version of
    /// the recorded number with another digest (a fork).
    pub fn check(&self, trusted: &TrustedRoster) -> Result<(), RosterError> {
        let Some(entry) = self.rosters.get(&trusted.anchor()) else {
            return Ok(());
        };
        if trusted.version() < entry.version {
            return Err(RosterError::Rollback {
                current: entry.version,
                offered: trusted.version(),
            });
        }
        let seen = trusted
            .history()
            .iter()
            .find(|(v, _)| *v == entry.version)
            .map(|(_, d)| *d);
        match seen {
            Some(d) if d == entry.digest => Ok(()),
            found => Err(RosterError::StateFork {
                version: entry.version,
                expected: entry.digest,
                found,
            }),
        }
    }

    /// Records `trusted` as the newest version verified under its anchor
    /// (never moves an entry backwards).
    pub fn record(&mut self, trusted: &TrustedRoster) {
        let entry = RosterStateEntry {
            version: trusted.version(),
            digest: trusted.digest(),
        };
        match self.rosters.get(&trusted.anchor()) {
            Some(e) if e.version >= entry.version => {}
            _ => {
                self.rosters.insert(trusted.anchor(), entry);
            }
        }
    }

    /// Reads the JSON form.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ManifestError> {
        if bytes.len() > Self::MAX_LEN {
            return Err(ManifestError::TooLarge {
                what: "roster state file",
                len: bytes.len(),
                max: Self::MAX_LEN,
            });
        }
        let state: RosterState = serde_json::from_slice(bytes)?;
        if state.version != STATE_VERSION {
            return Err(RosterError::StateVersion(state.version).into());
        }
        Ok(state)
    }

    /// The JSON form.
    pub fn to_json(&self) -> Vec<u8> {
        // Plain data (strings and integers) always serializes.
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// Reads the state file at `path`; a missing file is an empty state.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        use std::io::Read as _;
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(RosterState::new()),
            Err(e) => return Err(ManifestError::Io(e)),
        };
        let mut bytes = Vec::new();
        file.take(Self::MAX_LEN as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(ManifestError::Io)?;
        RosterState::from_json(&bytes)
    }

    /// Writes the state file atomically (a temporary file renamed over it),
    /// creating its directory when missing.
    pub fn save(&self, path: &Path) -> Result<(), ManifestError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(ManifestError::Io)?;
        }
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(format!(".tmp{}", std::process::id()));
        let tmp = std::path::PathBuf::from(tmp);
        std::fs::write(&tmp, self.to_json()).map_err(ManifestError::Io)?;
        std::fs::rename(&tmp, path).map_err(ManifestError::Io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_and_version() {
        let mut s = RosterState::new();
        s.set_entry(
            Digest::sha256(b"anchor"),
            RosterStateEntry {
                version: 3,
                digest: Digest::sha256(b"v3"),
            },
        );
        let back = RosterState::from_json(&s.to_json()).unwrap();
        assert_eq!(back, s);
        assert!(RosterState::from_json(br#"{"version": 2, "rosters": {}}"#).is_err());
        assert!(RosterState::from_json(b"null").is_err());
        assert!(RosterState::from_json(br#"{"version": 1, "rosters": {}, "x": 1}"#).is_err());
    }

    #[test]
    fn missing_file_is_empty() {
        let p = std::env::temp_dir().join(format!("vouch-no-state-{}", std::process::id()));
        assert_eq!(RosterState::load(&p).unwrap(), RosterState::new());
    }
}
