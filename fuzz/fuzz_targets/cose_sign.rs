//! vouch_core::cose::Sign (COSE_Sign, canonical CBOR): from_bytes and peek
//! must agree, a decoded envelope re-encodes to its bytes, and verify_each
//! with fixed keys never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_core::Signer;
use vouch_core::cbor::Limits;
use vouch_core::cose::Sign;

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("cose_sign")), |data: &[u8]| {
    let peeked = Sign::peek(data, Limits::DEFAULT);
    let decoded = Sign::from_bytes(data);
    match (&peeked, &decoded) {
        (Ok(p), Ok(d)) => {
            assert_eq!(p.unverified_payload(), d.unverified_payload());
            assert_eq!(p.content_type(), d.content_type());
            assert_eq!(p.signature_count(), d.signature_count());
        }
        (Err(_), Err(_)) => {}
        (p, d) => panic!(
            "peek and from_bytes disagree: peek {:?}, from_bytes {:?}",
            p.as_ref().err(),
            d.as_ref().err()
        ),
    }
    let Ok(msg) = decoded else {
        return;
    };
    let bytes = msg.to_bytes().expect("a decoded Sign re-encodes");
    assert_eq!(bytes, data, "COSE_Sign did not re-encode to its bytes");
    for i in 0..=msg.signature_count() {
        assert_eq!(msg.to_be_signed(i).is_some(), i < msg.signature_count());
    }
    let _ = msg.signature_key_ids();
    let keys = vouch_fuzz::keys();
    let (ok, failed) = msg.verify_each(|kid| {
        keys.iter()
            .map(|k| k.public_key())
            .find(|k| k.key_id() == *kid)
    });
    let verified = ok.as_ref().map_or(0, |v| v.signers().len());
    assert_eq!(verified + failed.len(), msg.signature_count());
});
