//! vouch-ffi: vouch_verifier_verify_at of a fuzzed bundle (and target text)
//! with a verifier made once from the fixture's policy, roster and pin,
//! then the verdict's accessors (text, trace JSON). A caught panic is a bug.
//!
//! Input: a bundle file, or `bundle SEP target`.
#![no_main]

use std::ffi::CString;
use std::ptr;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vouch_ffi::*;

struct Handle(*mut vouch_verifier);
// SAFETY: a vouch_verifier is documented thread-safe; the fuzzer runs one thread.
unsafe impl Send for Handle {}
// SAFETY: as above.
unsafe impl Sync for Handle {}

fn verifier() -> *const vouch_verifier {
    static V: OnceLock<Handle> = OnceLock::new();
    V.get_or_init(|| {
        let f = vouch_fuzz::fixture();
        let pin = f.roster.digest().to_string();
        let mut v: *mut vouch_verifier = ptr::null_mut();
        let r = vouch_verifier_new(
            f.policy.as_ptr(),
            f.policy.len(),
            f.roster_file.as_ptr(),
            f.roster_file.len(),
            pin.as_ptr(),
            pin.len(),
            &mut v,
        );
        assert_eq!(r, vouch_result::Ok, "the fixture verifier");
        Handle(v)
    })
    .0
}

fuzz_target!(
    init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("ffi_verify")),
    |data: &[u8]| {
        let f = vouch_fuzz::fixture();
        let parts = vouch_fuzz::parts(data);
        let bundle = parts[0];
        let target = match parts.get(1) {
            Some(t) => match CString::new(t.to_vec()) {
                Ok(c) => c,
                Err(_) => return,
            },
            None => CString::new(f.target_text()).expect("no NUL"),
        };
        let mut verdict: *mut vouch_verdict = ptr::null_mut();
        let r = vouch_verifier_verify_at(
            verifier(),
            bundle.as_ptr(),
            bundle.len(),
            target.as_ptr(),
            vouch_fuzz::now().unix_seconds(),
            &mut verdict,
        );
        assert_ne!(r, vouch_result::Panic, "vouch_verifier_verify_at panicked");
        if r != vouch_result::Ok {
            assert!(verdict.is_null());
            return;
        }
        let _ = vouch_verdict_passed(verdict);
        let _ = vouch_verdict_failure_count(verdict);
        let mut out: *mut vouch_bytes = ptr::null_mut();
        assert_eq!(vouch_verdict_text(verdict, &mut out), vouch_result::Ok);
        vouch_bytes_free(out);
        let mut out: *mut vouch_bytes = ptr::null_mut();
        assert_eq!(vouch_verdict_trace_json(verdict, &mut out), vouch_result::Ok);
        vouch_bytes_free(out);
        vouch_verdict_free(verdict);
    }
);
