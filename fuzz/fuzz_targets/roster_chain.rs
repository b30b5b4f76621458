//! vouch_manifest::RosterChain::from_bytes (a roster file: one envelope or
//! an array of them), its re-encoding, and verification: from the
//! fixture's pin, and unpinned (the chain's own anchor).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_manifest::RosterChain;

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("roster_chain")), |data: &[u8]| {
    let Ok(chain) = RosterChain::from_bytes(data) else {
        return;
    };
    let bytes = chain.to_bytes().expect("a decoded roster file re-encodes");
    let again = RosterChain::from_bytes(&bytes).expect("re-encoded roster file decodes");
    assert_eq!(again.to_bytes().expect("re-encodes"), bytes);
    let f = vouch_fuzz::fixture();
    let now = vouch_fuzz::now();
    let _ = chain.verify(&f.roster.digest(), now);
    if let Ok(trusted) = chain.verify_insecure_unpinned(now) {
        let _ = trusted.roster();
    }
});
