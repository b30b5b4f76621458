//! `vouch sigstore verify` (feature `sigstore`) on sigstore-conformance
//! bundles: a passing case exits 0 and prints what was proven, a failing
//! one exits 1, bad usage and unusable inputs exit 2, and strings from a
//! refused bundle reach the terminal escaped.

#![cfg(feature = "sigstore")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const VOUCH: &str = env!("CARGO_BIN_EXE_vouch");
const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The conformance suite's folder, or `None` (after the skip notice).
fn suite() -> Option<PathBuf> {
    vouch_test_support::vector("sigstore-conformance", "production_trusted_root.json")
        .map(|p| p.parent().unwrap().to_path_buf())
}

fn run(args: &[&str]) -> Output {
    Command::new(VOUCH).args(args).output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn expect(code: i32, args: &[&str]) -> Output {
    let out = run(args);
    assert_eq!(out.status.code(), Some(code), "{args:?}\n{}", text(&out));
    out
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `vouch sigstore verify` of one case, with the default identity.
fn verify_case(code: i32, suite: &Path, case: &str, extra: &[&str]) -> Output {
    let bundle = suite.join(case).join("bundle.sigstore.json");
    let artifact = suite.join("a.txt");
    let root = suite.join("production_trusted_root.json");
    let mut args = vec![
        "sigstore",
        "verify",
        s(&bundle),
        "--artifact",
        s(&artifact),
        "--trusted-root",
        s(&root),
    ];
    args.extend_from_slice(extra);
    expect(code, &args)
}

#[test]
fn a_passing_case_prints_what_was_proven() {
    let Some(suite) = suite() else { return };
    let out = verify_case(
        0,
        &suite,
        "happy-path-v0.3",
        &["--identity", IDENTITY, "--issuer", ISSUER],
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("verified: Sigstore bundle "), "{stdout}");
    assert!(
        stdout.contains(&format!("signer: {IDENTITY} (URI)")),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("issuer: {ISSUER}")), "{stdout}");
    assert!(
        stdout.contains("source-repository-ref: refs/heads/main"),
        "{stdout}"
    );
    assert!(
        stdout.contains("log: Rekor v1 https://rekor.sigstore.dev, entry "),
        "{stdout}"
    );
    assert!(
        stdout.contains("by the integrated time of log entry "),
        "{stdout}"
    );

    // A key-signed case.
    let key = suite.join("managed-key-happy-path/key.pub");
    let out = verify_case(0, &suite, "managed-key-happy-path", &["--key", s(&key)]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("signer: the key "), "{stdout}");
}

#[test]
fn a_failing_case_or_another_signer_is_refused() {
    let Some(suite) = suite() else { return };
    let out = verify_case(
        1,
        &suite,
        "signature-mismatch_fail",
        &["--identity", IDENTITY, "--issuer", ISSUER],
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("the signature does not verify"), "{stderr}");
    assert!(out.stdout.is_empty());

    // The right bundle, the wrong identity or issuer: refused, and said why.
    let out = verify_case(
        1,
        &suite,
        "happy-path-v0.3",
        &[
            "--identity",
            "https://github.com/evil/x",
            "--issuer",
            ISSUER,
        ],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("not for the expected identity"));
    verify_case(
        1,
        &suite,
        "happy-path-v0.3",
        &[
            "--identity",
            IDENTITY,
            "--issuer",
            "https://accounts.google.com",
        ],
    );
    // A certificate bundle where a key was expected.
    let key = suite.join("managed-key-happy-path/key.pub");
    verify_case(1, &suite, "happy-path-v0.3", &["--key", s(&key)]);
}

#[test]
fn bad_usage_and_unusable_inputs_exit_2() {
    let Some(suite) = suite() else { return };
    let bundle = suite.join("happy-path-v0.3/bundle.sigstore.json");
    let artifact = suite.join("a.txt");
    let id = ["--identity", IDENTITY, "--issuer", ISSUER];
    // No trusted root: refused with the reason there is no default.
    let mut args = vec!["sigstore", "verify", s(&bundle), "--artifact", s(&artifact)];
    args.extend_from_slice(&id);
    let out = expect(2, &args);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--trusted-root FILE is required"),
        "{}",
        text(&out)
    );
    let root = suite.join("production_trusted_root.json");
    let base = [
        "sigstore",
        "verify",
        s(&bundle),
        "--artifact",
        s(&artifact),
        "--trusted-root",
        s(&root),
    ];
    // No signer, an identity without an issuer, both an identity and a key.
    expect(2, &base);
    expect(2, &[&base[..], &["--identity", IDENTITY]].concat());
    expect(2, &[&base[..], &id, &["--key", s(&root)]].concat());
    // A trusted root or key that is no such thing, a missing artifact.
    let not_root = [
        "sigstore",
        "verify",
        s(&bundle),
        "--artifact",
        s(&artifact),
        "--trusted-root",
        s(&artifact),
    ];
    expect(2, &[&not_root[..], &id].concat());
    expect(2, &[&base[..], &["--key", s(&artifact)]].concat());
    let missing = [
        "sigstore",
        "verify",
        s(&bundle),
        "--artifact",
        "/nonexistent/artifact",
        "--trusted-root",
        s(&root),
    ];
    expect(2, &[&missing[..], &id].concat());
}

#[test]
fn strings_from_a_refused_bundle_are_escaped() {
    let Some(suite) = suite() else { return };
    let dir = std::env::temp_dir().join(format!("vouch-cli-sigstore-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bundle = dir.join("evil.sigstore.json");
    std::fs::write(&bundle, "{\"mediaType\":\"x\\u001b[2J\\rverified: ok\"}").unwrap();
    let artifact = suite.join("a.txt");
    let root = suite.join("production_trusted_root.json");
    let out = expect(
        1,
        &[
            "sigstore",
            "verify",
            s(&bundle),
            "--artifact",
            s(&artifact),
            "--trusted-root",
            s(&root),
            "--identity",
            IDENTITY,
            "--issuer",
            ISSUER,
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!out.stderr.contains(&0x1b), "{}", text(&out));
    assert!(!out.stderr.contains(&b'\r'), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unsupported Sigstore bundle media type"),
        "{}",
        text(&out)
    );
}
