//! vouch_manifest::RosterState::from_json (the trusted roster state an
//! embedder keeps, also taken by vouch_verifier_new_with_state) and its
//! re-encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_manifest::RosterState;

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("roster_state")), |data: &[u8]| {
    let Ok(state) = RosterState::from_json(data) else {
        return;
    };
    let json = state.to_json();
    let again = RosterState::from_json(&json).expect("to_json output reads back");
    assert_eq!(again, state, "the state changed through JSON");
});
