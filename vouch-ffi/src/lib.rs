//! The C ABI of vouch: `include/vouch.h` over `libvouch_ffi.so` / `libvouch_ffi.a`.
//!
//! C and every language with a C FFI (Python's ctypes, Go's cgo, ...)
//! verify envelopes and whole chains, and sign with file keys, through
//! opaque handles, explicit lengths and result codes. The header is
//! generated from this crate by cbindgen (see `cbindgen.toml` and
//! `scripts/check-header.sh`) and committed; its top comment holds the
//! conventions below for C readers.
//!
//! # Conventions
//!
//! - Every function that can fail returns a [`vouch_result`]; 0 is success.
//!   [`vouch_result_message`] renders any code, and
//!   [`vouch_last_error_message`] the detail of the calling thread's latest
//!   failure.
//! - Inputs are pointer + length (`const uint8_t *data, size_t len`; NULL is
//!   accepted only with length 0) or NUL-terminated strings. A NULL pointer
//!   where a value is required gives `VOUCH_RESULT_NULL_PARAMETER`; a length
//!   no object can have gives `VOUCH_RESULT_INVALID_LENGTH`. Nothing crashes on
//!   NULL.
//! - Results come out through output pointers. An output handle (`T **out`)
//!   is set to NULL first, so it is NULL after any failure.
//! - Whatever vouch allocates for the caller has a matching `_free` function
//!   (`vouch_bytes_free`, `vouch_verifier_free`, ...); every `_free` ignores
//!   NULL. Borrowed results (a verified payload) live as long as their handle.
//! - Every function runs inside a panic boundary: a bug in vouch returns
//!   `VOUCH_RESULT_PANIC` (or the documented default: NULL, 0, false) instead
//!   of unwinding into C.
//! - vouch never writes to the host's standard streams: the message of a
//!   panic inside a call is kept for `vouch_last_error_message`, not printed
//!   (the first call installs a panic hook that does this for panics inside
//!   vouch calls and hands every other panic to the hook in place before).
//! - Thread safety: what a handle holds never changes once made (a
//!   verifier's caches fill on first use, behind `OnceLock`s). A
//!   [`vouch_verifier`] is meant to be shared: any number of threads may
//!   verify with one at the same time. Every function but `_free` may be
//!   called on one handle by several threads at once; `_free` must wait
//!   until no other thread uses the handle or what it lends. Any thread may
//!   use or free a handle, whichever made it; vouch starts no threads. The
//!   last error message is per thread. Every handle's Rust type is
//!   `Send + Sync`: the bound of the `Handle` trait in the ffi module checks
//!   it at compile time.
//!
//! # For Rust readers
//!
//! All `unsafe` code is in the private `ffi` module, which explains why the
//! exports are safe `extern "C"` functions. Rust programs should use the
//! vouch crates directly; the rlib exists for this crate's own tests.

#![allow(non_camel_case_types)] // The C names: vouch_result, vouch_verifier, ...

mod boundary;
mod bytes;
mod digest;
mod envelope;
mod error;
// The one module allowed `unsafe`: raw pointers in, references out.
#[allow(unsafe_code)]
mod ffi;
mod verifier;

pub use bytes::{vouch_bytes, vouch_bytes_data, vouch_bytes_free, vouch_bytes_len};
pub use digest::{vouch_digest_file, vouch_digest_sha256};
pub use envelope::{
    vouch_envelope_sign, vouch_envelope_verify, vouch_signer, vouch_signer_free,
    vouch_signer_key_id, vouch_signer_open, vouch_signer_open_with_passphrase,
    vouch_signer_public_key, vouch_verified, vouch_verified_content_type, vouch_verified_free,
    vouch_verified_key_id, vouch_verified_key_id_count, vouch_verified_payload,
};
pub use error::{vouch_last_error_message, vouch_result, vouch_result_message, vouch_version};
pub use verifier::{
    vouch_verdict, vouch_verdict_failure_count, vouch_verdict_free, vouch_verdict_passed,
    vouch_verdict_text, vouch_verdict_trace_json, vouch_verifier, vouch_verifier_free,
    vouch_verifier_new, vouch_verifier_new_with_state, vouch_verifier_roster_version,
    vouch_verifier_state, vouch_verifier_verify, vouch_verifier_verify_at,
};

#[cfg(test)]
mod tests;
