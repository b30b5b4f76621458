//! Structure-aware COSE_Sign: an envelope assembled from arbitrary parts
//! (headers, algorithms, key ids, payload) and signed by the fixed keys, so
//! the checks after the decode run. A signature left valid, by a key of the
//! right algorithm under its own key id, must verify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_core::Signer;
use vouch_core::cbor::Limits;
use vouch_core::cose::Sign;
use vouch_fuzz::build::ArbSign;

fuzz_target!(|parts: ArbSign| {
    let bytes = parts.to_bytes();
    let peeked = Sign::peek(&bytes, Limits::DEFAULT);
    let decoded = Sign::from_bytes(&bytes);
    assert_eq!(
        peeked.is_ok(),
        decoded.is_ok(),
        "peek and from_bytes disagree"
    );
    let Ok(msg) = decoded else {
        return;
    };
    assert_eq!(msg.to_bytes().expect("re-encodes"), bytes);
    let keys = vouch_fuzz::keys();
    let (_ok, _failed) = msg.verify_each(|kid| {
        keys.iter()
            .map(|k| k.public_key())
            .find(|k| k.key_id() == *kid)
    });
    let _ = vouch_manifest::Signed::<vouch_manifest::Commit>::from_envelope(msg);
});
