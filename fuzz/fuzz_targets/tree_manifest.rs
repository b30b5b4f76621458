//! vouch_manifest::tree::TreeManifest (a release's contents): canonical
//! CBOR (from_canonical_bytes) and JSON (as `vouch attest release` reads a
//! manifest file), each re-encoding to the same manifest.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_manifest::tree::TreeManifest;

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("tree_manifest")), |data: &[u8]| {
    if let Ok(m) = TreeManifest::from_canonical_bytes(data) {
        let bytes = m.to_canonical_bytes().expect("re-encodes");
        assert_eq!(bytes, data, "a tree manifest re-encodes to its bytes");
    }
    if let Ok(m) = serde_json::from_slice::<TreeManifest>(data) {
        let bytes = m.to_canonical_bytes().expect("encodes");
        assert_eq!(
            TreeManifest::from_canonical_bytes(&bytes).expect("decodes"),
            m
        );
    }
});
