//! How `vouch verify` and `vouch git verify-commit` come to trust a roster
//! file: a pin or the verifier's trusted state, as in TUF.
//!
//! A roster file is whatever someone handed over. A pin (the statement
//! digest of a version known out of band, usually the first) fixes where
//! trust starts; the trusted state (the newest version verified so far, per
//! anchor) fixes how far it has come, so a file cut back to an older version
//! (one that still trusts a key a later version revoked) is a rollback, and
//! a different version of a number already seen is a fork. The state also
//! remembers the anchor, so after one pinned run the pin may be left out.
//!
//! The order of the checks: the chain from the anchor, the newest version's
//! expiry at the real current time (never `--at`: a verifier cannot go back
//! to a time before a revocation it has seen), the state (rollback, fork),
//! `--min-roster-version`, then the state is updated. Only pinned runs (by
//! `--roster-pin` or by the state) touch the state file.

use std::path::{Path, PathBuf};

use clap::Args;
use vouch_core::text::Escaped;
use vouch_core::{Digest, Timestamp};
use vouch_manifest::{RosterChain, RosterState, TrustedRoster};

use crate::exit::CliError;

/// The environment variable naming the state file (see [`RosterTrustArgs`]).
pub(crate) const STATE_ENV: &str = "VOUCH_ROSTER_STATE";

/// How a roster file is trusted: its path, a pin, the trusted state.
#[derive(Args, Debug, Clone)]
pub(crate) struct RosterTrustArgs {
    /// The roster chain file (from `vouch roster sign`).
    #[arg(long, value_name = "FILE")]
    pub(crate) roster: PathBuf,
    /// The statement digest of the roster version to trust from (usually
    /// the first; `vouch roster verify FILE` prints it as the anchor), known
    /// out of band. Without it, the anchor recorded in the state file for
    /// this roster is used.
    #[arg(long, value_name = "DIGEST")]
    pub(crate) roster_pin: Option<Digest>,
    /// The trusted roster state: per anchor, the newest roster version
    /// verified so far. An older version, or another version of a number
    /// already seen, is refused (rollback, fork); a pinned run records what
    /// it verified. Default: $VOUCH_ROSTER_STATE if set, else
    /// $XDG_STATE_HOME/vouch/roster-state.json, else
    /// $HOME/.local/state/vouch/roster-state.json. A missing file is an
    /// empty state; FILE.lock beside it keeps concurrent runs in order.
    #[arg(long, value_name = "FILE", conflicts_with = "no_roster_state")]
    pub(crate) roster_state: Option<PathBuf>,
    /// Read and write no state file: only the pin and --min-roster-version
    /// stand against an older roster file (e.g. on a read-only machine).
    #[arg(long)]
    pub(crate) no_roster_state: bool,
    /// Refuse a roster whose newest version is below N, with or without state.
    #[arg(long, value_name = "N")]
    pub(crate) min_roster_version: Option<u64>,
    /// With no pin and nothing in the state for this roster, trust the
    /// oldest version in the file: whoever supplied the file chooses the
    /// trust root, so a self-signed forgery passes. For demos and first
    /// contact only; the verdict says it was not pinned, and the run is
    /// never recorded in the state file.
    #[arg(long, conflicts_with = "roster_pin")]
    pub(crate) insecure_no_pin: bool,
}

/// Where the state file is when `--roster-state` is not given.
fn default_state_path() -> Option<PathBuf> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(path) = var(STATE_ENV) {
        return Some(path);
    }
    // The XDG base directory spec ignores relative paths; so does vouch.
    if let Some(dir) = var("XDG_STATE_HOME").filter(|d| d.is_absolute()) {
        return Some(dir.join("vouch").join("roster-state.json"));
    }
    var("HOME")
        .filter(|d| d.is_absolute())
        .map(|home| home.join(".local/state/vouch/roster-state.json"))
}

/// An exclusive lock on `<state>.lock`, held from reading the state to
/// writing it, so two verifiers running at once cannot move it backwards.
struct StateLock {
    _file: std::fs::File,
}

impl StateLock {
    fn acquire(state: &Path) -> Result<Self, CliError> {
        let mut name = state.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        let cannot = |e: std::io::Error| {
            CliError::usage(
                format!("cannot lock the roster state {}", state.display()),
                e,
            )
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(cannot)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(cannot)?;
        file.lock().map_err(cannot)?;
        Ok(StateLock { _file: file })
    }
}

impl RosterTrustArgs {
    /// Reads the roster file and trusts its newest version, or says why
    /// not: exit 2 for unreadable input (the roster file, the state file)
    /// and a run with no anchor, exit 1 for a roster that is refused.
    pub(crate) fn trusted(&self) -> Result<TrustedRoster, CliError> {
        let shown = self.roster.display();
        let refused = |e: Box<dyn std::error::Error + Send + Sync>| {
            CliError::refused(format!("roster {shown} refused"), e)
        };
        let chain =
            RosterChain::from_bytes(&crate::io::read(&self.roster, crate::io::Input::SIGNED)?)
                .map_err(|e| refused(e.into()))?;
        let state_path = if self.no_roster_state {
            None
        } else {
            let path = self.roster_state.clone().or_else(default_state_path);
            if path.is_none() {
                eprintln!(
                    "warning: no roster state file (HOME is not set; give --roster-state FILE \
                     or set {STATE_ENV}): rollback protection is off for this run"
                );
            }
            path
        };
        let lock = state_path.as_deref().map(StateLock::acquire).transpose()?;
        let mut state = match &state_path {
            Some(p) => RosterState::load(p).map_err(|e| {
                CliError::usage(format!("cannot read the roster state {}", p.display()), e)
            })?,
            None => RosterState::new(),
        };
        // The roster's expiry is a fact about now, whatever time the
        // statements are evaluated at.
        let now = Timestamp::now();
        let anchor = self.roster_pin.or_else(|| state.anchor_for(&chain));
        let trusted = match anchor {
            Some(anchor) => chain.verify(&anchor, now).map_err(|e| refused(e.into()))?,
            None if self.insecure_no_pin => {
                let trusted = chain
                    .verify_insecure_unpinned(now)
                    .map_err(|e| refused(e.into()))?;
                eprintln!(
                    "warning: roster {shown} is NOT PINNED (--insecure-no-pin): its oldest \
                     version {} is trusted because the file says so; pin it with \
                     --roster-pin once you have checked it out of band",
                    trusted.anchor()
                );
                trusted
            }
            None => {
                let state_note = match &state_path {
                    Some(p) => format!("the roster state {} has no entry for it", p.display()),
                    None => "no roster state is used".to_owned(),
                };
                return Err(CliError::usage_msg(format!(
                    "roster {shown} has no trust anchor: pin its first version with \
                     --roster-pin DIGEST (`vouch roster verify {shown}` prints it as the \
                     anchor; check that digest out of band), or use a state file that has \
                     seen this roster ({state_note}); --insecure-no-pin trusts whoever \
                     supplied the file"
                )));
            }
        };
        if trusted.pinned() {
            state.check(&trusted).map_err(|e| refused(e.into()))?;
        }
        if let Some(min) = self.min_roster_version
            && trusted.version() < min
        {
            return Err(CliError::refused_msg(format!(
                "roster {shown} refused: its newest version v{} is below \
                 --min-roster-version {min} (an old roster file: a rollback?)",
                trusted.version()
            )));
        }
        if let Some(p) = state_path.as_deref()
            && trusted.pinned()
        {
            let before = state.entry(&trusted.anchor()).map(|e| e.version);
            state.record(&trusted);
            if before != Some(trusted.version()) {
                state.save(p).map_err(|e| {
                    CliError::usage(format!("cannot write the roster state {}", p.display()), e)
                })?;
                eprintln!(
                    "roster state: {} v{} recorded in {}",
                    Escaped(&trusted.roster().name),
                    trusted.version(),
                    p.display()
                );
            }
        }
        drop(lock);
        Ok(trusted)
    }
}

/// The upstream rosters a policy's `[[dependencies.publishers]]` pin
/// (`--roster-file`, repeatable): `vouch deps check`, and `vouch verify`
/// for `[release] check_dependencies`.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct UpstreamRosterArgs {
    /// An upstream project's roster chain file, trusted from the version
    /// and digest a [[dependencies.publishers]] entry pins (repeatable).
    #[arg(long = "roster-file", value_name = "FILE")]
    pub(crate) roster_files: Vec<PathBuf>,
}

impl UpstreamRosterArgs {
    /// Reads each file and trusts the chains `policy` pins, verified from
    /// the pinned version and rotated to their newest (expiry at the real
    /// time, whatever `--at` says). A file that does not decode, or a
    /// pinned chain that does not verify, is refused (exit 1).
    pub(crate) fn trusted(
        &self,
        policy: &vouch_chain::Policy,
    ) -> Result<Vec<TrustedRoster>, CliError> {
        let mut chains = Vec::with_capacity(self.roster_files.len());
        for path in &self.roster_files {
            let chain = RosterChain::from_bytes(&crate::io::read(path, crate::io::Input::SIGNED)?)
                .map_err(|e| CliError::refused(format!("roster {} refused", path.display()), e))?;
            chains.push(chain);
        }
        vouch_chain::deps::trust_pinned_rosters(policy, &chains, Timestamp::now())
            .map_err(|e| CliError::refused("an upstream roster is refused", e))
    }
}
