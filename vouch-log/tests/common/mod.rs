//! What the tests of vouch-log share: scratch directories, keys, envelopes.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use vouch_core::Algorithm;
use vouch_core::cose::Sign1;
use vouch_keys::FileKey;

/// A scratch directory, removed when the test ends.
pub struct Sandbox {
    pub dir: PathBuf,
}

impl Sandbox {
    pub fn new(name: &str) -> Sandbox {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "vouch-log-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        Sandbox { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn key() -> FileKey {
    FileKey::generate(Algorithm::Ed25519).unwrap()
}

/// A signed `COSE_Sign1` statement envelope, distinct for each `i`.
pub fn envelope(author: &FileKey, i: u64) -> Vec<u8> {
    Sign1::sign(author, "text/plain", format!("statement {i}").as_bytes())
        .unwrap()
        .to_bytes()
        .unwrap()
}

/// A well-formed but unsigned `COSE_Sign1`, `[h'', {}, payload, h'']`:
/// the log reads envelopes' structure only, so cheap ones do for counts.
pub fn cheap_envelope(i: u64) -> Vec<u8> {
    let payload = i.to_be_bytes();
    let mut out = vec![0x84, 0x40, 0xa0, 0x48];
    out.extend_from_slice(&payload);
    out.push(0x40);
    out
}

/// Flips the bit of the byte at `at` (negative: from the end) of a file.
pub fn flip(path: &Path, at: isize) {
    let mut bytes = std::fs::read(path).unwrap();
    let i = if at < 0 {
        bytes.len() - at.unsigned_abs()
    } else {
        at as usize
    };
    bytes[i] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
}
