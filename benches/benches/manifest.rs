//! Throughput of `vouch_manifest::tree::TreeManifest::build` on a tree of
//! 20 000 files of 4–64 KiB (about 680 MB, in the page cache), next to the
//! shell pipelines people use for the same job, timed in the same run:
//!
//! ```text
//! find DIR -type f -print0 | xargs -0 -P2 -n1000 openssl dgst -sha256 > /dev/null
//! find DIR -type f -print0 | xargs -0 -P2 -n1000 sha256sum > /dev/null
//! ```
//!
//! The tree is generated once under `/tmp/vouch-bench-tree` (deterministic
//! pseudo-random content) and reused while it is complete. Without
//! `--bench` (`cargo test --benches`) a 200-file tree is used instead, so a
//! test run stays quick. Run with `cargo bench -p vouch-benches --bench manifest`.

// Bench setup either works or the numbers are meaningless; failing loudly
// is the right outcome, so `unwrap`/`expect` are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use vouch_manifest::tree::{TreeManifest, TreeOptions};

const KIB: u64 = 1024;
/// Files per directory: a checkout-like fan-out, not one huge directory.
const PER_DIR: usize = 200;
/// Timed repetitions of each contender in the comparison.
const ROUNDS: usize = 7;

/// Which tree to use.
struct Spec {
    base: &'static str,
    files: usize,
}

const FULL: Spec = Spec {
    base: "/tmp/vouch-bench-tree",
    files: 20_000,
};
const SMALL: Spec = Spec {
    base: "/tmp/vouch-bench-tree-small",
    files: 200,
};

/// splitmix64: a fixed, fast generator, so every machine builds the same tree.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn file_size(i: usize) -> u64 {
    let mut r = Rng(i as u64);
    4 * KIB + r.next() % (60 * KIB + 1)
}

fn file_path(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("d{:03}", i / PER_DIR))
        .join(format!("f{i:05}.bin"))
}

/// The tree's directory and total size, generating it unless a complete copy
/// is already there: the marker is written last and the files are counted
/// and measured while they are read into the page cache.
fn prepare(spec: &Spec) -> (PathBuf, u64) {
    let base = Path::new(spec.base);
    let dir = base.join("tree");
    let marker = base.join("complete");
    let total: u64 = (0..spec.files).map(file_size).sum();
    let description = format!("v1 files={} bytes={total}\n", spec.files);
    let marked = fs::read_to_string(&marker).ok().as_deref() == Some(description.as_str());
    if marked && warm(&dir, spec, total) {
        eprintln!(
            "reusing {} ({} files, {total} bytes)",
            dir.display(),
            spec.files
        );
        return (dir, total);
    }
    eprintln!(
        "generating {} ({} files, {total} bytes)…",
        dir.display(),
        spec.files
    );
    let _ = fs::remove_file(&marker);
    let _ = fs::remove_dir_all(&dir);
    let mut buf = Vec::new();
    for i in 0..spec.files {
        let path = file_path(&dir, i);
        if i % PER_DIR == 0 {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
        }
        let mut rng = Rng(!(i as u64));
        buf.clear();
        while (buf.len() as u64) < file_size(i) {
            buf.extend_from_slice(&rng.next().to_le_bytes());
        }
        buf.truncate(file_size(i) as usize);
        fs::File::create(&path).unwrap().write_all(&buf).unwrap();
    }
    fs::write(&marker, &description).unwrap();
    assert!(warm(&dir, spec, total), "generated tree does not check out");
    (dir, total)
}

/// Reads every file once so all contenders start from the page cache;
/// false when the tree is not the expected one.
fn warm(dir: &Path, spec: &Spec, total: u64) -> bool {
    match TreeManifest::build(dir, &TreeOptions::default()) {
        Ok(m) => {
            m.entries().len() == spec.files
                && m.entries().iter().map(|e| e.size()).sum::<u64>() == total
        }
        Err(_) => false,
    }
}

fn shell_pipeline(dir: &Path, tool: &str) -> String {
    format!(
        "find '{}' -type f -print0 | xargs -0 -P2 -n1000 {tool} > /dev/null",
        dir.display()
    )
}

fn time_shell(script: &str) -> Duration {
    let start = Instant::now();
    let status = Command::new("sh").arg("-c").arg(script).status().unwrap();
    let elapsed = start.elapsed();
    assert!(status.success(), "{script} failed: {status}");
    elapsed
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn bench_build(c: &mut Criterion, dir: &Path, total: u64) {
    let options = TreeOptions::default();
    let mut group = c.benchmark_group("tree_manifest");
    group
        .throughput(Throughput::Bytes(total))
        // A build takes a few hundred milliseconds: ten flat samples over
        // 25 s give a stable figure without a half-hour run.
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(3))
        .measurement_time(Duration::from_secs(25));
    group.bench_function("build", |b| {
        b.iter(|| TreeManifest::build(black_box(dir), &options).unwrap());
    });
    group.finish();
}

/// Times vouch and both pipelines round-robin, so a noisy neighbour on the
/// machine slows all three alike, and prints medians and ratios.
fn compare(dir: &Path, files: usize, total: u64, rounds: usize) {
    let openssl = shell_pipeline(dir, "openssl dgst -sha256");
    let sha256sum = shell_pipeline(dir, "sha256sum");
    let (mut v, mut o, mut s) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let start = Instant::now();
        black_box(TreeManifest::build(dir, &TreeOptions::default()).unwrap());
        v.push(start.elapsed());
        o.push(time_shell(&openssl));
        s.push(time_shell(&sha256sum));
    }
    let gbps = |d: Duration| total as f64 / d.as_secs_f64() / 1e9;
    let (v, o, s) = (median(v), median(o), median(s));
    println!();
    println!(
        "tree {}: {files} files, {:.1} MB; {} cores, SHA extensions: {}; median of {rounds} rounds",
        dir.display(),
        total as f64 / 1e6,
        std::thread::available_parallelism().map_or(1, usize::from),
        vouch_core::sha256_hardware_accelerated()
    );
    println!(
        "  vouch TreeManifest::build : {:.3} s  {:.2} GB/s",
        v.as_secs_f64(),
        gbps(v)
    );
    println!("  {openssl}");
    println!(
        "                            : {:.3} s  {:.2} GB/s",
        o.as_secs_f64(),
        gbps(o)
    );
    println!("  {sha256sum}");
    println!(
        "                            : {:.3} s  {:.2} GB/s",
        s.as_secs_f64(),
        gbps(s)
    );
    println!("  vouch / openssl   throughput: {:.2}x", gbps(v) / gbps(o));
    println!("  vouch / sha256sum throughput: {:.2}x", gbps(v) / gbps(s));
}

fn main() {
    // `cargo bench` passes `--bench`; without it (`cargo test --benches`)
    // criterion runs each bench once as a smoke test, and so does this.
    let test_mode = !std::env::args().any(|a| a == "--bench");
    let spec = if test_mode { &SMALL } else { &FULL };
    let (dir, total) = prepare(spec);
    let mut c = Criterion::default().configure_from_args();
    bench_build(&mut c, &dir, total);
    c.final_summary();
    compare(&dir, spec.files, total, if test_mode { 1 } else { ROUNDS });
}
