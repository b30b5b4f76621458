//! SHA-256 throughput of `vouch_core::Digest::sha256` (one shot) and
//! `vouch_core::Hasher` (streamed in 64 KiB chunks, as `Digest::sha256_file`
//! reads) on buffers from one page to a large layer.
//!
//! Compare with `openssl speed -seconds 3 sha256` (its 16384-byte column).

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use vouch_core::{Digest, DigestAlgorithm, Hasher};

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;
const SIZES: [(usize, &str); 4] = [
    (4 * KIB, "4KiB"),
    (16 * KIB, "16KiB"),
    (MIB, "1MiB"),
    (64 * MIB, "64MiB"),
];
/// The chunk size `Digest::sha256_reader` feeds its hasher with.
const CHUNK: usize = 64 * KIB;

fn sha256(c: &mut Criterion) {
    eprintln!(
        "sha256: hardware accelerated (SHA extensions) = {}",
        vouch_core::sha256_hardware_accelerated()
    );
    for (size, label) in SIZES {
        // Not all zeroes, so nothing can shortcut the input.
        let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let mut group = c.benchmark_group("sha256");
        group.throughput(Throughput::Bytes(size as u64));
        if size >= 64 * MIB {
            // ~30 ms per hash: ten flat samples give a stable median quickly.
            group.sample_size(10).sampling_mode(SamplingMode::Flat);
        }
        group.bench_with_input(BenchmarkId::new("digest", label), &data, |b, data| {
            b.iter(|| Digest::sha256(black_box(data)));
        });
        group.bench_with_input(BenchmarkId::new("hasher", label), &data, |b, data| {
            b.iter(|| {
                let mut h = Hasher::new(DigestAlgorithm::Sha256);
                for chunk in black_box(data).chunks(CHUNK) {
                    h.update(chunk);
                }
                h.finish()
            });
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = sha256
}
criterion_main!(benches);
