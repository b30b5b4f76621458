//! A sandboxed stock `gpg` for the tests that make OpenPGP-signed commits
//! and tags: a temporary `GNUPGHOME`, keys without passphrase.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether `gpg` (and `git`) are installed. When one is missing, prints
/// `SKIP: <tool> not found; <untested> not tested` and returns `false`, so
/// the test returns early.
///
/// # Panics
///
/// Under `CI=true` when a tool is missing: CI must never silently skip.
pub fn tools_available(tests: &str, untested: &str) -> bool {
    crate::tools_available(
        &[("gpg", "--version"), ("git", "--version")],
        tests,
        untested,
    )
}

/// A `GNUPGHOME` of its own: every key made here stays in it.
#[derive(Debug)]
pub struct Gpg {
    home: PathBuf,
}

impl Gpg {
    /// A fresh home in `dir` (created, mode 0700 as gpg wants).
    ///
    /// # Panics
    ///
    /// When the directory cannot be made.
    #[allow(clippy::panic)]
    pub fn new(dir: &Path) -> Self {
        let home = dir.join("gnupg");
        std::fs::create_dir_all(&home).unwrap_or_else(|e| panic!("{}: {e}", home.display()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let _ = std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700));
        }
        Gpg { home }
    }

    /// The `GNUPGHOME` directory (for `git` to find the keys).
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// `gpg` with this home, in batch mode.
    pub fn command(&self) -> Command {
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", &self.home)
            .args(["--batch", "--no-tty", "--quiet"]);
        c
    }

    /// Makes a key for `uid` with `gpg --quick-gen-key` (`algo`: `ed25519`,
    /// `rsa3072`...): a signing primary key plus an encryption subkey, as
    /// gpg's default makes them, without expiry or passphrase; returns
    /// the primary key's fingerprint (upper-case hex).
    ///
    /// # Panics
    ///
    /// When gpg fails.
    #[allow(clippy::panic)]
    pub fn gen_key(&self, uid: &str, algo: &str) -> String {
        self.run(&[
            "--passphrase",
            "",
            "--pinentry-mode",
            "loopback",
            "--quick-gen-key",
            uid,
            algo,
            "sign",
            "never",
        ]);
        let fpr = self.fingerprint(uid);
        let enc = if algo == "ed25519" { "cv25519" } else { algo };
        self.add_subkey(&fpr, enc, "encr");
        fpr
    }

    /// The fingerprints of key `fpr`'s subkeys, in order.
    pub fn subkey_fingerprints(&self, fpr: &str) -> Vec<String> {
        let out = self.output(&["--with-colons", "--fingerprint", "--fingerprint", fpr]);
        // `fpr` records follow their key record: skip the primary's.
        out.lines()
            .filter(|l| l.starts_with("fpr:"))
            .filter_map(|l| l.split(':').nth(9).map(str::to_owned))
            .filter(|f| f != fpr)
            .collect()
    }

    /// Adds a subkey of `algo` with `usage` (`sign`, `encr`) to key `fpr`.
    pub fn add_subkey(&self, fpr: &str, algo: &str, usage: &str) {
        self.run(&[
            "--passphrase",
            "",
            "--pinentry-mode",
            "loopback",
            "--quick-add-key",
            fpr,
            algo,
            usage,
            "never",
        ]);
    }

    /// An armored detached signature of `data` by `key` (a fingerprint;
    /// `<subkey fingerprint>!` forces a subkey) with `digest` (`SHA256`,
    /// `SHA1`...), as git's `gpg -bsau` makes it.
    ///
    /// # Panics
    ///
    /// When gpg fails.
    #[allow(clippy::panic)]
    pub fn detach_sign(&self, key: &str, digest: &str, data: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        let mut child = self
            .command()
            .args([
                "--digest-algo",
                digest,
                "--armor",
                "--detach-sign",
                "-u",
                key,
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("gpg: {e}"));
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(data)
                .unwrap_or_else(|e| panic!("gpg stdin: {e}"));
        }
        let out = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("gpg: {e}"));
        if !out.status.success() {
            panic!(
                "gpg --detach-sign -u {key} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        out.stdout
    }

    /// The fingerprint of the (first) key of `uid`.
    ///
    /// # Panics
    ///
    /// When there is none.
    #[allow(clippy::panic)]
    pub fn fingerprint(&self, uid: &str) -> String {
        let out = self.output(&["--with-colons", "--fingerprint", uid]);
        out.lines()
            .find(|l| l.starts_with("fpr:"))
            .and_then(|l| l.split(':').nth(9))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no fingerprint for {uid}"))
    }

    /// The armored certificate of `fpr` (`gpg --armor --export`, minimal).
    pub fn export(&self, fpr: &str) -> String {
        self.output(&[
            "--armor",
            "--export-options",
            "export-minimal",
            "--export",
            fpr,
        ])
    }

    /// Runs gpg with `args`.
    ///
    /// # Panics
    ///
    /// When it fails.
    #[allow(clippy::panic)]
    pub fn run(&self, args: &[&str]) {
        let out = self
            .command()
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("gpg: {e}"));
        if !out.status.success() {
            panic!(
                "gpg {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// Runs gpg with `args`; its standard output.
    ///
    /// # Panics
    ///
    /// When it fails.
    #[allow(clippy::panic)]
    pub fn output(&self, args: &[&str]) -> String {
        let out = self
            .command()
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("gpg: {e}"));
        if !out.status.success() {
            panic!(
                "gpg {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}
