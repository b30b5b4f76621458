//! vouch_core::tlog::Checkpoint: checkpoint bodies (origin, size, root,
//! extension lines) from text and back, and Checkpoint::verify of a signed
//! checkpoint note with fixed keys.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_core::Signer;
use vouch_core::tlog::{Checkpoint, NoteVerifier};

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("tlog_checkpoint")), |data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(c) = Checkpoint::from_text(text) {
            let out = c.to_text();
            assert_eq!(out, text, "a checkpoint re-encodes to its text");
            assert_eq!(Checkpoint::from_text(&out).expect("parses again"), c);
        }
    let keys = vouch_fuzz::keys();
    let log = NoteVerifier::ed25519("example.com/log", keys[0].public_key()).expect("a verifier");
    let witness = NoteVerifier::cosignature_v1("example.com/witness", keys[1].public_key())
        .expect("a verifier");
    if let Ok(v) = Checkpoint::verify(data, &log, std::slice::from_ref(&witness)) {
        let _ = v.cosignatures().count();
        let _ = v.verify_inclusion(&[0; 32], 0, &[]);
    }
});
