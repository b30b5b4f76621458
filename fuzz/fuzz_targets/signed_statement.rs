//! vouch_manifest::Signed::<P>::from_bytes (a COSE_Sign whose payload is a
//! statement) for every predicate type, re-encoding, and verification with
//! the fixture roster's keys.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_core::Signer;
use vouch_manifest::{Predicate, Signed};

fn check<P: Predicate + PartialEq + std::fmt::Debug>(data: &[u8]) {
    let Ok(s) = Signed::<P>::from_bytes(data) else {
        return;
    };
    assert_eq!(s.to_bytes().expect("re-encodes"), data);
    let _ = s.digest();
    let _ = s.signature_key_ids();
    let f = vouch_fuzz::fixture();
    let lookup = |kid: &vouch_core::KeyId| {
        f.members
            .iter()
            .map(|m| m.key.public_key())
            .chain([f.root.public_key()])
            .find(|k| k.key_id() == *kid)
    };
    let _ = s.verify_each(lookup);
    let _ = s.verify(lookup);
}

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("signed_statement")), |data: &[u8]| {
    vouch_fuzz::for_each_predicate!(check(data));
});
