//! A sandboxed stock `git` and `ssh-keygen` for the tests that make real
//! commits (vouch-git's commit tests, the CLI's git interop tests).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether `git` and `ssh-keygen` are installed. When one is missing,
/// prints `SKIP: <tool> not found; <untested> not tested` and returns
/// `false`, so the test returns early.
///
/// # Panics
///
/// Under `CI=true` when a tool is missing (`CI=true forbids skipping the
/// <tests>`): CI must never silently skip.
pub fn tools_available(tests: &str, untested: &str) -> bool {
    crate::tools_available(
        &[("git", "--version"), ("ssh-keygen", "-?")],
        tests,
        untested,
    )
}

/// A `git` in `repo` that reads no system or user configuration: the
/// environment cleared but for `PATH`, `HOME` set to `home`,
/// `GIT_CONFIG_NOSYSTEM=1`, `TZ` set to `tz`, `LC_ALL=C`, and committing as
/// `Alice Example <alice@example.com>` on branch `main`. The caller adds
/// dates, more `-c` settings and the git command.
pub fn command(repo: &Path, home: &Path, tz: &str) -> Command {
    let mut c = Command::new("git");
    c.current_dir(repo)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("TZ", tz)
        .env("LC_ALL", "C")
        .args([
            "-c",
            "user.name=Alice Example",
            "-c",
            "user.email=alice@example.com",
        ])
        .args(["-c", "init.defaultBranch=main"]);
    c
}

/// Generates an unencrypted key of `kind` (`ed25519`, or `ecdsa`: P-256)
/// with stock `ssh-keygen` at `key`, commented `comment`; returns its
/// public key line (the `.pub` file beside it).
///
/// # Panics
///
/// When `ssh-keygen` fails or the `.pub` file cannot be read.
#[allow(clippy::panic)]
pub fn ssh_keygen(key: &Path, comment: &str, kind: &str) -> String {
    let mut c = Command::new("ssh-keygen");
    c.args(["-q", "-t", kind, "-N", "", "-C", comment, "-f"])
        .arg(key);
    if kind == "ecdsa" {
        c.args(["-b", "256"]);
    }
    let ok = c.status().is_ok_and(|s| s.success());
    if !ok {
        panic!("ssh-keygen -t {kind} -f {} failed", key.display());
    }
    let public = format!("{}.pub", key.display());
    std::fs::read_to_string(&public).unwrap_or_else(|e| panic!("reading {public}: {e}"))
}

/// OpenSSH's software security-key middleware `sk-dummy.so` (from Debian's
/// `openssh-tests`, which `./scripts/test` unpacks and names in
/// `VOUCH_SK_DUMMY`), for tests in which stock `ssh-keygen` makes `sk-`
/// keys and signatures without a device. `None` (with a `SKIP:` line)
/// when it is not there.
///
/// # Panics
///
/// Under `CI=true` when it is missing: CI must never silently skip.
#[allow(clippy::panic)]
pub fn sk_dummy(untested: &str) -> Option<PathBuf> {
    let path = std::env::var_os("VOUCH_SK_DUMMY").map(PathBuf::from);
    match path {
        Some(p) if p.is_file() => Some(p),
        _ => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "VOUCH_SK_DUMMY does not name OpenSSH's sk-dummy.so; CI=true forbids skipping {untested}"
                );
            }
            eprintln!(
                "SKIP: VOUCH_SK_DUMMY (OpenSSH's sk-dummy.so, from ./scripts/test) not set; {untested} not tested"
            );
            None
        }
    }
}

/// Generates a security-key (`ed25519-sk` or `ecdsa-sk`) key with stock
/// `ssh-keygen` through the middleware `provider` (see [`sk_dummy`]) at
/// `key`; returns its public key line.
///
/// # Panics
///
/// When `ssh-keygen` fails or the `.pub` file cannot be read.
#[allow(clippy::panic)]
pub fn ssh_keygen_sk(key: &Path, comment: &str, kind: &str, provider: &Path) -> String {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", kind, "-N", "", "-C", comment, "-w"])
        .arg(provider)
        .arg("-f")
        .arg(key)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        panic!("ssh-keygen -t {kind} -w {} failed", provider.display());
    }
    let public = format!("{}.pub", key.display());
    std::fs::read_to_string(&public).unwrap_or_else(|e| panic!("reading {public}: {e}"))
}
