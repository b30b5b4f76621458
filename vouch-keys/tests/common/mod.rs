//! Helpers shared by the integration tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use vouch_keys::KdfParams;

/// A private scratch directory (mode 0700), removed when dropped.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("vouch-keys-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        TempDir(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    pub(crate) fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Permission bits of a file.
pub(crate) fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

pub(crate) fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Copies a (read-only, world-readable) vector file into `dir` with mode
/// 0600, as a private key file must have.
pub(crate) fn private_copy(dir: &TempDir, src: &Path) -> PathBuf {
    let dst = dir.join(src.file_name().unwrap().to_str().unwrap());
    std::fs::write(&dst, std::fs::read(src).unwrap()).unwrap();
    set_mode(&dst, 0o600);
    dst
}

/// Argon2id parameters cheap enough for debug-build tests; never for real keys.
pub(crate) fn fast_kdf() -> KdfParams {
    KdfParams::new(64, 1, 1).unwrap()
}
