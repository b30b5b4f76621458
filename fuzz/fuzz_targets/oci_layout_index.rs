//! vouch_oci's parsers of an OCI image layout's untrusted JSON: the image
//! index (`index.json`, a referrers index: `parse_index`), the image
//! manifest (`parse_manifest`), descriptor digests, and the whole read of a
//! layout directory (`Layout::open`, `Layout::image`) made from the input.
//!
//! The input's parts (split at `vouch_fuzz::SEP`): the first is
//! `index.json`, every other one a blob, stored as a real layout stores it
//! (`blobs/sha256/<its sha256>`). Never panics; an image that is read has
//! the digest of a blob that is there and whose bytes were checked, and
//! the index's descriptors are bounded by its size.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::json;
use vouch_core::Digest;
use vouch_oci::image::{Image, parse_manifest};
use vouch_oci::layout::{Layout, descriptor_digest, parse_index};

/// This process's layout directory, emptied and refilled for each input.
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| std::env::temp_dir().join(format!("vouch-fuzz-oci-{}", std::process::id())))
}

fn descriptor(media_type: &str, blob: &[u8]) -> serde_json::Value {
    json!({
        "mediaType": media_type,
        "digest": Digest::sha256(blob).to_string(),
        "size": blob.len(),
    })
}

/// A single-platform layout tagged `latest` and a two-platform index.
fn seeds() -> Vec<Vec<u8>> {
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let layer = b"layer bytes".to_vec();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json", config),
        "layers": [descriptor("application/vnd.oci.image.layer.v1.tar+gzip", &layer)],
    })
    .to_string()
    .into_bytes();
    let mut tagged = descriptor("application/vnd.oci.image.manifest.v1+json", &manifest);
    tagged["annotations"] = json!({"org.opencontainers.image.ref.name": "latest"});
    let index = json!({"schemaVersion": 2, "manifests": [tagged]}).to_string();
    let mut arm = descriptor("application/vnd.oci.image.manifest.v1+json", &manifest);
    arm["platform"] = json!({"architecture": "arm64", "os": "linux", "variant": "v8"});
    let platforms = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [arm],
    })
    .to_string()
    .into_bytes();
    let outer = json!({
        "schemaVersion": 2,
        "manifests": [descriptor("application/vnd.oci.image.index.v1+json", &platforms)],
    })
    .to_string();
    let join = |parts: &[&[u8]]| parts.join(vouch_fuzz::SEP);
    vec![
        join(&[index.as_bytes(), &manifest, config, &layer]),
        join(&[outer.as_bytes(), &platforms, &manifest, config]),
        manifest.clone(),
    ]
}

fuzz_target!(init: vouch_fuzz::write_seeds(seeds), |data: &[u8]| {
    let parts = vouch_fuzz::parts(data);
    // The parsers alone, on every part.
    for part in &parts {
        if let Ok(index) = parse_index(part) {
            // serde_json allocates per element read: no more descriptors
            // than the bytes could describe.
            assert!(index.manifests().len() <= part.len());
            for d in index.manifests() {
                if let Ok(digest) = descriptor_digest(d) {
                    assert_eq!(digest.to_string(), d.digest().to_string());
                }
            }
        }
        if let Ok(manifest) = parse_manifest(part) {
            let _ = descriptor_digest(manifest.config());
            for d in manifest.layers() {
                let _ = descriptor_digest(d);
            }
        }
    }
    // The layout made of the parts. Layout::open parses index.json with
    // parse_index: when that fails there is nothing more to reach, so the
    // files (the slow part of an input) are not written.
    if parse_index(parts[0]).is_err() {
        return;
    }
    let dir = dir();
    let _ = std::fs::remove_dir_all(dir);
    let blobs = dir.join("blobs").join("sha256");
    std::fs::create_dir_all(&blobs).expect("a temporary layout");
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).expect("writes");
    std::fs::write(dir.join("index.json"), parts[0]).expect("writes");
    let mut stored = Vec::new();
    for blob in &parts[1..] {
        let digest = Digest::sha256(blob);
        std::fs::write(blobs.join(digest.hex()), blob).expect("writes");
        stored.push(digest);
    }
    let Ok(layout) = Layout::open(dir) else {
        return;
    };
    for tag in [None, Some("latest")] {
        let Ok(image) = layout.image(tag) else {
            continue;
        };
        assert!(stored.contains(&image.digest()), "an image from no stored blob");
        match image {
            Image::Manifest(m) => assert!(stored.contains(&m.digest)),
            Image::Index { manifests, .. } => {
                for p in manifests {
                    assert!(stored.contains(&p.manifest.digest));
                }
            }
        }
    }
});
