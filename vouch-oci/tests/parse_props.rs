//! The index parser (`index.json`, referrers indexes) never panics on
//! arbitrary or mutated input, and a parsed index re-encodes to one that
//! parses to the same value.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use vouch_oci::layout::parse_index;

const VALID: &str = r#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:2cc12f5b1074a88c4e9cb5bad29b7a185313e36133ac5ee19660a4ef30cf5fff","size":192,"annotations":{"org.opencontainers.image.ref.name":"t"}}]}"#;

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_index(&bytes);
    }

    #[test]
    fn mutated_index_never_panics(pos in 0..VALID.len(), byte in any::<u8>()) {
        let mut bytes = VALID.as_bytes().to_vec();
        bytes[pos] = byte;
        if let Ok(index) = parse_index(&bytes) {
            let again = serde_json::to_vec(&index).unwrap();
            prop_assert_eq!(parse_index(&again).unwrap(), index);
        }
    }
}

#[test]
fn valid_index_parses() {
    let index = parse_index(VALID.as_bytes()).unwrap();
    assert_eq!(index.manifests().len(), 1);
    assert_eq!(index.manifests()[0].size(), 192);
}
