//! `vouch_git::commit` on real commits made by stock git and signed by
//! stock `ssh-keygen` keys, in SHA-1 and SHA-256 repositories.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use vouch_core::{Algorithm, PublicKey, Timestamp};
use vouch_git::commit::{CommitObject, GitError, ObjectFormat, verify_commit};
use vouch_keys::FileKey;
use vouch_manifest::{
    GitObjectId, Identity, RootKeys, Roster, RosterChain, RosterError, RosterKey, Signed,
    Statement, TrustedRoster,
};
use vouch_test_support::git;

fn tools_available() -> bool {
    vouch_test_support::git::tools_available("git tests", "git commit verification")
}

/// A throw-away directory with a git repository and a HOME of its own.
struct Repo {
    root: PathBuf,
}

impl Repo {
    fn new(name: &str, format: ObjectFormat) -> Self {
        let root =
            std::env::temp_dir().join(format!("vouch-git-commit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("home")).unwrap();
        std::fs::create_dir_all(root.join("repo")).unwrap();
        let r = Repo { root };
        r.git(&["init", "-q", &format!("--object-format={}", format.name())]);
        r
    }

    fn repo(&self) -> PathBuf {
        self.root.join("repo")
    }

    fn path(&self, f: &str) -> PathBuf {
        self.root.join(f)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = git::command(&self.repo(), &self.root.join("home"), "UTC");
        c.env("GIT_CONFIG_GLOBAL", "/dev/null")
            .args(["-c", "commit.gpgsign=false"])
            .args(args);
        c
    }

    fn git(&self, args: &[&str]) -> Vec<u8> {
        self.git_at(args, "2026-03-01T12:00:00Z")
    }

    fn git_at(&self, args: &[&str], time: &str) -> Vec<u8> {
        let t: Timestamp = time.parse().unwrap();
        let date = format!("{} +0100", t.unix_seconds());
        let out = self
            .command(args)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Generates a key with ssh-keygen; returns its path and public key.
    fn keygen(&self, name: &str, kind: &str) -> (PathBuf, PublicKey) {
        let key = self.path(name);
        let line = git::ssh_keygen(&key, name, kind);
        (key, PublicKey::from_openssh(&line).unwrap())
    }

    /// Makes a commit signed with `key` at `time`; returns its id.
    fn signed_commit(&self, key: &Path, message: &str, time: &str) -> GitObjectId {
        let key = key.display().to_string();
        self.git_at(
            &[
                "-c",
                "gpg.format=ssh",
                "-c",
                &format!("user.signingkey={key}"),
                "commit",
                "-q",
                "--allow-empty",
                "-S",
                "-m",
                message,
            ],
            time,
        );
        self.head()
    }

    fn head(&self) -> GitObjectId {
        String::from_utf8(self.git(&["rev-parse", "HEAD"]))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    fn cat(&self, id: &GitObjectId) -> Vec<u8> {
        self.git(&["cat-file", "commit", id.as_str()])
    }

    /// Writes `raw` as a commit object; returns its id.
    fn hash_object(&self, raw: &[u8]) -> GitObjectId {
        use std::io::Write as _;
        let mut child = self
            .command(&[
                "hash-object",
                "-t",
                "commit",
                "-w",
                "--stdin",
                "--literally",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(raw).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }
}

impl Drop for Repo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A one-version roster trusting `keys` for Alice from `valid_from`.
fn roster(keys: &[&PublicKey], valid_from: &str) -> TrustedRoster {
    let root = FileKey::generate(Algorithm::Ed25519).unwrap();
    let roster = Roster {
        name: "example.com".into(),
        version: 1,
        expires: t("2099-01-01T00:00:00Z"),
        root: RootKeys {
            keys: vec![root.public_key().clone()],
            threshold: 1,
        },
        identities: vec![Identity {
            id: "person:alice@example.com".parse().unwrap(),
            display_name: "Alice".into(),
            openpgp_keys: Vec::new(),
            proofs: vec![],
            keys: keys
                .iter()
                .map(|k| RosterKey::new((*k).clone(), t(valid_from)))
                .collect(),
        }],
        roles: BTreeMap::new(),
        authenticators: Default::default(),
        tpm: Default::default(),
        witnesses: Default::default(),
        ci: Default::default(),
    };
    let signed = Signed::sign(&Statement::from_predicate(roster).unwrap(), &root).unwrap();
    let file = RosterChain::new(vec![signed]).to_bytes().unwrap();
    RosterChain::from_bytes(&file)
        .unwrap()
        .verify_insecure_unpinned(t("2026-11-01T00:00:00Z"))
        .unwrap()
}

#[test]
fn commits_signed_by_stock_git_verify() {
    if !tools_available() {
        return;
    }
    for format in [ObjectFormat::Sha1, ObjectFormat::Sha256] {
        let repo = Repo::new(&format!("ok-{format}"), format);
        let (ed_path, ed) = repo.keygen("id_ed25519", "ed25519");
        let (ec_path, ec) = repo.keygen("id_ecdsa", "ecdsa");
        let trusted = roster(&[&ed, &ec], "2026-01-01T00:00:00Z");

        let first = repo.signed_commit(&ed_path, "first\n\nwith a body\n", "2026-03-01T12:00:00Z");
        let second = repo.signed_commit(&ec_path, "second", "2026-03-02T08:30:00Z");
        assert_eq!(first.as_str().len(), format.hex_len());

        let raw = repo.cat(&first);
        let v = verify_commit(&raw, &first, &trusted).unwrap();
        assert_eq!(v.id(), &first);
        assert_eq!(v.signer().as_str(), "person:alice@example.com");
        assert_eq!(v.key_id(), ed.key_id());
        assert_eq!(v.public_key(), &ed);
        assert!(v.fido().is_none());
        assert_eq!(v.author().name, "Alice Example");
        assert_eq!(v.author().email, "alice@example.com");
        assert_eq!(v.committer().time, t("2026-03-01T12:00:00Z"));
        assert_eq!(v.committer().utc_offset_minutes, 60);
        assert!(v.parents().is_empty());
        let tree = String::from_utf8(repo.git(&["rev-parse", "HEAD^{tree}"])).unwrap();
        assert_eq!(v.tree().as_str(), tree.trim());
        assert_eq!(v.commit().message(), b"first\n\nwith a body\n");
        let predicate = v.to_predicate("https://git.example.com/shop.git");
        assert_eq!(predicate.commit_id, first);
        assert_eq!(predicate.signer.as_str(), "person:alice@example.com");

        let raw2 = repo.cat(&second);
        let v2 = verify_commit(&raw2, &second, &trusted).unwrap();
        assert_eq!(v2.key_id(), ec.key_id());
        assert_eq!(v2.parents(), std::slice::from_ref(&first));
        assert_eq!(v2.committer().time, t("2026-03-02T08:30:00Z"));

        // The payload is what git signs: git's header name for this format,
        // and the object without it hashes as git would hash the unsigned commit.
        let c = CommitObject::parse(&raw, format).unwrap();
        let header = format!(
            "\n{} -----BEGIN SSH SIGNATURE-----\n",
            format.signature_header()
        );
        assert!(
            String::from_utf8_lossy(&raw).contains(&header),
            "{}",
            String::from_utf8_lossy(&raw)
        );
        assert!(!c.payload().windows(6).any(|w| w == b"gpgsig"));
        assert!(
            c.signature()
                .unwrap()
                .starts_with(b"-----BEGIN SSH SIGNATURE-----\n")
        );
        assert!(
            c.signature()
                .unwrap()
                .ends_with(b"-----END SSH SIGNATURE-----\n")
        );
    }
}

#[test]
fn refusals_are_typed() {
    if !tools_available() {
        return;
    }
    let repo = Repo::new("refusals", ObjectFormat::Sha1);
    let (key_path, key) = repo.keygen("id_ed25519", "ed25519");
    let (_, stranger) = repo.keygen("id_other", "ed25519");
    let id = repo.signed_commit(&key_path, "signed", "2026-03-01T12:00:00Z");
    let raw = repo.cat(&id);
    let trusted = roster(&[&key], "2026-01-01T00:00:00Z");

    // Altered bytes under the original id.
    let tampered = String::from_utf8(raw.clone())
        .unwrap()
        .replace("signed", "signeD");
    assert!(matches!(
        verify_commit(tampered.as_bytes(), &id, &trusted),
        Err(GitError::IdMismatch { .. })
    ));
    // Altered bytes under their own (new) id: the signature no longer covers them.
    let new_id = repo.hash_object(tampered.as_bytes());
    match verify_commit(tampered.as_bytes(), &new_id, &trusted) {
        Err(GitError::BadSignature { id, .. }) => assert_eq!(id, new_id),
        other => panic!("{other:?}"),
    }
    // A key the roster does not have.
    match verify_commit(&raw, &id, &roster(&[&stranger], "2026-01-01T00:00:00Z")) {
        Err(GitError::UnknownKey { key_id, .. }) => assert_eq!(key_id, key.key_id()),
        other => panic!("{other:?}"),
    }
    // A key that became valid after the commit.
    match verify_commit(&raw, &id, &roster(&[&key], "2026-06-01T00:00:00Z")) {
        Err(GitError::KeyNotValid { source, at, .. }) => {
            assert!(matches!(*source, RosterError::NotYetValid { .. }));
            assert_eq!(at, t("2026-03-01T12:00:00Z"));
        }
        other => panic!("{other:?}"),
    }
    // Unsigned.
    repo.git(&["commit", "-q", "--allow-empty", "-m", "unsigned"]);
    let unsigned = repo.head();
    assert!(matches!(
        verify_commit(&repo.cat(&unsigned), &unsigned, &trusted),
        Err(GitError::Unsigned(_))
    ));
    // An OpenPGP signature header.
    let pgp = String::from_utf8(repo.cat(&unsigned)).unwrap().replacen(
        "\n\n",
        "\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n iQ==\n -----END PGP SIGNATURE-----\n\n",
        1,
    );
    let pgp_id = repo.hash_object(pgp.as_bytes());
    assert!(matches!(
        verify_commit(pgp.as_bytes(), &pgp_id, &trusted),
        Err(GitError::NotSsh {
            format: "OpenPGP",
            ..
        })
    ));
    // Two signature headers: git would join them; vouch refuses.
    let sig_block: String = String::from_utf8(raw.clone())
        .unwrap()
        .lines()
        .skip_while(|l| !l.starts_with("gpgsig "))
        .take_while(|l| l.starts_with("gpgsig ") || l.starts_with(' '))
        .map(|l| format!("{l}\n"))
        .collect();
    let twice = String::from_utf8(raw.clone()).unwrap().replacen(
        &sig_block,
        &format!("{sig_block}{sig_block}"),
        1,
    );
    let twice_id = repo.hash_object(twice.as_bytes());
    assert!(matches!(
        verify_commit(twice.as_bytes(), &twice_id, &trusted),
        Err(GitError::MultipleSignatures { .. })
    ));
    // The SHA-256 reading of a SHA-1 object is refused (ids do not fit).
    assert!(CommitObject::parse(&raw, ObjectFormat::Sha256).is_err());
}

/// Git verifies what vouch's parser reads as the payload: stock
/// `git verify-commit` and vouch agree on a commit with extra headers.
#[test]
fn git_and_vouch_agree_on_the_payload() {
    if !tools_available() {
        return;
    }
    let repo = Repo::new("agree", ObjectFormat::Sha1);
    let (key_path, key) = repo.keygen("id_ed25519", "ed25519");
    // An encoding header, and a message that itself contains "gpgsig" lines.
    repo.git_at(
        &[
            "-c",
            "gpg.format=ssh",
            "-c",
            &format!("user.signingkey={}", key_path.display()),
            "-c",
            "i18n.commitEncoding=ISO-8859-1",
            "commit",
            "-q",
            "--allow-empty",
            "-S",
            "-m",
            "subject\n\ngpgsig in the body\n gpgsig indented\n",
        ],
        "2026-03-01T12:00:00Z",
    );
    let id = repo.head();
    let raw = repo.cat(&id);
    assert!(String::from_utf8_lossy(&raw).contains("\nencoding ISO-8859-1\n"));
    let allowed = repo.path("allowed_signers");
    std::fs::write(
        &allowed,
        format!("alice@example.com {}\n", key.to_openssh()),
    )
    .unwrap();
    let out = repo
        .command(&[
            "-c",
            &format!("gpg.ssh.allowedSignersFile={}", allowed.display()),
            "verify-commit",
            id.as_str(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = verify_commit(&raw, &id, &roster(&[&key], "2026-01-01T00:00:00Z")).unwrap();
    assert!(v.commit().message().ends_with(b" gpgsig indented\n"));
}
