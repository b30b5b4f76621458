//! Real lock files of real projects, for the lock-file readers and
//! `vouch deps check` (see `fixtures/deps/SOURCE.md` for where each came
//! from, at which commit).

use std::path::PathBuf;

/// `package-lock.json` of actions/checkout (lockfileVersion 3, 587
/// entries, `sha512-` integrity on every registry package).
pub const NPM_LOCK_V3: &str = include_str!("../fixtures/deps/actions-checkout-package-lock.json");

/// `install/requirements.txt` of sigstore-python, from `pip-compile
/// --generate-hashes` (32 pinned requirements with their SHA-256 hashes).
pub const PIP_HASHED: &str = include_str!("../fixtures/deps/sigstore-python-requirements.txt");

/// The path of this workspace's own Cargo.lock (read from the
/// repository, never copied: it changes with every dependency update).
pub fn workspace_cargo_lock() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("Cargo.lock")
}

/// The path of a fixture file under `fixtures/deps`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/deps")
        .join(name)
}
