//! vouch_core::timestamp: RFC 3161 TimeStampTokens (CMS SignedData with a
//! TSTInfo) and TimeStampResponses, verified with no trust anchors: every
//! parse and check before the anchor runs on the fuzzed bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_core::timestamp::{Imprint, Verifier};
use vouch_core::x509::TrustAnchor;

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("timestamp_token")), |data: &[u8]| {
    let none = Verifier::new(&[]);
    let _ = none.verify_token(data, Imprint::Data(b"signature"));
    let _ = none.verify_response(data, Imprint::Data(b"signature"));
    // The token's own certificates as anchors, to go past the chain check.
    let parts = vouch_fuzz::parts(data);
    if let [token, anchors @ ..] = &parts[..] {
        let anchors: Vec<TrustAnchor> = anchors
            .iter()
            .filter_map(|der| TrustAnchor::from_der(der).ok())
            .collect();
        let v = Verifier::new(&anchors).with_nonce(b"nonce");
        let _ = v.verify_token(token, Imprint::Data(b"signature"));
    }
});
