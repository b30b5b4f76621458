//! vouch_core::tlog::Note: C2SP signed notes (text, signature lines), their
//! re-encoding, and verify with fixed Ed25519 and cosignature/v1 keys.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_core::Signer;
use vouch_core::tlog::{Note, NoteVerifier};

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("tlog_note")), |data: &[u8]| {
    let Ok(note) = Note::from_bytes(data) else {
        return;
    };
    let bytes = note.to_bytes();
    assert_eq!(bytes, data, "a signed note re-encodes to its bytes");
    let _ = note.unverified_text();
    let keys = vouch_fuzz::keys();
    let log = NoteVerifier::ed25519("example.com/log", keys[0].public_key()).expect("a verifier");
    let witness = NoteVerifier::cosignature_v1("example.com/witness", keys[1].public_key())
        .expect("a verifier");
    let _ = note.verify(std::slice::from_ref(&log), std::slice::from_ref(&witness));
    for s in note.signatures() {
        let _ = NoteVerifier::from_vkey(&format!("{}+{:08x}+{}", s.name(), s.key_id(), "AQ"));
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(v) = NoteVerifier::from_vkey(text.trim_end()) {
            assert_eq!(
                NoteVerifier::from_vkey(&v.to_vkey()).expect("vkey round trip"),
                v
            );
        }
});
