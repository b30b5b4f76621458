//! Fixtures shared by vouch's tests (never published).
//!
//! The public test vectors live outside the repository, in
//! `../shared/vectors` by default or wherever `VOUCH_VECTORS` points. Under
//! `CI=true` a missing folder fails the test; elsewhere the test prints a
//! clear skip notice and returns.
//!
//! [`git`] runs stock `git` and `ssh-keygen` in a sandbox for the tests that
//! make real commits. [`oci`] builds real OCI images with umoci and
//! inspects them with skopeo; [`registry`] runs a real `docker-registry`
//! to push them to. [`tpm`] starts a TPM 2.0 simulator (swtpm) per test.
//! `gate` (feature `gate`) runs vouch-gate's webhook over TLS on loopback.
//! [`packages`] packs tiny projects with `cargo package`, `npm pack` and
//! `python -m build`.

use std::path::PathBuf;

pub mod chain;
pub mod ci;
pub mod deps;
#[cfg(feature = "gate")]
pub mod gate;
pub mod git;
pub mod gpg;
pub mod oci;
pub mod packages;
pub mod registry;
pub mod rekor;
pub mod repo;
pub mod tpm;
pub mod tpm_certify;
pub mod tpm_key;
pub mod tsa;

/// `examples/policy.toml`: the complete example policy, its production
/// profile (commits need an attested FIDO authenticator).
pub const EXAMPLE_POLICY: &str = include_str!("../../examples/policy.toml");

/// `examples/policy-demo.toml`: the demo profile, which the software
/// authenticator meets; test fixtures use it (or edit it with
/// [`policy_with`]) rather than retype a policy.
pub const DEMO_POLICY: &str = include_str!("../../examples/policy-demo.toml");

/// Whether each `(program, argument)` runs (with that argument, output
/// discarded). A missing one prints a `SKIP:` line naming `untested` and
/// answers false, except under `CI=true`, where it panics naming `tests`:
/// CI must never skip for want of a tool.
///
/// # Panics
///
/// Under `CI=true`, when a program is missing.
#[allow(clippy::panic)]
pub fn tools_available(tools: &[(&str, &str)], tests: &str, untested: &str) -> bool {
    for (tool, arg) in tools {
        let found = std::process::Command::new(tool)
            .arg(arg)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok();
        if !found {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{tool} is missing; CI=true forbids skipping the {tests}");
            }
            eprintln!("SKIP: {tool} not found; {untested} not tested");
            return false;
        }
    }
    true
}

/// The demo policy with each `(from, to)` text replaced, for a fixture
/// that needs one setting changed.
///
/// # Panics
///
/// When a `from` is not in the example any more, so that an edit of the
/// example cannot silently stop applying.
#[allow(clippy::panic)]
pub fn policy_with(edits: &[(&str, &str)]) -> String {
    let mut text = DEMO_POLICY.to_owned();
    for (from, to) in edits {
        if !text.contains(from) {
            panic!("examples/policy-demo.toml no longer contains {from:?}");
        }
        text = text.replacen(from, to, 1);
    }
    text
}

/// The vectors folder, or `None` (after printing why) when it is absent
/// outside CI.
///
/// # Panics
///
/// Under `CI=true` when the folder is missing: CI must never silently skip.
#[allow(clippy::panic)]
pub fn vectors_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("VOUCH_VECTORS") {
        Some(d) => PathBuf::from(d),
        // Tests run with the crate directory as working directory; the
        // default is relative to the workspace root, one level up.
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors"),
    };
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
        panic!(
            "test vectors folder {} is missing (set VOUCH_VECTORS); CI=true forbids skipping",
            dir.display()
        );
    }
    eprintln!(
        "SKIP: test vectors folder {} not found (set VOUCH_VECTORS to run these tests)",
        dir.display()
    );
    None
}

/// A file inside one vector set, e.g. `vector("wycheproof", "ed25519_test.json")`.
/// Returns `None` when the whole vectors folder is absent (see [`vectors_dir`]).
///
/// # Panics
///
/// When the vectors folder exists but this file does not: that is a broken
/// checkout, never a skip.
#[allow(clippy::panic)]
pub fn vector(set: &str, file: &str) -> Option<PathBuf> {
    let p = vectors_dir()?.join(set).join(file);
    if !p.exists() {
        panic!("vector file {} is missing", p.display());
    }
    Some(p)
}

/// Reads and parses a JSON vector file (see [`vector`]).
///
/// # Panics
///
/// When the file cannot be read or is not JSON.
#[allow(clippy::panic)]
pub fn vector_json(set: &str, file: &str) -> Option<serde_json::Value> {
    let p = vector(set, file)?;
    let text =
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()));
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", p.display())))
}

/// Decodes base64 that may be base64url or standard base64, padded or
/// not, as the py-webauthn captures in the vectors mix them.
///
/// # Panics
///
/// When `s` is not base64 of either kind: a broken vector file.
#[allow(clippy::panic)]
pub fn base64_any(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    let s: String = s
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&s)
        .unwrap_or_else(|e| panic!("not base64: {e}"))
}
