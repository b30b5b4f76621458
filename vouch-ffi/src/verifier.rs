//! Whole-chain verification: a verifier (policy + trusted roster) evaluates
//! bundles for targets and answers with verdicts.

use std::ffi::c_char;

use vouch_chain::{Bundle, Policy, Target, Verdict, Verifier};
use vouch_core::{Digest, Timestamp};
use vouch_manifest::RosterChain;

use crate::boundary::boundary;
use crate::bytes::{hand_out, vouch_bytes};
use crate::error::{Failure, vouch_result};
use crate::ffi::{self, Handle};

/// A policy and a trusted roster, ready to evaluate bundles; made by
/// `vouch_verifier_new` and freed with `vouch_verifier_free`.
///
/// A verifier holds no per-evaluation state and is never modified: one
/// verifier may be used by any number of threads at the same time (e.g. one
/// per process, shared by all request handlers). Only freeing it must wait
/// until no thread uses it.
pub struct vouch_verifier {
    _private: [u8; 0],
}

impl Handle for vouch_verifier {
    type Rust = Verifier;
}

/// The answer to "may this run?", with its trace; made by
/// `vouch_verifier_verify` and freed with `vouch_verdict_free`. Immutable:
/// any number of threads may read one at the same time.
pub struct vouch_verdict {
    _private: [u8; 0],
}

impl Handle for vouch_verdict {
    type Rust = Verdict;
}

/// Makes a verifier from a policy and a roster file.
///
/// `policy` is the policy document, TOML or JSON (`policy_len` bytes, not
/// NUL-terminated). `roster` is a roster file: every version of the roster,
/// oldest first, as the vouch CLI writes it. Its signatures and rotation
/// chain are verified here; with no pin, the oldest version in the file is
/// the trust anchor, so the file itself must come from a trusted source (as
/// a CA bundle does). Use `vouch_verifier_new_pinned` to anchor it to a
/// digest known out of band.
///
/// On success `*verifier` receives a handle to free with
/// `vouch_verifier_free`; on any failure it is set to NULL (when `verifier`
/// itself is not NULL).
///
/// Returns `VOUCH_RESULT_POLICY` when the policy cannot be read,
/// `VOUCH_RESULT_ROSTER` when the roster cannot be read or does not verify,
/// `VOUCH_RESULT_NULL_PARAMETER` for a NULL argument.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_verifier_new(
    policy: *const u8,
    policy_len: usize,
    roster: *const u8,
    roster_len: usize,
    verifier: *mut *mut vouch_verifier,
) -> vouch_result {
    boundary! {
        let mut out = ffi::try_out_handle(verifier, "verifier")?;
        out.set(ffi::into_handle(make_verifier(policy, policy_len, roster, roster_len, None)?));
        Ok(())
    }
}

/// Like `vouch_verifier_new`, trusting the roster only from the version
/// whose statement digest (the SHA-256 of the signed statement bytes, known
/// out of band) is the 32 bytes at `pin32`; each later version in the file
/// must be signed by a threshold of the root keys of the version before.
/// Returns `VOUCH_RESULT_ROSTER` when no version has that digest.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_verifier_new_pinned(
    policy: *const u8,
    policy_len: usize,
    roster: *const u8,
    roster_len: usize,
    pin32: *const u8,
    verifier: *mut *mut vouch_verifier,
) -> vouch_result {
    boundary! {
        let mut out = ffi::try_out_handle(verifier, "verifier")?;
        let pin = Digest::from_sha256(ffi::try_array32(pin32, "pin32")?);
        let made = make_verifier(policy, policy_len, roster, roster_len, Some(&pin))?;
        out.set(ffi::into_handle(made));
        Ok(())
    }
}

fn make_verifier(
    policy: *const u8,
    policy_len: usize,
    roster: *const u8,
    roster_len: usize,
    pin: Option<&Digest>,
) -> Result<Verifier, Failure> {
    let policy = ffi::try_slice(policy, policy_len, "policy")?;
    let roster = ffi::try_slice(roster, roster_len, "roster")?;
    let policy = Policy::from_bytes(policy)
        .map_err(|e| Failure::from_error(vouch_result::Policy, "policy", &e))?;
    let trusted = RosterChain::from_bytes(roster)
        .and_then(|chain| chain.verify(pin))
        .map_err(|e| Failure::from_error(vouch_result::Roster, "roster", &e))?;
    Ok(Verifier::new(policy, trusted))
}

/// The version of the trusted roster the verifier uses (the newest verified
/// version in the roster file); 0 when `verifier` is NULL.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_verifier_roster_version(verifier: *const vouch_verifier) -> u64 {
    boundary! {
        Ok(ffi::try_ref(verifier, "verifier")?.roster().version())
    }
}

/// Evaluates the chain below `target` in a bundle, now (the system clock).
///
/// `bundle` is a bundle file (`bundle_len` bytes) as the vouch CLI writes it.
/// `target` is a NUL-terminated `deployment:sha256:<hex>`,
/// `image:sha256:<hex>` or bare `sha256:<hex>` (a deployment statement in
/// the bundle, or else an image).
///
/// `VOUCH_RESULT_OK` means the chain was *evaluated*: `*verdict` then
/// receives the verdict, which says whether it passed
/// (`vouch_verdict_passed`) and why not. A chain that fails is not an error.
/// On any other result `*verdict` is set to NULL (when `verdict` itself is not
/// NULL).
///
/// Returns `VOUCH_RESULT_BUNDLE` when the bundle cannot be read,
/// `VOUCH_RESULT_TARGET` for a malformed target (or one that is not UTF-8),
/// `VOUCH_RESULT_NULL_PARAMETER` for a NULL argument.
///
/// Thread-safe: any number of threads may call this with the same verifier at
/// the same time.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_verifier_verify(
    verifier: *const vouch_verifier,
    bundle: *const u8,
    bundle_len: usize,
    target: *const c_char,
    verdict: *mut *mut vouch_verdict,
) -> vouch_result {
    boundary! {
        let mut out = ffi::try_out_handle(verdict, "verdict")?;
        let verdict = evaluate(verifier, bundle, bundle_len, target, Timestamp::now())?;
        out.set(ffi::into_handle(verdict));
        Ok(())
    }
}

/// Like `vouch_verifier_verify`, evaluating as if the time were
/// `unix_seconds` (seconds since 1970-01-01T00:00:00Z): for tests, and for
/// re-checking a past decision. Key validity and maximum ages are measured
/// from that time. Returns `VOUCH_RESULT_BAD_ARGUMENT` for a time outside the
/// years 0000 to 9999.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_verifier_verify_at(
    verifier: *const vouch_verifier,
    bundle: *const u8,
    bundle_len: usize,
    target: *const c_char,
    unix_seconds: i64,
    verdict: *mut *mut vouch_verdict,
) -> vouch_result {
    boundary! {
        let mut out = ffi::try_out_handle(verdict, "verdict")?;
        let at = Timestamp::from_unix_seconds(unix_seconds).ok_or_else(|| {
            let detail = format!("unix_seconds {unix_seconds} is out of range");
            Failure::new(vouch_result::BadArgument, detail)
        })?;
        out.set(ffi::into_handle(evaluate(verifier, bundle, bundle_len, target, at)?));
        Ok(())
    }
}

fn evaluate(
    verifier: *const vouch_verifier,
    bundle: *const u8,
    bundle_len: usize,
    target: *const c_char,
    at: Timestamp,
) -> Result<Verdict, Failure> {
    let verifier = ffi::try_ref(verifier, "verifier")?;
    let bundle = ffi::try_slice(bundle, bundle_len, "bundle")?;
    let target = ffi::try_cstr(target, "target")?;
    let target: Target = target
        .to_str()
        .map_err(|_| Failure::new(vouch_result::Target, "target is not UTF-8"))?
        .parse()
        .map_err(|e| Failure::from_error(vouch_result::Target, "target", &e))?;
    let bundle = Bundle::from_bytes(bundle)
        .map_err(|e| Failure::from_error(vouch_result::Bundle, "bundle", &e))?;
    Ok(verifier.verify(&bundle, &target, at))
}

/// Whether the chain passed: true only for a verdict whose every link held.
/// False when `verdict` is NULL.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_verdict_passed(verdict: *const vouch_verdict) -> bool {
    boundary! {
        Ok(ffi::try_ref(verdict, "verdict")?.passed())
    }
}

/// The number of broken rules (0 for a passing verdict, and when `verdict`
/// is NULL).
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_verdict_failure_count(verdict: *const vouch_verdict) -> usize {
    boundary! {
        Ok(ffi::try_ref(verdict, "verdict")?.failures.len())
    }
}

/// The whole verdict as JSON (UTF-8 text): `outcome` ("pass" or "fail"),
/// `evaluated_at`, `roster_version`, the `trace` tree (for every link: the
/// statement, who signed it with which key, in which roles, with what
/// hardware evidence, and its `failures`) and the flat list of `failures`,
/// each with the `path` of links leading to it and a `reason` whose `kind`
/// names the rule (e.g. "deployment-missing", "threshold", "too-old").
///
/// On success `*json` receives bytes to free with `vouch_bytes_free` (usable
/// as a C string, see `vouch_bytes`); on failure NULL.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_verdict_trace_json(
    verdict: *const vouch_verdict,
    json: *mut *mut vouch_bytes,
) -> vouch_result {
    boundary! {
        let mut out = ffi::try_out_handle(json, "json")?;
        out.set(hand_out(ffi::try_ref(verdict, "verdict")?.to_json().into_bytes()));
        Ok(())
    }
}

/// The verdict as an indented text tree for people (the vouch CLI's
/// output), as bytes to free with `vouch_bytes_free`.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_verdict_text(
    verdict: *const vouch_verdict,
    text: *mut *mut vouch_bytes,
) -> vouch_result {
    boundary! {
        let mut out = ffi::try_out_handle(text, "text")?;
        out.set(hand_out(ffi::try_ref(verdict, "verdict")?.render_text().into_bytes()));
        Ok(())
    }
}

/// Frees a verdict. NULL is ignored.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_verdict_free(verdict: *mut vouch_verdict) {
    boundary! {
        ffi::free_handle(verdict);
        Ok(())
    }
}

/// Frees a verifier. NULL is ignored. No other thread may be using it.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_verifier_free(verifier: *mut vouch_verifier) {
    boundary! {
        ffi::free_handle(verifier);
        Ok(())
    }
}
