//! `vouch deps check` on this workspace's own Cargo.lock: a roster and a
//! policy made with the CLI, release statements for two of the crates it
//! locks, the report and the exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use vouch_core::{Digest, Timestamp};
use vouch_deps::{Format, Lock};
use vouch_keys::FileKey;
use vouch_manifest::{Release, ReleaseArchive, Signed, Statement};

fn vouch(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vouch"))
        .current_dir(dir)
        .args(args)
        .env_remove("VOUCH_PASSPHRASE")
        .env("HOME", dir.join("home"))
        .env("XDG_STATE_HOME", dir.join("xdg"))
        .env("VOUCH_ROSTER_STATE", dir.join("state.json"))
        .output()
        .unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = vouch(dir, args);
    assert!(
        out.status.success(),
        "vouch {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A release of `name` `version` whose archive has the SHA-256 the lock
/// file states (its SHA-512 is unknown here: a stand-in, never matched).
fn release(name: &str, version: &str, sha256: Digest, keys: &[&FileKey]) -> Vec<u8> {
    let r = Release {
        package: name.into(),
        version: version.into(),
        purl: None,
        contents: vouch_manifest::tree::TreeManifest::from_entries(Vec::new()).unwrap(),
        dependencies: Vec::new(),
        commits: Vec::new(),
        released_at: Timestamp::now(),
        previous: None,
        tag: None,
        archive: Some(ReleaseArchive {
            name: format!("{name}-{version}.crate"),
            format: "crate".into(),
            sha256,
            sha512: Digest::sha512(name.as_bytes()),
        }),
    };
    let statement = Statement::from_predicate(r).unwrap();
    let mut signed = Signed::sign(&statement, keys[0]).unwrap();
    for k in &keys[1..] {
        signed.cosign(*k).unwrap();
    }
    signed.to_bytes().unwrap()
}

#[test]
fn this_workspace_cargo_lock_is_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for k in ["root", "alice", "bob", "mallory"] {
        ok(dir, &["key", "generate", "--out", &format!("{k}.key")]);
    }
    ok(
        dir,
        &[
            "roster",
            "init",
            "--name",
            "acme",
            "--root-key",
            "root.key.pub",
            "-o",
            "r.toml",
        ],
    );
    for who in ["alice", "bob"] {
        let id = format!("person:{who}@example.com");
        let email = format!("{who}@example.com");
        ok(
            dir,
            &[
                "roster",
                "add-identity",
                "r.toml",
                "--id",
                &id,
                "--name",
                who,
                "--email",
                &email,
            ],
        );
        ok(
            dir,
            &[
                "roster",
                "add-key",
                "r.toml",
                "--id",
                &id,
                "--pubkey",
                &format!("{who}.key.pub"),
            ],
        );
        ok(
            dir,
            &[
                "roster",
                "grant",
                "r.toml",
                "--role",
                "maintainer",
                "--id",
                &id,
            ],
        );
    }
    let signed = ok(
        dir,
        &[
            "roster", "sign", "r.toml", "--key", "root.key", "-o", "r.chain",
        ],
    );
    let pin = signed
        .split_whitespace()
        .find(|w| w.starts_with("sha256:"))
        .unwrap()
        .to_owned();

    let lock_path = vouch_test_support::deps::workspace_cargo_lock();
    let lock = Lock::parse(Format::Cargo, &std::fs::read(&lock_path).unwrap()).unwrap();
    let find = |name: &str| {
        lock.dependencies
            .iter()
            .find(|d| d.name == name && !d.digests.is_empty())
            .unwrap()
    };
    let (hex, serde) = (find("hex"), find("serde"));
    let counted = lock
        .dependencies
        .iter()
        .filter(|d| !d.source.is_local())
        .count();
    let key = |n: &str| FileKey::load(dir.join(format!("{n}.key")), None).unwrap();
    let (alice, bob, mallory) = (key("alice"), key("bob"), key("mallory"));
    let mut bundle = vouch_chain::Bundle::new();
    let v = |d: &vouch_deps::LockedDependency| d.version.clone().unwrap();
    bundle.add_envelope(release("hex", &v(hex), hex.digests[0], &[&alice, &bob]));
    bundle.add_envelope(release("serde", &v(serde), serde.digests[0], &[&mallory]));
    std::fs::write(dir.join("deps.bundle"), bundle.to_bytes().unwrap()).unwrap();
    let policy = |require: &str| {
        format!(
            "[image]\nsigners = {{ roles = [\"builder\"] }}\n\
             [dependencies]\nrequire = \"{require}\"\n\
             [[dependencies.publishers]]\npackages = [\"hex\", \"serde\"]\necosystem = \"cargo\"\n\
             roster = \"project\"\nsigners = {{ roles = [\"maintainer\"], threshold = 2 }}\n\
             [[dependencies.allow]]\nname = \"libc\"\nreason = \"the platform's C library bindings, reviewed\"\n"
        )
    };
    std::fs::write(dir.join("policy.toml"), policy("attributed")).unwrap();
    std::fs::write(dir.join("report-only.toml"), policy("off")).unwrap();
    let lock_arg = lock_path.to_str().unwrap();
    let args = |policy: &'static str| {
        vec![
            "deps",
            "check",
            "--lock",
            lock_arg,
            "--bundle",
            "deps.bundle",
            "--roster",
            "r.chain",
            "--roster-pin",
            &pin,
            "--policy",
            policy,
        ]
    };
    let out = vouch(dir, &args("policy.toml"));
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        report.contains(&format!(
            "attributed    hex@{}: released by person:alice@example.com, person:bob@example.com under the project's roster v1",
            v(hex)
        )),
        "{report}"
    );
    assert!(
        report.contains(&format!("UNATTRIBUTED  serde@{}", v(serde)))
            && report.contains("is signed by no key of a roster trusted for it"),
        "{report}"
    );
    assert!(report.contains("allowed       libc@"), "{report}");
    assert!(
        report.contains("vouch-core@"),
        "local crates are listed: {report}"
    );
    let unattributed = counted - 2;
    assert!(
        report.contains(&format!(
            "1 of {counted} dependencies attributed, 1 allowed, {unattributed} unattributed: FAIL"
        )),
        "{report}"
    );

    // Reported, not enforced; and as JSON.
    let mut json = args("report-only.toml");
    json.push("--json");
    let out = ok(dir, &json);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["dependencies"].as_array().unwrap().len(), counted);
    assert_eq!(v["require"], "off");

    // A lock file with a control character is refused before any report,
    // and the error does not carry it to the terminal.
    std::fs::write(
        dir.join("requirements.txt"),
        "a @ https://e.com/\u{1b}[31m.whl\n",
    )
    .unwrap();
    let out = vouch(
        dir,
        &[
            "deps",
            "check",
            "--lock",
            "requirements.txt",
            "--bundle",
            "deps.bundle",
            "--roster",
            "r.chain",
            "--roster-pin",
            &pin,
            "--policy",
            "policy.toml",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("control character"), "{err}");
    assert!(!err.contains('\u{1b}'), "{err}");
    // A policy without the section cannot check.
    std::fs::write(
        dir.join("plain.toml"),
        "[image]\nsigners = { roles = [\"builder\"] }\n",
    )
    .unwrap();
    let out = vouch(dir, &args("plain.toml"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[dependencies]"));
}
