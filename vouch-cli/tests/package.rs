//! `vouch attest release --archive` and `vouch package verify` on archives
//! made by stock `cargo package`, `npm pack` and `python -m build`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use vouch_test_support::packages;

/// A maintainer's roster and release policy in a scratch directory.
struct World {
    dir: tempfile::TempDir,
    pin: String,
}

/// One maintainer certifies a release (every policy has an image stage;
/// a release target does not use it).
const POLICY: &str = r#"
[image]
signers = { roles = ["builder"], threshold = 1 }

[release]
signers = { roles = ["maintainer"], threshold = 1 }
"#;

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let mut w = World {
            dir,
            pin: String::new(),
        };
        for k in ["root", "maya"] {
            w.ok(&["key", "generate", "--out", &format!("{k}.key")]);
        }
        w.ok(&[
            "roster",
            "init",
            "--name",
            "acme",
            "--root-key",
            "root.key.pub",
            "-o",
            "r.json",
        ]);
        let id = "person:maya@example.com";
        w.ok(&[
            "roster",
            "add-identity",
            "r.json",
            "--id",
            id,
            "--name",
            "Maya",
        ]);
        w.ok(&[
            "roster",
            "add-key",
            "r.json",
            "--id",
            id,
            "--pubkey",
            "maya.key.pub",
            "--valid-from",
            "2020-01-01T00:00:00Z",
        ]);
        w.ok(&[
            "roster",
            "grant",
            "r.json",
            "--role",
            "maintainer",
            "--id",
            id,
            "--valid-from",
            "2020-01-01T00:00:00Z",
        ]);
        let out = w.ok(&[
            "roster", "sign", "r.json", "--key", "root.key", "-o", "r.chain",
        ]);
        w.pin = sha256_word(&out);
        std::fs::write(w.path("policy.toml"), POLICY).unwrap();
        w
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_vouch"))
            .current_dir(self.dir.path())
            .args(args)
            .env_remove("VOUCH_PASSPHRASE")
            .env("VOUCH_ROSTER_STATE", self.path("state.json"))
            .env("XDG_STATE_HOME", self.path("xdg-state"))
            .env("HOME", self.path("home"))
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "vouch {args:?}:\n{}",
            text(&out)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn fails(&self, code: i32, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "vouch {args:?}:\n{}",
            text(&out)
        );
        text(&out)
    }

    /// Signs a release of `archive` (`--archive`, or other flags) into
    /// OUT and bundles it into OUT.bundle.
    fn release(&self, out: &str, flags: &[&str]) -> String {
        let mut args = vec![
            "attest",
            "release",
            "--package",
            "demo",
            "--version",
            "0.1.0",
            "--key",
            "maya.key",
            "-o",
            out,
        ];
        args.extend(flags);
        self.ok(&args);
        let bundle = format!("{out}.bundle");
        self.ok(&["bundle", "create", "-o", &bundle, out]);
        bundle
    }

    fn verify_args<'a>(&'a self, archive: &'a str, bundle: &'a str) -> Vec<&'a str> {
        vec![
            "package",
            "verify",
            archive,
            "--bundle",
            bundle,
            "--roster",
            "r.chain",
            "--roster-pin",
            &self.pin,
            "--policy",
            "policy.toml",
        ]
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn sha256_word(out: &str) -> String {
    out.split_whitespace()
        .find(|w| w.starts_with("sha256:"))
        .unwrap()
        .to_owned()
}

/// The value after `label` on its line of `package verify`'s output.
fn field<'a>(out: &'a str, label: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(label))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {label} line in:\n{out}"))
}

fn copy_in(w: &World, from: &Path) -> String {
    let name = from.file_name().unwrap().to_str().unwrap().to_owned();
    // npm packs into the world's directory itself: copying a file onto
    // itself would empty it.
    if from != w.path(&name) {
        std::fs::copy(from, w.path(&name)).unwrap();
    }
    name
}

#[test]
fn a_crate_verifies_against_its_archive_release() {
    let w = World::new();
    let src = w.path("demo");
    let krate = packages::cargo_package(&src, w.dir.path());
    let name = copy_in(&w, &krate);
    let bundle = w.release("rel.signed", &["--archive", &name]);

    let out = w.ok(&w.verify_args(&name, &bundle));
    let bytes = std::fs::read(w.path(&name)).unwrap();
    assert_eq!(
        field(&out, "sha256"),
        vouch_core::Digest::sha256(&bytes).hex()
    );
    assert!(field(&out, "sha512").starts_with("sha512-"), "{out}");
    assert!(
        field(&out, "format").starts_with("crate (top-level directory demo-0.1.0/"),
        "{out}"
    );
    assert!(out.contains("contents match release demo 0.1.0"), "{out}");
    // The release target, as `vouch verify` would name it.
    let release_target = format!("release:sha256:{}", field(&out, "sha256"));
    let verdict = w.ok(&[
        "verify",
        "--policy",
        "policy.toml",
        "--roster",
        "r.chain",
        "--roster-pin",
        &w.pin,
        "--bundle",
        &bundle,
        &release_target,
    ]);
    assert!(verdict.contains("demo 0.1.0"), "{verdict}");

    // The archive's contents are those of its unpacked directory, not of
    // the source directory: cargo rewrites Cargo.toml and adds files. A
    // directory release of the unpacked crate certifies the same contents
    // root; one of the source directory cannot.
    let unpacked = w.path("unpacked");
    packages::untar(&w.path(&name), &unpacked);
    let unpacked_root = sha256_word(&w.ok(&["digest", "unpacked/demo-0.1.0"]));
    assert_eq!(unpacked_root, field(&out, "contents"));
    let source_root = sha256_word(&w.ok(&["digest", "demo"]));
    assert_ne!(source_root, unpacked_root);
    // A directory release names no archive: the archive's digest finds nothing.
    let dir_bundle = w.release("dir.signed", &["--contents", "unpacked/demo-0.1.0"]);
    let refused = w.fails(1, &w.verify_args(&name, &dir_bundle));
    assert!(
        refused.contains("FAIL") || refused.contains("no release"),
        "{refused}"
    );

    // Another archive (one byte changed) is not the released one.
    let mut other = bytes.clone();
    let last = other.len() - 1;
    other[last] ^= 1;
    std::fs::write(w.path("other-0.1.0.crate"), &other).unwrap();
    w.fails(1, &w.verify_args("other-0.1.0.crate", &bundle));
}

#[test]
fn an_archive_release_with_other_contents_is_refused() {
    // A release that names the archive's digests but certifies other
    // files (made by hand from a draft): the chain passes, the contents
    // check does not, and names the first differing path.
    let w = World::new();
    let src = w.path("demo");
    let krate = packages::cargo_package(&src, w.dir.path());
    let name = copy_in(&w, &krate);
    let bytes = std::fs::read(w.path(&name)).unwrap();
    let p = vouch_package::Package::read(&bytes, Some(&name), &Default::default()).unwrap();
    let draft = serde_json::json!({ "archive": p.release_archive(name.clone()) });
    std::fs::write(w.path("draft.json"), draft.to_string()).unwrap();
    let bundle = w.release(
        "forged.signed",
        &["--from", "draft.json", "--contents", "demo"],
    );
    let refused = w.fails(1, &w.verify_args(&name, &bundle));
    assert!(
        refused.contains("is not the contents release demo 0.1.0 certifies"),
        "{refused}"
    );
    // Cargo added Cargo.lock, which the source directory lacks.
    assert!(refused.contains("first at Cargo.lock"), "{refused}");
}

#[test]
fn npm_and_python_archives_verify() {
    let w = World::new();
    if let Some((tgz, integrity)) = packages::npm_pack(&w.path("npm-src"), w.dir.path()) {
        let name = copy_in(&w, &tgz);
        let bundle = w.release("npm.signed", &["--archive", &name]);
        let out = w.ok(&w.verify_args(&name, &bundle));
        assert_eq!(field(&out, "sha512"), integrity, "npm's integrity");
        assert!(field(&out, "format").starts_with("npm (top-level directory package/"));
    }
    if let Some((sdist, wheel)) = packages::python_build(&w.path("py-src"), w.dir.path()) {
        for (archive, format) in [(sdist, "sdist"), (wheel, "wheel")] {
            let name = copy_in(&w, &archive);
            let bundle = w.release(&format!("{format}.signed"), &["--archive", &name]);
            let out = w.ok(&w.verify_args(&name, &bundle));
            assert!(field(&out, "format").starts_with(format), "{out}");
        }
    }
}

#[test]
fn hostile_and_unknown_archives() {
    let w = World::new();
    std::fs::write(w.path("notes.txt"), b"not an archive").unwrap();
    // A format that cannot be told is a usage error (exit 2).
    w.fails(
        2,
        &[
            "attest",
            "release",
            "--archive",
            "notes.txt",
            "--package",
            "x",
            "--version",
            "1",
            "--key",
            "maya.key",
            "-o",
            "x.signed",
        ],
    );
    // An unsafe archive is refused (exit 1), naming the member.
    let mut h = tar::Header::new_gnu();
    h.as_old_mut().name[..9].copy_from_slice(b"../escape");
    h.set_size(1);
    h.set_mode(0o644);
    h.set_cksum();
    let mut b = tar::Builder::new(Vec::new());
    b.append(&h, &b"x"[..]).unwrap();
    std::fs::write(w.path("evil.tar"), b.into_inner().unwrap()).unwrap();
    let refused = w.fails(
        1,
        &[
            "attest",
            "release",
            "--archive",
            "evil.tar",
            "--package",
            "x",
            "--version",
            "1",
            "--key",
            "maya.key",
            "-o",
            "x.signed",
        ],
    );
    assert!(refused.contains("../escape"), "{refused}");
    // --contents and --archive together make no sense.
    w.fails(
        2,
        &[
            "attest",
            "release",
            "--archive",
            "evil.tar",
            "--contents",
            ".",
            "--package",
            "x",
            "--version",
            "1",
            "--key",
            "maya.key",
            "-o",
            "x.signed",
        ],
    );
}
