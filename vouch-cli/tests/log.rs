//! `vouch log` driven as a shell user would: init, add, verify, vkey,
//! `vouch attest --log`, and the exit codes of a tampered log and of bad
//! arguments.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use vouch_core::tlog::{Receipt, receipt};

/// A scratch directory, removed when the test ends.
struct Sandbox {
    dir: PathBuf,
}

impl Sandbox {
    fn new(name: &str) -> Sandbox {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "vouch-cli-log-{name}-{}-{}",
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

    /// Runs `vouch` in the sandbox, with no passphrase or state from outside.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_vouch"))
            .current_dir(&self.dir)
            .args(args)
            .env_remove("VOUCH_PASSPHRASE")
            .env("VOUCH_ROSTER_STATE", self.path("default-state.json"))
            .env("XDG_STATE_HOME", self.path("xdg-state"))
            .env("HOME", self.path("home"))
            .output()
            .unwrap()
    }

    /// Runs `vouch`, expects exit 0, returns standard output.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(code(&out), 0, "vouch {args:?} failed:\n{}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs `vouch`, expects exit `expected`, returns stdout and stderr.
    fn fails(&self, expected: i32, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(code(&out), expected, "vouch {args:?}:\n{}", text(&out));
        text(&out)
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

#[test]
fn init_add_verify_and_refusals() {
    let s = Sandbox::new("flow");
    s.ok(&["key", "generate", "--out", "log.key"]);
    s.ok(&["key", "generate", "--out", "alice.key"]);
    let vkey = s.ok(&[
        "log",
        "init",
        "srv",
        "--origin",
        "example.com/log",
        "--key",
        "log.key",
    ]);
    let vkey = vkey.trim().to_owned();
    assert!(vkey.starts_with("example.com/log+"), "{vkey}");
    assert_eq!(s.ok(&["log", "vkey", "srv"]).trim(), vkey);
    s.ok(&["log", "verify", "srv", "--vkey", &vkey]);

    // Three signed envelopes appended; each comes back with its receipt.
    for i in 0..3 {
        let payload = s.path(&format!("p{i}.txt"));
        std::fs::write(&payload, format!("release {i}")).unwrap();
        let env = format!("e{i}.cose");
        s.ok(&[
            "envelope",
            "sign",
            "--key",
            "alice.key",
            payload.to_str().unwrap(),
            "-o",
            &env,
        ]);
        let out = format!("e{i}.receipted");
        let printed = s.ok(&["log", "add", "srv", &env, "--key", "log.key", "-o", &out]);
        assert!(
            printed.starts_with(&format!("entry {i}, tree size {}", i + 1)),
            "{printed}"
        );
        let with = std::fs::read(s.path(&out)).unwrap();
        let without = std::fs::read(s.path(&env)).unwrap();
        assert_eq!(receipt::registered_bytes(&with).unwrap().as_ref(), without);
        let log_pub =
            vouch_core::PublicKey::parse_any(&std::fs::read(s.path("log.key.pub")).unwrap())
                .unwrap();
        let carried = receipt::receipts(&with).unwrap();
        assert_eq!(carried.len(), 1);
        let proved = Receipt::from_bytes(carried[0])
            .unwrap()
            .verify(&receipt::statement_leaf(&with).unwrap(), &log_pub)
            .unwrap();
        assert_eq!(proved.leaf_index(), i);
        // The receipted envelope still verifies as an envelope.
        s.ok(&["envelope", "verify", "--pubkey", "alice.key.pub", &out]);
    }
    let verified = s.ok(&["log", "verify", "srv", "--vkey", &vkey]);
    assert!(
        verified.starts_with("verified: log example.com/log, tree size 3,"),
        "{verified}"
    );
    // The vkey may come from a file too.
    std::fs::write(s.path("log.vkey"), format!("{vkey}\n")).unwrap();
    s.ok(&["log", "verify", "srv", "--vkey", "log.vkey"]);

    // Refusals (exit 1): another log's key; a tampered tile.
    s.ok(&["key", "generate", "--out", "other.key"]);
    let other = s.ok(&[
        "log",
        "init",
        "other",
        "--origin",
        "example.com/log",
        "--key",
        "other.key",
    ]);
    s.fails(1, &["log", "verify", "srv", "--vkey", other.trim()]);
    s.fails(
        2,
        &[
            "log",
            "add",
            "srv",
            "e0.cose",
            "--key",
            "other.key",
            "-o",
            "x",
        ],
    );
    let tile = s.path("srv/tile/0/000.p/3");
    let mut bytes = std::fs::read(&tile).unwrap();
    bytes[40] ^= 1;
    std::fs::write(&tile, &bytes).unwrap();
    let out = s.fails(1, &["log", "verify", "srv", "--vkey", &vkey]);
    assert!(out.contains("refused"), "{out}");
    s.fails(
        1,
        &[
            "log", "add", "srv", "e0.cose", "--key", "log.key", "-o", "x",
        ],
    );
    bytes[40] ^= 1;
    std::fs::write(&tile, &bytes).unwrap();
    s.ok(&["log", "verify", "srv", "--vkey", &vkey]);

    // Usage errors (exit 2): a malformed vkey, a directory without a log,
    // a file that is no envelope, an unknown flag, an existing log.
    s.fails(2, &["log", "verify", "srv", "--vkey", "not-a-vkey"]);
    s.fails(2, &["log", "verify", "nowhere", "--vkey", &vkey]);
    s.fails(2, &["log", "vkey", "nowhere"]);
    s.fails(
        2,
        &["log", "add", "srv", "p0.txt", "--key", "log.key", "-o", "x"],
    );
    s.fails(2, &["log", "verify", "srv", "--vkey", &vkey, "--bogus"]);
    s.fails(
        2,
        &[
            "log",
            "init",
            "srv",
            "--origin",
            "example.com/log",
            "--key",
            "log.key",
        ],
    );
    s.fails(
        2,
        &[
            "log",
            "init",
            "new",
            "--origin",
            "has space",
            "--key",
            "log.key",
        ],
    );
    s.ok(&["log", "verify", "srv", "--vkey", &vkey]);
}

#[test]
fn attest_with_log_writes_the_statement_with_its_receipt() {
    let s = Sandbox::new("attest");
    s.ok(&["key", "generate", "--out", "log.key"]);
    s.ok(&["key", "generate", "--out", "a.key"]);
    let vkey = s.ok(&[
        "log",
        "init",
        "srv",
        "--origin",
        "example.com/attest",
        "--key",
        "log.key",
    ]);
    let digest = vouch_core::Digest::sha256(b"d").to_string();
    let approve = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "attest",
            "approve",
            "--statement",
            &digest,
            "--role",
            "authorize",
            "--id",
            "person:a@example.com",
            "--key",
            "a.key",
            "-o",
            out,
        ];
        args.extend_from_slice(extra);
        s.ok(&args)
    };
    let plain = approve("plain.signed", &[]);
    let logged = approve("logged.signed", &["--log", "srv", "--log-key", "log.key"]);
    // The statement digest is the same; the file carries one receipt.
    let first = |o: &str| o.split_whitespace().next().unwrap().to_owned();
    assert_eq!(first(&plain), first(&logged));
    let bytes = std::fs::read(s.path("logged.signed")).unwrap();
    assert_eq!(receipt::receipts(&bytes).unwrap().len(), 1);
    assert!(
        receipt::receipts(&std::fs::read(s.path("plain.signed")).unwrap())
            .unwrap()
            .is_empty()
    );
    // vouch still reads it as the statement it is.
    let d = s.ok(&["digest", "--statement", "logged.signed"]);
    assert_eq!(first(&d), first(&plain));
    let v = s.ok(&["log", "verify", "srv", "--vkey", vkey.trim()]);
    assert!(v.contains("tree size 1,"), "{v}");
    // --log needs --log-key.
    s.fails(
        2,
        &[
            "attest",
            "approve",
            "--statement",
            &digest,
            "--role",
            "authorize",
            "--id",
            "person:a@example.com",
            "--key",
            "a.key",
            "-o",
            "x.signed",
            "--log",
            "srv",
        ],
    );
}
