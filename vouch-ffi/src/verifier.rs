//! Whole-chain verification: a verifier (policy + trusted roster) evaluates
//! bundles for targets and answers with verdicts.

use std::ffi::c_char;

use vouch_chain::{Bundle, Policy, Target, Verdict, Verifier};
use vouch_core::{Digest, Timestamp};
use vouch_manifest::{RosterChain, RosterState};

use crate::boundary::boundary;
use crate::bytes::{hand_out, vouch_bytes};
use crate::error::{Failure, vouch_result};
use crate::ffi::{self, Handle};

/// A policy and a trusted roster, ready to evaluate bundles; made by
/// `vouch_verifier_new` or `vouch_verifier_new_with_state` and freed with
/// `vouch_verifier_free`.
///
/// A verifier holds no per-evaluation state and never changes (caches of
/// the roster fill on first use, synchronized): one verifier may be used by
/// any number of threads at the same time (e.g. one per process, shared by
/// all request handlers). Only freeing it must wait until no thread uses it.
pub struct vouch_verifier {
    _private: [u8; 0],
}

impl Handle for vouch_verifier {
    type Rust = TrustedVerifier;
}

/// What a `vouch_verifier` handle holds: the verifier, and the trusted
/// roster state updated with the roster it trusts.
#[derive(Debug)]
pub(crate) struct TrustedVerifier {
    verifier: Verifier,
    state: RosterState,
}

#[cfg(test)]
impl TrustedVerifier {
    /// A verifier over `roster` as given, skipping the checks of
    /// `vouch_verifier_new` (so that a test can hold an expired roster).
    pub(crate) fn unchecked(policy: Policy, roster: vouch_manifest::TrustedRoster) -> Self {
        TrustedVerifier {
            verifier: Verifier::new(policy, roster),
            state: RosterState::new(),
        }
    }
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

/// The length of a pin given as text: `sha256:` and 64 hex digits.
const PIN_TEXT_LEN: usize = 71;

/// Makes a verifier from a policy, a roster file and the pin that anchors it.
///
/// `policy` is the policy document, TOML or JSON (`policy_len` bytes, not
/// NUL-terminated). `roster` is a roster file: every version of the roster,
/// oldest first, as the vouch CLI writes it.
///
/// `pin` names the roster version trusted out of band (usually the first):
/// its statement digest, either as the 32 raw bytes of the SHA-256
/// (`pin_len` 32) or as the text `sha256:<64 hex digits>` that
/// `vouch roster verify` prints as the anchor (`pin_len` 71, no NUL
/// needed). The roster's signatures and rotation chain are verified from
/// that version to the newest one in the file, and the newest one must not
/// have expired (by the system clock). Without trusted state, nothing stops
/// an older roster file that still chains from the pin (a rollback to a
/// version before a revocation): see `vouch_verifier_new_with_state`.
///
/// On success `*verifier` receives a handle to free with
/// `vouch_verifier_free`; on any failure it is set to NULL (when `verifier`
/// itself is not NULL).
///
/// Returns `VOUCH_RESULT_POLICY` when the policy cannot be read,
/// `VOUCH_RESULT_ROSTER` when the roster cannot be read, does not verify
/// from the pin, or has expired, `VOUCH_RESULT_NULL_PARAMETER` for a NULL
/// argument (the pin included), `VOUCH_RESULT_INVALID_LENGTH` for a pin of
/// another length than 32 or 71 bytes, `VOUCH_RESULT_BAD_ARGUMENT` for a
/// 71-byte pin that is not `sha256:<hex>`.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_verifier_new(
    policy: *const u8,
    policy_len: usize,
    roster: *const u8,
    roster_len: usize,
    pin: *const u8,
    pin_len: usize,
    verifier: *mut *mut vouch_verifier,
) -> vouch_result {
    boundary! {
        let mut out = ffi::try_out_handle(verifier, "verifier")?;
        let pin = try_pin(pin, pin_len)?.ok_or_else(|| Failure::null("pin"))?;
        let made = make_verifier(policy, policy_len, roster, roster_len, Some(pin), RosterState::new(), 0)?;
        out.set(ffi::into_handle(made));
        Ok(())
    }
}

/// Like `vouch_verifier_new`, with the embedder's trusted roster state, so
/// that an older roster file is refused (a rollback), and with a minimum
/// roster version.
///
/// `state` is the JSON the previous verifier's `vouch_verifier_state` gave
/// (`state_len` bytes), which the embedder keeps between runs (a file, a
/// database row); NULL with `state_len` 0 is an empty state (the first run).
/// It holds, per pinned anchor, the newest roster version verified so far;
/// a roster file whose newest version is older, or that has another version
/// of that number (a fork), is refused.
///
/// `pin` is as for `vouch_verifier_new`, or NULL with `pin_len` 0 to use the
/// anchor the state recorded for this roster (then the state must have
/// seen it: a first run needs the pin). `min_roster_version` refuses a
/// roster whose newest version is below it (0: no minimum).
///
/// Save the updated state (`vouch_verifier_state`) after making the
/// verifier, before trusting its verdicts.
///
/// Returns `VOUCH_RESULT_PARSE` when `state` is not a vouch roster state,
/// `VOUCH_RESULT_ROSTER` for a rollback, a fork or a version below the
/// minimum (and as `vouch_verifier_new` does), `VOUCH_RESULT_NULL_PARAMETER`
/// for a NULL pin with a state that has no anchor for this roster.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_verifier_new_with_state(
    policy: *const u8,
    policy_len: usize,
    roster: *const u8,
    roster_len: usize,
    pin: *const u8,
    pin_len: usize,
    state: *const u8,
    state_len: usize,
    min_roster_version: u64,
    verifier: *mut *mut vouch_verifier,
) -> vouch_result {
    boundary! {
        let mut out = ffi::try_out_handle(verifier, "verifier")?;
        let pin = try_pin(pin, pin_len)?;
        let state = match ffi::try_slice(state, state_len, "state")? {
            [] => RosterState::new(),
            json => RosterState::from_json(json)
                .map_err(|e| Failure::from_error(vouch_result::Parse, "state", &e))?,
        };
        let made = make_verifier(policy, policy_len, roster, roster_len, pin, state, min_roster_version)?;
        out.set(ffi::into_handle(made));
        Ok(())
    }
}

/// The trusted roster state after making `verifier`, as JSON (UTF-8 text):
/// the state it was given with the roster it trusts recorded. Keep it and
/// pass it to `vouch_verifier_new_with_state` next time. (For a verifier
/// made by `vouch_verifier_new`, a state holding just this roster.)
///
/// On success `*state` receives bytes to free with `vouch_bytes_free`
/// (usable as a C string); on failure NULL.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_verifier_state(
    verifier: *const vouch_verifier,
    state: *mut *mut vouch_bytes,
) -> vouch_result {
    boundary! {
        let mut out = ffi::try_out_handle(state, "state")?;
        out.set(hand_out(ffi::try_ref(verifier, "verifier")?.state.to_json()));
        Ok(())
    }
}

/// Reads a pin: NULL with length 0 is none; 32 raw bytes or the 71-byte
/// text `sha256:<hex>`.
fn try_pin(pin: *const u8, pin_len: usize) -> Result<Option<Digest>, Failure> {
    if pin.is_null() && pin_len == 0 {
        return Ok(None);
    }
    let bytes = ffi::try_slice(pin, pin_len, "pin")?;
    if let Ok(raw) = <[u8; 32]>::try_from(bytes) {
        return Ok(Some(Digest::from_sha256(raw)));
    }
    if bytes.len() != PIN_TEXT_LEN {
        return Err(Failure::new(
            vouch_result::InvalidLength,
            format!(
                "pin is {} bytes: give the 32 bytes of the digest, or its \
                 {PIN_TEXT_LEN}-byte text sha256:<hex>",
                bytes.len()
            ),
        ));
    }
    let bad = || {
        Failure::new(
            vouch_result::BadArgument,
            "pin is not sha256:<64 hex digits>",
        )
    };
    std::str::from_utf8(bytes)
        .map_err(|_| bad())?
        .parse::<Digest>()
        .ok()
        .filter(|d| d.as_sha256().is_some())
        .map(Some)
        .ok_or_else(bad)
}

fn make_verifier(
    policy: *const u8,
    policy_len: usize,
    roster: *const u8,
    roster_len: usize,
    pin: Option<Digest>,
    mut state: RosterState,
    min_roster_version: u64,
) -> Result<TrustedVerifier, Failure> {
    let policy = ffi::try_slice(policy, policy_len, "policy")?;
    let roster = ffi::try_slice(roster, roster_len, "roster")?;
    let policy = Policy::from_bytes(policy)
        .map_err(|e| Failure::from_error(vouch_result::Policy, "policy", &e))?;
    let refused = |e: &(dyn std::error::Error + 'static)| {
        Failure::from_error(vouch_result::Roster, "roster", e)
    };
    let chain = RosterChain::from_bytes(roster).map_err(|e| refused(&e))?;
    let anchor = pin.or_else(|| state.anchor_for(&chain)).ok_or_else(|| {
        Failure::new(
            vouch_result::NullParameter,
            "pin is NULL and the state has no anchor for this roster: \
             give the pin of its first version",
        )
    })?;
    let trusted = chain
        .verify(&anchor, Timestamp::now())
        .map_err(|e| refused(&e))?;
    state.check(&trusted).map_err(|e| refused(&e))?;
    if trusted.version() < min_roster_version {
        return Err(Failure::new(
            vouch_result::Roster,
            format!(
                "roster: its newest version {} is below the minimum {min_roster_version}",
                trusted.version()
            ),
        ));
    }
    state.record(&trusted);
    Ok(TrustedVerifier {
        // The C ABI verifies on the calling thread: a library must not start
        // threads in its host; embedders verify from as many threads as they like.
        verifier: Verifier::new(policy, trusted).with_threads(vouch_chain::Threads::One),
        state,
    })
}

/// The version of the trusted roster the verifier uses (the newest verified
/// version in the roster file); 0 when `verifier` is NULL.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_verifier_roster_version(verifier: *const vouch_verifier) -> u64 {
    boundary! {
        Ok(ffi::try_ref(verifier, "verifier")?.verifier.roster().version())
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
/// `VOUCH_RESULT_ROSTER` when the roster's newest version has expired since
/// the verifier was made (make a new one from a newer roster file),
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
/// from that time; the roster's expiry is still checked by the system clock.
/// Returns `VOUCH_RESULT_BAD_ARGUMENT` for a time outside the
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
    let verifier = &ffi::try_ref(verifier, "verifier")?.verifier;
    let bundle = ffi::try_slice(bundle, bundle_len, "bundle")?;
    let target = ffi::try_cstr(target, "target")?;
    let target: Target = target
        .to_str()
        .map_err(|_| Failure::new(vouch_result::Target, "target is not UTF-8"))?
        .parse()
        .map_err(|e| Failure::from_error(vouch_result::Target, "target", &e))?;
    let bundle = Bundle::from_bytes(bundle)
        .map_err(|e| Failure::from_error(vouch_result::Bundle, "bundle", &e))?;
    // A verifier lives long; the roster it was made with may expire meanwhile.
    verifier
        .roster()
        .check_expiry(Timestamp::now())
        .map_err(|e| Failure::from_error(vouch_result::Roster, "roster", &e))?;
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
        Ok(ffi::try_ref(verdict, "verdict")?.failures().len())
    }
}

/// The whole verdict as JSON (UTF-8 text): `outcome` ("pass" or "fail"),
/// `evaluated_at`, the `target` (`kind`, `digest`, `image`), the `roster`
/// (`version`, `digest`, `anchor`, `pinned`), the `policy` digest and its
/// `stages`, the `trace` tree (for every link: the
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
