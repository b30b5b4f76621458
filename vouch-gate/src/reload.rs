//! Reloading the roster, the policy and the TLS certificate and key when
//! their files change, by polling (a stat of four files every few seconds
//! costs nothing, works on every file system and follows the symlink swap
//! Kubernetes does for mounted ConfigMaps and Secrets, which inotify on
//! the file itself misses).
//!
//! A change is a different modification time or length. A new roster or
//! policy replaces the verifier and empties the verdict cache; a new
//! certificate and key serve the next connection. A file that does not
//! load (broken, half written, a roster that is a rollback) keeps the old
//! state, and the reason goes to stderr; the next change is tried again.

use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use tokio_rustls::TlsAcceptor;
use vouch_core::Timestamp;

use crate::config::{TlsConfig, TrustConfig};
use crate::gate::Gate;
use crate::server::tls_config;
use crate::trust;

/// How often the files are looked at unless configured otherwise.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// The last seen (modification time, length) of a set of files.
#[derive(Debug)]
pub struct Watch {
    paths: Vec<PathBuf>,
    seen: Vec<Option<(SystemTime, u64)>>,
}

impl Watch {
    /// Watches `paths`, taking their current state as seen.
    pub fn new(paths: Vec<PathBuf>) -> Self {
        let seen = paths.iter().map(|p| stamp(p)).collect();
        Self { paths, seen }
    }

    /// Whether any file changed since the last call (or since `new`).
    pub fn changed(&mut self) -> bool {
        let now: Vec<_> = self.paths.iter().map(|p| stamp(p)).collect();
        let changed = now != self.seen;
        self.seen = now;
        changed
    }
}

fn stamp(path: &std::path::Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// Polls the files every `interval` until the task is dropped.
pub(crate) async fn run(
    gate: Arc<Gate>,
    acceptor: Arc<RwLock<TlsAcceptor>>,
    trust_files: TrustConfig,
    tls_files: TlsConfig,
    interval: Duration,
) {
    let mut trust_watch = Watch::new(vec![trust_files.roster.clone(), trust_files.policy.clone()]);
    let mut tls_watch = Watch::new(vec![tls_files.cert.clone(), tls_files.key.clone()]);
    loop {
        tokio::time::sleep(interval).await;
        if trust_watch.changed() {
            let files = trust_files.clone();
            let loaded =
                tokio::task::spawn_blocking(move || trust::load(&files, Timestamp::now())).await;
            match loaded {
                Ok(Ok(t)) => {
                    gate.replace_verifier(Arc::new(t.verifier), t.policy_digest);
                    eprintln!("vouch gate: roster and policy reloaded, verdict cache emptied");
                }
                Ok(Err(e)) => eprintln!("vouch gate: keeping the old roster and policy: {e}"),
                Err(e) => eprintln!("vouch gate: keeping the old roster and policy: {e}"),
            }
        }
        if tls_watch.changed() {
            match tls_config(&tls_files.cert, &tls_files.key) {
                Ok(config) => {
                    *acceptor.write().unwrap_or_else(PoisonError::into_inner) =
                        TlsAcceptor::from(config);
                    eprintln!("vouch gate: TLS certificate reloaded");
                }
                Err(e) => eprintln!("vouch gate: keeping the old TLS certificate: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_is_a_change_and_nothing_else_is() {
        let dir = std::env::temp_dir().join(format!("vouch-gate-watch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let file = dir.join("policy.toml");
        std::fs::write(&file, "a").unwrap_or_else(|e| panic!("{e}"));
        let mut w = Watch::new(vec![file.clone()]);
        assert!(!w.changed());
        std::fs::write(&file, "ab").unwrap_or_else(|e| panic!("{e}"));
        assert!(w.changed());
        assert!(!w.changed());
        std::fs::remove_file(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(w.changed());
    }
}
