//! Every limit of vouch-log in `docs/limits.md`, at the limit (accepted,
//! or refused only by a later check) and one past it (refused with the
//! error that names the limit). One test per row, named after its
//! constant.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Sandbox, key};
use vouch_core::tlog::note::MAX_NOTE_LEN;
use vouch_log::layout::{CHECKPOINT_PATH, VKEY_PATH};
use vouch_log::{Log, LogError, MAX_ENTRY_LEN, MAX_VKEY_FILE};

const ORIGIN: &str = "example.com/limits";

/// An unsigned `COSE_Sign1` of exactly `len` bytes (at least 263).
fn envelope_of_len(len: usize) -> Vec<u8> {
    let payload = len - 7;
    let mut out = vec![0x84, 0x40, 0xa0, 0x59];
    out.extend_from_slice(&u16::try_from(payload).unwrap().to_be_bytes());
    out.resize(out.len() + payload, b'x');
    out.push(0x40);
    assert_eq!(out.len(), len);
    out
}

#[test]
fn max_entry_len() {
    let s = Sandbox::new("limits-entry");
    let log_key = key();
    let mut log = Log::create(&s.dir, ORIGIN, &log_key).unwrap();
    log.append(&envelope_of_len(MAX_ENTRY_LEN), &log_key)
        .unwrap();
    match log.append(&envelope_of_len(MAX_ENTRY_LEN + 1), &log_key) {
        Err(LogError::EntryTooLarge { len, max }) => {
            assert_eq!((len, max), (MAX_ENTRY_LEN + 1, MAX_ENTRY_LEN));
        }
        other => panic!("{other:?}"),
    }
    // The refused entry left the log as it was.
    assert_eq!(Log::open(&s.dir).unwrap().size(), 1);
}

fn file_too_large<T: std::fmt::Debug>(r: Result<T, LogError>, path: &std::path::Path, max: u64) {
    match r {
        Err(LogError::FileTooLarge { path: p, max: m }) => {
            assert_eq!((p.as_path(), m), (path, max))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn max_vkey_file() {
    let s = Sandbox::new("limits-vkey");
    Log::create(&s.dir, ORIGIN, &key()).unwrap();
    let vkey = s.path(VKEY_PATH);
    // At the limit the key is parsed (and is not one).
    std::fs::write(&vkey, vec![b'a'; MAX_VKEY_FILE as usize]).unwrap();
    assert!(matches!(
        Log::stored_verifier(&s.dir),
        Err(LogError::Tlog(_))
    ));
    std::fs::write(&vkey, vec![b'a'; MAX_VKEY_FILE as usize + 1]).unwrap();
    file_too_large(Log::stored_verifier(&s.dir), &vkey, MAX_VKEY_FILE);
}

#[test]
fn checkpoint_max_note_len() {
    let s = Sandbox::new("limits-checkpoint");
    Log::create(&s.dir, ORIGIN, &key()).unwrap();
    let checkpoint = s.path(CHECKPOINT_PATH);
    // At the limit the note is parsed (and has no signature).
    std::fs::write(&checkpoint, vec![b'a'; MAX_NOTE_LEN]).unwrap();
    assert!(matches!(Log::open(&s.dir), Err(LogError::Tlog(_))));
    std::fs::write(&checkpoint, vec![b'a'; MAX_NOTE_LEN + 1]).unwrap();
    file_too_large(Log::open(&s.dir), &checkpoint, MAX_NOTE_LEN as u64);
}
