//! Git commit signing interop, both ways, with stock `git` and stock
//! `ssh-keygen`:
//!
//! - (a) commits signed through `gpg.ssh.program = vouch-git-ssh` with vouch,
//!   OpenSSH and PKCS#8 key files pass stock `git verify-commit` (with git's
//!   default program, `ssh-keygen`), and `git log --show-signature` says Good;
//! - (b) commits signed by stock ssh-keygen keys through stock git pass
//!   `vouch git verify-commit` against a roster;
//! - (c) stock `git verify-commit` with `gpg.ssh.program = vouch-git-ssh`
//!   verifies them too (vouch answering `-Y find-principals` / `-Y verify`),
//!   and agrees with ssh-keygen on local-time validity windows;
//! - (d) a rewritten object, a re-signed-looking forgery and an unknown key
//!   are refused with exit 1, an unknown revision with exit 2.
//!
//! Every git runs with `GIT_CONFIG_NOSYSTEM=1`, a HOME of its own, and fixed
//! author and committer dates.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use vouch_core::{Algorithm, PublicKey, Timestamp};
use vouch_keys::FileKey;
use vouch_manifest::{Identity, RootKeys, Roster, RosterChain, RosterKey, Signed, Statement};
use vouch_test_support::git;

const VOUCH: &str = env!("CARGO_BIN_EXE_vouch");
const GIT_SSH: &str = env!("CARGO_BIN_EXE_vouch-git-ssh");

fn tools_available() -> bool {
    vouch_test_support::git::tools_available("git interop tests", "git interop")
}

/// A scratch directory with a HOME, a repository and key files.
struct Lab {
    root: PathBuf,
    tz: &'static str,
}

impl Lab {
    fn new(name: &str) -> Lab {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "vouch-git-interop-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("home")).unwrap();
        std::fs::create_dir_all(root.join("repo")).unwrap();
        let lab = Lab { root, tz: "UTC" };
        lab.git_ok(&["init", "-q"]);
        lab
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn repo(&self) -> PathBuf {
        self.root.join("repo")
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// An isolated git: no system or user configuration, fixed identity.
    fn git_cmd(&self, args: &[&str], time: &str) -> Command {
        let t: Timestamp = time.parse().unwrap();
        let date = format!("{} +0000", t.unix_seconds());
        let mut c = git::command(&self.repo(), &self.path("home"), self.tz);
        c.env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .args(["-c", "gpg.format=ssh"])
            .args(args);
        c
    }

    fn git(&self, args: &[&str]) -> Output {
        self.git_cmd(args, "2026-03-01T12:00:00Z").output().unwrap()
    }

    fn git_ok(&self, args: &[&str]) -> String {
        let out = self.git(args);
        assert!(
            out.status.success(),
            "git {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Commits (empty) signed with `key` through `program` (None: git's default ssh-keygen).
    fn commit(&self, program: Option<&str>, key: &Path, message: &str, time: &str) -> String {
        self.commit_with(program, None, key, message, time)
    }

    /// [`Lab::commit`], with `SSH_SK_PROVIDER` set to `provider` for a
    /// security key (ssh-keygen's middleware; see `sk_dummy`).
    fn commit_with(
        &self,
        program: Option<&str>,
        provider: Option<&Path>,
        key: &Path,
        message: &str,
        time: &str,
    ) -> String {
        let key = format!("user.signingkey={}", key.display());
        let program = program.map(|p| format!("gpg.ssh.program={p}"));
        let mut args = vec!["-c", &key];
        if let Some(p) = &program {
            args.extend(["-c", p]);
        }
        args.extend(["commit", "-q", "--allow-empty", "-S", "-m", message]);
        let mut cmd = self.git_cmd(&args, time);
        if let Some(p) = provider {
            cmd.env("SSH_SK_PROVIDER", p);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "signed commit failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.git_ok(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// `git verify-commit` with an allowed signers file and a program.
    fn git_verify(&self, program: Option<&str>, allowed: &Path, rev: &str) -> Output {
        let allowed = format!("gpg.ssh.allowedSignersFile={}", allowed.display());
        let program = program.map(|p| format!("gpg.ssh.program={p}"));
        let mut args = vec!["-c", &allowed];
        if let Some(p) = &program {
            args.extend(["-c", p]);
        }
        args.extend(["verify-commit", rev]);
        self.git(&args)
    }

    fn git_log_signature(&self, program: Option<&str>, allowed: &Path) -> String {
        let allowed = format!("gpg.ssh.allowedSignersFile={}", allowed.display());
        let program = program.map(|p| format!("gpg.ssh.program={p}"));
        let mut args = vec!["-c", &allowed];
        if let Some(p) = &program {
            args.extend(["-c", p]);
        }
        args.extend(["log", "--show-signature", "-1"]);
        self.git_ok(&args)
    }

    fn ssh_keygen(&self, name: &str, kind: &str) -> (PathBuf, PublicKey) {
        let key = self.path(name);
        let line = git::ssh_keygen(&key, name, kind);
        (key, PublicKey::from_openssh(&line).unwrap())
    }

    fn vouch_key(&self, name: &str, algorithm: Algorithm) -> (PathBuf, PublicKey) {
        let key = FileKey::generate(algorithm).unwrap();
        let path = self.path(name);
        key.save(&path, None).unwrap();
        (path, key.public_key().clone())
    }

    /// Runs `vouch` in the lab, with a roster state file of its own.
    /// `vouch key generate --backend fido ... --out STUB` through the
    /// security-key middleware `provider` (sk-dummy standing in for a device).
    fn generate_fido(&self, provider: &Path, stub: &Path, extra: &[&str]) -> Output {
        Command::new(VOUCH)
            .current_dir(&self.root)
            .env("SSH_SK_PROVIDER", provider)
            .args(["key", "generate", "--backend", "fido"])
            .args(extra)
            .arg("--out")
            .arg(stub)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn vouch(&self, args: &[&str]) -> Output {
        Command::new(VOUCH)
            .current_dir(&self.root)
            .env("TZ", self.tz)
            .env("HOME", self.path("home"))
            .env("VOUCH_ROSTER_STATE", self.path("roster-state.json"))
            .env_remove("VOUCH_PASSPHRASE")
            .args(args)
            .output()
            .unwrap()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn allowed_signers(lab: &Lab, name: &str, keys: &[&PublicKey]) -> PathBuf {
    let mut s = String::from("# test signers\n");
    for k in keys {
        s.push_str(&format!("alice@example.com {}\n", k.to_openssh()));
    }
    lab.write(name, &s)
}

/// A roster file trusting `keys` for Alice from 2026-01-01; returns its
/// path and the statement digest to pin.
fn roster_file(lab: &Lab, name: &str, keys: &[&PublicKey]) -> (PathBuf, String) {
    let alice = Identity {
        id: "person:alice@example.com".parse().unwrap(),
        display_name: "Alice".into(),
        openpgp_keys: Vec::new(),
        proofs: vec![],
        keys: keys
            .iter()
            .map(|k| RosterKey::new((*k).clone(), "2026-01-01T00:00:00Z".parse().unwrap()))
            .collect(),
    };
    roster_of(lab, name, vec![alice])
}

/// A one-version roster file of `identities`, signed by a fresh root key,
/// written as `name`; returns its path and the statement digest to pin.
fn roster_of(lab: &Lab, name: &str, identities: Vec<Identity>) -> (PathBuf, String) {
    let root = FileKey::generate(Algorithm::Ed25519).unwrap();
    let roster = Roster {
        name: "example.com".into(),
        version: 1,
        expires: Timestamp::now().plus_seconds(86_400),
        root: RootKeys {
            keys: vec![root.public_key().clone()],
            threshold: 1,
        },
        identities,
        roles: BTreeMap::new(),
        authenticators: Default::default(),
        tpm: Default::default(),
        witnesses: Default::default(),
        ci: Default::default(),
    };
    let signed = Signed::sign(&Statement::from_predicate(roster).unwrap(), &root).unwrap();
    let pin = signed.digest().to_string();
    let path = lab.path(name);
    std::fs::write(&path, RosterChain::new(vec![signed]).to_bytes().unwrap()).unwrap();
    (path, pin)
}

// ---------------------------------------------------------------------------
// (a) vouch signs, stock git + ssh-keygen verify
// ---------------------------------------------------------------------------

#[test]
fn a_commits_signed_by_vouch_pass_stock_git() {
    if !tools_available() {
        return;
    }
    let lab = Lab::new("a");
    let (ed_path, ed) = lab.vouch_key("alice-ed25519.key", Algorithm::Ed25519);
    let (p256_path, p256) = lab.vouch_key("alice-p256.key", Algorithm::Es256);
    let (ossh_path, ossh) = lab.ssh_keygen("id_ed25519", "ed25519");
    let ossh_pub = PathBuf::from(format!("{}.pub", ossh_path.display()));
    let mut keys: Vec<(String, PathBuf, PublicKey)> = vec![
        ("vouch ed25519 key".into(), ed_path, ed),
        ("vouch p256 key".into(), p256_path, p256),
        ("OpenSSH private key".into(), ossh_path, ossh.clone()),
        ("OpenSSH .pub beside the private key".into(), ossh_pub, ossh),
    ];
    // A PKCS#8 key, when openssl is here to write one.
    let pkcs8 = lab.path("alice-pkcs8.pem");
    if Command::new("openssl")
        .args(["genpkey", "-algorithm", "ed25519", "-out"])
        .arg(&pkcs8)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&pkcs8, std::fs::Permissions::from_mode(0o600)).unwrap();
        let key = FileKey::load(&pkcs8, None).unwrap();
        keys.push(("PKCS#8 key".into(), pkcs8, key.public_key().clone()));
    } else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "openssl genpkey failed; CI=true forbids skipping the PKCS#8 signing key"
        );
        eprintln!("SKIP: openssl not found; PKCS#8 signing key not tested");
    }
    let all: Vec<&PublicKey> = keys.iter().map(|(_, _, k)| k).collect();
    let allowed = allowed_signers(&lab, "allowed_signers", &all);

    for (what, path, key) in &keys {
        let id = lab.commit(
            Some(GIT_SSH),
            path,
            &format!("signed with a {what}"),
            "2026-03-01T12:00:00Z",
        );
        // Stock git with its default program, ssh-keygen.
        let out = lab.git_verify(None, &allowed, &id);
        assert!(out.status.success(), "{what}: {}", text(&out));
        let expected = format!(
            "Good \"git\" signature for alice@example.com with {} key {}",
            if key.algorithm() == Algorithm::Ed25519 {
                "ED25519"
            } else {
                "ECDSA"
            },
            key.key_id().ssh_fingerprint()
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(&expected),
            "{what}: {}",
            text(&out)
        );
        let log = lab.git_log_signature(None, &allowed);
        assert!(log.contains(&expected), "{what}: {log}");
        // And vouch's own program agrees.
        let out = lab.git_verify(Some(GIT_SSH), &allowed, &id);
        assert!(out.status.success(), "{what}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(&expected),
            "{}",
            text(&out)
        );
    }

    // Another principal's file: stock git refuses the vouch signature.
    let (_, stranger) = lab.ssh_keygen("id_stranger", "ed25519");
    let others = allowed_signers(&lab, "others", &[&stranger]);
    assert!(!lab.git_verify(None, &others, "HEAD").status.success());
    assert!(
        !lab.git_verify(Some(GIT_SSH), &others, "HEAD")
            .status
            .success()
    );
}

/// A security key (vouch's software FIDO authenticator, `soft-fido:` key
/// reference) signs through git; stock ssh-keygen verifies the `sk-`
/// signature, and vouch reports the authenticator flags and counter.
#[test]
fn a_security_key_signatures_interoperate() {
    if !tools_available() {
        return;
    }
    let lab = Lab::new("a-fido");
    let (path, plain) = lab.vouch_key("alice-fido.key", Algorithm::Ed25519);
    let sk = plain.clone().with_fido_application("ssh:").unwrap();
    let reference = format!("soft-fido:{}", path.display());
    let id = lab.commit(
        Some(GIT_SSH),
        Path::new(&reference),
        "touched",
        "2026-03-01T12:00:00Z",
    );
    let raw = lab.git_ok(&["cat-file", "commit", &id]);
    assert!(
        raw.contains("gpgsig -----BEGIN SSH SIGNATURE-----"),
        "{raw}"
    );

    let allowed = allowed_signers(&lab, "allowed_signers", &[&sk]);
    let expected = format!(
        "Good \"git\" signature for alice@example.com with ED25519-SK key {}",
        sk.key_id().ssh_fingerprint()
    );
    for program in [None, Some(GIT_SSH)] {
        let out = lab.git_verify(program, &allowed, &id);
        assert!(out.status.success(), "{program:?}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(&expected),
            "{}",
            text(&out)
        );
    }
    let (_, pin) = roster_file(&lab, "roster.cbor", &[&sk]);
    let repo = lab.repo();
    let out = lab.vouch(&[
        "git",
        "verify-commit",
        "--repo",
        repo.to_str().unwrap(),
        "--roster",
        "roster.cbor",
        "--roster-pin",
        &pin,
        &id,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("fido:    flags 0x01 (user present, not verified), counter "),
        "{stdout}"
    );
    // The plain key is another key: a roster holding only it refuses the commit.
    let (_, pin) = roster_file(&lab, "plain.cbor", &[&plain]);
    let out = lab.vouch(&[
        "git",
        "verify-commit",
        "--repo",
        repo.to_str().unwrap(),
        "--roster",
        "plain.cbor",
        "--roster-pin",
        &pin,
        &id,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn a_signing_refusals_are_clear() {
    if !tools_available() {
        return;
    }
    let lab = Lab::new("a-refusals");
    // A public key literal needs ssh-agent, which vouch does not use.
    let (_, key) = lab.vouch_key("alice.key", Algorithm::Ed25519);
    let literal = format!("user.signingkey=key::{}", key.to_openssh());
    let prog = format!("gpg.ssh.program={GIT_SSH}");
    let out = lab.git(&[
        "-c",
        &literal,
        "-c",
        &prog,
        "commit",
        "--allow-empty",
        "-S",
        "-m",
        "x",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ssh-agent"),
        "{}",
        text(&out)
    );
    // A key file that does not exist.
    let missing = "user.signingkey=/nonexistent/key";
    let out = lab.git(&[
        "-c",
        missing,
        "-c",
        &prog,
        "commit",
        "--allow-empty",
        "-S",
        "-m",
        "x",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("No private key found"),
        "{}",
        text(&out)
    );
    // A .pub file whose private key is another key.
    let (_, other) = lab.vouch_key("bob.key", Algorithm::Ed25519);
    let wrong_pub = lab.write("alice.key.pub", &other.to_openssh());
    let wrong = format!("user.signingkey={}", wrong_pub.display());
    let out = lab.git(&[
        "-c",
        &wrong,
        "-c",
        &prog,
        "commit",
        "--allow-empty",
        "-S",
        "-m",
        "x",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("doesn't match"),
        "{}",
        text(&out)
    );
}

// ---------------------------------------------------------------------------
// (b) stock git + ssh-keygen sign, vouch verifies against a roster
// (c) stock git verify-commit with vouch-git-ssh as the program
// ---------------------------------------------------------------------------

#[test]
fn b_c_commits_signed_by_stock_git_pass_vouch() {
    if !tools_available() {
        return;
    }
    let lab = Lab::new("bc");
    let (ed_path, ed) = lab.ssh_keygen("id_ed25519", "ed25519");
    let (ec_path, ec) = lab.ssh_keygen("id_ecdsa", "ecdsa");
    let first = lab.commit(None, &ed_path, "first", "2026-03-01T12:00:00Z");
    let second = lab.commit(None, &ec_path, "second", "2026-03-02T09:15:00Z");
    let (roster, pin) = roster_file(&lab, "roster.cbor", &[&ed, &ec]);
    let repo = lab.repo();
    let repo = repo.to_str().unwrap();

    // (b) vouch git verify-commit: without a pin or state, refused (2).
    let unpinned = [
        "git",
        "verify-commit",
        "--repo",
        repo,
        "--roster",
        "roster.cbor",
        "HEAD~1",
        "HEAD",
    ];
    let out = lab.vouch(&unpinned);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--roster-pin"),
        "{}",
        text(&out)
    );
    let mut pinned = unpinned.to_vec();
    pinned.splice(6..6, ["--roster-pin", pin.as_str()]);
    let out = lab.vouch(&pinned);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for (id, key, time) in [
        (&first, &ed, "2026-03-01T12:00:00Z"),
        (&second, &ec, "2026-03-02T09:15:00Z"),
    ] {
        assert!(stdout.contains(&format!("commit {id}")), "{stdout}");
        assert!(stdout.contains(&key.key_id().ssh_fingerprint()), "{stdout}");
        assert!(stdout.contains(time), "{stdout}");
    }
    assert_eq!(
        stdout.matches("signer:  person:alice@example.com").count(),
        2,
        "{stdout}"
    );
    assert_eq!(stdout.matches("verified").count(), 2, "{stdout}");
    // An annotated tag names the commit it points at; the state file,
    // which recorded the pinned run, now anchors the roster.
    lab.git_ok(&["tag", "-a", "-m", "release 1", "v1", &first]);
    let out = lab.vouch(&[
        "git",
        "verify-commit",
        "--repo",
        repo,
        "--roster",
        roster.to_str().unwrap(),
        "v1",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("commit {first}")),
        "{}",
        text(&out)
    );
    // The tree of a commit is not a commit: unreadable input.
    let tree = format!("{first}^{{tree}}");
    let out = lab.vouch(&[
        "git",
        "verify-commit",
        "--repo",
        repo,
        "--roster",
        "roster.cbor",
        &tree,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    // (c) stock git verify-commit and log, vouch-git-ssh answering.
    let allowed = allowed_signers(&lab, "allowed_signers", &[&ed, &ec]);
    for rev in [&first, &second] {
        let out = lab.git_verify(Some(GIT_SSH), &allowed, rev);
        assert!(out.status.success(), "{}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .starts_with("Good \"git\" signature for alice@example.com with "),
            "{}",
            text(&out)
        );
    }
    let log = lab.git_log_signature(Some(GIT_SSH), &allowed);
    assert!(
        log.contains("Good \"git\" signature for alice@example.com with ECDSA key"),
        "{log}"
    );
    // vouch git ssh is the same program as vouch-git-ssh.
    let sig = lab.path("msg.sig");
    let msg = lab.write("msg", "hello\n");
    let signed = Command::new(GIT_SSH)
        .args(["-Y", "sign", "-n", "git", "-f"])
        .arg(&ed_path)
        .arg(&msg)
        .output()
        .unwrap();
    assert!(signed.status.success(), "{}", text(&signed));
    let check = Command::new(VOUCH)
        .args(["git", "ssh", "-Y", "check-novalidate", "-n", "git", "-s"])
        .arg(&sig)
        .stdin(std::fs::File::open(&msg).unwrap())
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", text(&check));
    assert_eq!(
        String::from_utf8_lossy(&check.stdout),
        format!(
            "Good \"git\" signature with ED25519 key {}\n",
            ed.key_id().ssh_fingerprint()
        )
    );
    // ... and stock ssh-keygen verifies what vouch-git-ssh signed with an OpenSSH key.
    let verified = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-n", "git", "-I", "alice@example.com", "-f"])
        .arg(&allowed)
        .arg("-s")
        .arg(&sig)
        .stdin(std::fs::File::open(&msg).unwrap())
        .output()
        .unwrap();
    assert!(verified.status.success(), "{}", text(&verified));
    // find-principals prints the principals of the matching line.
    let found = Command::new(GIT_SSH)
        .args(["-Y", "find-principals", "-f"])
        .arg(&allowed)
        .arg("-s")
        .arg(&sig)
        .arg("")
        .output()
        .unwrap();
    assert!(found.status.success(), "{}", text(&found));
    assert_eq!(
        String::from_utf8_lossy(&found.stdout),
        "alice@example.com\n"
    );
}

/// Security keys made and used by stock ssh-keygen, through OpenSSH's own
/// software middleware (sk-dummy.so, no device): commits signed by stock
/// git pass `vouch git verify-commit` with their FIDO flags and counter.
#[test]
fn b_stock_security_key_commits_pass_vouch() {
    if !tools_available() {
        return;
    }
    let Some(provider) = git::sk_dummy("stock security-key signatures in vouch") else {
        return;
    };
    let lab = Lab::new("sk");
    let mut keys = Vec::new();
    let mut commits = Vec::new();
    for (i, kind) in ["ed25519-sk", "ecdsa-sk"].into_iter().enumerate() {
        let path = lab.path(kind);
        let line = git::ssh_keygen_sk(&path, kind, kind, &provider);
        let key = PublicKey::from_openssh(&line).unwrap();
        assert_eq!(key.fido_application(), Some("ssh:"), "{line}");
        let time = format!("2026-03-0{}T12:00:00Z", i + 1);
        commits.push(lab.commit_with(None, Some(&provider), &path, kind, &time));
        keys.push(key);
    }
    let (_, pin) = roster_file(&lab, "roster.cbor", &keys.iter().collect::<Vec<_>>());
    let repo = lab.repo();
    let out = lab.vouch(&[
        "git",
        "verify-commit",
        "--repo",
        repo.to_str().unwrap(),
        "--roster",
        "roster.cbor",
        "--roster-pin",
        &pin,
        &commits[0],
        &commits[1],
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for (id, key) in commits.iter().zip(&keys) {
        assert!(stdout.contains(&format!("commit {id}")), "{stdout}");
        assert!(stdout.contains(&key.key_id().ssh_fingerprint()), "{stdout}");
    }
    // sk-dummy reports user presence and its fixed counter.
    assert_eq!(
        stdout.matches("(user present, not verified)").count(),
        2,
        "{stdout}"
    );
    assert_eq!(stdout.matches("counter 305419896").count(), 2, "{stdout}");
}

/// vouch's own security-key backend (`key generate --backend fido`, the
/// `fido:` key reference), through ssh-keygen and OpenSSH's sk-dummy.so
/// standing in for the device: it signs commits through vouch-git-ssh,
/// and its attestation file enrolls (sk-dummy's is empty: unattested).
#[test]
fn b_vouch_security_keys_sign_commits_through_ssh_keygen() {
    if !tools_available() {
        return;
    }
    let Some(provider) = git::sk_dummy("vouch's fido backend with git") else {
        return;
    };
    let lab = Lab::new("fido");
    let stub = lab.path("device.stub");
    let out = lab.generate_fido(&provider, &stub, &["--algorithm", "p256"]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("key reference fido:{}", stub.display())),
        "{stdout}"
    );
    let line = std::fs::read_to_string(lab.path("device.stub.pub")).unwrap();
    let key = PublicKey::from_openssh(line.trim()).unwrap();
    assert_eq!(key.fido_application(), Some("ssh:"));
    // The same name again: refused, nothing replaced.
    let again = lab.generate_fido(&provider, &stub, &[]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));

    let signing_key = format!("fido:{}", stub.display());
    let id = lab.commit_with(
        Some(GIT_SSH),
        Some(&provider),
        Path::new(&signing_key),
        "signed on the device",
        "2026-03-01T12:00:00Z",
    );
    let (_, pin) = roster_file(&lab, "roster.cbor", &[&key]);
    let out = lab.vouch(&[
        "git",
        "verify-commit",
        "--repo",
        lab.repo().to_str().unwrap(),
        "--roster",
        "roster.cbor",
        "--roster-pin",
        &pin,
        &id,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("(user present, not verified), counter 305419896"),
        "{stdout}"
    );

    // The attestation file ssh-keygen wrote enrolls, unattested.
    let draft = lab.path("draft.toml");
    let ok = |args: &[&str]| {
        let out = lab.vouch(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let (_, root) = lab.vouch_key("root", Algorithm::Ed25519);
    std::fs::write(lab.path("root.pub"), root.to_openssh()).unwrap();
    ok(&[
        "roster",
        "init",
        "--name",
        "acme",
        "--root-key",
        "root.pub",
        "-o",
        draft.to_str().unwrap(),
    ]);
    ok(&[
        "roster",
        "add-identity",
        draft.to_str().unwrap(),
        "--id",
        "person:alice@example.com",
        "--name",
        "Alice",
    ]);
    let out = ok(&[
        "roster",
        "add-key",
        draft.to_str().unwrap(),
        "--id",
        "person:alice@example.com",
        "--pubkey",
        lab.path("device.stub.pub").to_str().unwrap(),
        "--fido-attestation",
        lab.path("device.stub.attestation").to_str().unwrap(),
        "--challenge",
        lab.path("device.stub.challenge").to_str().unwrap(),
    ]);
    assert!(
        out.contains("unattested authenticator (an empty attestation)"),
        "{out}"
    );
}

/// A security key made with user verification required needs its PIN for
/// every signature: vouch-git-ssh hands ssh-keygen the PIN from
/// VOUCH_FIDO_PIN, answering as its SSH_ASKPASS program.
#[test]
fn b_a_pin_reaches_ssh_keygen_through_the_callbacks() {
    if !tools_available() {
        return;
    }
    let Some(provider) = git::sk_dummy("security-key PINs") else {
        return;
    };
    let lab = Lab::new("fido-pin");
    let stub = lab.path("uv.stub");
    let out = lab.generate_fido(&provider, &stub, &["--require-uv"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        std::fs::read_to_string(lab.path("uv.stub.state"))
            .unwrap()
            .contains("require-uv=true")
    );
    let key = format!("user.signingkey=fido:{}", stub.display());
    let program = format!("gpg.ssh.program={GIT_SSH}");
    let commit = |pin: Option<&str>| -> Output {
        let mut c = lab.git_cmd(
            &[
                "-c",
                &key,
                "-c",
                &program,
                "commit",
                "-q",
                "--allow-empty",
                "-S",
                "-m",
                "uv",
            ],
            "2026-03-01T12:00:00Z",
        );
        c.env("SSH_SK_PROVIDER", &provider).stdin(Stdio::null());
        if let Some(p) = pin {
            c.env("VOUCH_FIDO_PIN", p);
        }
        c.output().unwrap()
    };
    let with_pin = commit(Some("123456"));
    assert!(with_pin.status.success(), "{}", text(&with_pin));
    // (sk-dummy ignores the PIN it is given, so a missing one cannot fail
    // here; vouch-keys' fido tests check which PIN ssh-keygen received.)
    // Both binaries answer as the askpass program ssh-keygen runs.
    for program in [VOUCH, GIT_SSH] {
        let out = Command::new(program)
            .env("VOUCH_ASKPASS", "1")
            .env("VOUCH_ASKPASS_PIN", "123456")
            .arg("Enter PIN for ECDSA-SK key: ")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(out.stdout, b"123456\n");
    }
    // The state records the device's counter.
    assert!(
        std::fs::read_to_string(lab.path("uv.stub.state"))
            .unwrap()
            .contains("last-counter=305419896")
    );
}

/// ssh-keygen and vouch-git-ssh read the same local times the same way:
/// git passes the committer time in the local zone, and allowed signers
/// windows without `Z` are local too.
#[test]
fn c_validity_windows_agree_with_ssh_keygen_in_a_local_zone() {
    if !tools_available() {
        return;
    }
    let mut lab = Lab::new("tz");
    lab.tz = "XYZ-5"; // POSIX: five hours east of UTC
    let (key_path, key) = lab.ssh_keygen("id_ed25519", "ed25519");
    // Committed at 12:00 UTC = 17:00 local.
    lab.commit(None, &key_path, "windowed", "2026-03-01T12:00:00Z");
    let line = key.to_openssh();
    for (window, expect) in [
        ("valid-after=\"202603011659\"", true),
        ("valid-after=\"202603011701\"", false),
        ("valid-before=\"202603011701\"", true),
        ("valid-before=\"202603011659\"", false),
        ("valid-after=\"202603011159Z\"", true),
        ("valid-after=\"202603011201Z\"", false),
        ("valid-after=\"20260301\",valid-before=\"20260302\"", true),
        ("namespaces=\"file\"", false),
        ("namespaces=\"file,g?t\"", true),
    ] {
        let allowed = lab.write(
            "allowed_tz",
            &format!("alice@example.com {window} {line}\n"),
        );
        let stock = lab.git_verify(None, &allowed, "HEAD");
        let vouch = lab.git_verify(Some(GIT_SSH), &allowed, "HEAD");
        assert_eq!(
            stock.status.success(),
            expect,
            "ssh-keygen, {window}: {}",
            text(&stock)
        );
        assert_eq!(
            vouch.status.success(),
            expect,
            "vouch, {window}: {}",
            text(&vouch)
        );
    }
}

// ---------------------------------------------------------------------------
// (d) refusals
// ---------------------------------------------------------------------------

#[test]
fn d_tampered_commits_and_unknown_keys_are_refused() {
    if !tools_available() {
        return;
    }
    let lab = Lab::new("d");
    let (key_path, key) = lab.ssh_keygen("id_ed25519", "ed25519");
    let (_, stranger) = lab.ssh_keygen("id_stranger", "ed25519");
    let id = lab.commit(
        None,
        &key_path,
        "the original message",
        "2026-03-01T12:00:00Z",
    );
    let (_, pin) = roster_file(&lab, "roster.cbor", &[&key]);
    let (_, strangers) = roster_file(&lab, "strangers.cbor", &[&stranger]);
    let repo = lab.repo();
    let repo = repo.to_str().unwrap();
    let verify = |roster: &str, rev: &str| {
        let pin = if roster == "strangers.cbor" {
            &strangers
        } else {
            &pin
        };
        lab.vouch(&[
            "git",
            "verify-commit",
            "--repo",
            repo,
            "--roster",
            roster,
            "--roster-pin",
            pin,
            rev,
        ])
    };
    assert_eq!(verify("roster.cbor", &id).status.code(), Some(0));

    // An unknown key.
    let out = verify("strangers.cbor", &id);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("not in the roster"),
        "{}",
        text(&out)
    );

    // A forged commit: same signature, changed message, stored under its own id.
    let raw = lab.git_ok(&["cat-file", "commit", &id]);
    let forged = raw.replace("the original message", "the forged message");
    let mut child = lab
        .git_cmd(
            &["hash-object", "-t", "commit", "-w", "--stdin"],
            "2026-03-01T12:00:00Z",
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(forged.as_bytes())
        .unwrap();
    let forged_id = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    let forged_id = forged_id.trim();
    let out = verify("roster.cbor", forged_id);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("bad SSH signature"),
        "{}",
        text(&out)
    );
    let allowed = allowed_signers(&lab, "allowed_signers", &[&key]);
    assert!(
        !lab.git_verify(Some(GIT_SSH), &allowed, forged_id)
            .status
            .success()
    );
    assert!(!lab.git_verify(None, &allowed, forged_id).status.success());

    // A rewritten object: the forged bytes stored under the original id.
    let objects = lab.repo().join(".git/objects");
    let loose = |id: &str| objects.join(&id[..2]).join(&id[2..]);
    let original = loose(&id);
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&original, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::copy(loose(forged_id), &original).unwrap();
    let out = verify("roster.cbor", &id);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("the object was altered"),
        "{}",
        text(&out)
    );

    // Several revisions: one refused makes the whole run exit 1.
    let out = lab.vouch(&[
        "git",
        "verify-commit",
        "--repo",
        repo,
        "--roster",
        "roster.cbor",
        "--roster-pin",
        &pin,
        forged_id,
        &id,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    // Unreadable input: exit 2.
    assert_eq!(verify("roster.cbor", "no-such-rev").status.code(), Some(2));
    assert_eq!(verify("missing.cbor", &id).status.code(), Some(2));
}

// ---------------------------------------------------------------------------
// (e) attribution and claimed time: the author is the signer, and a date in
// a commit never keeps an ended key valid
// ---------------------------------------------------------------------------

/// A roster with Alice (key `alice`) and Bob (key `bob`), Bob's key
/// revoked (superseded) at `bob_revoked` when given.
fn two_person_roster(
    lab: &Lab,
    alice: &PublicKey,
    bob: &PublicKey,
    bob_revoked: Option<&str>,
    grandfathered: &[&str],
) -> (String, String) {
    let from: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let person = |who: &str, key: &PublicKey| Identity {
        id: format!("person:{who}@example.com").parse().unwrap(),
        display_name: who.into(),
        openpgp_keys: Vec::new(),
        proofs: vec![],
        keys: vec![RosterKey::new(key.clone(), from)],
    };
    let mut bob_identity = person("bob", bob);
    if let Some(at) = bob_revoked {
        bob_identity.keys[0].revoked = Some(vouch_manifest::Revocation {
            at: at.parse().unwrap(),
            reason: vouch_manifest::RevocationReason::Superseded,
        });
    }
    if !grandfathered.is_empty() {
        bob_identity.keys[0].grandfathered = Some(vouch_manifest::Grandfathered {
            statements: vec![],
            commits: grandfathered.iter().map(|c| c.parse().unwrap()).collect(),
        });
    }
    let name = format!(
        "roster-{}.cbor",
        grandfathered.len() + bob_revoked.map_or(0, |_| 10)
    );
    let (_, pin) = roster_of(lab, &name, vec![person("alice", alice), bob_identity]);
    (name, pin)
}

#[test]
fn e_the_author_must_be_the_signer_and_dates_are_claims() {
    if !tools_available() {
        return;
    }
    let lab = Lab::new("e");
    let (alice_key, alice) = lab.ssh_keygen("id_alice", "ed25519");
    let (bob_key, bob) = lab.ssh_keygen("id_bob", "ed25519");
    let repo = lab.repo();
    let repo = repo.to_str().unwrap();
    let verify = |(roster, pin): &(String, String), rev: &str, extra: &[&str]| {
        let mut args = vec![
            "git",
            "verify-commit",
            "--repo",
            repo,
            "--roster",
            roster,
            "--roster-pin",
            pin,
            "--no-roster-state",
        ];
        args.extend_from_slice(extra);
        args.push(rev);
        lab.vouch(&args)
    };
    // The lab's git writes Alice as author and committer.
    let by_alice = lab.commit(None, &alice_key, "by alice", "2026-03-01T12:00:00Z");
    let by_bob = lab.commit(None, &bob_key, "in alice's name", "2026-03-02T12:00:00Z");
    let roster = two_person_roster(&lab, &alice, &bob, None, &[]);
    let out = verify(&roster, &by_alice, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = verify(&roster, &by_bob, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(
            "authored by Alice Example <alice@example.com> (person:alice@example.com) \
             but signed by person:bob@example.com"
        ),
        "{}",
        text(&out)
    );

    // Bob's key superseded in June: a commit dated March is only the
    // committer's word, so it is refused unless the roster grandfathers it.
    let revoked = two_person_roster(&lab, &alice, &bob, Some("2026-06-01T00:00:00Z"), &[]);
    let out = verify(&revoked, &by_bob, &["--committer-may-sign"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("does not grandfather"),
        "{}",
        text(&out)
    );
    let kept = two_person_roster(&lab, &alice, &bob, Some("2026-06-01T00:00:00Z"), &[&by_bob]);
    let out = verify(&kept, &by_bob, &[]);
    // Grandfathered, but still not Alice's signature.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("but signed by"));
}
