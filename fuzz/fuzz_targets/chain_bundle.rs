//! vouch_chain::Bundle::from_bytes (a bundle file: envelopes, commit
//! objects, timestamps, inclusions): a bundle that decodes re-encodes to
//! its bytes and decodes to the same bundle.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_chain::{Bundle, timestamped_digest};

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("chain_bundle")), |data: &[u8]| {
    let Ok(bundle) = Bundle::from_bytes(data) else {
        return;
    };
    let bytes = bundle.to_bytes().expect("a decoded bundle re-encodes");
    let again = Bundle::from_bytes(&bytes).expect("a re-encoded bundle decodes");
    assert_eq!(again, bundle, "the bundle changed through its encoding");
    assert_eq!(bytes, data, "a bundle re-encodes to its bytes");
    for e in bundle.envelopes() {
        let _ = timestamped_digest(e);
    }
});
