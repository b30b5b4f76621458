//! Layout reading against layouts written byte by byte in a temp dir.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use oci_spec::image::ImageManifest;
use vouch_core::Digest;
use vouch_oci::layout::Layout;
use vouch_oci::{MAX_MANIFEST, OciError};

const CONFIG: &[u8] = b"{}";

fn write_blob(dir: &Path, bytes: &[u8]) -> Digest {
    let digest = Digest::sha256(bytes);
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::write(blobs.join(digest.hex()), bytes).unwrap();
    digest
}

/// A layout with one manifest tagged `v1`; returns the manifest's digest.
fn make_layout(dir: &Path) -> Digest {
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let config = write_blob(dir, CONFIG);
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config}","size":2}},"layers":[]}}"#
    );
    let digest = write_blob(dir, manifest.as_bytes());
    let index = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{digest}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"v1"}}}}]}}"#,
        manifest.len()
    );
    std::fs::write(dir.join("index.json"), index).unwrap();
    digest
}

#[test]
fn resolves_tag_and_reads_checked_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let digest = make_layout(tmp.path());
    let layout = Layout::open(tmp.path()).unwrap();
    let tagged = layout.resolve(Some("v1")).unwrap();
    let only = layout.resolve(None).unwrap();
    assert_eq!(tagged, only);
    assert_eq!(
        vouch_oci::layout::descriptor_digest(tagged).unwrap(),
        digest
    );
    let bytes = layout.read_blob(tagged, MAX_MANIFEST).unwrap();
    let manifest: ImageManifest = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        manifest.config().digest().to_string(),
        Digest::sha256(CONFIG).to_string()
    );
    assert!(matches!(
        layout.resolve(Some("v2")),
        Err(OciError::TagNotFound(t)) if t == "v2"
    ));
}

#[test]
fn tampered_blob_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let digest = make_layout(tmp.path());
    let path = tmp.path().join("blobs/sha256").join(digest.hex());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let layout = Layout::open(tmp.path()).unwrap();
    let d = layout.resolve(Some("v1")).unwrap();
    assert!(matches!(
        layout.read_blob(d, MAX_MANIFEST),
        Err(OciError::DigestMismatch { expected, .. }) if expected == digest
    ));
}

#[test]
fn symlinked_blob_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let digest = make_layout(tmp.path());
    let path = tmp.path().join("blobs/sha256").join(digest.hex());
    let target = outside.path().join("m");
    std::fs::rename(&path, &target).unwrap();
    std::os::unix::fs::symlink(&target, &path).unwrap();
    let layout = Layout::open(tmp.path()).unwrap();
    let d = layout.resolve(None).unwrap();
    assert!(matches!(
        layout.read_blob(d, MAX_MANIFEST),
        Err(OciError::NotRegularFile(_))
    ));
}

#[test]
fn oversize_index_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    make_layout(tmp.path());
    let big = vec![b' '; usize::try_from(MAX_MANIFEST).unwrap() + 1];
    std::fs::write(tmp.path().join("index.json"), big).unwrap();
    assert!(matches!(
        Layout::open(tmp.path()),
        Err(OciError::TooLarge { limit, .. }) if limit == MAX_MANIFEST
    ));
}

#[test]
fn wrong_layout_version_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    make_layout(tmp.path());
    std::fs::write(
        tmp.path().join("oci-layout"),
        br#"{"imageLayoutVersion":"9"}"#,
    )
    .unwrap();
    assert!(matches!(
        Layout::open(tmp.path()),
        Err(OciError::LayoutVersion(v)) if v == "9"
    ));
}

/// A layout whose `index.json` names an image index of two platform
/// manifests (written by hand: umoci makes no indexes).
#[test]
fn image_index_lists_its_platform_manifests() {
    use vouch_oci::image::Image;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_layout(dir);
    let config = write_blob(dir, CONFIG);
    let layer = write_blob(dir, b"layer bytes");
    let manifest = |n: usize| {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config}","size":2}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer}","size":11}}],"annotations":{{"n":"{n}"}}}}"#
        )
    };
    let (m1, m2) = (manifest(1), manifest(2));
    let (d1, d2) = (
        write_blob(dir, m1.as_bytes()),
        write_blob(dir, m2.as_bytes()),
    );
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{d1}","size":{},"platform":{{"os":"linux","architecture":"amd64"}}}},{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{d2}","size":{},"platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}}]}}"#,
        m1.len(),
        m2.len()
    );
    let index_digest = write_blob(dir, index.as_bytes());
    let top = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"{index_digest}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"multi"}}}}]}}"#,
        index.len()
    );
    std::fs::write(dir.join("index.json"), top).unwrap();

    let layout = Layout::open(dir).unwrap();
    let Image::Index { digest, manifests } = layout.image(Some("multi")).unwrap() else {
        panic!("expected an index");
    };
    assert_eq!(digest, index_digest);
    let platforms: Vec<_> = manifests.iter().map(|m| m.platform.clone()).collect();
    assert_eq!(
        platforms,
        [
            Some("linux/amd64".to_owned()),
            Some("linux/arm64/v8".to_owned())
        ]
    );
    assert_eq!(manifests[0].manifest.digest, d1);
    assert_eq!(manifests[1].manifest.digest, d2);
    assert_eq!(manifests[1].manifest.config, config);
    assert_eq!(manifests[1].manifest.layers, [layer]);

    // An index inside an index is refused: reading stays one level deep.
    let nested = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"{index_digest}","size":{}}}]}}"#,
        index.len()
    );
    let nested_digest = write_blob(dir, nested.as_bytes());
    let top = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"{nested_digest}","size":{}}}]}}"#,
        nested.len()
    );
    std::fs::write(dir.join("index.json"), top).unwrap();
    let layout = Layout::open(dir).unwrap();
    assert!(matches!(layout.image(None), Err(OciError::MediaType(_))));
}
