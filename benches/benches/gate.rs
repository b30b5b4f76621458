//! The gate under load: a real `vouch_gate` webhook over TLS on loopback
//! (started by vouch-test-support's `gate`, as vouch-gate's end-to-end
//! tests start it), real AdmissionReview requests for a Pod, and the
//! 500-commit chain of `chain.rs` (`chain_fixture`) as the image's bundle,
//! with the example policy's four stages (deployment, image, releases,
//! commits).
//!
//! Two cases, each on its own gate:
//!
//! - `cache-hit`: the default verdict cache; the first request verifies
//!   and every later one is answered from the cache (the cache key holds
//!   the bundle's digest, so each request still reads and hashes the
//!   bundle file: the cost of a hit is the real one).
//! - `full-verify`: the same request to a gate configured with
//!   `cache-size = 0`, which disables the cache, so every request runs
//!   the whole decision: the bundle read from its directory, decoded, every
//!   signature of the chain verified (the 500 commit attestations, 10
//!   releases with 2 signatures each, the image, the deployment and its two
//!   approvals) and the rules applied. This is what a cache miss costs;
//!   no shortcut is left that a unique-key-per-request scheme would avoid,
//!   and the request stays byte for byte the one of `cache-hit`.
//!
//! Measured, per case:
//!
//! - a load generator: [`CLIENTS`] keep-alive connections (their TLS
//!   handshakes made before the clock starts) sending requests back to
//!   back, each answer checked (200 and `allowed: true`); printed are
//!   requests per second over the wall time and the distribution of the
//!   per-request times (p50, p90, p99, max, and a histogram of them);
//! - a criterion group `gate` with the per-request time of one
//!   keep-alive client sending one request after the other (`cache-hit`,
//!   `full-verify`), beside `evaluate/500`, chain.rs's measurement of the
//!   same bundle verified in-process (`Bundle::from_bytes` +
//!   `Verifier::verify`), so that the gate's overhead over verification is
//!   read from one run: `full-verify / evaluate` is printed too, as the
//!   best of interleaved runs;
//! - what a cache hit pays before its cache lookup: the bundle file read,
//!   hashed (its digest is part of the cache key) and decoded, timed
//!   in-process against one cache-hit request (best of interleaved runs).
//!
//! Server and clients share the process and the machine's cores, so the
//! throughput is a lower bound of what the server alone would do.
//!
//! `cargo bench -p vouch-benches --bench gate`. Built as a test
//! (`cargo test --benches`, or without criterion's `--bench` flag) it
//! makes a few requests per case and checks them, nothing more.
//!
//! Target: cache hits p99 < 5 ms under the 16 clients.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use tokio::runtime::Runtime;
use vouch_chain::Bundle;
use vouch_core::{Algorithm, Digest, Timestamp};
use vouch_gate::server::Limits;
use vouch_test_support::gate::{self, Client, GateInputs, RunningGate, pod_review};

mod chain_fixture;

use chain_fixture::{Fixture, fixture_at};

/// Concurrent keep-alive clients of the load generator.
const CLIENTS: usize = 16;

/// The commits of the chain.
const COMMITS: usize = 500;

/// Whether criterion was asked to measure (`cargo bench` passes
/// `--bench`); without it, as a test, every case runs a few requests.
fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// What the load generator saw.
struct Load {
    requests: usize,
    wall: Duration,
    /// Every request's time, sorted.
    times: Vec<Duration>,
}

impl Load {
    /// The `q`-quantile (nearest rank) of the per-request times.
    fn quantile(&self, q: f64) -> Duration {
        let rank = ((self.times.len() as f64) * q).ceil() as usize;
        self.times[rank.clamp(1, self.times.len()) - 1]
    }

    fn print(&self, case: &str) {
        let rps = self.requests as f64 / self.wall.as_secs_f64();
        eprintln!(
            "gate/{case}: {CLIENTS} keep-alive clients, {} requests in {:.2?}: {rps:.0} requests/s; \
             per request p50 {:.2?}, p90 {:.2?}, p99 {:.2?}, max {:.2?}",
            self.requests,
            self.wall,
            self.quantile(0.50),
            self.quantile(0.90),
            self.quantile(0.99),
            self.times[self.times.len() - 1],
        );
        // Buckets doubling from 125 µs: the shape of the distribution (a
        // second mode, a long tail) that the percentiles alone hide.
        let mut upper = Duration::from_micros(125);
        let mut counted = 0;
        while counted < self.times.len() {
            let n = self.times[counted..]
                .iter()
                .take_while(|t| **t < upper)
                .count();
            if n > 0 {
                let share = n as f64 / self.times.len() as f64;
                let bar = "#".repeat((share * 50.0).ceil() as usize);
                eprintln!("gate/{case}:   < {upper:>9.3?} {n:>7} {bar}");
            }
            counted += n;
            upper *= 2;
        }
    }
}

/// Panics unless the gate answered 200 with `allowed: true`.
fn check(status: u16, body: &[u8]) {
    let needle = b"\"allowed\":true";
    assert!(
        status == 200 && body.windows(needle.len()).any(|w| w == needle),
        "the gate did not admit the pod: {status} {}",
        String::from_utf8_lossy(body)
    );
}

/// [`CLIENTS`] clients each sending `per_client` requests of `body`.
async fn load(gate: &RunningGate, per_client: usize, body: Arc<Vec<u8>>) -> Load {
    let mut clients = Vec::with_capacity(CLIENTS);
    for _ in 0..CLIENTS {
        clients.push(Client::connect(gate).await);
    }
    let start = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|mut client| {
            let body = Arc::clone(&body);
            tokio::spawn(async move {
                let mut times = Vec::with_capacity(per_client);
                for _ in 0..per_client {
                    let sent = Instant::now();
                    let (status, answer) = client.post("/validate", &body).await;
                    times.push(sent.elapsed());
                    check(status, &answer);
                }
                times
            })
        })
        .collect();
    let mut times = Vec::with_capacity(CLIENTS * per_client);
    for task in tasks {
        times.extend(task.await.unwrap());
    }
    let wall = start.elapsed();
    times.sort_unstable();
    Load {
        requests: times.len(),
        wall,
        times,
    }
}

/// One request after the other on `client`, `iters` times: the elapsed time.
async fn sequential(client: &mut Client, body: &[u8], iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let (status, answer) = client.post("/validate", black_box(body)).await;
        check(status, &answer);
    }
    start.elapsed()
}

fn inputs(f: &Fixture, cache_size: usize) -> GateInputs {
    GateInputs {
        roster: f.roster_file.clone(),
        roster_pin: f.roster_pin,
        policy: f.policy.clone(),
        bundles: vec![(f.image, f.bytes.clone())],
        cache_size,
    }
}

fn bench(c: &mut Criterion) {
    let measuring = measuring();
    let runtime = Runtime::new().unwrap();
    // Made for the wall clock: the gate verifies at its own clock.
    let f = fixture_at(COMMITS, Algorithm::Ed25519, Timestamp::now());
    let (hit, full) = runtime.block_on(async {
        (
            gate::start("bench-hit", &inputs(&f, 10_000), Limits::default()).await,
            gate::start("bench-full", &inputs(&f, 0), Limits::default()).await,
        )
    });
    let body = Arc::new(pod_review(
        "3a9c7a51-0f0e-4e0a-9c7e-5d2b1e6f8a01",
        "app",
        "app",
        &format!("registry.example.com/monorepo/app@{}", f.image),
    ));

    // The load generator. The first request to the caching gate fills
    // its cache (and warms both gates' file and TLS paths).
    let (hits, fulls) = if measuring { (2_000, 12) } else { (3, 1) };
    runtime.block_on(async {
        let mut warm = Client::connect(&hit).await;
        sequential(&mut warm, &body, 3).await;
        let mut warm = Client::connect(&full).await;
        sequential(&mut warm, &body, 1).await;
        load(&hit, hits, Arc::clone(&body)).await.print("cache-hit");
        assert!(
            hit.metrics.cache_hits() >= (CLIENTS * hits) as u64,
            "the cache-hit gate missed"
        );
        load(&full, fulls, Arc::clone(&body))
            .await
            .print("full-verify");
        assert_eq!(full.metrics.cache_hits(), 0, "the full-verify gate hit");
    });

    // The gate's overhead over verification alone: best of interleaved
    // single requests and in-process evaluations.
    let runs = if measuring { 9 } else { 1 };
    let mut client = runtime.block_on(Client::connect(&full));
    let (mut gate_best, mut eval_best) = (Duration::MAX, Duration::MAX);
    for _ in 0..runs {
        gate_best = gate_best.min(runtime.block_on(sequential(&mut client, &body, 1)));
        let start = Instant::now();
        black_box(f.evaluate());
        eval_best = eval_best.min(start.elapsed());
    }
    eprintln!(
        "gate/full-verify: best of {runs} interleaved: one request {gate_best:.2?}, \
         chain evaluate/{COMMITS} in-process {eval_best:.2?}: {:.3} x evaluate",
        gate_best.as_secs_f64() / eval_best.as_secs_f64()
    );

    // What a cache hit still pays before the cache is consulted: the
    // gate fetches the bundle (reads the file), hashes it (the cache key
    // holds the bundle's digest) and decodes it, then looks up the key.
    // The best of `runs`, in-process, against one request's time.
    let mut hit_client = runtime.block_on(Client::connect(&hit));
    let (mut hit_best, mut fetch_best) = (Duration::MAX, Duration::MAX);
    let path = hit
        .dir
        .join("bundles")
        .join(vouch_gate::source::file_name(&f.image));
    for _ in 0..runs * 10 {
        hit_best = hit_best.min(runtime.block_on(sequential(&mut hit_client, &body, 1)));
        let start = Instant::now();
        let bytes = std::fs::read(&path).unwrap();
        black_box(Digest::sha256(&bytes));
        black_box(Bundle::from_bytes(&bytes).unwrap());
        fetch_best = fetch_best.min(start.elapsed());
    }
    eprintln!(
        "gate/cache-hit: best of {} interleaved: one request {hit_best:.2?}, of which the \
         bundle's read + SHA-256 + decode ({} bytes) in-process {fetch_best:.2?} ({:.0}%)",
        runs * 10,
        f.bytes.len(),
        100.0 * fetch_best.as_secs_f64() / hit_best.as_secs_f64()
    );

    let mut group = c.benchmark_group("gate");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    // Each case on a connection of its own, made just before it: the
    // gate closes a keep-alive connection idle for its header timeout
    // (10 s), which the previous case may well take.
    let mut hit_client = runtime.block_on(Client::connect(&hit));
    group.bench_function("cache-hit", |b| {
        b.iter_custom(|iters| runtime.block_on(sequential(&mut hit_client, &body, iters)))
    });
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(Duration::from_secs(5));
    let mut client = runtime.block_on(Client::connect(&full));
    group.bench_function("full-verify", |b| {
        b.iter_custom(|iters| runtime.block_on(sequential(&mut client, &body, iters)))
    });
    group.bench_function(BenchmarkId::new("evaluate", COMMITS), |b| {
        b.iter(|| f.evaluate())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
