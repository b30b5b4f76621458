//! vouch-ffi: vouch_verifier_new and vouch_verifier_new_with_state with
//! fuzzed policy, roster file, pin and state bytes (the policy, roster and
//! pin of the fixture fill the parts the input leaves out). A caught panic
//! is a bug.
//!
//! Input: `policy SEP roster SEP pin SEP state`; fewer parts leave the rest
//! to the fixture (one part: a policy).
#![no_main]

use std::ptr;

use libfuzzer_sys::fuzz_target;
use vouch_ffi::*;

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("ffi_verifier_new")), |data: &[u8]| {
    let f = vouch_fuzz::fixture();
    let pin = f.roster.digest().to_string();
    let parts = vouch_fuzz::parts(data);
    let policy = parts.first().copied().unwrap_or_default();
    let roster = parts.get(1).copied().unwrap_or(&f.roster_file);
    let pin = parts.get(2).copied().unwrap_or(pin.as_bytes());
    let state = parts.get(3).copied();

    let mut v: *mut vouch_verifier = ptr::null_mut();
    let r = vouch_verifier_new(
        policy.as_ptr(),
        policy.len(),
        roster.as_ptr(),
        roster.len(),
        pin.as_ptr(),
        pin.len(),
        &mut v,
    );
    assert_ne!(r, vouch_result::Panic, "vouch_verifier_new panicked");
    if r == vouch_result::Ok {
        let _ = vouch_verifier_roster_version(v);
        vouch_verifier_free(v);
    }
    let (state_ptr, state_len) = state.map_or((ptr::null(), 0), |s| (s.as_ptr(), s.len()));
    let mut v: *mut vouch_verifier = ptr::null_mut();
    let r = vouch_verifier_new_with_state(
        policy.as_ptr(),
        policy.len(),
        roster.as_ptr(),
        roster.len(),
        pin.as_ptr(),
        pin.len(),
        state_ptr,
        state_len,
        0,
        &mut v,
    );
    assert_ne!(
        r,
        vouch_result::Panic,
        "vouch_verifier_new_with_state panicked"
    );
    if r == vouch_result::Ok {
        let mut out: *mut vouch_bytes = ptr::null_mut();
        assert_eq!(vouch_verifier_state(v, &mut out), vouch_result::Ok);
        vouch_bytes_free(out);
        vouch_verifier_free(v);
    }
});
