//! Peak heap of evaluating the 50 000-commit chain bundle from its bytes
//! (`cargo bench -p vouch-benches --bench memory`), with dhat counting
//! every allocation: the design goal is at most 4× the bundle's size.
//!
//! Making the fixture (signing 50 000 statements) takes more memory than
//! evaluating it, and dhat's peak cannot be reset, so the fixture is made
//! first and written to a scratch directory, and a second run of this
//! program (`VOUCH_MEMORY_DIR`) reads the bundle, roster and policy files
//! and evaluates, as a deploy gate would: its peak is the evaluation's,
//! the bundle bytes read from the file included.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

mod chain_fixture;

fn main() {
    match std::env::var_os("VOUCH_MEMORY_DIR") {
        Some(dir) => evaluate(PathBuf::from(dir)),
        None => prepare(),
    }
}

/// Makes the fixture, writes its files, runs the evaluation in a child.
fn prepare() {
    // `cargo bench` passes `--bench`; a number selects the size.
    let commits: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(50_000);
    let f = chain_fixture::fixture(commits);
    let dir = std::env::temp_dir().join(format!("vouch-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bundle"), &f.bytes).unwrap();
    std::fs::write(dir.join("roster"), &f.roster_file).unwrap();
    std::fs::write(dir.join("policy.toml"), &f.policy).unwrap();
    let vouch_chain::Target::Deployment(d) = f.target else {
        unreachable!()
    };
    std::fs::write(dir.join("target"), d.to_string()).unwrap();
    drop(f);
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .env("VOUCH_MEMORY_DIR", &dir)
        .arg(commits.to_string())
        .status()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(status.success());
}

/// Reads the files and evaluates on one thread, counting the heap.
fn evaluate(dir: PathBuf) {
    let commits = std::env::args().nth(1).unwrap_or_default();
    let _profiler = dhat::Profiler::builder().testing().build();
    let read = |n: &str| std::fs::read(dir.join(n)).unwrap();
    let policy = vouch_chain::Policy::from_bytes(&read("policy.toml")).unwrap();
    let chain = vouch_manifest::RosterChain::from_bytes(&read("roster")).unwrap();
    let pin = chain.versions()[0].digest();
    let roster = chain
        .verify(&pin, "2026-11-25T12:00:00Z".parse().unwrap())
        .unwrap();
    let target: vouch_chain::Target = String::from_utf8(read("target")).unwrap().parse().unwrap();
    let start = dhat::HeapStats::get();
    let bytes = read("bundle");
    let size = bytes.len() as f64;
    // As `Bundle::read` does: the file's bytes are freed once decoded.
    let bundle = vouch_chain::Bundle::from_bytes(&bytes).unwrap();
    drop(bytes);
    let verifier =
        vouch_chain::Verifier::new(policy, roster).with_threads(vouch_chain::Threads::One);
    let verdict = verifier.verify(&bundle, &target, "2026-11-25T12:00:00Z".parse().unwrap());
    assert!(verdict.passed());
    let end = dhat::HeapStats::get();
    let peak = (end.max_bytes - start.curr_bytes) as f64;
    let mib = |b: f64| b / (1024.0 * 1024.0);
    println!(
        "memory/{commits}: bundle {:.1} MiB; peak heap of reading and evaluating it {:.1} MiB = {:.2} x the bundle; {} allocations",
        mib(size),
        mib(peak),
        peak / size,
        end.total_blocks - start.total_blocks
    );
}
