//! vouch-ffi: vouch_envelope_verify (a COSE_Sign1 and a public key in any
//! format, both bytes from C), then the accessors of what verified. A
//! caught panic (VOUCH_RESULT_PANIC) is a bug, so it fails the target.
//!
//! Input: `envelope SEP public key`, or an envelope alone (checked with the
//! fixed keys, each as an OpenSSH line).
#![no_main]

use std::ptr;

use libfuzzer_sys::fuzz_target;
use vouch_core::Signer;
use vouch_ffi::*;

fn verify(envelope: &[u8], key: &[u8]) {
    let mut verified: *mut vouch_verified = ptr::null_mut();
    let r = vouch_envelope_verify(
        envelope.as_ptr(),
        envelope.len(),
        key.as_ptr(),
        key.len(),
        &mut verified,
    );
    assert_ne!(r, vouch_result::Panic, "vouch_envelope_verify panicked");
    if r != vouch_result::Ok {
        assert!(verified.is_null());
        return;
    }
    let mut data: *const u8 = ptr::null();
    let mut len = 0usize;
    assert_eq!(
        vouch_verified_payload(verified, &mut data, &mut len),
        vouch_result::Ok
    );
    let mut ct = [0u8; 256];
    let mut written = 0usize;
    let r = vouch_verified_content_type(verified, ct.as_mut_ptr().cast(), ct.len(), &mut written);
    assert_ne!(r, vouch_result::Panic);
    let n = vouch_verified_key_id_count(verified);
    let mut kid = [0u8; 32];
    for i in 0..=n {
        let r = vouch_verified_key_id(verified, i, kid.as_mut_ptr());
        assert_eq!(r == vouch_result::Ok, i < n);
    }
    vouch_verified_free(verified);
}

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("ffi_envelope")), |data: &[u8]| {
    let parts = vouch_fuzz::parts(data);
    if let [envelope, key] = parts[..] {
        verify(envelope, key);
    } else {
        for k in vouch_fuzz::keys() {
            verify(data, k.public_key().to_openssh().as_bytes());
        }
    }
    let mut msg = [0u8; 512];
    let mut written = 0usize;
    let _ = vouch_last_error_message(msg.as_mut_ptr().cast(), msg.len(), &mut written);
});
