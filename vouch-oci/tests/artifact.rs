//! Attaching vouch bundles to an umoci-built image in a layout and reading
//! them back: roundtrip, idempotent re-attach, two bundles, a tampered blob
//! refused, symbolic links refused, and skopeo still reading the layout
//! (with the artifact and its `sha256-<hex>` tag index in `index.json`).
//! A missing tool prints a SKIP notice and passes, except under CI=true.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vouch_oci::OciError;
use vouch_oci::layout::{Layout, descriptor_digest};
use vouch_oci::referrers::fallback_tag;
use vouch_test_support::oci::{build_image, skopeo_inspect, tools_available};

fn layout_with_image() -> Option<(tempfile::TempDir, std::path::PathBuf)> {
    if !tools_available("attaching bundles in a layout") {
        return None;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("L");
    build_image(&dir, "t", &[("/f", b"contents")]);
    Some((tmp, dir))
}

#[test]
fn attach_then_fetch_roundtrips_and_is_idempotent() {
    let Some((_tmp, dir)) = layout_with_image() else {
        return;
    };
    let mut layout = Layout::open(&dir).unwrap();
    let subject = layout.resolve(Some("t")).unwrap().clone();
    let digest = descriptor_digest(&subject).unwrap();
    assert!(layout.bundles_for(&digest).unwrap().is_empty());

    let first = layout.attach(&subject, b"bundle one").unwrap();
    let index_after_first = std::fs::read(dir.join("index.json")).unwrap();
    let again = layout.attach(&subject, b"bundle one").unwrap();
    assert_eq!(first, again);
    assert_eq!(
        std::fs::read(dir.join("index.json")).unwrap(),
        index_after_first,
        "a second attach of the same bundle rewrote index.json"
    );
    layout.attach(&subject, b"bundle two").unwrap();

    // Reopened from disk: both bundles, once each, in attach order.
    let reopened = Layout::open(&dir).unwrap();
    assert_eq!(
        reopened.bundles_for(&digest).unwrap(),
        vec![b"bundle one".to_vec(), b"bundle two".to_vec()]
    );
    // The fallback tag names an index listing both artifacts.
    let tag = reopened.resolve(Some(&fallback_tag(&digest))).unwrap();
    let index =
        vouch_oci::referrers::parse(&reopened.read_blob(tag, vouch_oci::MAX_MANIFEST).unwrap())
            .unwrap();
    assert_eq!(vouch_oci::referrers::bundles(&index).len(), 2);
    // The image is still the layout's only image, and skopeo still reads it.
    assert_eq!(reopened.resolve(None).unwrap(), &subject);
    let inspected = skopeo_inspect(&dir, "t");
    assert_eq!(inspected["Digest"], digest.to_string());
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("blobs/sha256"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn bundles_of_another_image_are_not_returned() {
    let Some((_tmp, dir)) = layout_with_image() else {
        return;
    };
    build_image(&dir, "other", &[("/g", b"else")]);
    let mut layout = Layout::open(&dir).unwrap();
    let t = layout.resolve(Some("t")).unwrap().clone();
    let other = layout.resolve(Some("other")).unwrap().clone();
    layout.attach(&t, b"for t").unwrap();
    layout.attach(&other, b"for other").unwrap();
    let layout = Layout::open(&dir).unwrap();
    assert_eq!(
        layout.bundles_for(&descriptor_digest(&t).unwrap()).unwrap(),
        vec![b"for t".to_vec()]
    );
    assert_eq!(
        layout
            .bundles_for(&descriptor_digest(&other).unwrap())
            .unwrap(),
        vec![b"for other".to_vec()]
    );
}

#[test]
fn a_tampered_bundle_blob_is_refused() {
    let Some((_tmp, dir)) = layout_with_image() else {
        return;
    };
    let mut layout = Layout::open(&dir).unwrap();
    let subject = layout.resolve(Some("t")).unwrap().clone();
    let artifact = layout.attach(&subject, b"honest bundle").unwrap();
    let layer = vouch_core::Digest::sha256(&artifact.layer);
    // Same length, other bytes: only the digest check can catch it.
    std::fs::write(dir.join("blobs/sha256").join(layer.hex()), b"forged bundle").unwrap();
    let err = Layout::open(&dir)
        .unwrap()
        .bundles_for(&descriptor_digest(&subject).unwrap());
    assert!(
        matches!(err, Err(OciError::DigestMismatch { .. })),
        "{err:?}"
    );
    // Attaching again repairs the blob (content-addressed rewrite).
    let mut layout = Layout::open(&dir).unwrap();
    layout.attach(&subject, b"honest bundle").unwrap();
    assert_eq!(
        layout
            .bundles_for(&descriptor_digest(&subject).unwrap())
            .unwrap(),
        vec![b"honest bundle".to_vec()]
    );
}

#[test]
fn symlinked_index_or_blobs_are_refused() {
    let Some((tmp, dir)) = layout_with_image() else {
        return;
    };
    // index.json as a link to a copy outside the layout.
    let outside = tmp.path().join("outside.json");
    std::fs::rename(dir.join("index.json"), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("index.json")).unwrap();
    let err = Layout::open(&dir);
    assert!(matches!(err, Err(OciError::NotRegularFile(_))), "{err:?}");
    std::fs::remove_file(dir.join("index.json")).unwrap();
    std::fs::rename(&outside, dir.join("index.json")).unwrap();

    // blobs/ as a link to a directory outside the layout.
    let layout = Layout::open(&dir).unwrap();
    let subject = layout.resolve(Some("t")).unwrap().clone();
    let moved = tmp.path().join("blobs-outside");
    std::fs::rename(dir.join("blobs"), &moved).unwrap();
    std::os::unix::fs::symlink(&moved, dir.join("blobs")).unwrap();
    let err = layout.read_blob(&subject, vouch_oci::MAX_MANIFEST);
    assert!(matches!(err, Err(OciError::NotRegularFile(_))), "{err:?}");
}
