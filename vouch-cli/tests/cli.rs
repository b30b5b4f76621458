//! The `vouch` binary, driven as a shell user would: every command's happy
//! path, the exit codes, key file modes, the three public key formats, and a
//! whole chain made with CLI commands only (then tampered with).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A scratch directory, removed when the test ends.
struct Sandbox {
    dir: PathBuf,
}

impl Sandbox {
    fn new(name: &str) -> Sandbox {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "vouch-cli-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Sandbox { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    /// Runs `vouch` in the sandbox, without VOUCH_PASSPHRASE from outside.
    fn run(&self, args: &[&str]) -> Output {
        self.run_env(args, &[])
    }

    /// Runs `vouch` with `env` set. The roster state defaults to a file of
    /// the sandbox (VOUCH_ROSTER_STATE), and HOME and XDG_STATE_HOME point
    /// into it too: no test touches the real home directory.
    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vouch"));
        cmd.current_dir(&self.dir)
            .args(args)
            .env_remove("VOUCH_PASSPHRASE")
            .env("VOUCH_ROSTER_STATE", self.path("default-state.json"))
            .env("XDG_STATE_HOME", self.path("xdg-state"))
            .env("HOME", self.path("home"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    /// Runs `vouch` and expects exit 0; returns standard output.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(code(&out), 0, "vouch {args:?} failed:\n{}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs `vouch` and expects exit `expected`; returns stdout and stderr.
    fn fails(&self, expected: i32, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(code(&out), expected, "vouch {args:?}:\n{}", text(&out));
        text(&out)
    }

    /// Generates an Ed25519 key NAME.key (and NAME.key.pub).
    fn key(&self, name: &str) {
        self.ok(&["key", "generate", "--out", &format!("{name}.key")]);
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn text(out: &Output) -> String {
    format!(
        "--- stdout\n{}--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The first word of the first line: a digest that `attest` or `digest` printed.
fn first_word(s: &str) -> String {
    s.split_whitespace().next().unwrap().to_owned()
}

/// Flips one bit `from_end` bytes before the end of a file.
fn flip(path: &Path, from_end: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    let i = bytes.len() - from_end;
    bytes[i] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn key_generate_and_show() {
    let s = Sandbox::new("keys");
    for alg in ["ed25519", "p256"] {
        let out = s.ok(&["key", "generate", "--algorithm", alg, "--out", alg]);
        assert!(out.contains("key id "), "{out}");
        #[cfg(unix)]
        assert_eq!(mode(&s.path(alg)), 0o600);
        let public = String::from_utf8(s.read(&format!("{alg}.pub"))).unwrap();
        let key = vouch_core::PublicKey::from_openssh(public.trim()).unwrap();
        let shown = s.ok(&["key", "show", &format!("file:{alg}")]);
        assert!(shown.contains(&key.key_id().to_string()), "{shown}");
        assert!(shown.contains("evidence     none"), "{shown}");
        // A bare path means file:PATH; --json has the same facts.
        let json: serde_json::Value =
            serde_json::from_str(&s.ok(&["key", "show", alg, "--json"])).unwrap();
        assert_eq!(json["keyId"], key.key_id().to_string());
        assert_eq!(json["publicKey"], key.to_openssh());
        assert_eq!(json["evidence"], "none");
        assert_eq!(
            json["algorithm"],
            if alg == "p256" { "es256" } else { "ed25519" }
        );
    }
    // Never overwrites.
    let e = s.fails(2, &["key", "generate", "--out", "ed25519"]);
    assert!(e.contains("already exists"), "{e}");
    // An unknown algorithm is a usage error.
    s.fails(2, &["key", "generate", "--algorithm", "rsa", "--out", "x"]);
}

#[test]
fn passphrases_come_from_a_file_or_the_environment() {
    let s = Sandbox::new("pass");
    s.write("pass.txt", "correct horse\n");
    s.ok(&[
        "key",
        "generate",
        "--out",
        "enc.key",
        "--passphrase-file",
        "pass.txt",
    ]);
    let e = s.fails(2, &["key", "show", "enc.key"]);
    assert!(e.contains("--passphrase-file"), "{e}");
    s.ok(&["key", "show", "enc.key", "--passphrase-file", "pass.txt"]);
    let out = s.run_env(
        &["key", "show", "enc.key"],
        &[("VOUCH_PASSPHRASE", "correct horse")],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = s.run_env(
        &["key", "show", "enc.key"],
        &[("VOUCH_PASSPHRASE", "wrong")],
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    // There is no flag that takes the passphrase itself.
    s.fails(2, &["key", "show", "enc.key", "--passphrase", "x"]);
}

#[test]
fn digests_and_tree_manifests() {
    let s = Sandbox::new("digest");
    s.write("tree/a.txt", "hello world");
    s.write("tree/sub/b.txt", "b");
    s.write("tree/.git/HEAD", "ref: x");
    s.write("tree/target/junk", "x");
    let out = s.ok(&["digest", "tree/a.txt"]);
    assert_eq!(
        out,
        "sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9  tree/a.txt\n"
    );
    let dir = first_word(&s.ok(&["digest", "tree", "--ignore", "target"]));
    // The manifest's root is the directory digest; JSON on stdout by default.
    let json: serde_json::Value =
        serde_json::from_str(&s.ok(&["manifest", "tree", "tree", "--ignore", "target"])).unwrap();
    assert_eq!(json["root"], dir.as_str());
    let paths: Vec<&str> = json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["a.txt", "sub/b.txt"]);
    // Canonical CBOR with -o; --include-git changes the root.
    let out = s.ok(&[
        "manifest", "tree", "tree", "--ignore", "target", "-o", "m.cbor",
    ]);
    assert!(out.starts_with(&dir), "{out}");
    let m = vouch_manifest::tree::TreeManifest::from_canonical_bytes(&s.read("m.cbor")).unwrap();
    assert_eq!(m.root().to_string(), dir);
    let with_git = first_word(&s.ok(&["digest", "tree", "--ignore", "target", "--include-git"]));
    assert_ne!(with_git, dir);
    let e = s.fails(2, &["digest", "missing.txt"]);
    assert!(e.contains("cannot read missing.txt"), "{e}");
}

#[test]
fn cose_envelopes_with_every_public_key_format() {
    let s = Sandbox::new("cose");
    s.ok(&["key", "generate", "--algorithm", "p256", "--out", "k"]);
    s.key("other");
    s.write("payload.txt", "release v1.0\n");
    s.ok(&[
        "envelope",
        "sign",
        "--key",
        "file:k",
        "--content-type",
        "text/plain",
        "payload.txt",
        "-o",
        "p.cose",
    ]);
    let line = String::from_utf8(s.read("k.pub")).unwrap();
    let key = vouch_core::PublicKey::from_openssh(line.trim()).unwrap();
    s.write("k.pem", key.to_spki_pem().unwrap());
    s.write("k.cose_key", key.to_cose_key());
    let inline = key.to_openssh();
    for public in ["k.pub", "k.pem", "k.cose_key", inline.as_str()] {
        let out = s.ok(&["envelope", "verify", "--pubkey", public, "p.cose"]);
        assert!(out.contains(&key.key_id().to_string()), "{out}");
        assert!(out.contains("payload 13 bytes"), "{out}");
        assert!(out.contains("text/plain"), "{out}");
    }
    s.ok(&[
        "envelope",
        "verify",
        "--pubkey",
        "k.pem",
        "p.cose",
        "--payload-out",
        "back.txt",
    ]);
    assert_eq!(s.read("back.txt"), b"release v1.0\n");
    // Another key: refused (1).
    let e = s.fails(
        1,
        &["envelope", "verify", "--pubkey", "other.key.pub", "p.cose"],
    );
    assert!(e.contains("refused"), "{e}");
    // A tampered payload: refused (1). The payload sits before the 64-byte signature.
    std::fs::copy(s.path("p.cose"), s.path("bad.cose")).unwrap();
    flip(&s.path("bad.cose"), 70);
    s.fails(1, &["envelope", "verify", "--pubkey", "k.pub", "bad.cose"]);
    // Missing file, unparsable key, bad flag: usage (2).
    s.fails(2, &["envelope", "verify", "--pubkey", "k.pub", "nope.cose"]);
    s.fails(
        2,
        &["envelope", "verify", "--pubkey", "payload.txt", "p.cose"],
    );
    s.fails(
        2,
        &[
            "envelope", "verify", "--pubkey", "k.pub", "p.cose", "--bogus",
        ],
    );
    s.fails(
        2,
        &[
            "envelope",
            "sign",
            "--key",
            "tpm:1",
            "payload.txt",
            "-o",
            "x",
        ],
    );
}

#[test]
fn dsse_envelopes() {
    let s = Sandbox::new("dsse");
    s.key("k");
    s.write(
        "statement.json",
        r#"{"_type":"https://in-toto.io/Statement/v1"}"#,
    );
    s.ok(&[
        "dsse",
        "sign",
        "--key",
        "k.key",
        "--payload-type",
        "application/vnd.in-toto+json",
        "statement.json",
        "-o",
        "s.dsse",
    ]);
    let envelope: serde_json::Value = serde_json::from_slice(&s.read("s.dsse")).unwrap();
    assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");
    let out = s.ok(&[
        "dsse",
        "verify",
        "--pubkey",
        "k.key.pub",
        "s.dsse",
        "--payload-type",
        "application/vnd.in-toto+json",
        "--payload-out",
        "back.json",
    ]);
    assert!(out.contains("verified"), "{out}");
    assert_eq!(s.read("back.json"), s.read("statement.json"));
    s.fails(
        1,
        &[
            "dsse",
            "verify",
            "--pubkey",
            "k.key.pub",
            "s.dsse",
            "--payload-type",
            "text/plain",
        ],
    );
    // A tampered signature: refused (1).
    let tampered =
        String::from_utf8(s.read("s.dsse"))
            .unwrap()
            .replacen("\"sig\":\"", "\"sig\":\"AAAA", 1);
    s.write("bad.dsse", tampered);
    s.fails(1, &["dsse", "verify", "--pubkey", "k.key.pub", "bad.dsse"]);
}

#[test]
fn help_documents_exit_codes_everywhere() {
    let s = Sandbox::new("help");
    for args in [
        vec!["--help"],
        vec!["verify", "--help"],
        vec!["roster", "sign", "--help"],
        vec!["attest", "release", "--help"],
        vec!["cosign", "--help"],
    ] {
        let out = s.ok(&args);
        assert!(out.contains("Exit codes:"), "{args:?}: {out}");
        assert!(out.contains("verification refused"), "{args:?}: {out}");
    }
    let out = s.ok(&["roster", "--help"]);
    assert!(out.contains("init --from"), "{out}");
    // No command at all, or an unknown one: usage (2).
    s.fails(2, &[]);
    s.fails(2, &["frobnicate"]);
}

/// Writes a roster draft of one root key, signs it, and returns its digest.
fn one_root_roster(s: &Sandbox) -> String {
    s.key("root");
    s.key("alice");
    s.ok(&[
        "roster",
        "init",
        "--name",
        "acme",
        "--root-key",
        "root.key.pub",
        "-o",
        "r.toml",
    ]);
    s.ok(&[
        "roster",
        "add-identity",
        "r.toml",
        "--id",
        "person:alice@example.com",
        "--name",
        "Alice",
        "--email",
        "alice@example.com",
        "--oidc",
        "https://issuer.example.com",
        "alice",
    ]);
    s.ok(&[
        "roster",
        "add-key",
        "r.toml",
        "--id",
        "person:alice@example.com",
        "--pubkey",
        "alice.key.pub",
    ]);
    s.ok(&[
        "roster",
        "grant",
        "r.toml",
        "--role",
        "maintainer",
        "--id",
        "person:alice@example.com",
    ]);
    let out = s.ok(&[
        "roster", "sign", "r.toml", "--key", "root.key", "-o", "r.chain",
    ]);
    assert!(out.contains("the chain verifies"), "{out}");
    out.split_whitespace()
        .find(|w| w.starts_with("sha256:"))
        .unwrap()
        .to_owned()
}

#[test]
fn roster_draft_edits_and_refusals() {
    let s = Sandbox::new("roster-edit");
    let v1 = one_root_roster(&s);
    // The TOML draft is readable text with what the commands put in.
    let toml = String::from_utf8(s.read("r.toml")).unwrap();
    assert!(toml.contains("person:alice@example.com"), "{toml}");
    assert!(toml.contains("https://issuer.example.com"), "{toml}");
    // Edits that break the roster are refused, the draft stays as it was.
    let e = s.fails(
        2,
        &[
            "roster",
            "grant",
            "r.toml",
            "--role",
            "x",
            "--id",
            "person:nobody@example.com",
        ],
    );
    assert!(e.contains("no identity person:nobody@example.com"), "{e}");
    s.fails(
        2,
        &[
            "roster",
            "add-identity",
            "r.toml",
            "--id",
            "person:alice@example.com",
            "--name",
            "A",
        ],
    );
    s.fails(
        2,
        &[
            "roster",
            "add-identity",
            "r.toml",
            "--id",
            "alice",
            "--name",
            "A",
        ],
    );
    s.fails(
        2,
        &[
            "roster",
            "add-key",
            "r.toml",
            "--id",
            "person:alice@example.com",
            "--pubkey",
            "alice.key.pub",
        ],
    );
    assert_eq!(String::from_utf8(s.read("r.toml")).unwrap(), toml);
    // Signing the same version twice with one key is refused; a non-root key too.
    s.fails(
        2,
        &[
            "roster", "sign", "r.toml", "--key", "root.key", "--chain", "r.chain", "-o", "r.chain",
        ],
    );
    s.fails(
        2,
        &[
            "roster",
            "sign",
            "r.toml",
            "--key",
            "alice.key",
            "--chain",
            "r.chain",
            "-o",
            "r.chain",
        ],
    );
    // Without --chain, an existing output is not overwritten.
    let e = s.fails(
        2,
        &[
            "roster", "sign", "r.toml", "--key", "root.key", "-o", "r.chain",
        ],
    );
    assert!(e.contains("--chain"), "{e}");
    // Verify: text, JSON, pin.
    let out = s.ok(&["roster", "verify", "r.chain", "--pin", &v1]);
    assert!(out.contains("roster acme v1: verified"), "{out}");
    assert!(
        out.contains("maintainer: person:alice@example.com"),
        "{out}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&s.ok(&["roster", "verify", "r.chain", "--json"])).unwrap();
    assert_eq!(json["verified"], true);
    assert_eq!(json["digest"], v1.as_str());
    assert_eq!(json["roster"]["identities"][0]["displayName"], "Alice");
    let wrong = vouch_core::Digest::sha256(b"x").to_string();
    let e = s.fails(1, &["roster", "verify", "r.chain", "--pin", &wrong]);
    assert!(e.contains("does not match the pinned"), "{e}");
    let out = s.fails(
        1,
        &["roster", "verify", "r.chain", "--pin", &wrong, "--json"],
    );
    assert!(out.contains("\"verified\": false"), "{out}");
    // A tampered chain is refused.
    std::fs::copy(s.path("r.chain"), s.path("bad.chain")).unwrap();
    flip(&s.path("bad.chain"), 1);
    s.fails(1, &["roster", "verify", "bad.chain"]);
    s.fails(2, &["roster", "verify", "missing.chain"]);
}

/// Strings a roster's authors chose reach the terminal escaped: a display
/// name that clears the screen and rewrites the line, a bidi override, an
/// email with a line feed. (Identity ids refuse such characters outright.)
#[test]
fn roster_verify_escapes_the_roster_text() {
    let s = Sandbox::new("roster-escape");
    s.key("root");
    let out = s.ok(&[
        "roster",
        "init",
        "--name",
        "acme\x1b]0;pwned\x07",
        "--root-key",
        "root.key.pub",
        "-o",
        "r.json",
    ]);
    assert!(out.contains(r"roster acme\u{1b}]0;pwned\u{7} v1"), "{out}");
    // An id with a bidi override is not an id at all.
    let e = s.fails(
        2,
        &[
            "roster",
            "add-identity",
            "r.json",
            "--id",
            "person:eve\u{202e}moc.elpmaxe@",
            "--name",
            "Eve",
        ],
    );
    assert!(e.contains("invalid identity id"), "{e}");
    let id = "person:eve@example.com";
    s.ok(&[
        "roster",
        "add-identity",
        "r.json",
        "--id",
        id,
        "--name",
        "Eve\x1b[2J\rverdict: PASS\u{202e}",
        "--email",
        "eve@example.com",
        "--oidc",
        "https://issuer.example.com\u{200b}",
        "eve\t",
    ]);
    s.ok(&[
        "roster",
        "grant",
        "r.json",
        "--role",
        "maintainer",
        "--id",
        id,
    ]);
    s.ok(&[
        "roster", "sign", "r.json", "--key", "root.key", "-o", "r.chain",
    ]);
    let out = s.ok(&["roster", "verify", "r.chain"]);
    for bad in ['\x1b', '\r', '\x07', '\u{202e}', '\u{200b}', '\t'] {
        assert!(!out.contains(bad), "raw {bad:?} in:\n{out}");
    }
    assert!(
        out.contains(r"roster acme\u{1b}]0;pwned\u{7} v1: verified"),
        "{out}"
    );
    assert!(
        out.contains(r#"  person:eve@example.com "Eve\u{1b}[2J\u{d}verdict: PASS\u{202e}""#),
        "{out}"
    );
    assert!(
        out.contains(r"    oidc https://issuer.example.com\u{200b} eve\u{9}"),
        "{out}"
    );
    assert!(
        out.contains(r"  maintainer: person:eve@example.com (from "),
        "{out}"
    );
    // An email with a line feed is refused by the roster check itself.
    let e = s.fails(
        2,
        &[
            "roster",
            "add-identity",
            "r.json",
            "--id",
            "person:mallory@example.com",
            "--name",
            "Mallory",
            "--email",
            "mallory@example.com\nemail alice@example.com",
        ],
    );
    assert!(e.contains(r"\n"), "{e}");
    // The JSON form keeps the exact text (JSON escapes it by itself).
    let json: serde_json::Value =
        serde_json::from_str(&s.ok(&["roster", "verify", "r.chain", "--json"])).unwrap();
    assert_eq!(
        json["roster"]["identities"][0]["displayName"],
        "Eve\x1b[2J\rverdict: PASS\u{202e}"
    );
}

#[test]
fn roster_rotation_needs_old_and_new_root_keys() {
    let s = Sandbox::new("roster-rotate");
    let v1 = one_root_roster(&s);
    s.key("root2");
    // Version 2 from the chain, with a new root key replacing the old one.
    s.ok(&[
        "roster",
        "init",
        "--from",
        "r.chain",
        "--root-key",
        "root2.key.pub",
        "-o",
        "v2.json",
    ]);
    let alice = {
        let line = String::from_utf8(s.read("alice.key.pub")).unwrap();
        vouch_core::PublicKey::from_openssh(line.trim())
            .unwrap()
            .key_id()
            .to_string()
    };
    s.ok(&[
        "roster",
        "revoke",
        "v2.json",
        "--key",
        &alice,
        "--at",
        "2030-01-01T00:00:00Z",
        "--reason",
        "superseded",
    ]);
    let draft: serde_json::Value = serde_json::from_slice(&s.read("v2.json")).unwrap();
    assert_eq!(draft["version"], 2);
    assert_eq!(
        draft["identities"][0]["keys"][0]["revoked"]["reason"],
        "superseded"
    );
    // The new root alone is not enough: the old root must sign the rotation.
    let out = s.ok(&[
        "roster",
        "sign",
        "v2.json",
        "--key",
        "root2.key",
        "--chain",
        "r.chain",
        "-o",
        "r.chain",
    ]);
    assert!(out.contains("does not verify yet"), "{out}");
    s.fails(1, &["roster", "verify", "r.chain", "--pin", &v1]);
    let out = s.ok(&[
        "roster", "sign", "v2.json", "--key", "root.key", "--chain", "r.chain", "-o", "r.chain",
    ]);
    assert!(
        out.contains("the chain verifies: newest trusted version v2"),
        "{out}"
    );
    let out = s.ok(&["roster", "verify", "r.chain", "--pin", &v1]);
    assert!(out.contains("acme v2: verified (2 version(s)"), "{out}");
    assert!(
        out.contains("REVOKED at 2030-01-01T00:00:00Z (superseded)"),
        "{out}"
    );
    // A draft that skips a version is refused.
    s.ok(&["roster", "init", "--from", "r.chain", "-o", "v3.json"]);
    let v4 = String::from_utf8(s.read("v3.json"))
        .unwrap()
        .replace("\"version\": 3", "\"version\": 4");
    s.write("v4.json", v4);
    let e = s.fails(
        2,
        &[
            "roster",
            "sign",
            "v4.json",
            "--key",
            "root2.key",
            "--chain",
            "r.chain",
            "-o",
            "r.chain",
        ],
    );
    assert!(e.contains("newest version is v2"), "{e}");
}

#[test]
fn cosign_in_place_and_to_a_new_file() {
    let s = Sandbox::new("cosign");
    s.key("a");
    s.key("b");
    s.key("c");
    let out = s.ok(&[
        "attest",
        "approve",
        "--statement",
        &vouch_core::Digest::sha256(b"d").to_string(),
        "--role",
        "authorize",
        "--id",
        "person:a@example.com",
        "--key",
        "a.key",
        "-o",
        "ap.signed",
    ]);
    let digest = first_word(&out);
    let out = s.ok(&["cosign", "ap.signed", "--key", "b.key"]);
    assert!(out.contains("(2 signatures)"), "{out}");
    assert_eq!(first_word(&out), digest);
    let out = s.ok(&["cosign", "ap.signed", "--key", "c.key", "-o", "ap3.signed"]);
    assert!(out.contains("(3 signatures)"), "{out}");
    let signed = vouch_core::cose::Sign::from_bytes(&s.read("ap.signed")).unwrap();
    assert_eq!(signed.signature_count(), 2);
    assert_eq!(
        first_word(&s.ok(&["digest", "--statement", "ap3.signed"])),
        digest
    );
    let e = s.fails(2, &["cosign", "ap.signed", "--key", "b.key"]);
    assert!(e.contains("already signed"), "{e}");
    s.write("junk", "not an envelope");
    s.fails(2, &["cosign", "junk", "--key", "b.key"]);
}

/// A staging deployment draft for `image`, as `attest deploy --from` reads it.
fn deploy_draft(image: &str) -> String {
    format!(
        "environment = \"staging\"\nimage = \"{image}\"\nteam = \"payments\"\n\
         deployer = \"workload:ci/deploy\"\ntriggeredBy = \"person:a@example.com\"\n\
         authorizedBy = [\"person:b@example.com\"]\n\
         [target]\ncluster = \"c\"\nnamespace = \"n\"\nservice = \"s\"\n\
         [pipeline]\nrunId = \"1\"\nurl = \"https://ci.example.com/1\"\n"
    )
}

#[test]
fn attest_from_a_predicate_file_with_flags_over_it() {
    let s = Sandbox::new("from");
    s.key("k");
    let image = vouch_core::Digest::sha256(b"image").to_string();
    s.write("deploy.toml", deploy_draft(&image));
    s.ok(&[
        "attest",
        "deploy",
        "--from",
        "deploy.toml",
        "--environment",
        "production",
        "--key",
        "k.key",
        "-o",
        "d.signed",
    ]);
    let signed =
        vouch_manifest::Signed::<vouch_manifest::Deployment>::from_bytes(&s.read("d.signed"))
            .unwrap();
    let d = signed.unverified().predicate();
    assert_eq!(d.environment, "production");
    assert_eq!(d.target.service, "s");
    // A missing field is named.
    let e = s.fails(
        2,
        &[
            "attest",
            "deploy",
            "--environment",
            "x",
            "--key",
            "k.key",
            "-o",
            "x",
        ],
    );
    assert!(
        e.contains(
            "the deployment predicate is missing target.cluster \
             (give --cluster or set it in --from)"
        ),
        "{e}"
    );
    // A nested table of --from and the flags for its other fields merge.
    s.write(
        "partial.json",
        format!(
            "{{\"image\": \"{image}\", \"team\": \"payments\", \
             \"target\": {{\"cluster\": \"c\", \"namespace\": \"n\"}}}}"
        ),
    );
    let mut merged = vec![
        "attest",
        "deploy",
        "--from",
        "partial.json",
        "--environment",
        "staging",
        "--service",
        "s2",
        "--deployer",
        "workload:ci/deploy",
        "--run-id",
        "2",
        "--triggered-by",
        "person:a@example.com",
        "--authorized-by",
        "person:b@example.com",
        "--key",
        "k.key",
        "-o",
        "d2.signed",
    ];
    // Without the run URL, the missing field is named with its flag.
    let e = s.fails(2, &merged);
    assert!(
        e.contains(
            "the deployment predicate is missing pipeline.url \
             (give --run-url or set it in --from)"
        ),
        "{e}"
    );
    merged.splice(2..2, ["--run-url", "https://ci.example.com/2"]);
    s.ok(&merged);
    let signed =
        vouch_manifest::Signed::<vouch_manifest::Deployment>::from_bytes(&s.read("d2.signed"))
            .unwrap();
    let d = signed.unverified().predicate();
    assert_eq!(
        (
            d.target.cluster.as_str(),
            d.target.namespace.as_str(),
            d.target.service.as_str()
        ),
        ("c", "n", "s2")
    );
    assert_eq!(d.pipeline.url, "https://ci.example.com/2");
    // An unknown field in --from is refused, named.
    s.write("typo.toml", "environment = \"x\"\nteem = \"payments\"\n");
    let e = s.fails(
        2,
        &[
            "attest",
            "deploy",
            "--from",
            "typo.toml",
            "--key",
            "k.key",
            "-o",
            "x",
        ],
    );
    assert!(e.contains("teem"), "{e}");
    // Image builders must be workloads: the library's check reaches the user.
    let e = s.fails(
        2,
        &[
            "attest",
            "image",
            "--name",
            "r/x",
            "--image",
            &image,
            "--config",
            &image,
            "--builder",
            "person:a@example.com",
            "--invocation-id",
            "1",
            "--key",
            "k.key",
            "-o",
            "i",
        ],
    );
    assert!(e.contains("workload"), "{e}");
}

/// Runs git with a configuration that ignores the user's.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Alice")
        .env("GIT_AUTHOR_EMAIL", "alice@example.com")
        .env("GIT_COMMITTER_NAME", "Alice")
        .env("GIT_COMMITTER_EMAIL", "alice@example.com")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

const SBOM: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5",
  "components": [{"name": "serde", "version": "1.0.228", "purl": "pkg:cargo/serde@1.0.228"}]}"#;

#[test]
fn a_whole_chain_made_with_the_cli() {
    let s = Sandbox::new("chain");
    let repo = s.path("shop");
    s.write("shop/src/main.rs", "fn main() {}\n");
    if git(&repo, &["init", "-q"]).is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "git init failed; CI=true forbids skipping the whole-chain test"
        );
        eprintln!("SKIP: git is not installed; the whole-chain test not run");
        return;
    }
    git(&repo, &["add", "."]).unwrap();
    git(&repo, &["commit", "-q", "-m", "First commit"]).unwrap();
    let commit = git(&repo, &["rev-parse", "HEAD"]).unwrap();

    // Keys and the roster: two root keys, threshold 2. Alice signs through
    // a software FIDO authenticator, so her signatures show user presence.
    for k in [
        "root1", "root2", "alice", "bob", "carol", "erin", "builder", "deployer", "verifier",
    ] {
        s.key(k);
    }
    let shown = s.ok(&["key", "show", "soft-fido:alice.key"]);
    assert!(
        shown.contains("evidence     fido (application ssh:)"),
        "{shown}"
    );
    let line = s.ok(&["key", "show", "soft-fido:alice.key", "--openssh"]);
    assert!(line.starts_with("sk-ssh-ed25519@openssh.com "), "{line}");
    s.write("alice.fido.pub", line);
    s.ok(&[
        "roster",
        "init",
        "--name",
        "acme",
        "--root-key",
        "root1.key.pub",
        "--root-key",
        "root2.key.pub",
        "--threshold",
        "2",
        "-o",
        "roster.json",
    ]);
    let people = [
        ("person:alice@example.com", "Alice", "alice", "developer"),
        ("person:bob@example.com", "Bob", "bob", "maintainer"),
        ("person:carol@example.com", "Carol", "carol", "maintainer"),
        ("person:erin@example.com", "Erin", "erin", "approver"),
        ("workload:ci/build", "CI builder", "builder", "builder"),
        ("workload:ci/deploy", "CI deployer", "deployer", "deployer"),
    ];
    for (id, name, key, role) in people {
        s.ok(&[
            "roster",
            "add-identity",
            "roster.json",
            "--id",
            id,
            "--name",
            name,
        ]);
        let pubkey = if key == "alice" {
            "alice.fido.pub".to_owned()
        } else {
            format!("{key}.key.pub")
        };
        let mut add = vec![
            "roster",
            "add-key",
            "roster.json",
            "--id",
            id,
            "--pubkey",
            &pubkey,
            "--valid-from",
            "2020-01-01T00:00:00Z",
        ];
        if key == "builder" {
            add.extend(["--hardware", "tpm-resident"]);
        }
        s.ok(&add);
        // The commit above was made before the roster: roles are granted
        // from before the history they certify, as keys are.
        s.ok(&[
            "roster",
            "grant",
            "roster.json",
            "--role",
            role,
            "--id",
            id,
            "--valid-from",
            "2020-01-01T00:00:00Z",
        ]);
    }
    let out = s.ok(&[
        "roster",
        "sign",
        "roster.json",
        "--key",
        "root1.key",
        "-o",
        "roster.chain",
    ]);
    assert!(out.contains("does not verify yet"), "{out}");
    let out = s.ok(&[
        "roster",
        "sign",
        "roster.json",
        "--key",
        "root2.key",
        "--chain",
        "roster.chain",
        "-o",
        "roster.chain",
    ]);
    assert!(out.contains("the chain verifies"), "{out}");
    let pin = out
        .split_whitespace()
        .find(|w| w.starts_with("sha256:"))
        .unwrap()
        .to_owned();

    // The statements, bottom up.
    let repo_arg = repo.to_str().unwrap();
    s.ok(&[
        "attest",
        "commit",
        "--repo",
        repo_arg,
        "HEAD",
        "--signer",
        "person:alice@example.com",
        "--repository",
        "https://git.example.com/shop.git",
        "--key",
        "soft-fido:alice.key",
        "-o",
        "commit.signed",
        "--object-out",
        "head.commit",
    ]);
    let c = vouch_manifest::Signed::<vouch_manifest::Commit>::from_bytes(&s.read("commit.signed"))
        .unwrap();
    assert_eq!(c.unverified().predicate().commit_id.as_str(), commit);
    assert_eq!(c.unverified().predicate().author.email, "alice@example.com");
    // An annotated tag is peeled to its commit (the same object); without
    // --repository and a remote, the repository's path is recorded.
    git(&repo, &["tag", "-a", "-m", "release 1", "v1"]).unwrap();
    s.ok(&[
        "attest",
        "commit",
        "--repo",
        repo_arg,
        "v1",
        "--signer",
        "person:alice@example.com",
        "--key",
        "alice.key",
        "-o",
        "tag.signed",
        "--object-out",
        "tag.commit",
    ]);
    let t = vouch_manifest::Signed::<vouch_manifest::Commit>::from_bytes(&s.read("tag.signed"))
        .unwrap();
    assert_eq!(t.unverified().predicate().commit_id.as_str(), commit);
    assert!(
        t.unverified().predicate().repository.starts_with("file://"),
        "{}",
        t.unverified().predicate().repository
    );
    assert_eq!(s.read("tag.commit"), s.read("head.commit"));
    // A tree is not a commit.
    let tree = format!("{commit}^{{tree}}");
    let e = s.fails(
        2,
        &[
            "attest",
            "commit",
            "--repo",
            repo_arg,
            &tree,
            "--signer",
            "person:alice@example.com",
            "--key",
            "alice.key",
            "-o",
            "tree.signed",
        ],
    );
    assert!(e.contains("the revision names a tree, not a commit"), "{e}");
    s.write("sbom.json", SBOM);
    s.ok(&[
        "attest",
        "release",
        "--contents",
        "shop/src",
        "--sbom",
        "sbom.json",
        "--commit",
        &commit,
        "--package",
        "shop",
        "--version",
        "1.0.0",
        "--purl",
        "pkg:cargo/shop@1.0.0",
        "--key",
        "bob.key",
        "-o",
        "release.signed",
    ]);
    s.ok(&["cosign", "release.signed", "--key", "carol.key"]);
    let r =
        vouch_manifest::Signed::<vouch_manifest::Release>::from_bytes(&s.read("release.signed"))
            .unwrap();
    assert_eq!(r.unverified().predicate().dependencies[0].name, "serde");
    let image = vouch_core::Digest::sha256(b"oci manifest").to_string();
    let config = vouch_core::Digest::sha256(b"oci config").to_string();
    let source = format!("https://git.example.com/shop.git={commit}");
    s.ok(&[
        "attest",
        "image",
        "--name",
        "registry.example.com/shop",
        "--image",
        &image,
        "--config",
        &config,
        "--layer",
        &config,
        "--release",
        "release.signed",
        "--source-commit",
        &source,
        "--builder",
        "workload:ci/build",
        "--invocation-id",
        "run-1",
        "--key",
        "builder.key",
        "-o",
        "image.signed",
    ]);
    let deployment = first_word(&s.ok(&[
        "attest",
        "deploy",
        "--environment",
        "production",
        "--cluster",
        "eu-1",
        "--namespace",
        "shop",
        "--service",
        "api",
        "--image",
        "image.signed",
        "--team",
        "payments",
        "--deployer",
        "workload:ci/deploy",
        "--run-id",
        "42",
        "--run-url",
        "https://ci.example.com/42",
        "--triggered-by",
        "person:alice@example.com",
        "--authorized-by",
        "person:erin@example.com",
        "--key",
        "deployer.key",
        "-o",
        "deploy.signed",
    ]));
    s.ok(&[
        "attest",
        "approve",
        "--statement",
        "deploy.signed",
        "--role",
        "trigger",
        "--id",
        "person:alice@example.com",
        "--key",
        "soft-fido:alice.key",
        "-o",
        "trigger.signed",
    ]);
    s.ok(&[
        "attest",
        "approve",
        "--statement",
        &deployment,
        "--role",
        "authorize",
        "--id",
        "person:erin@example.com",
        "--key",
        "erin.key",
        "-o",
        "authorize.signed",
    ]);
    let all = [
        "commit.signed",
        "release.signed",
        "image.signed",
        "deploy.signed",
        "trigger.signed",
        "authorize.signed",
        "head.commit",
    ];
    let mut create = vec!["bundle", "create", "-o", "chain.bundle"];
    create.extend(all);
    let out = s.ok(&create);
    assert!(out.contains("6 statements and 1 commit objects"), "{out}");
    s.write("policy.toml", vouch_test_support::DEMO_POLICY);

    // Verify: pass, with a trace.
    let target = format!("deployment:{deployment}");
    let verify = |bundle: &str, target: &str, extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "verify",
            "--policy",
            "policy.toml",
            "--roster",
            "roster.chain",
            "--roster-pin",
            &pin,
            "--bundle",
            bundle,
            target,
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        v.extend(extra.iter().map(|a| a.to_string()));
        v
    };
    let args = verify(
        "chain.bundle",
        &target,
        &[
            "--summary-key",
            "verifier.key",
            "--summary-out",
            "vsa.signed",
        ],
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = s.ok(&args);
    assert!(out.starts_with("verdict: PASS"), "{out}");
    for who in [
        "signer workload:ci/deploy",
        "triggered by person:alice@example.com",
        "authorized by person:erin@example.com",
        "built by workload:ci/build [builder]",
        "certified by person:bob@example.com",
        "certified by person:carol@example.com",
        "signed an attestation person:alice@example.com",
        "fido(up=true",
    ] {
        assert!(out.contains(who), "{who}: {out}");
    }
    let vsa = vouch_manifest::Signed::<vouch_chain::VerificationSummary>::from_bytes(
        &s.read("vsa.signed"),
    )
    .unwrap();
    assert_eq!(vsa.unverified().predicate().verification_result, "PASSED");
    assert_eq!(
        vsa.unverified().subjects()[0]
            .digest
            .sha256
            .unwrap()
            .to_string(),
        image
    );
    // The same with JSON, the statement file as target, and a directory bundle.
    for name in all {
        std::fs::create_dir_all(s.path("bundle-dir")).unwrap();
        std::fs::copy(s.path(name), s.path(&format!("bundle-dir/{name}"))).unwrap();
    }
    let args = verify("bundle-dir", "deploy.signed", &["--json"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let json: serde_json::Value = serde_json::from_str(&s.ok(&args)).unwrap();
    assert_eq!(json["outcome"], "pass");
    assert_eq!(json["trace"]["kind"], "deployment");

    // Tampered: the authorizer's approval is missing.
    let mut create = vec!["bundle", "create", "-o", "no-approval.bundle"];
    create.extend(all.iter().filter(|f| **f != "authorize.signed"));
    s.ok(&create);
    let args = verify("no-approval.bundle", &target, &[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = s.fails(1, &args);
    assert!(out.contains("verdict: FAIL"), "{out}");
    assert!(
        out.contains("authorizedBy names person:erin@example.com"),
        "{out}"
    );

    // Tampered: a maintainer's signature on the release is broken (its last byte).
    flip(&s.path("release.signed"), 1);
    let mut create = vec!["bundle", "create", "-o", "bad-sig.bundle"];
    create.extend(all);
    s.ok(&create);
    let args = verify("bad-sig.bundle", &target, &[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = s.fails(1, &args);
    assert!(out.contains("✗ release shop 1.0.0"), "{out}");
    assert!(out.contains("reason(s):"), "{out}");

    // A policy that cannot be read, a bad target, a missing bundle: usage (2).
    s.write("bad.toml", "[deployment]\n");
    s.fails(
        2,
        &[
            "verify",
            "--policy",
            "bad.toml",
            "--roster",
            "roster.chain",
            "--bundle",
            "chain.bundle",
            &target,
        ],
    );
    s.fails(
        2,
        &[
            "verify",
            "--policy",
            "policy.toml",
            "--roster",
            "roster.chain",
            "--bundle",
            "chain.bundle",
            "nonsense",
        ],
    );
    s.fails(
        2,
        &[
            "verify",
            "--policy",
            "policy.toml",
            "--roster",
            "roster.chain",
            "--bundle",
            "missing",
            &target,
        ],
    );
    // A roster that does not verify against the pin: refused (1).
    let wrong = vouch_core::Digest::sha256(b"x").to_string();
    s.fails(
        1,
        &[
            "verify",
            "--policy",
            "policy.toml",
            "--roster",
            "roster.chain",
            "--roster-pin",
            &wrong,
            "--bundle",
            "chain.bundle",
            &target,
        ],
    );
}

/// The key id of a public key file of the sandbox.
fn key_id(s: &Sandbox, pub_file: &str) -> String {
    let line = String::from_utf8(s.read(pub_file)).unwrap();
    vouch_core::PublicKey::from_openssh(line.trim())
        .unwrap()
        .key_id()
        .to_string()
}

/// The first `sha256:` word of `out`.
fn digest_in(out: &str) -> String {
    out.split_whitespace()
        .find(|w| w.starts_with("sha256:"))
        .unwrap()
        .to_owned()
}

#[test]
fn roster_expiry_grant_windows_and_grandfathering() {
    let s = Sandbox::new("roster-v2-fields");
    s.key("root");
    s.key("alice");
    // init stores an expiry: default a year from now, or --expires.
    let out = s.ok(&[
        "roster",
        "init",
        "--name",
        "acme",
        "--root-key",
        "root.key.pub",
        "-o",
        "default.json",
    ]);
    assert!(out.contains(", expires "), "{out}");
    let draft: serde_json::Value = serde_json::from_slice(&s.read("default.json")).unwrap();
    let expires: vouch_core::Timestamp = draft["expires"].as_str().unwrap().parse().unwrap();
    let in_days = (expires.unix_seconds() - vouch_core::Timestamp::now().unix_seconds()) / 86_400;
    assert!((364..=365).contains(&in_days), "{in_days}");
    s.ok(&[
        "roster",
        "init",
        "--name",
        "acme",
        "--root-key",
        "root.key.pub",
        "--expires",
        "2099-01-01T00:00:00Z",
        "-o",
        "r.json",
    ]);
    let draft: serde_json::Value = serde_json::from_slice(&s.read("r.json")).unwrap();
    assert_eq!(draft["expires"], "2099-01-01T00:00:00Z");
    s.ok(&[
        "roster",
        "add-identity",
        "r.json",
        "--id",
        "person:alice@example.com",
        "--name",
        "Alice",
    ]);
    s.ok(&[
        "roster",
        "add-key",
        "r.json",
        "--id",
        "person:alice@example.com",
        "--pubkey",
        "alice.key.pub",
        "--valid-from",
        "2020-01-01T00:00:00Z",
    ]);
    // Grants have windows; a grant without --valid-from starts now.
    let out = s.ok(&[
        "roster",
        "grant",
        "r.json",
        "--role",
        "maintainer",
        "--id",
        "person:alice@example.com",
        "--valid-from",
        "2020-01-01T00:00:00Z",
        "--valid-until",
        "2021-01-01T00:00:00Z",
    ]);
    assert!(
        out.contains("from 2020-01-01T00:00:00Z until 2021-01-01T00:00:00Z"),
        "{out}"
    );
    let before = vouch_core::Timestamp::now();
    s.ok(&[
        "roster",
        "grant",
        "r.json",
        "--role",
        "developer",
        "--id",
        "person:alice@example.com",
    ]);
    let draft: serde_json::Value = serde_json::from_slice(&s.read("r.json")).unwrap();
    let from: vouch_core::Timestamp = draft["roles"]["developer"][0]["validFrom"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(from >= before.plus_seconds(-1), "{from}");
    // The same grant again changes nothing; an overlapping one is refused.
    let out = s.ok(&[
        "roster",
        "grant",
        "r.json",
        "--role",
        "developer",
        "--id",
        "person:alice@example.com",
    ]);
    assert!(out.contains("already holds role developer"), "{out}");
    let e = s.fails(
        2,
        &[
            "roster",
            "grant",
            "r.json",
            "--role",
            "maintainer",
            "--id",
            "person:alice@example.com",
            "--valid-from",
            "2020-06-01T00:00:00Z",
        ],
    );
    assert!(e.contains("refusing an edit"), "{e}");
    // Revocation with grandfathered statements (digest or file) and commits.
    s.ok(&[
        "attest",
        "approve",
        "--statement",
        &vouch_core::Digest::sha256(b"d").to_string(),
        "--role",
        "authorize",
        "--id",
        "person:alice@example.com",
        "--key",
        "alice.key",
        "-o",
        "old.signed",
    ]);
    let old = first_word(&s.ok(&["digest", "--statement", "old.signed"]));
    let other = vouch_core::Digest::sha256(b"other").to_string();
    let commit = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
    let alice = key_id(&s, "alice.key.pub");
    let out = s.ok(&[
        "roster",
        "revoke",
        "r.json",
        "--key",
        &alice,
        "--reason",
        "retired",
        "--grandfather-statement",
        "old.signed",
        "--grandfather-statement",
        &other,
        "--grandfather-commit",
        commit,
    ]);
    assert!(
        out.contains("grandfathered: 2 statement(s), 1 commit(s)"),
        "{out}"
    );
    let draft: serde_json::Value = serde_json::from_slice(&s.read("r.json")).unwrap();
    let g = &draft["identities"][0]["keys"][0]["grandfathered"];
    assert_eq!(g["statements"][0], old.as_str());
    assert_eq!(g["statements"][1], other.as_str());
    assert_eq!(g["commits"][0], commit);
    // The revoke help says what a revocation ends.
    let help = s.ok(&["roster", "revoke", "--help"]);
    assert!(
        help.contains("roster.trust_claimed_time_after_revocation"),
        "{help}"
    );
    assert!(help.contains("--grandfather-statement"), "{help}");

    // sign: a past expiry is refused; --expires fixes the draft too.
    let e = s.fails(
        2,
        &[
            "roster",
            "sign",
            "r.json",
            "--key",
            "root.key",
            "--expires",
            "2001-01-01T00:00:00Z",
            "-o",
            "r.chain",
        ],
    );
    assert!(e.contains("expired at 2001-01-01T00:00:00Z"), "{e}");
    assert!(!s.path("r.chain").exists());
    let out = s.ok(&[
        "roster",
        "sign",
        "r.json",
        "--key",
        "root.key",
        "--expires",
        "2098-01-01T00:00:00Z",
        "-o",
        "r.chain",
    ]);
    assert!(out.contains("set the expiry of v1 to 2098-01-01"), "{out}");
    let draft: serde_json::Value = serde_json::from_slice(&s.read("r.json")).unwrap();
    assert_eq!(draft["expires"], "2098-01-01T00:00:00Z");

    // verify shows the expiry, grant windows and grandfathered items.
    let out = s.ok(&["roster", "verify", "r.chain"]);
    assert!(out.contains("expires  2098-01-01T00:00:00Z (in "), "{out}");
    assert!(out.contains("not pinned"), "{out}");
    assert!(
        out.contains(
            "maintainer: person:alice@example.com (from 2020-01-01T00:00:00Z until 2021-01-01T00:00:00Z)"
        ),
        "{out}"
    );
    assert!(
        out.contains("grandfathered: 2 statement(s), 1 commit(s)"),
        "{out}"
    );
    assert!(out.contains(&format!("statement {old}")), "{out}");
    assert!(out.contains(&format!("commit {commit}")), "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&s.ok(&["roster", "verify", "r.chain", "--json"])).unwrap();
    assert_eq!(json["expires"], "2098-01-01T00:00:00Z");
    assert_eq!(json["pinned"], false);
}

#[test]
fn attest_release_previous() {
    let s = Sandbox::new("previous");
    s.key("k");
    s.write("src/a.txt", "a");
    let release = |version: &str, out: &str, extra: &[&str]| {
        let mut args = vec![
            "attest",
            "release",
            "--contents",
            "src",
            "--package",
            "p",
            "--version",
            version,
            "--key",
            "k.key",
            "-o",
            out,
        ];
        args.extend(extra);
        first_word(&s.ok(&args))
    };
    let first = release("1.0.0", "r1.signed", &[]);
    release("1.1.0", "r2.signed", &["--previous", "r1.signed"]);
    release("1.2.0", "r3.signed", &["--previous", &first]);
    for name in ["r2.signed", "r3.signed"] {
        let r =
            vouch_manifest::Signed::<vouch_manifest::Release>::from_bytes(&s.read(name)).unwrap();
        assert_eq!(
            r.unverified().predicate().previous.unwrap().to_string(),
            first
        );
    }
    // A file that is not a release statement is refused.
    s.write("junk", "x");
    s.fails(
        2,
        &[
            "attest",
            "release",
            "--contents",
            "src",
            "--package",
            "p",
            "--version",
            "2",
            "--previous",
            "junk",
            "--key",
            "k.key",
            "-o",
            "x",
        ],
    );
}

/// A small policy: a deployment to production of an image (no release or
/// commit stage).
const SMALL_POLICY: &str = r#"
[deployment]
signers = { roles = ["deployer"], threshold = 1 }
environments = ["production"]
authorizers = { roles = ["approver"], threshold = 1 }
trigger_roles = ["developer"]
max_age = "7d"

[image]
signers = { roles = ["builder"], threshold = 1 }
allow_empty = true
"#;

/// What [`small_chain`] made.
struct SmallChain {
    /// The pin: roster version 1's statement digest.
    pin: String,
    /// `deployment:sha256:...`.
    deployment: String,
    /// `image:sha256:...`.
    image: String,
}

/// A roster (version 1, one root key) of a developer, an approver, a
/// builder, a deployer and Mallory, in r.chain (also copied to v1.chain);
/// a production deployment to `cluster` of an image, triggered and
/// authorized, in chain.bundle; SMALL_POLICY in policy.toml.
fn small_chain(s: &Sandbox, cluster: &str) -> SmallChain {
    for k in ["root", "alice", "erin", "builder", "deployer", "mallory"] {
        s.key(k);
    }
    s.ok(&[
        "roster",
        "init",
        "--name",
        "acme",
        "--root-key",
        "root.key.pub",
        "-o",
        "r.json",
    ]);
    for (id, key, role) in [
        ("person:alice@example.com", "alice", "developer"),
        ("person:erin@example.com", "erin", "approver"),
        ("workload:ci/build", "builder", "builder"),
        ("workload:ci/deploy", "deployer", "deployer"),
        ("person:mallory@example.com", "mallory", "developer"),
    ] {
        s.ok(&[
            "roster",
            "add-identity",
            "r.json",
            "--id",
            id,
            "--name",
            key,
        ]);
        let pubkey = format!("{key}.key.pub");
        s.ok(&[
            "roster",
            "add-key",
            "r.json",
            "--id",
            id,
            "--pubkey",
            &pubkey,
            "--valid-from",
            "2020-01-01T00:00:00Z",
        ]);
        s.ok(&[
            "roster",
            "grant",
            "r.json",
            "--role",
            role,
            "--id",
            id,
            "--valid-from",
            "2020-01-01T00:00:00Z",
        ]);
    }
    let pin = digest_in(&s.ok(&[
        "roster", "sign", "r.json", "--key", "root.key", "-o", "r.chain",
    ]));
    std::fs::copy(s.path("r.chain"), s.path("v1.chain")).unwrap();
    let image = vouch_core::Digest::sha256(b"image").to_string();
    s.ok(&[
        "attest",
        "image",
        "--name",
        "registry.example.com/shop",
        "--image",
        &image,
        "--config",
        &image,
        "--builder",
        "workload:ci/build",
        "--invocation-id",
        "1",
        "--key",
        "builder.key",
        "-o",
        "image.signed",
    ]);
    let deployment = first_word(&s.ok(&[
        "attest",
        "deploy",
        "--environment",
        "production",
        "--cluster",
        cluster,
        "--namespace",
        "shop",
        "--service",
        "api",
        "--image",
        &image,
        "--team",
        "shop",
        "--deployer",
        "workload:ci/deploy",
        "--run-id",
        "1",
        "--run-url",
        "https://ci.example.com/1",
        "--triggered-by",
        "person:alice@example.com",
        "--authorized-by",
        "person:erin@example.com",
        "--key",
        "deployer.key",
        "-o",
        "deploy.signed",
    ]));
    for (role, id, key, out) in [
        (
            "trigger",
            "person:alice@example.com",
            "alice.key",
            "t.signed",
        ),
        (
            "authorize",
            "person:erin@example.com",
            "erin.key",
            "a.signed",
        ),
    ] {
        s.ok(&[
            "attest",
            "approve",
            "--statement",
            &deployment,
            "--role",
            role,
            "--id",
            id,
            "--key",
            key,
            "-o",
            out,
        ]);
    }
    s.ok(&[
        "bundle",
        "create",
        "-o",
        "chain.bundle",
        "image.signed",
        "deploy.signed",
        "t.signed",
        "a.signed",
    ]);
    s.write("policy.toml", SMALL_POLICY);
    SmallChain {
        pin,
        deployment: format!("deployment:{deployment}"),
        image: format!("image:{image}"),
    }
}

/// `vouch verify --policy policy.toml --roster ROSTER --bundle chain.bundle TARGET EXTRA...`.
fn verify_cmd<'a>(roster: &'a str, target: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "verify",
        "--policy",
        "policy.toml",
        "--roster",
        roster,
        "--bundle",
        "chain.bundle",
        target,
    ];
    v.extend(extra);
    v
}

#[test]
fn verify_reads_and_verifies_the_upstream_rosters_the_policy_pins() {
    let s = Sandbox::new("upstream-rosters");
    let c = small_chain(&s, "eu-1");
    // An upstream roster of no identities under its own root key, signed
    // into STEM.chain; its pin.
    let upstream = |root: &str, stem: &str| {
        s.key(root);
        let (pubkey, key) = (format!("{root}.key.pub"), format!("{root}.key"));
        let (draft, chain) = (format!("{stem}.json"), format!("{stem}.chain"));
        s.ok(&[
            "roster",
            "init",
            "--name",
            "upstream",
            "--root-key",
            &pubkey,
            "-o",
            &draft,
        ]);
        digest_in(&s.ok(&["roster", "sign", &draft, "--key", &key, "-o", &chain]))
    };
    let up_pin = upstream("up-root", "up");
    s.write(
        "policy.toml",
        format!(
            "{SMALL_POLICY}\n[[dependencies.publishers]]\npackages = [\"serde\"]\n\
             roster = {{ version = 1, digest = \"{up_pin}\" }}\n\
             signers = {{ roles = [\"maintainer\"], threshold = 1 }}\n"
        ),
    );
    let with = |file: &'static str| ["--roster-pin", c.pin.as_str(), "--roster-file", file];
    // Given and verified from its pin: the verdict is the chain's.
    let out = s.ok(&verify_cmd("r.chain", &c.deployment, &with("up.chain")));
    assert!(out.starts_with("verdict: PASS"), "{out}");
    // A file that is no roster chain: refused (1), named.
    s.write("junk.chain", b"not a roster chain");
    let e = s.fails(
        1,
        &verify_cmd("r.chain", &c.deployment, &with("junk.chain")),
    );
    assert!(e.contains("roster junk.chain refused"), "{e}");
    // Another upstream roster, under another root key: it holds no pinned
    // version, so it is left unused and nothing is refused...
    upstream("other-root", "other");
    let out = s.ok(&verify_cmd("r.chain", &c.deployment, &with("other.chain")));
    assert!(out.starts_with("verdict: PASS"), "{out}");
    // ...but the pinned one, its signature broken, is.
    std::fs::copy(s.path("up.chain"), s.path("bad.chain")).unwrap();
    flip(&s.path("bad.chain"), 10);
    let e = s.fails(1, &verify_cmd("r.chain", &c.deployment, &with("bad.chain")));
    assert!(e.contains("an upstream roster is refused"), "{e}");
    assert!(
        e.contains(&format!("pinned at version 1 ({up_pin})")),
        "{e}"
    );
}

#[test]
fn an_unpinned_roster_is_refused_unless_insecure() {
    let s = Sandbox::new("unpinned");
    let c = small_chain(&s, "eu-1");
    let state = "state/roster.json";
    let with_state = |extra: &[&'static str]| {
        let mut v = vec!["--roster-state", state];
        v.extend(extra);
        v
    };
    // No pin and a state that has never seen the roster: usage (2).
    let e = s.fails(2, &verify_cmd("r.chain", &c.deployment, &with_state(&[])));
    assert!(e.contains("has no trust anchor"), "{e}");
    assert!(e.contains("--roster-pin"), "{e}");
    assert!(e.contains("vouch roster verify r.chain"), "{e}");
    // --insecure-no-pin passes, warns, and records nothing.
    let out = s.ok(&verify_cmd(
        "r.chain",
        &c.deployment,
        &with_state(&["--insecure-no-pin"]),
    ));
    assert!(out.starts_with("verdict: PASS"), "{out}");
    assert!(out.contains("NOT pinned"), "{out}");
    let all = text(&s.run(&verify_cmd(
        "r.chain",
        &c.deployment,
        &with_state(&["--insecure-no-pin", "--json"]),
    )));
    assert!(all.contains("NOT PINNED"), "{all}");
    assert!(!s.path(state).exists());
    // A pin and --insecure-no-pin together: usage.
    let pin = c.pin.as_str();
    s.fails(
        2,
        &verify_cmd(
            "r.chain",
            &c.deployment,
            &["--roster-pin", pin, "--insecure-no-pin"],
        ),
    );
    // A pinned run records the roster; afterwards the state is the anchor.
    let out = s.ok(&verify_cmd(
        "r.chain",
        &c.deployment,
        &["--roster-state", state, "--roster-pin", pin],
    ));
    assert!(!out.contains("NOT pinned"), "{out}");
    let recorded: serde_json::Value = serde_json::from_slice(&s.read(state)).unwrap();
    assert_eq!(recorded["rosters"][pin]["version"], 1);
    let out = s.ok(&verify_cmd("r.chain", &c.deployment, &with_state(&[])));
    assert!(out.starts_with("verdict: PASS"), "{out}");
    // The default location: $VOUCH_ROSTER_STATE, else $XDG_STATE_HOME/vouch/.
    s.ok(&verify_cmd(
        "r.chain",
        &c.deployment,
        &["--roster-pin", pin],
    ));
    assert!(s.path("default-state.json").exists());
    let out = s.run_env(
        &verify_cmd("r.chain", &c.deployment, &["--roster-pin", pin]),
        &[("VOUCH_ROSTER_STATE", "")],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(s.path("xdg-state/vouch/roster-state.json").exists());
    assert!(!s.path("home").exists());
    // --no-roster-state needs the pin.
    s.fails(
        2,
        &verify_cmd("r.chain", &c.deployment, &["--no-roster-state"]),
    );
    s.ok(&verify_cmd(
        "r.chain",
        &c.deployment,
        &["--no-roster-state", "--roster-pin", pin],
    ));
    // A state file that cannot be read: usage (2).
    s.write("bad-state.json", "{ not json");
    let e = s.fails(
        2,
        &verify_cmd(
            "r.chain",
            &c.deployment,
            &["--roster-state", "bad-state.json", "--roster-pin", pin],
        ),
    );
    assert!(
        e.contains("cannot read the roster state bad-state.json"),
        "{e}"
    );
}

#[test]
fn an_older_roster_file_is_a_rollback() {
    let s = Sandbox::new("rollback");
    let c = small_chain(&s, "eu-1");
    let pin = c.pin.as_str();
    let state = ["--roster-state", "state.json", "--roster-pin", pin];
    s.ok(&verify_cmd("r.chain", &c.deployment, &state));
    // Version 2 revokes Mallory's key (compromised); verified with the state.
    s.ok(&["roster", "init", "--from", "r.chain", "-o", "v2.json"]);
    let mallory = key_id(&s, "mallory.key.pub");
    s.ok(&[
        "roster",
        "revoke",
        "v2.json",
        "--key",
        &mallory,
        "--reason",
        "key-compromise",
    ]);
    s.ok(&[
        "roster", "sign", "v2.json", "--key", "root.key", "--chain", "r.chain", "-o", "r.chain",
    ]);
    let out = s.ok(&verify_cmd("r.chain", &c.deployment, &state));
    assert!(out.contains("roster v2"), "{out}");
    let recorded: serde_json::Value = serde_json::from_slice(&s.read("state.json")).unwrap();
    assert_eq!(recorded["rosters"][pin]["version"], 2);
    // The file cut back to version 1, with the (still right) v1 pin: refused.
    let e = s.fails(1, &verify_cmd("v1.chain", &c.deployment, &state));
    assert!(e.contains("rollback"), "{e}");
    assert!(e.contains("roster v1.chain refused"), "{e}");
    // Without the pin too (the state knows the anchor).
    let e = s.fails(
        1,
        &verify_cmd("v1.chain", &c.deployment, &["--roster-state", "state.json"]),
    );
    assert!(e.contains("rollback"), "{e}");
    // The state is not moved backwards by the refused runs.
    let recorded: serde_json::Value = serde_json::from_slice(&s.read("state.json")).unwrap();
    assert_eq!(recorded["rosters"][pin]["version"], 2);
    // Statelessly, --min-roster-version refuses the old file.
    let e = s.fails(
        1,
        &verify_cmd(
            "v1.chain",
            &c.deployment,
            &[
                "--no-roster-state",
                "--roster-pin",
                pin,
                "--min-roster-version",
                "2",
            ],
        ),
    );
    assert!(e.contains("below --min-roster-version 2"), "{e}");
    s.ok(&verify_cmd(
        "r.chain",
        &c.deployment,
        &[
            "--no-roster-state",
            "--roster-pin",
            pin,
            "--min-roster-version",
            "2",
        ],
    ));
    // A fork: another version 2 (signed by the same root) is refused.
    std::fs::copy(s.path("v1.chain"), s.path("fork.chain")).unwrap();
    s.ok(&["roster", "init", "--from", "fork.chain", "-o", "fork.json"]);
    s.ok(&[
        "roster",
        "sign",
        "fork.json",
        "--key",
        "root.key",
        "--chain",
        "fork.chain",
        "-o",
        "fork.chain",
    ]);
    let e = s.fails(1, &verify_cmd("fork.chain", &c.deployment, &state));
    assert!(e.contains("in the trusted state is"), "{e}");
}

#[test]
fn a_deployment_replayed_elsewhere_is_refused() {
    let s = Sandbox::new("replay");
    let c = small_chain(&s, "eu-1");
    let pin = c.pin.as_str();
    let mut at = vec!["--roster-pin", pin];
    at.extend(["--environment", "production", "--cluster", "eu-1"]);
    at.extend(["--namespace", "shop", "--service", "api"]);
    s.ok(&verify_cmd("r.chain", &c.deployment, &at));
    let out = s.fails(
        1,
        &verify_cmd(
            "r.chain",
            &c.deployment,
            &["--roster-pin", pin, "--environment", "staging"],
        ),
    );
    assert!(out.contains("verdict: FAIL"), "{out}");
    assert!(out.contains("environment"), "{out}");
    assert!(out.contains("\"staging\""), "{out}");
    let out = s.fails(
        1,
        &verify_cmd(
            "r.chain",
            &c.deployment,
            &["--roster-pin", pin, "--cluster", "us-1"],
        ),
    );
    assert!(out.contains("cluster"), "{out}");
    assert!(out.contains("\"us-1\""), "{out}");
}

#[test]
fn an_image_target_does_not_skip_the_deployment_stage() {
    let s = Sandbox::new("image-target");
    let c = small_chain(&s, "eu-1");
    let out = s.fails(
        1,
        &verify_cmd("r.chain", &c.image, &["--roster-pin", &c.pin]),
    );
    assert!(out.contains("verdict: FAIL"), "{out}");
    assert!(out.contains("allow_as_target"), "{out}");
}

#[test]
fn summaries_are_signed_at_the_real_time() {
    let s = Sandbox::new("summary");
    let c = small_chain(&s, "eu-1");
    s.key("verifier");
    let pin = c.pin.as_str();
    let e = s.fails(
        2,
        &verify_cmd(
            "r.chain",
            &c.deployment,
            &[
                "--roster-pin",
                pin,
                "--at",
                "2030-01-01T00:00:00Z",
                "--summary-key",
                "verifier.key",
                "--summary-out",
                "vsa.signed",
            ],
        ),
    );
    assert!(e.contains("--at"), "{e}");
    s.ok(&verify_cmd(
        "r.chain",
        &c.deployment,
        &[
            "--roster-pin",
            pin,
            "--environment",
            "production",
            "--summary-key",
            "verifier.key",
            "--summary-out",
            "vsa.signed",
        ],
    ));
    let vsa = vouch_manifest::Signed::<vouch_chain::VerificationSummary>::from_bytes(
        &s.read("vsa.signed"),
    )
    .unwrap();
    let p = vsa.unverified().predicate();
    assert_eq!(p.verification_result, "PASSED");
    assert_eq!(
        p.vouch.image.to_string(),
        c.image.trim_start_matches("image:")
    );
    assert_eq!(p.vouch.environment.as_deref(), Some("production"));
    assert!(p.vouch.roster_pinned);
}

#[test]
fn statement_text_is_escaped_in_the_verdict() {
    let s = Sandbox::new("escape-verdict");
    let cluster = "eu\x1b[2J\rverdict: PASS";
    let c = small_chain(&s, cluster);
    let out = s.ok(&verify_cmd(
        "r.chain",
        &c.deployment,
        &["--roster-pin", &c.pin],
    ));
    assert!(!out.contains('\x1b') && !out.contains('\r'), "{out:?}");
    assert!(out.contains(r"eu\u{1b}[2J\u{d}verdict: PASS"), "{out}");
    let json: serde_json::Value = serde_json::from_str(&s.ok(&verify_cmd(
        "r.chain",
        &c.deployment,
        &["--roster-pin", &c.pin, "--json"],
    )))
    .unwrap();
    assert!(
        json["trace"]["name"].as_str().unwrap().contains(cluster),
        "{json}"
    );
}

#[test]
fn an_expired_roster_is_refused() {
    use vouch_core::Signer as _;
    let s = Sandbox::new("expired");
    let c = small_chain(&s, "eu-1");
    // The same roster, re-signed as a version that expired yesterday.
    let draft: serde_json::Value = serde_json::from_slice(&s.read("r.json")).unwrap();
    let mut roster: vouch_manifest::Roster = serde_json::from_value(draft).unwrap();
    roster.expires = vouch_core::Timestamp::now().plus_seconds(-86_400);
    let root = vouch_keys::KeyRef::file(s.path("root.key"))
        .open(None)
        .unwrap();
    assert_eq!(root.key_id().to_string(), key_id(&s, "root.key.pub"));
    let signed = vouch_manifest::Signed::sign(
        &vouch_manifest::Statement::from_predicate(roster).unwrap(),
        &*root,
    )
    .unwrap();
    let pin = signed.digest().to_string();
    s.write(
        "expired.chain",
        vouch_manifest::RosterChain::new(vec![signed])
            .to_bytes()
            .unwrap(),
    );
    let e = s.fails(
        1,
        &verify_cmd("expired.chain", &c.deployment, &["--roster-pin", &pin]),
    );
    assert!(e.contains("expired at"), "{e}");
    // Even evaluated as of a time before the expiry.
    let e = s.fails(
        1,
        &verify_cmd(
            "expired.chain",
            &c.deployment,
            &["--roster-pin", &pin, "--at", "2021-01-01T00:00:00Z"],
        ),
    );
    assert!(e.contains("expired at"), "{e}");
    let e = s.fails(1, &["roster", "verify", "expired.chain"]);
    assert!(e.contains("expired at"), "{e}");
    // The next version can still be drafted from it.
    s.ok(&[
        "roster",
        "init",
        "--from",
        "expired.chain",
        "-o",
        "next.json",
    ]);
}

/// FIDO enrollment: a vendor root trusted in the draft, keys enrolled with
/// a WebAuthn attestation (verified), with OpenSSH's empty one
/// (unattested), and the refusals.
#[test]
fn roster_trusts_authenticators_and_enrolls_attested_keys() {
    use vouch_keys::softfido::{Presence, SoftAuthenticator, TestAttestationCa};
    let s = Sandbox::new("authenticators");
    one_root_roster(&s);
    let ca = TestAttestationCa::generate(
        "Example Authenticators",
        "2026-01-01T00:00:00Z".parse().unwrap(),
        5,
    )
    .unwrap();
    s.write("vendor.pem", ca.certificate_pem());
    let device =
        SoftAuthenticator::generate(vouch_core::Algorithm::Es256, "ssh:", Presence::Touch).unwrap();
    let client_data = br#"{"type":"webauthn.create","challenge":"AAEC"}"#;
    let cdh = *vouch_core::Digest::sha256(client_data).as_sha256().unwrap();
    s.write("att.cbor", device.attest(&ca, [0x42; 16], cdh).unwrap());
    s.write("client.json", client_data);
    use vouch_core::Signer as _;
    s.write("device.pub", device.public_key().to_openssh());

    let out = s.ok(&[
        "roster",
        "trust-authenticator",
        "r.toml",
        "--root",
        "vendor.pem",
        "--aaguid",
        "42424242-4242-4242-4242-424242424242",
    ]);
    assert!(out.contains("trusted root"), "{out}");
    assert!(
        out.contains("model 42424242-4242-4242-4242-424242424242"),
        "{out}"
    );
    s.fails(2, &["roster", "trust-authenticator", "r.toml"]);
    s.write(
        "not-a-cert.pem",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    s.fails(
        2,
        &[
            "roster",
            "trust-authenticator",
            "r.toml",
            "--root",
            "not-a-cert.pem",
        ],
    );

    let add = |extra: &[&str]| {
        let mut args = vec![
            "roster",
            "add-key",
            "r.toml",
            "--id",
            "person:alice@example.com",
            "--pubkey",
            "device.pub",
            "--valid-from",
            "2026-06-01T00:00:00Z",
        ];
        args.extend(extra);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let args = add(&["--fido-attestation", "att.cbor"]);
    let err = s.fails(2, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(err.contains("--client-data"), "{err}");
    let args = add(&[
        "--fido-attestation",
        "att.cbor",
        "--client-data",
        "client.json",
    ]);
    let out = s.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        out.contains("attested authenticator (model 42424242"),
        "{out}"
    );

    // OpenSSH's test middleware writes an empty attestation: unattested.
    let other =
        SoftAuthenticator::generate(vouch_core::Algorithm::Ed25519, "ssh:", Presence::Touch)
            .unwrap();
    s.write("other.pub", other.public_key().to_openssh());
    let mut empty = Vec::new();
    for field in [&b"ssh-sk-attest-v01"[..], b"", b"", b""] {
        empty.extend_from_slice(&(field.len() as u32).to_be_bytes());
        empty.extend_from_slice(field);
    }
    empty.extend_from_slice(&[0; 8]);
    s.write("empty.att", &empty);
    let out = s.ok(&[
        "roster",
        "add-key",
        "r.toml",
        "--id",
        "person:alice@example.com",
        "--pubkey",
        "other.pub",
        "--fido-attestation",
        "empty.att",
    ]);
    assert!(
        out.contains("unattested authenticator (an empty attestation)"),
        "{out}"
    );

    // A plain key cannot carry an attestation; a tampered one is recorded refused.
    let err = s.fails(
        2,
        &[
            "roster",
            "add-key",
            "r.toml",
            "--id",
            "person:alice@example.com",
            "--pubkey",
            "alice.key.pub",
            "--fido-attestation",
            "empty.att",
        ],
    );
    assert!(err.contains("not a FIDO (sk-) key"), "{err}");
    // The draft (TOML, the attestation in hex) signs and verifies.
    let out = s.ok(&[
        "roster", "sign", "r.toml", "--key", "root.key", "-o", "r2.chain",
    ]);
    assert!(out.contains("the chain verifies"), "{out}");
}

/// The whole enrollment path without a device: a test attestation CA, a
/// software authenticator it attests, the roster trusting the CA and
/// recording the key as attested.
#[test]
fn a_software_authenticator_enrolls_attested_by_a_test_ca() {
    let s = Sandbox::new("soft-enroll");
    one_root_roster(&s);
    let out = s.ok(&[
        "key",
        "test-ca",
        "--out",
        "ca.key",
        "--name",
        "Shop test CA",
    ]);
    assert!(out.contains("tests and demos only"), "{out}");
    s.fails(2, &["key", "test-ca", "--out", "ca.key"]);
    let out = s.ok(&[
        "key",
        "generate",
        "--backend",
        "soft-fido",
        "--algorithm",
        "p256",
        "--out",
        "dev.key",
        "--test-ca",
        "ca.key",
    ]);
    assert!(out.contains("key reference soft-fido:dev.key"), "{out}");
    assert!(
        out.contains("--fido-attestation dev.key.attestation"),
        "{out}"
    );
    let line = String::from_utf8(s.read("dev.key.pub")).unwrap();
    assert!(
        line.starts_with("sk-ecdsa-sha2-nistp256@openssh.com "),
        "{line}"
    );
    // --test-ca is only for software authenticators.
    s.fails(
        2,
        &[
            "key",
            "generate",
            "--out",
            "plain.key",
            "--test-ca",
            "ca.key",
        ],
    );

    s.ok(&[
        "roster",
        "trust-authenticator",
        "r.toml",
        "--root",
        "ca.key.pem",
    ]);
    let out = s.ok(&[
        "roster",
        "add-key",
        "r.toml",
        "--id",
        "person:alice@example.com",
        "--pubkey",
        "dev.key.pub",
        "--fido-attestation",
        "dev.key.attestation",
        "--client-data",
        "dev.key.client-data",
    ]);
    assert!(
        out.contains("attested authenticator (model 766f7563-6820-736f-6674-2d6669646f00"),
        "{out}"
    );
    // The software authenticator signs; its counter file continues.
    s.write("m.txt", "hello");
    s.ok(&[
        "envelope",
        "sign",
        "m.txt",
        "--key",
        "soft-fido:dev.key",
        "-o",
        "m.cose",
    ]);
    assert_eq!(
        String::from_utf8(s.read("dev.key.counter")).unwrap().trim(),
        "1"
    );
}

/// Proven time from the command line: the roster trusts a timestamp
/// authority (`roster trust-tsa`, in version 2), each statement's
/// timestamp (NAME.tst over `digest --timestamped NAME`) goes into the
/// bundle, and a policy demanding `time = "proven"` passes with them and
/// refuses without.
#[test]
fn timestamps_of_a_trusted_authority_prove_time_from_the_cli() {
    let Some(tsa) = vouch_test_support::tsa::OpensslTsa::new("proven time from the CLI") else {
        return;
    };
    let s = Sandbox::new("proven");
    let c = small_chain(&s, "eu-1");
    s.ok(&["roster", "init", "--from", "r.chain", "-o", "r2.json"]);
    let root = tsa.root_pem();
    let out = s.ok(&[
        "roster",
        "trust-tsa",
        "r2.json",
        "--label",
        "test-tsa",
        "--root",
        root.to_str().unwrap(),
    ]);
    assert!(
        out.contains("trusted timestamp authority test-tsa"),
        "{out}"
    );
    s.ok(&[
        "roster", "sign", "r2.json", "--key", "root.key", "--chain", "r.chain", "-o", "r.chain",
    ]);
    let signed = ["image.signed", "deploy.signed", "t.signed", "a.signed"];
    for f in signed {
        let out = s.ok(&["digest", "--timestamped", f]);
        let digest = first_word(&out);
        let hex = digest.strip_prefix("sha256:").unwrap();
        let token = tsa.stamp_sha256(&hex::decode(hex).unwrap());
        s.write(&format!("{f}.tst"), token);
    }
    s.write(
        "policy.toml",
        SMALL_POLICY.replace(
            "[image]\n",
            "time = \"proven\"\n\n[image]\ntime = \"proven\"\n",
        ) + "\n[time]\nmax_log_delay = \"1d\"\n",
    );
    let mut files = vec!["bundle", "create", "-o", "chain.bundle"];
    let tsts: Vec<String> = signed.iter().map(|f| format!("{f}.tst")).collect();
    for (f, t) in signed.iter().zip(&tsts) {
        files.push(f);
        files.push(t);
    }
    let out = s.ok(&files);
    assert!(out.contains("4 proofs of time"), "{out}");
    let out = s.ok(&verify_cmd(
        "r.chain",
        &c.deployment,
        &["--roster-pin", &c.pin],
    ));
    assert!(out.starts_with("verdict: PASS"), "{out}");
    assert!(out.contains("by timestamp authority test-tsa"), "{out}");

    // Without the timestamps the same policy refuses, naming the rule.
    s.ok(&[
        "bundle",
        "create",
        "-o",
        "chain.bundle",
        "image.signed",
        "deploy.signed",
        "t.signed",
        "a.signed",
    ]);
    let e = s.fails(
        1,
        &verify_cmd("r.chain", &c.deployment, &["--roster-pin", &c.pin]),
    );
    assert!(e.contains("time = \"proven\""), "{e}");

    // A timestamp whose statement is not given is a usage error.
    let e = s.fails(
        2,
        &[
            "bundle",
            "create",
            "-o",
            "x.bundle",
            "image.signed",
            "t.signed.tst",
        ],
    );
    assert!(e.contains("not among the files given"), "{e}");
}

/// Checkpoint-bound inclusion proofs from the command line: the statements
/// go into a `vouch log`, `log prove` writes each one's inclusion proof, a
/// witness cosigns its checkpoint (`log cosign`), and a roster that lists
/// the log and the witness (`trust-log`, `trust-witness`) proves their time.
#[test]
fn an_inclusion_cosigned_by_a_trusted_witness_proves_time_from_the_cli() {
    let s = Sandbox::new("inclusion");
    let c = small_chain(&s, "eu-1");
    s.key("log");
    s.key("witness");
    let vkey = s
        .ok(&[
            "log",
            "init",
            "log",
            "--origin",
            "log.example.com/demo",
            "--key",
            "log.key",
        ])
        .trim()
        .to_owned();
    let other = s
        .ok(&[
            "log",
            "init",
            "other-log",
            "--origin",
            "other.example.com",
            "--key",
            "witness.key",
        ])
        .trim()
        .to_owned();
    let signed = ["image.signed", "deploy.signed", "t.signed", "a.signed"];
    for f in signed {
        let logged = format!("{f}.logged");
        s.ok(&["log", "add", "log", f, "--key", "log.key", "-o", &logged]);
    }
    for f in signed {
        let raw = format!("{f}.raw.inclusion");
        let out = s.ok(&["log", "prove", "log", f, "--vkey", &vkey, "-o", &raw]);
        assert!(out.contains("tree size 4"), "{out}");
        // A witness will not cosign a checkpoint of another log.
        s.fails(
            1,
            &[
                "log",
                "cosign",
                &raw,
                "--name",
                "witness.example.com",
                "--log-vkey",
                &other,
                "--key",
                "witness.key",
                "-o",
                "x",
            ],
        );
        let cosigned = format!("{f}.inclusion");
        s.ok(&[
            "log",
            "cosign",
            &raw,
            "--name",
            "witness.example.com",
            "--log-vkey",
            &vkey,
            "--key",
            "witness.key",
            "-o",
            &cosigned,
        ]);
    }
    s.ok(&["roster", "init", "--from", "r.chain", "-o", "r2.json"]);
    s.ok(&[
        "roster",
        "trust-log",
        "r2.json",
        "--label",
        "demo-log",
        "--origin",
        "log.example.com/demo",
        "--key",
        "log.key.pub",
    ]);
    s.ok(&[
        "roster",
        "trust-witness",
        "r2.json",
        "--label",
        "demo-witness",
        "--name",
        "witness.example.com",
        "--key",
        "witness.key.pub",
    ]);
    s.ok(&[
        "roster", "sign", "r2.json", "--key", "root.key", "--chain", "r.chain", "-o", "r.chain",
    ]);
    s.write(
        "policy.toml",
        SMALL_POLICY.replace(
            "[image]\n",
            "time = \"proven\"\n\n[image]\ntime = \"proven\"\n",
        ),
    );
    let mut args = vec!["bundle", "create", "-o", "chain.bundle"];
    let proofs: Vec<String> = signed.iter().map(|f| format!("{f}.inclusion")).collect();
    for (f, p) in signed.iter().zip(&proofs) {
        args.push(f);
        args.push(p);
    }
    s.ok(&args);
    let out = s.ok(&verify_cmd(
        "r.chain",
        &c.deployment,
        &["--roster-pin", &c.pin],
    ));
    assert!(out.starts_with("verdict: PASS"), "{out}");
    assert!(
        out.contains("by log demo-log, cosigned by demo-witness"),
        "{out}"
    );

    // The log's receipts alone (the `log add` outputs) prove time too.
    let logged: Vec<String> = signed.iter().map(|f| format!("{f}.logged")).collect();
    let mut args = vec!["bundle", "create", "-o", "chain.bundle"];
    args.extend(logged.iter().map(String::as_str));
    s.ok(&args);
    let out = s.ok(&verify_cmd(
        "r.chain",
        &c.deployment,
        &["--roster-pin", &c.pin],
    ));
    assert!(out.contains("by log demo-log (entry"), "{out}");
}

/// A deployment draft of exactly `len` bytes: the fields, then a comment
/// that fills it up.
fn padded_draft(len: usize) -> String {
    let image = vouch_core::Digest::sha256(b"image").to_string();
    let mut draft = format!(
        "environment = \"staging\"\nimage = \"{image}\"\nteam = \"payments\"\n\
         deployer = \"workload:ci/deploy\"\ntriggeredBy = \"person:a@example.com\"\n\
         authorizedBy = [\"person:b@example.com\"]\n\
         [target]\ncluster = \"c\"\nnamespace = \"n\"\nservice = \"s\"\n\
         [pipeline]\nrunId = \"1\"\nurl = \"https://ci.example.com/1\"\n#"
    );
    draft.push_str(&"x".repeat(len - draft.len() - 1));
    draft.push('\n');
    assert_eq!(draft.len(), len);
    draft
}

#[test]
fn input_drafts_are_bounded_before_parsing() {
    const MAX_DRAFT: usize = 1 << 20;
    let s = Sandbox::new("draft-limit");
    s.key("k");
    let deploy = |draft: &str, out: &str| {
        s.run(&[
            "attest", "deploy", "--from", draft, "--key", "k.key", "-o", out,
        ])
    };
    s.write("at.toml", padded_draft(MAX_DRAFT));
    let out = deploy("at.toml", "at.signed");
    assert_eq!(code(&out), 0, "{}", text(&out));
    s.write("past.toml", padded_draft(MAX_DRAFT + 1));
    let e = s.fails(
        2,
        &[
            "attest",
            "deploy",
            "--from",
            "past.toml",
            "--key",
            "k.key",
            "-o",
            "past.signed",
        ],
    );
    assert!(
        e.contains(&format!(
            "past.toml ({} bytes) is larger than the {MAX_DRAFT} bytes vouch reads of a draft",
            MAX_DRAFT + 1
        )),
        "{e}"
    );
    // 16 MiB of newlines (which TOML used to take 50 bytes of memory per
    // byte to parse) are refused the same way, unread.
    s.write("newlines.toml", vec![b'\n'; 16 << 20]);
    let e = s.fails(
        2,
        &[
            "attest",
            "deploy",
            "--from",
            "newlines.toml",
            "--key",
            "k.key",
            "-o",
            "n.signed",
        ],
    );
    assert!(e.contains("is larger than the"), "{e}");
    // Standard input is bounded by reading, not by its size.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vouch"))
        .current_dir(&s.dir)
        .args([
            "attest", "deploy", "--from", "-", "--key", "k.key", "-o", "x",
        ])
        .env("HOME", s.path("home"))
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        // The reader stops after the limit; a closed pipe is expected.
        let _ = stdin.write_all(padded_draft(MAX_DRAFT + 1).as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("- is larger than the 1048576 bytes"),
        "{}",
        text(&out)
    );
}

#[test]
fn input_parse_errors_quote_little_of_the_input() {
    let s = Sandbox::new("draft-quote");
    s.key("k");
    // One 512 KiB line that is not TOML: the parser's message quotes the
    // line; what is printed of it is clipped.
    s.write(
        "bad.toml",
        format!("environment = \"{}", "a".repeat(512 << 10)),
    );
    let out = s.run(&[
        "attest", "deploy", "--from", "bad.toml", "--key", "k.key", "-o", "x",
    ]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.len() < 8192, "{} bytes of stderr", stderr.len());
    assert!(stderr.contains("bad.toml"), "{stderr}");
    assert!(
        stderr.lines().all(|l| l.chars().count() <= 1050),
        "{stderr}"
    );
}

#[test]
fn input_bundle_create_parses_commit_objects() {
    let s = Sandbox::new("bundle-commits");
    let commit = format!(
        "tree {}\nauthor A <a@example.com> 1700000000 +0000\n\
         committer A <a@example.com> 1700000000 +0000\n\nmessage\n",
        "0".repeat(40)
    );
    s.write("good.commit", &commit);
    let out = s.ok(&["bundle", "create", "-o", "b.bundle", "good.commit"]);
    assert!(out.contains("1 commit objects"), "{out}");
    s.write("garbage.commit", vec![0xa5u8; 4096]);
    let e = s.fails(2, &["bundle", "create", "-o", "b.bundle", "garbage.commit"]);
    assert!(
        e.contains("garbage.commit is not a git commit object"),
        "{e}"
    );
    // vouch_git's MAX_COMMIT_LEN and one past it.
    let max = vouch_git::commit::MAX_COMMIT_LEN;
    let mut at = commit.clone().into_bytes();
    at.resize(max, b'm');
    s.write("at.commit", &at);
    s.ok(&["bundle", "create", "-o", "b.bundle", "at.commit"]);
    at.push(b'm');
    s.write("past.commit", &at);
    let e = s.fails(2, &["bundle", "create", "-o", "b.bundle", "past.commit"]);
    assert!(
        e.contains(&format!(
            "is larger than the {max} bytes vouch reads of a commit object"
        )),
        "{e}"
    );
}

#[test]
fn roster_trusts_a_ci_issuer_and_maps_its_repositories_and_logins() {
    let s = Sandbox::new("ci-roster");
    s.key("root");
    s.ok(&[
        "roster",
        "init",
        "--name",
        "acme",
        "--root-key",
        "root.key.pub",
        "-o",
        "r.json",
    ]);
    const ISS: &str = "https://token.actions.githubusercontent.com";
    s.write(
        "jwks.json",
        r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"a","y":"b"}]}"#,
    );
    s.ok(&[
        "roster",
        "trust-ci-issuer",
        "r.json",
        "--issuer",
        ISS,
        "--provider",
        "github",
        "--web-url",
        "https://github.com",
        "--jwks",
        "jwks.json",
    ]);
    let wf = "acme/app/.github/workflows/deploy.yml@refs/heads/main";
    s.ok(&[
        "roster",
        "map-ci",
        "r.json",
        "--issuer",
        ISS,
        "--repository",
        "acme/app",
        "--workflow",
        wf,
        "--workload",
        "workload:ci/deploy",
    ]);
    s.ok(&[
        "roster",
        "map-ci",
        "r.json",
        "--issuer",
        ISS,
        "--login",
        "alice",
        "--person",
        "person:alice@example.com",
    ]);
    let r: vouch_manifest::Roster = serde_json::from_slice(&s.read("r.json")).unwrap();
    let i = r.ci.issuer(ISS).unwrap();
    assert_eq!(
        i.workload("acme/app", wf).unwrap().as_str(),
        "workload:ci/deploy"
    );
    assert_eq!(
        i.person("alice").unwrap().as_str(),
        "person:alice@example.com"
    );
    // Replacing the JWKS keeps the mappings.
    s.ok(&[
        "roster",
        "trust-ci-issuer",
        "r.json",
        "--issuer",
        ISS,
        "--provider",
        "github",
        "--web-url",
        "https://github.com",
        "--jwks",
        "jwks.json",
    ]);
    let r: vouch_manifest::Roster = serde_json::from_slice(&s.read("r.json")).unwrap();
    assert_eq!(r.ci.issuers.len(), 1);
    assert_eq!(r.ci.issuers[0].workloads.len(), 1);
    // A workload mapped to a person, an unknown issuer, a JWKS without kid:
    // each refused, the draft unchanged.
    let e = s.fails(
        2,
        &[
            "roster",
            "map-ci",
            "r.json",
            "--issuer",
            ISS,
            "--repository",
            "acme/app",
            "--workflow",
            wf,
            "--workload",
            "person:bob@example.com",
        ],
    );
    assert!(e.contains("not a workload"), "{e}");
    let e = s.fails(
        2,
        &[
            "roster",
            "map-ci",
            "r.json",
            "--issuer",
            "https://other.example",
            "--login",
            "x",
            "--person",
            "person:x@example.com",
        ],
    );
    assert!(e.contains("trusts no CI issuer"), "{e}");
    s.write("bad.json", r#"{"keys":[{"kty":"RSA","n":"a","e":"AQAB"}]}"#);
    let e = s.fails(
        2,
        &[
            "roster",
            "trust-ci-issuer",
            "r.json",
            "--issuer",
            "https://gitlab.com",
            "--provider",
            "gitlab",
            "--web-url",
            "https://gitlab.com",
            "--jwks",
            "bad.json",
        ],
    );
    assert!(e.contains("no kid"), "{e}");
}

#[test]
fn attest_deploy_carries_a_ci_token_from_a_file_or_the_environment() {
    let s = Sandbox::new("ci-token");
    s.key("k");
    let image = vouch_core::Digest::sha256(b"image").to_string();
    s.write("deploy.toml", deploy_draft(&image));
    const TOKEN: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln";
    s.write("token.jwt", format!("{TOKEN}\n"));
    let read = |f: &str| {
        vouch_manifest::Signed::<vouch_manifest::Deployment>::from_bytes(&s.read(f))
            .unwrap()
            .unverified()
            .predicate()
            .ci_token
            .clone()
    };
    s.ok(&[
        "attest",
        "deploy",
        "--from",
        "deploy.toml",
        "--ci-token",
        "token.jwt",
        "--key",
        "k.key",
        "-o",
        "d1.signed",
    ]);
    assert_eq!(read("d1.signed").as_deref(), Some(TOKEN));
    let out = s.run_env(
        &[
            "attest",
            "deploy",
            "--from",
            "deploy.toml",
            "--ci-token-env",
            "CI_ID_TOKEN",
            "--key",
            "k.key",
            "-o",
            "d2.signed",
        ],
        &[("CI_ID_TOKEN", TOKEN)],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(read("d2.signed").as_deref(), Some(TOKEN));
    // Without a flag nothing is written; a variable that is unset, or
    // holds no JWT, is refused.
    s.ok(&[
        "attest",
        "deploy",
        "--from",
        "deploy.toml",
        "--key",
        "k.key",
        "-o",
        "d3.signed",
    ]);
    assert_eq!(read("d3.signed"), None);
    let e = s.fails(
        2,
        &[
            "attest",
            "deploy",
            "--from",
            "deploy.toml",
            "--ci-token-env",
            "VOUCH_TEST_UNSET_VAR",
            "--key",
            "k.key",
            "-o",
            "x",
        ],
    );
    assert!(e.contains("holds no CI token"), "{e}");
    s.write("junk.jwt", "not a token");
    let e = s.fails(
        2,
        &[
            "attest",
            "deploy",
            "--from",
            "deploy.toml",
            "--ci-token",
            "junk.jwt",
            "--key",
            "k.key",
            "-o",
            "x",
        ],
    );
    assert!(e.contains("ciToken"), "{e}");
}

/// `vouch roster add-openpgp-key`: a stock gpg certificate enrolled on a
/// person and on the forge's workload identity, signed into the chain;
/// `vouch attest release --tag` names a stock `git tag -s` tag and writes
/// its object, which `vouch bundle create` carries.
#[test]
fn openpgp_keys_and_release_tags_from_a_shell() {
    if !vouch_test_support::gpg::tools_available("CLI OpenPGP tests", "add-openpgp-key") {
        return;
    }
    let s = Sandbox::new("openpgp");
    let gpg = vouch_test_support::gpg::Gpg::new(&s.path("."));
    let fpr = gpg.gen_key("Alice <alice@example.com>", "ed25519");
    std::fs::write(s.path("alice.asc"), gpg.export(&fpr)).unwrap();
    one_root_roster(&s);
    s.ok(&["roster", "init", "--from", "r.chain", "-o", "v2.toml"]);
    let out = s.ok(&[
        "roster",
        "add-openpgp-key",
        "v2.toml",
        "--id",
        "person:alice@example.com",
        "--key",
        "alice.asc",
        "--valid-from",
        "2026-01-01T00:00:00Z",
    ]);
    assert!(
        out.contains(&fpr) && out.contains("alice@example.com"),
        "{out}"
    );
    let toml = String::from_utf8(s.read("v2.toml")).unwrap();
    assert!(
        toml.contains("-----BEGIN PGP PUBLIC KEY BLOCK-----"),
        "{toml}"
    );
    assert!(toml.contains(&fpr), "{toml}");
    // Not a certificate: refused, the draft unchanged.
    std::fs::write(s.path("junk.asc"), "not a key").unwrap();
    s.fails(
        2,
        &[
            "roster",
            "add-openpgp-key",
            "v2.toml",
            "--id",
            "person:alice@example.com",
            "--key",
            "junk.asc",
        ],
    );
    let out = s.ok(&[
        "roster", "sign", "v2.toml", "--key", "root.key", "--chain", "r.chain", "-o", "r2.chain",
    ]);
    assert!(out.contains("the chain verifies"), "{out}");

    // A signed tag in a repository, named by a release.
    let repo = s.path("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let git = |args: &[&str]| {
        let out = vouch_test_support::git::command(&repo, &s.path("."), "UTC")
            .env("GNUPGHOME", gpg.home())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .args([
                "-c",
                "gpg.format=openpgp",
                "-c",
                &format!("user.signingkey={fpr}"),
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    git(&["init", "-q"]);
    git(&["commit", "-q", "-S", "--allow-empty", "-m", "release"]);
    git(&["tag", "-s", "-m", "shop 1.0", "v1.0"]);
    let tag_id = git(&["rev-parse", "v1.0"]).trim().to_owned();
    std::fs::create_dir_all(s.path("tree")).unwrap();
    std::fs::write(s.path("tree/a.txt"), "a").unwrap();
    s.ok(&[
        "attest",
        "release",
        "--key",
        "alice.key",
        "--contents",
        "tree",
        "--package",
        "shop",
        "--version",
        "1.0",
        "--tag",
        "v1.0",
        "--repo",
        "repo",
        "--tag-out",
        "v1.0.tag",
        "-o",
        "release.cose",
    ]);
    let raw = s.read("v1.0.tag");
    let tag =
        vouch_git::tag::TagObject::parse(&raw, vouch_git::commit::ObjectFormat::Sha1).unwrap();
    assert_eq!(tag.id().as_str(), tag_id);
    let out = s.ok(&[
        "bundle",
        "create",
        "release.cose",
        "v1.0.tag",
        "-o",
        "b.bundle",
    ]);
    assert!(out.contains("1 statements"), "{out}");
    let bundle = vouch_chain::Bundle::read(&s.path("b.bundle")).unwrap();
    assert_eq!(bundle.tag_objects(), &[raw]);
    // A lightweight tag is no tag object.
    git(&["tag", "light"]);
    s.fails(
        2,
        &[
            "attest",
            "release",
            "--key",
            "alice.key",
            "--contents",
            "tree",
            "--package",
            "shop",
            "--version",
            "1.0",
            "--tag",
            "light",
            "--repo",
            "repo",
            "-o",
            "r2.cose",
        ],
    );
}
