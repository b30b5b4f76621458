//! Images made by the real `umoci` read, and the digests vouch computes equal
//! what `skopeo inspect` reports: the manifest digest (`Digest`, and the
//! sha256 of `--raw`), the config digest (sha256 of `--raw --config`) and the
//! layers in order (`Layers`). A missing tool prints a SKIP notice and
//! passes, except under CI=true where it fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vouch_core::Digest;
use vouch_oci::MAX_MANIFEST;
use vouch_oci::image::Image;
use vouch_oci::layout::{Layout, descriptor_digest};
use vouch_test_support::oci::{build_image, skopeo_inspect, skopeo_raw, tools_available};

#[test]
fn umoci_layout_digest_matches_skopeo() {
    if !tools_available("reading umoci layouts") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("L");
    build_image(&dir, "t", &[]);
    let raw = skopeo_raw(&dir, "t", false);

    let layout = Layout::open(&dir).unwrap();
    let descriptor = layout.resolve(Some("t")).unwrap();
    assert_eq!(descriptor_digest(descriptor).unwrap(), Digest::sha256(&raw));
    assert_eq!(layout.read_blob(descriptor, MAX_MANIFEST).unwrap(), raw);
}

#[test]
fn image_digests_match_skopeo_inspect() {
    if !tools_available("image digests against skopeo") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("L");
    build_image(&dir, "a", &[("/f", b"first"), ("/etc/g", b"second")]);
    build_image(&dir, "b", &[("/h", b"other")]);

    let layout = Layout::open(&dir).unwrap();
    for tag in ["a", "b"] {
        let Image::Manifest(m) = layout.image(Some(tag)).unwrap() else {
            panic!("umoci made an index");
        };
        let inspect = skopeo_inspect(&dir, tag);
        assert_eq!(m.digest.to_string(), inspect["Digest"].as_str().unwrap());
        let layers: Vec<String> = inspect["Layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_owned())
            .collect();
        let ours: Vec<String> = m.layers.iter().map(Digest::to_string).collect();
        assert_eq!(ours, layers);
        assert_eq!(m.config, Digest::sha256(&skopeo_raw(&dir, tag, true)));
    }
    // Two tags: naming none is ambiguous.
    assert!(layout.image(None).is_err());
    let a = layout.image(Some("a")).unwrap();
    assert_eq!(a.digest().to_string(), skopeo_inspect(&dir, "a")["Digest"]);
    if let Image::Manifest(m) = a {
        assert_eq!(m.layers.len(), 2);
    }
}
