//! vouch_chain::Inclusion::from_bytes (an inclusion file: checkpoint note,
//! index, proof): re-encodes to its bytes, and its proof is checked against
//! its checkpoint.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_chain::Inclusion;
use vouch_core::tlog::{Checkpoint, Note};

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("chain_inclusion")), |data: &[u8]| {
    let Ok(inc) = Inclusion::from_bytes(data) else {
        return;
    };
    let bytes = inc.to_bytes().expect("re-encodes");
    assert_eq!(bytes, data, "an inclusion file re-encodes to its bytes");
    assert_eq!(Inclusion::from_bytes(&bytes).expect("decodes"), inc);
    if let Ok(note) = Note::from_bytes(&inc.checkpoint)
        && let Ok(c) = Checkpoint::from_text(note.unverified_text()) {
            let _ = c.to_text();
        }
});
