//! Round trips of vouch_core::tlog encoders from arbitrary values: a
//! checkpoint's text reads back as the same checkpoint; signed by the log
//! and cosigned by a witness, its note's bytes read back as the same note,
//! and Checkpoint::verify accepts it with both signers.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vouch_core::Signer;
use vouch_core::tlog::cosignature::cosign;
use vouch_core::tlog::{Checkpoint, Note, NoteVerifier};

#[derive(Debug, Arbitrary)]
struct Input {
    origin: String,
    size: u64,
    root: [u8; 32],
    extensions: Vec<String>,
    witness: String,
    time: u64,
    note_text: String,
}

fuzz_target!(|i: Input| {
    // (An unsigned note has no byte form that reads back: a signed note
    // has at least one signature line.)
    let _ = Note::new(&i.note_text);
    let Ok(c) = Checkpoint::new(&i.origin, i.size, i.root) else {
        return;
    };
    let Ok(c) = c.with_extensions(i.extensions) else {
        return;
    };
    let text = c.to_text();
    assert_eq!(
        Checkpoint::from_text(&text).expect("its text reads back"),
        c
    );
    let keys = vouch_fuzz::keys();
    let Ok(mut note) = c.sign(&keys[0]) else {
        return;
    };
    let cosigned = cosign(&mut note, &i.witness, &keys[1], i.time).is_ok();
    let bytes = note.to_bytes();
    let back = Note::from_bytes(&bytes).expect("a signed note reads back");
    assert_eq!(back, note);
    assert_eq!(back.to_bytes(), bytes);
    let log = NoteVerifier::ed25519(&i.origin, keys[0].public_key()).expect("the log's name");
    let witnesses: Vec<NoteVerifier> =
        NoteVerifier::cosignature_v1(&i.witness, keys[1].public_key())
            .into_iter()
            .collect();
    let v = Checkpoint::verify(&bytes, &log, &witnesses).expect("a checkpoint signed by its log");
    if cosigned {
        assert_eq!(v.cosignatures().count(), 1, "the witness's cosignature");
    }
});
