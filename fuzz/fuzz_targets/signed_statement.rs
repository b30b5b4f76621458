//! vouch_manifest::Signed::<P>::from_bytes (a COSE_Sign whose payload is a
//! statement) for every predicate type, re-encoding, and verification with
//! the fixture roster's keys.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_chain::VerificationSummary;
use vouch_core::Signer;
use vouch_manifest::{Approval, Commit, Deployment, Image, Predicate, Release, Roster, Signed};

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
    check::<Commit>(data);
    check::<Release>(data);
    check::<Image>(data);
    check::<Deployment>(data);
    check::<Approval>(data);
    check::<Roster>(data);
    check::<VerificationSummary>(data);
});
