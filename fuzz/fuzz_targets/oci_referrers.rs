//! vouch_oci's referrers index reader (the referrers API's answer, or the
//! `sha256-<hex>` tag index): what it accepts re-encodes to bytes it accepts
//! again as the same index, and adding a listed descriptor changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_oci::referrers::{add, bundles, empty, parse, to_bytes};

fn seeds() -> Vec<Vec<u8>> {
    vec![to_bytes(&empty().expect("an empty index")).expect("encodes")]
}

fuzz_target!(init: vouch_fuzz::write_seeds(seeds), |data: &[u8]| {
    if let Ok(index) = parse(data) {
        let _ = bundles(&index);
        if let Ok(bytes) = to_bytes(&index)
            && let Ok(again) = parse(&bytes)
        {
            assert_eq!(again, index);
            if let Some(first) = index.manifests().first() {
                let mut copy = index.clone();
                assert!(!add(&mut copy, first.clone()).expect("a listed digest parses"));
                assert_eq!(copy, index);
            }
        }
    }
});
