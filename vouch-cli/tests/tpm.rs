//! TPM keys from the command line, against swtpm (feature `tpm`): a key
//! made in the TPM, its machine enrolled (`roster trust-tpm`), the key
//! enrolled with its TPM2_Certify and found TPM-attested, another
//! identity's enrollment refused; an SSHSIG made through vouch-git-ssh
//! with the TPM key that stock `ssh-keygen -Y verify` accepts, and a git
//! commit signed with it that stock `git verify-commit` accepts.

#![cfg(feature = "tpm")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use vouch_test_support::tpm::Swtpm;

const VOUCH: &str = env!("CARGO_BIN_EXE_vouch");
const GIT_SSH: &str = env!("CARGO_BIN_EXE_vouch-git-ssh");

/// A directory of this test alone (tests run in parallel in one process).
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vouch-cli-tpm-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn run(dir: &Path, tcti: &str, program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .current_dir(dir)
        .env("VOUCH_TPM_TCTI", tcti)
        .env_remove("VOUCH_PASSPHRASE")
        .env("VOUCH_ROSTER_STATE", dir.join("state.json"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(dir: &Path, tcti: &str, args: &[&str]) -> String {
    let out = run(dir, tcti, VOUCH, args);
    assert!(out.status.success(), "{args:?}\n{}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_tpm_key_enrolls_attested_and_signs_what_ssh_keygen_accepts() {
    let Some(tpm) = Swtpm::start("the CLI's TPM keys") else {
        return;
    };
    let tcti = tpm.tcti();
    let dir = scratch("attested");
    let out = ok(
        &dir,
        tcti,
        &["key", "generate", "--backend", "tpm", "--out", "build.stub"],
    );
    assert!(out.contains("key reference tpm:build.stub"), "{out}");
    for f in [
        "build.stub",
        "build.stub.pub",
        "build.stub.attestation",
        "build.stub.ak",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    // No TPM named: a clear usage error.
    let out = run(
        &dir,
        "",
        VOUCH,
        &["key", "generate", "--backend", "tpm", "--out", "x.stub"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    ok(&dir, tcti, &["key", "generate", "--out", "root.key"]);
    ok(
        &dir,
        tcti,
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
    for (id, name) in [
        ("workload:ci/build", "CI build"),
        ("workload:ci/deploy", "CI deploy"),
    ] {
        ok(
            &dir,
            tcti,
            &[
                "roster",
                "add-identity",
                "r.toml",
                "--id",
                id,
                "--name",
                name,
            ],
        );
    }
    // The AK file is checked: a signing key's public area is no AK.
    let out = ok(
        &dir,
        tcti,
        &[
            "roster",
            "trust-tpm",
            "r.toml",
            "--id",
            "workload:ci/build",
            "--ak",
            "build.stub.ak",
            "--label",
            "runner-1",
        ],
    );
    assert!(
        out.contains("trusted the TPM runner-1 of workload:ci/build"),
        "{out}"
    );
    let out = ok(
        &dir,
        tcti,
        &[
            "roster",
            "add-key",
            "r.toml",
            "--id",
            "workload:ci/build",
            "--pubkey",
            "build.stub.pub",
            "--tpm-attestation",
            "build.stub.attestation",
        ],
    );
    assert!(out.contains("TPM-attested key (AK runner-1)"), "{out}");
    // A key of a machine whose TPM nobody enrolled: refused, with the reason.
    ok(
        &dir,
        tcti,
        &[
            "key",
            "generate",
            "--backend",
            "tpm",
            "--out",
            "deploy.stub",
        ],
    );
    let out = ok(
        &dir,
        tcti,
        &[
            "roster",
            "add-key",
            "r.toml",
            "--id",
            "workload:ci/deploy",
            "--pubkey",
            "deploy.stub.pub",
            "--tpm-attestation",
            "deploy.stub.attestation",
        ],
    );
    assert!(out.contains("TPM attestation refused"), "{out}");
    // Nor does the build machine's AK vouch for it.
    let out = run(
        &dir,
        tcti,
        VOUCH,
        &[
            "roster",
            "trust-tpm",
            "r.toml",
            "--id",
            "workload:ci/deploy",
            "--ak",
            "build.stub.pub",
            "--label",
            "not-an-ak",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // vouch-git-ssh signs with the TPM key; stock ssh-keygen verifies.
    std::fs::write(
        dir.join("payload"),
        b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n",
    )
    .unwrap();
    let out = run(
        &dir,
        tcti,
        GIT_SSH,
        &["-Y", "sign", "-n", "git", "-f", "tpm:build.stub", "payload"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let line = std::fs::read_to_string(dir.join("build.stub.pub")).unwrap();
    std::fs::write(
        dir.join("allowed"),
        format!("builder@example.com {}", line.trim()),
    )
    .unwrap();
    let verified = Command::new("ssh-keygen")
        .current_dir(&dir)
        .args([
            "-Y",
            "verify",
            "-f",
            "allowed",
            "-I",
            "builder@example.com",
            "-n",
            "git",
            "-s",
            "payload.sig",
        ])
        .stdin(std::fs::File::open(dir.join("payload")).unwrap())
        .output()
        .unwrap();
    assert!(verified.status.success(), "{}", text(&verified));

    // A git commit signed through vouch-git-ssh with the TPM key: stock
    // `git verify-commit` (ssh-keygen as its program) says Good.
    if vouch_test_support::git::tools_available("TPM-signed commits", "git with a TPM key") {
        let repo = dir.join("repo");
        let home = dir.join("home");
        std::fs::create_dir_all(&repo).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        let git = |args: &[&str]| {
            let out = vouch_test_support::git::command(&repo, &home, "UTC")
                .env("VOUCH_TPM_TCTI", tcti)
                .args(["-c", "gpg.format=ssh"])
                .args(args)
                .output()
                .unwrap();
            assert!(out.status.success(), "git {args:?}\n{}", text(&out));
            out
        };
        git(&["init", "-q"]);
        let key = format!("user.signingkey=tpm:{}", dir.join("build.stub").display());
        let program = format!("gpg.ssh.program={GIT_SSH}");
        git(&[
            "-c",
            &key,
            "-c",
            &program,
            "commit",
            "-q",
            "--allow-empty",
            "-S",
            "-m",
            "built",
        ]);
        std::fs::write(
            dir.join("allowed_signers"),
            format!("alice@example.com {}", line.trim()),
        )
        .unwrap();
        let allowed = format!(
            "gpg.ssh.allowedSignersFile={}",
            dir.join("allowed_signers").display()
        );
        let out = git(&["-c", &allowed, "verify-commit", "HEAD"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with("Good \"git\" signature for alice@example.com with ECDSA key"),
            "{stderr}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The EK-certified enrollment from the command line: the machine's EK
/// certificate, the enroller's challenge, the TPM's answer, the AK
/// trusted under its EK certificate; a TPM of an untrusted manufacturer,
/// another TPM's answer and a wrong answer are refused.
#[test]
fn an_ak_enrolls_under_its_ek_certificate() {
    use vouch_test_support::tpm::SwtpmCa;
    let ca = SwtpmCa::new();
    let Some(tpm) = Swtpm::start_manufactured("the CLI's EK-certified enrollment", &ca) else {
        return;
    };
    let other_ca = SwtpmCa::new();
    let Some(other) = Swtpm::start_manufactured("the CLI's EK-certified enrollment", &other_ca)
    else {
        return;
    };
    let tcti = tpm.tcti();
    let dir = scratch("ek");
    ok(
        &dir,
        tcti,
        &["key", "generate", "--backend", "tpm", "--out", "build.stub"],
    );
    let out = ok(&dir, tcti, &["key", "tpm-ek-cert", "-o", "ek.der"]);
    assert!(out.contains("EK certificate"), "{out}");
    ok(&dir, tcti, &["key", "generate", "--out", "root.key"]);
    ok(
        &dir,
        tcti,
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
    ok(
        &dir,
        tcti,
        &[
            "roster",
            "add-identity",
            "r.toml",
            "--id",
            "workload:ci/build",
            "--name",
            "CI build",
        ],
    );
    let root = ca.root_pem();
    let intermediate = ca.intermediate_pem();
    let (root, intermediate) = (root.to_str().unwrap(), intermediate.to_str().unwrap());

    // No EK root trusted yet: no challenge.
    let challenge = [
        "roster",
        "tpm-challenge",
        "r.toml",
        "--ak",
        "build.stub.ak",
        "--ek-cert",
        "ek.der",
        "--ek-intermediate",
        intermediate,
        "-o",
        "chal",
    ];
    let out = run(&dir, tcti, VOUCH, &challenge);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("trusts no EK root"), "{}", text(&out));

    ok(
        &dir,
        tcti,
        &["roster", "trust-tpm-ca", "r.toml", "--root", root],
    );
    // Without the intermediate, the EK certificate does not chain.
    let out = run(
        &dir,
        tcti,
        VOUCH,
        &[
            "roster",
            "tpm-challenge",
            "r.toml",
            "--ak",
            "build.stub.ak",
            "--ek-cert",
            "ek.der",
            "-o",
            "x",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!dir.join("x").exists() && !dir.join("x.pending").exists());

    let out = ok(&dir, tcti, &challenge);
    assert!(out.contains("CN=unknown"), "{out}");
    assert!(dir.join("chal.pending").is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("chal.pending"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the pending file is private: {mode:o}");
    }

    // Another TPM cannot answer: it does not hold this EK.
    ok(
        &dir,
        other.tcti(),
        &["key", "generate", "--backend", "tpm", "--out", "other.stub"],
    );
    let out = run(
        &dir,
        other.tcti(),
        VOUCH,
        &[
            "key",
            "tpm-activate",
            "other.stub",
            "--challenge",
            "chal",
            "-o",
            "other.answer",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    ok(
        &dir,
        tcti,
        &[
            "key",
            "tpm-activate",
            "build.stub",
            "--challenge",
            "chal",
            "-o",
            "answer",
        ],
    );
    let trust = |answer: &str| {
        run(
            &dir,
            tcti,
            VOUCH,
            &[
                "roster",
                "trust-tpm",
                "r.toml",
                "--id",
                "workload:ci/build",
                "--label",
                "runner-1",
                "--ak",
                "build.stub.ak",
                "--pending",
                "chal.pending",
                "--answer",
                answer,
            ],
        )
    };
    std::fs::write(dir.join("wrong"), [0u8; 32]).unwrap();
    let out = trust("wrong");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let out = trust("answer");
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("under its EK certificate"),
        "{}",
        text(&out)
    );

    let out = ok(
        &dir,
        tcti,
        &[
            "roster",
            "add-key",
            "r.toml",
            "--id",
            "workload:ci/build",
            "--pubkey",
            "build.stub.pub",
            "--tpm-attestation",
            "build.stub.attestation",
        ],
    );
    assert!(
        out.contains("in a TPM whose EK certificate chains to CN=swtpm-localca-rootca"),
        "{out}"
    );

    // A manufacturer the roster does not trust.
    let out = ok(
        &dir,
        other.tcti(),
        &["key", "tpm-ek-cert", "-o", "other-ek.der"],
    );
    assert!(out.contains("EK certificate"), "{out}");
    let other_intermediate = other_ca.intermediate_pem();
    let out = run(
        &dir,
        other.tcti(),
        VOUCH,
        &[
            "roster",
            "tpm-challenge",
            "r.toml",
            "--ak",
            "other.stub.ak",
            "--ek-cert",
            "other-ek.der",
            "--ek-intermediate",
            other_intermediate.to_str().unwrap(),
            "-o",
            "c2",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    std::fs::remove_dir_all(&dir).unwrap();
}
