//! The input limits of `vouch` in `docs/limits.md`, end to end: one byte
//! past its limit, each kind of input is refused with exit code 2 and a
//! message naming the limit, before it is read (sparse files: reading the
//! large ones would cost their size in memory); at its limit, a small
//! input gets past the size check to its parser. The limits themselves,
//! at and past, are tested beside `io::Input`
//! (`io::tests::every_input_is_read_to_its_limit_and_no_further`);
//! `DRAFT` and `COMMIT` at and past their limits in `tests/cli.rs`
//! (`input_drafts_are_bounded_before_parsing`,
//! `input_bundle_create_parses_commit_objects`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch directory, removed when dropped.
struct Sandbox(PathBuf);

impl Sandbox {
    fn new(name: &str) -> Sandbox {
        let dir =
            std::env::temp_dir().join(format!("vouch-cli-limits-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("home")).unwrap();
        Sandbox(dir)
    }

    /// A sparse file of `len` bytes.
    fn sparse(&self, name: &str, len: u64) -> PathBuf {
        let p = self.0.join(name);
        std::fs::File::create(&p).unwrap().set_len(len).unwrap();
        p
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_vouch"))
            .current_dir(&self.0)
            .args(args)
            .env("HOME", self.0.join("home"))
            .env_remove("VOUCH_PASSPHRASE")
            .output()
            .unwrap()
    }

    /// Runs `args`, expects exit code 2, returns standard error.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        stderr
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Expects `args` to be refused for `file` being one byte past `max`.
fn refused_past(s: &Sandbox, args: &[&str], file: &Path, max: u64, what: &str) {
    let e = s.fails(args);
    let name = file.file_name().unwrap().to_string_lossy();
    assert!(
        e.contains(&format!(
            "{name} ({} bytes) is larger than the {max} bytes vouch reads of a {what}",
            max + 1
        )),
        "{e}"
    );
}

const PUB: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFOG6kY7Rf4UtCFvPwKgo/BztXck2xC4a2WyA34XtIwZ";

#[test]
fn key() {
    let s = Sandbox::new("key");
    let max = 64 << 10;
    s.sparse("env.cose", 16);
    s.sparse("at.pub", max);
    let e = s.fails(&["envelope", "verify", "--pubkey", "at.pub", "env.cose"]);
    assert!(e.contains("at.pub is not a public key vouch reads"), "{e}");
    let past = s.sparse("past.pub", max + 1);
    refused_past(
        &s,
        &["envelope", "verify", "--pubkey", "past.pub", "env.cose"],
        &past,
        max,
        "key or credential file",
    );
}

#[test]
fn signed() {
    let s = Sandbox::new("signed");
    let max = vouch_core::cbor::Limits::DEFAULT.max_size as u64;
    let past = s.sparse("past.cose", max + 1);
    refused_past(
        &s,
        &["envelope", "verify", "--pubkey", PUB, "past.cose"],
        &past,
        max,
        "signed file",
    );
    refused_past(
        &s,
        &["digest", "--statement", "past.cose"],
        &past,
        max,
        "signed file",
    );
}

#[test]
fn policy() {
    let s = Sandbox::new("policy");
    let max = vouch_chain::policy::MAX_POLICY as u64;
    let verify = |policy: &str| {
        s.fails(&[
            "verify",
            "--policy",
            policy,
            "--roster",
            "roster",
            "--bundle",
            "bundle",
            "--no-roster-state",
            &format!("sha256:{}", "0".repeat(64)),
        ])
    };
    std::fs::write(s.0.join("at.toml"), " ".repeat(max as usize)).unwrap();
    let e = verify("at.toml");
    assert!(!e.contains("is larger than"), "{e}");
    assert!(e.contains("at.toml"), "{e}");
    let past = s.sparse("past.toml", max + 1);
    let e = verify("past.toml");
    assert!(
        e.contains(&format!(
            "{} ({} bytes) is larger than the {max} bytes vouch reads of a policy",
            past.file_name().unwrap().to_string_lossy(),
            max + 1
        )),
        "{e}"
    );
}

#[test]
fn bundle_and_sbom() {
    let s = Sandbox::new("release");
    let release = |flag: &'static str, file: &'static str| {
        [
            "attest",
            "release",
            "--key",
            "missing.key",
            "-o",
            "r.signed",
            flag,
            file,
        ]
    };
    // Both are read before the signing key is opened.
    let max = vouch_chain::MAX_BUNDLE as u64;
    let past = s.sparse("contents.cbor", max + 1);
    refused_past(
        &s,
        &release("--contents", "contents.cbor"),
        &past,
        max,
        "bundle or artifact",
    );
    let max = vouch_manifest::MAX_SBOM as u64;
    let past = s.sparse("sbom.json", max + 1);
    refused_past(&s, &release("--sbom", "sbom.json"), &past, max, "SBOM");
}

#[test]
fn bundle_create_proofs() {
    let s = Sandbox::new("proofs");
    for (name, max, what) in [
        (
            "e.tst",
            vouch_core::timestamp::MAX_TOKEN_LEN as u64,
            "timestamp token",
        ),
        (
            "e.inclusion",
            vouch_chain::MAX_INCLUSION as u64,
            "inclusion proof",
        ),
        (
            "b.sigstore.json",
            vouch_chain::MAX_SIGSTORE_BUNDLE as u64,
            "Sigstore bundle",
        ),
    ] {
        let past = s.sparse(name, max + 1);
        refused_past(
            &s,
            &["bundle", "create", "-o", "out", name],
            &past,
            max,
            what,
        );
    }
}

#[cfg(feature = "sigstore")]
#[test]
fn sigstore_trusted_root() {
    let s = Sandbox::new("sigstore");
    let max = vouch_sigstore::MAX_TRUSTED_ROOT as u64;
    let past = s.sparse("root.json", max + 1);
    s.sparse("a", 1);
    s.sparse("b.json", 1);
    refused_past(
        &s,
        &[
            "sigstore",
            "verify",
            "--trusted-root",
            "root.json",
            "--key",
            "k.pem",
            "--artifact",
            "a",
            "b.json",
        ],
        &past,
        max,
        "Sigstore trusted root",
    );
}
