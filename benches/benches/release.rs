//! Encode + sign and decode + verify of a release statement (a signed SBOM)
//! with 10 000 dependencies: the per-operation cost a registry pays.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use vouch_core::{Algorithm, Digest};
use vouch_keys::FileKey;
use vouch_manifest::tree::TreeManifest;
use vouch_manifest::{Dependency, Release, Signed, Statement};

fn release(components: usize) -> Release {
    let dir = std::env::temp_dir().join(format!("vouch-bench-release-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("lib.rs"), b"pub fn f() {}\n").unwrap();
    let contents = TreeManifest::build(&dir, &Default::default()).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    Release {
        package: "shop-api".into(),
        version: "1.4.0".into(),
        purl: Some("pkg:cargo/shop-api@1.4.0".into()),
        contents,
        dependencies: (0..components)
            .map(|i| Dependency {
                name: format!("component-{i:05}"),
                version: Some(format!("1.{}.{}", i % 97, i % 13)),
                purl: Some(format!(
                    "pkg:cargo/component-{i:05}@1.{}.{}",
                    i % 97,
                    i % 13
                )),
                digest: Some(Digest::sha256(&i.to_le_bytes())),
            })
            .collect(),
        commits: Vec::new(),
        released_at: "2026-11-01T00:00:00Z".parse().unwrap(),
        previous: None,
        archive: None,
        tag: None,
    }
}

fn bench(c: &mut Criterion) {
    let statement = Statement::from_predicate(release(10_000)).unwrap();
    let mut g = c.benchmark_group("release-10k");
    g.sample_size(20);
    for alg in [Algorithm::Ed25519, Algorithm::Es256] {
        let key = FileKey::generate(alg).unwrap();
        let bytes = Signed::sign(&statement, &key).unwrap().to_bytes().unwrap();
        eprintln!(
            "release statement with 10000 components: {} bytes signed ({alg})",
            bytes.len()
        );
        g.bench_function(format!("encode+sign/{alg}"), |b| {
            b.iter(|| {
                Signed::sign(black_box(&statement), &key)
                    .unwrap()
                    .to_bytes()
                    .unwrap()
            })
        });
        let keys = [key.public_key().clone()];
        g.bench_function(format!("decode+verify/{alg}"), |b| {
            b.iter(|| {
                let s = Signed::<Release>::from_bytes(black_box(&bytes)).unwrap();
                let v = s
                    .verify(|k| keys.iter().find(|p| p.key_id() == *k))
                    .unwrap();
                black_box(v.value().predicate().dependencies.len())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
