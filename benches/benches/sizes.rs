//! Peak memory and time of evaluating bundles of 1, 10 and 100 MB, honest
//! and hostile, as a deploy gate does: read the file, decode it, verify the
//! deployment against the roster and policy.
//!
//!     cargo bench -p vouch-benches --bench sizes            # 1, 10, 100 MB
//!     cargo bench -p vouch-benches --bench sizes -- 1 10    # some sizes
//!
//! Each case is evaluated in a child process of its own, so its peak
//! resident set (`VmHWM`) is that evaluation's alone; the table gives it
//! net of the child's peak before the bundle was read (the roster and
//! policy), as a multiple of the bundle's size. Contents:
//!
//! - `honest`: the chain fixture of `chain.rs` (100 commits per release,
//!   200 identities) with as many commits as the size takes;
//! - `duplicates`: a 100-commit chain and one of its commit envelopes
//!   repeated to the size;
//! - `unknown-signers`: the chain and counterfeit statements for its
//!   commits, each signed by 64 keys no roster knows;
//! - `forged-signatures`: the same statements with 64 signatures that
//!   claim 64 developers' roster keys but are made by other keys, so every
//!   one of them is checked and fails;
//! - `deep-nesting`: the chain and counterfeit commit statements whose
//!   predicate is a thousand arrays nested 58 deep (within the 64-level
//!   limit), each envelope about 60 KB.
//!
//! The honest chains must pass; a hostile bundle passes (its junk is
//! ignored or outvoted) or is refused, and the table says which.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod chain_fixture;

use std::path::{Path, PathBuf};
use std::time::Instant;

use chain_fixture::{BenchKey, commit_id, fixture, sign};
use vouch_chain::{Bundle, Policy, Target, Verifier};
use vouch_core::cose::Sign;
use vouch_core::{PublicKey, SignError, Signature, Signer};
use vouch_manifest::{Commit, STATEMENT_CONTENT_TYPE, Signed};

const KINDS: [&str; 5] = [
    "honest",
    "duplicates",
    "unknown-signers",
    "forged-signatures",
    "deep-nesting",
];

const NOW: &str = "2026-11-25T12:00:00Z";

fn main() {
    if let Some(dir) = std::env::var_os("VOUCH_SIZES_DIR") {
        evaluate(Path::new(&dir));
        return;
    }
    let mut sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if sizes.is_empty() {
        sizes = vec![1, 10, 100];
    }
    // Bytes per commit of the honest chain, to size it.
    let per_commit = fixture(1000).bytes.len() / 1000;
    println!(
        "{:<18} {:>6} {:>12} {:>9} {:>10} {:>10} {:>7}  verdict",
        "bundle", "MB", "bytes", "seconds", "MB/s", "peak MiB", "x size"
    );
    for mb in sizes {
        let only = std::env::var("VOUCH_SIZES_KINDS").unwrap_or_default();
        for kind in KINDS {
            if !only.is_empty() && !only.split(',').any(|k| k == kind) {
                continue;
            }
            let dir = std::env::temp_dir()
                .join(format!("vouch-sizes-{}-{kind}-{mb}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            make(kind, mb * 1_000_000, per_commit, &dir);
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .env("VOUCH_SIZES_DIR", &dir)
                .output()
                .unwrap();
            if std::env::var_os("VOUCH_SIZES_TRACE").is_some() {
                eprintln!(
                    "---- {kind} {mb} MB ----\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            std::fs::remove_dir_all(&dir).unwrap();
            assert!(
                out.status.success(),
                "{kind} {mb} MB: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let line = String::from_utf8(out.stdout).unwrap();
            let f: Vec<&str> = line.trim().splitn(5, ' ').collect();
            let (bytes, base_kib, peak_kib, micros): (f64, f64, f64, f64) = (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
            );
            let net = (peak_kib - base_kib) * 1024.0;
            let secs = micros / 1e6;
            println!(
                "{kind:<18} {mb:>6} {bytes:>12} {secs:>9.3} {:>10.1} {:>10.1} {:>7.2}  {}",
                bytes / 1e6 / secs,
                net / (1024.0 * 1024.0),
                net / bytes,
                f[4]
            );
            if kind == "honest" {
                assert!(
                    f[4].starts_with("PASS"),
                    "the honest chain failed: {}",
                    f[4]
                );
            }
        }
    }
}

/// Writes `bundle`, `roster`, `policy.toml` and `target` for one case.
fn make(kind: &str, size: usize, per_commit: usize, dir: &Path) {
    let commits = if kind == "honest" {
        (size / per_commit).div_ceil(100).max(1) * 100
    } else {
        100
    };
    let f = fixture(commits);
    std::fs::write(dir.join("roster"), &f.roster_file).unwrap();
    std::fs::write(dir.join("policy.toml"), &f.policy).unwrap();
    let Target::Deployment(d) = f.target else {
        unreachable!()
    };
    std::fs::write(dir.join("target"), d.to_string()).unwrap();
    let base = Bundle::from_bytes(&f.bytes).unwrap();
    let mut bundle = Bundle::new();
    for e in base.envelopes() {
        bundle.add_envelope(e.clone());
    }
    let mut total = f.bytes.len();
    drop(f);
    let first: Signed<Commit> = Signed::from_bytes(&base.envelopes()[0]).unwrap();
    let strangers: Vec<BenchKey> = (0..64)
        .map(|k| BenchKey::new(&format!("stranger-{k}")))
        .collect();
    let forgers: Vec<Forger> = (0..64)
        .map(|k| Forger {
            claims: BenchKey::new(&format!("person:dev-{k:03}@example.com"))
                .public_key()
                .clone(),
            signs: BenchKey::new(&format!("forger-{k}")),
        })
        .collect();
    let mut n = 0usize;
    while kind != "honest" && total < size {
        // A counterfeit of commit n % 100: same commit id, another tree.
        let counterfeit = || {
            let mut c = first.unverified().predicate().clone();
            c.commit_id = commit_id(n % 100);
            c.tree_id = commit_id(3_000_000 + n);
            c
        };
        let envelope = match kind {
            "duplicates" => base.envelopes()[0].clone(),
            "unknown-signers" => {
                let refs: Vec<&BenchKey> = strangers.iter().collect();
                sign(counterfeit(), &refs).to_bytes().unwrap()
            }
            "forged-signatures" => {
                let statement = vouch_manifest::Statement::from_predicate(counterfeit()).unwrap();
                let mut s = Signed::sign(&statement, &forgers[0]).unwrap();
                for f in &forgers[1..] {
                    s.cosign(f).unwrap();
                }
                s.to_bytes().unwrap()
            }
            "deep-nesting" => deep(&counterfeit(), &strangers[0]),
            other => panic!("no kind {other}"),
        };
        total += envelope.len() + 5;
        bundle.add_envelope(envelope);
        n += 1;
    }
    std::fs::write(dir.join("bundle"), bundle.to_bytes().unwrap()).unwrap();
}

/// A commit statement whose predicate is replaced by 1000 arrays nested
/// 58 deep, signed by `key`.
fn deep(commit: &Commit, key: &BenchKey) -> Vec<u8> {
    let statement = vouch_manifest::Statement::from_predicate(commit.clone()).unwrap();
    let payload = statement.to_canonical_bytes().unwrap();
    let value =
        vouch_core::cbor::map_field(&payload, "predicate", vouch_core::cbor::Limits::DEFAULT)
            .unwrap()
            .unwrap();
    let start = value.as_ptr() as usize - payload.as_ptr() as usize;
    let end = start + value.len();
    let mut nested = vec![0x99, 0x03, 0xe8];
    for _ in 0..1000 {
        nested.extend(std::iter::repeat_n(0x81, 58));
        nested.push(0x00);
    }
    let mut bytes = payload[..start].to_vec();
    bytes.extend_from_slice(&nested);
    bytes.extend_from_slice(&payload[end..]);
    let mut env = Sign::new(STATEMENT_CONTENT_TYPE, bytes).unwrap();
    env.add_signature(key).unwrap();
    env.to_bytes().unwrap()
}

/// Claims a roster key and signs with another: a signature that is
/// checked, and fails.
struct Forger {
    claims: PublicKey,
    signs: BenchKey,
}

impl Signer for Forger {
    fn public_key(&self) -> &PublicKey {
        &self.claims
    }

    fn try_sign(&self, message: &[u8]) -> Result<Signature, SignError> {
        self.signs.try_sign(message)
    }
}

/// The child: reads the files and evaluates, printing `bytes base_kib
/// peak_kib micros verdict`.
fn evaluate(dir: &Path) {
    let read = |n: &str| std::fs::read(dir.join(n)).unwrap();
    let policy = Policy::from_bytes(&read("policy.toml")).unwrap();
    let chain = vouch_manifest::RosterChain::from_bytes(&read("roster")).unwrap();
    let pin = chain.versions()[0].digest();
    let now = NOW.parse().unwrap();
    let roster = chain.verify(&pin, now).unwrap();
    let target: Target = String::from_utf8(read("target")).unwrap().parse().unwrap();
    let mut verifier = Verifier::new(policy, roster);
    if std::env::var("VOUCH_SIZES_THREADS").as_deref() == Ok("1") {
        verifier = verifier.with_threads(vouch_chain::Threads::One);
    }
    let path: PathBuf = dir.join("bundle");
    let size = std::fs::metadata(&path).unwrap().len();
    let base = vm_hwm_kib();
    let start = Instant::now();
    // What `Bundle::read` does, which the CLI uses.
    let verdict = match Bundle::read(&path) {
        Ok(bundle) => {
            if std::env::var_os("VOUCH_SIZES_TRACE").is_some() {
                eprintln!("after reading: VmHWM {} KiB (before: {base})", vm_hwm_kib());
            }
            let v = verifier.verify(&bundle, &target, now);
            if std::env::var_os("VOUCH_SIZES_TRACE").is_some() {
                for line in v.render_text().lines().take(80) {
                    eprintln!("{line}");
                }
            }
            if v.passed() {
                "PASS".to_owned()
            } else {
                let first = v
                    .failures()
                    .first()
                    .map(|f| f.reason.to_string())
                    .unwrap_or_default();
                let first: String = first.chars().take(70).collect();
                format!("FAIL ({} failures, as: {first})", v.failures().len())
            }
        }
        Err(e) => {
            let e: String = e.to_string().chars().take(100).collect();
            format!("refused: {e}")
        }
    };
    let micros = start.elapsed().as_micros();
    let peak = vm_hwm_kib();
    println!("{size} {base} {peak} {micros} {verdict}");
}

/// The process's peak resident set so far, in KiB (Linux `VmHWM`).
fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}
