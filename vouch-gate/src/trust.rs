//! Loading the trust inputs named by the configuration: the roster chain
//! (trusted from the pin, or the anchor the roster state recorded), the
//! roster state (rollback and fork protection, updated when a newer version
//! verifies), and the policy. The order of the checks is the CLI's
//! (`vouch verify`, see vouch-cli's `trust.rs`): the chain from the anchor,
//! the newest version's expiry now, the state, then the state is recorded.
//!
//! Unlike the CLI the gate never trusts an unpinned roster: with no pin in
//! the configuration and no entry in the state, it refuses to start.

use std::io::Read;
use std::path::Path;

use vouch_chain::{Policy, Verifier};
use vouch_core::{Digest, Timestamp};
use vouch_manifest::{RosterChain, RosterState};

use crate::config::TrustConfig;

/// The largest roster chain file read.
pub const MAX_ROSTER_BYTES: usize = 16 << 20;

/// Why the trust inputs could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// A file cannot be read, or is over its bound.
    #[error("cannot read {path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// The roster is refused (bad chain, expired, rollback, fork).
    #[error("roster {path} refused: {message}")]
    Roster {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// No pin and no state entry: nothing says where trust starts.
    #[error(
        "roster {0} has no trust anchor: set trust.roster-pin to the digest of its first \
         version (`vouch roster verify` prints it), or use a roster state that has seen it"
    )]
    NoAnchor(String),
    /// The policy is refused.
    #[error("policy {path} refused: {message}")]
    Policy {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
}

/// What the trust inputs yield: the verifier and the policy's digest (a
/// part of every cache key).
#[derive(Debug)]
pub struct Trust {
    /// The roster and policy, ready to verify.
    pub verifier: Verifier,
    /// The policy's digest.
    pub policy_digest: Digest,
}

/// Reads at most `limit` bytes of `path`, refusing a longer file.
pub(crate) fn read_bounded(path: &Path, limit: usize) -> Result<Vec<u8>, TrustError> {
    let failed = |message: String| TrustError::Read {
        path: path.display().to_string(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| failed(e.to_string()))?;
    let mut bytes = Vec::new();
    // One byte past the limit tells a file at the limit from a longer one.
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| failed(e.to_string()))?;
    if bytes.len() > limit {
        return Err(failed(format!("over {limit} bytes")));
    }
    Ok(bytes)
}

/// Loads the roster (checked against and recorded in the state) and the
/// policy of `config` at `now`.
///
/// # Errors
///
/// [`TrustError`] when a file cannot be read, the roster has no anchor or
/// is refused, or the policy is refused. Nothing is written then.
pub fn load(config: &TrustConfig, now: Timestamp) -> Result<Trust, TrustError> {
    let policy_bytes = read_bounded(&config.policy, vouch_chain::policy::MAX_POLICY)?;
    let policy = Policy::from_bytes(&policy_bytes).map_err(|e| TrustError::Policy {
        path: config.policy.display().to_string(),
        message: e.to_string(),
    })?;
    let shown = config.roster.display().to_string();
    let refused = |message: String| TrustError::Roster {
        path: shown.clone(),
        message,
    };
    let chain = RosterChain::from_bytes(&read_bounded(&config.roster, MAX_ROSTER_BYTES)?)
        .map_err(|e| refused(e.to_string()))?;
    let mut state = RosterState::load(&config.roster_state).map_err(|e| TrustError::Read {
        path: config.roster_state.display().to_string(),
        message: e.to_string(),
    })?;
    let anchor = config
        .roster_pin
        .or_else(|| state.anchor_for(&chain))
        .ok_or_else(|| TrustError::NoAnchor(shown.clone()))?;
    let trusted = chain
        .verify(&anchor, now)
        .map_err(|e| refused(e.to_string()))?;
    state.check(&trusted).map_err(|e| refused(e.to_string()))?;
    let before = state.entry(&trusted.anchor()).map(|e| e.version);
    if before != Some(trusted.version()) {
        state.record(&trusted);
        state
            .save(&config.roster_state)
            .map_err(|e| TrustError::Read {
                path: config.roster_state.display().to_string(),
                message: format!("cannot record the verified roster: {e}"),
            })?;
    }
    let policy_digest = policy.digest();
    Ok(Trust {
        verifier: Verifier::new(policy, trusted),
        policy_digest,
    })
}
