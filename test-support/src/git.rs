//! A sandboxed stock `git` and `ssh-keygen` for the tests that make real
//! commits (vouch-git's commit tests, the CLI's git interop tests).

use std::path::Path;
use std::process::{Command, Stdio};

/// Whether `git` and `ssh-keygen` are installed. When one is missing,
/// prints `SKIP: <tool> not found; <untested> not tested` and returns
/// `false`, so the test returns early.
///
/// # Panics
///
/// Under `CI=true` when a tool is missing (`CI=true forbids skipping the
/// <tests>`): CI must never silently skip.
#[allow(clippy::panic)]
pub fn tools_available(tests: &str, untested: &str) -> bool {
    for (tool, arg) in [("git", "--version"), ("ssh-keygen", "-?")] {
        let found = Command::new(tool)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
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
