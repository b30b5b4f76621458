//! vouch_core::cose::Sign1 (COSE_Sign1, any well-formed CBOR): decode,
//! accessors, re-encode and re-decode, and verification with fixed keys.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_core::Signer;
use vouch_core::cose::Sign1;

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("cose_sign1")), |data: &[u8]| {
    let Ok(msg) = Sign1::from_bytes(data) else {
        return;
    };
    let _ = msg.key_id();
    let _ = msg.content_type();
    let _ = msg.to_be_signed(b"aad");
    let payload = msg.unverified_payload().to_vec();
    let bytes = msg.to_bytes().expect("a decoded Sign1 re-encodes");
    let again = Sign1::from_bytes(&bytes).expect("a re-encoded Sign1 decodes");
    assert_eq!(again.unverified_payload(), payload.as_slice());
    assert_eq!(
        again.to_bytes().expect("re-encodes"),
        bytes,
        "encoding is not stable"
    );
    for key in vouch_fuzz::keys() {
        if let Ok(v) = msg.verify(key.public_key()) {
            assert_eq!(v.value(), &payload);
        }
        let _ = msg.verify_with_aad(key.public_key(), b"aad");
    }
});
