//! Whole-chain verification through the C ABI, on the fixture chain of the
//! `make_fixtures` example, and the crate-wide rules.

use std::ffi::{CString, c_char};
use std::ptr::{null, null_mut};
use std::sync::OnceLock;

use vouch_core::Timestamp;

use crate::ffi::read;
use crate::*;

#[path = "../examples/make_fixtures/chain.rs"]
mod chain;

/// One chain for all tests (building it generates a dozen keys).
fn fixtures() -> &'static chain::Fixtures {
    static F: OnceLock<chain::Fixtures> = OnceLock::new();
    F.get_or_init(|| chain::build(Timestamp::now()).unwrap())
}

fn cstring(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn last_error() -> String {
    let mut buf = [0 as c_char; 2048];
    let _ = vouch_last_error_message(buf.as_mut_ptr(), buf.len(), null_mut());
    read::string(buf.as_ptr())
}

/// The fixture pin as 32 raw bytes.
fn pin() -> [u8; 32] {
    *fixtures().roster_pin.as_sha256().unwrap()
}

fn new_verifier(policy: &[u8], roster: &[u8]) -> (vouch_result, *mut vouch_verifier) {
    new_pinned(policy, roster, &pin())
}

fn new_pinned(policy: &[u8], roster: &[u8], pin: &[u8]) -> (vouch_result, *mut vouch_verifier) {
    let mut v = std::ptr::NonNull::dangling().as_ptr();
    let r = vouch_verifier_new(
        policy.as_ptr(),
        policy.len(),
        roster.as_ptr(),
        roster.len(),
        pin.as_ptr(),
        pin.len(),
        &mut v,
    );
    if r != vouch_result::Ok {
        assert!(v.is_null());
    }
    (r, v)
}

fn verifier() -> *mut vouch_verifier {
    let f = fixtures();
    let (r, v) = new_verifier(f.policy.as_bytes(), &f.roster);
    assert_eq!(r, vouch_result::Ok, "{}", last_error());
    v
}

fn verify_at(
    v: *const vouch_verifier,
    bundle: &[u8],
    target: &str,
    at: i64,
) -> (vouch_result, *mut vouch_verdict) {
    let target = cstring(target);
    let mut out = std::ptr::NonNull::dangling().as_ptr();
    let r = vouch_verifier_verify_at(
        v,
        bundle.as_ptr(),
        bundle.len(),
        target.as_ptr(),
        at,
        &mut out,
    );
    if r != vouch_result::Ok {
        assert!(out.is_null());
    }
    (r, out)
}

fn json(verdict: *const vouch_verdict) -> serde_json::Value {
    let mut b = null_mut();
    assert_eq!(vouch_verdict_trace_json(verdict, &mut b), vouch_result::Ok);
    let bytes = read::bytes(vouch_bytes_data(b), vouch_bytes_len(b));
    vouch_bytes_free(b);
    serde_json::from_slice(&bytes).unwrap()
}

fn at() -> i64 {
    fixtures().made_at.unix_seconds() + 60
}

#[test]
fn the_fixture_chain_passes() {
    let f = fixtures();
    let v = verifier();
    assert_eq!(vouch_verifier_roster_version(v), 2);
    let (r, verdict) = verify_at(v, &f.bundle, &f.deployment_target, at());
    assert_eq!(r, vouch_result::Ok);
    assert!(vouch_verdict_passed(verdict), "{}", json(verdict));
    assert_eq!(vouch_verdict_failure_count(verdict), 0);
    let j = json(verdict);
    assert_eq!(j["outcome"], "pass");
    assert_eq!(j["roster"]["version"], 2);
    assert_eq!(j["roster"]["pinned"], true);
    assert_eq!(j["roster"]["anchor"], f.roster_pin.to_string());
    vouch_verdict_free(verdict);
    // The image alone would skip the policy's deployment stage: refused.
    let (r, verdict) = verify_at(v, &f.bundle, &f.image_target, at());
    assert_eq!(r, vouch_result::Ok);
    assert!(!vouch_verdict_passed(verdict));
    assert_eq!(
        json(verdict)["failures"][0]["reason"]["kind"],
        "target-not-deployment"
    );
    vouch_verdict_free(verdict);
    // Now (the system clock) too.
    let target = cstring(&f.deployment_target);
    let mut verdict = null_mut();
    let r = vouch_verifier_verify(
        v,
        f.bundle.as_ptr(),
        f.bundle.len(),
        target.as_ptr(),
        &mut verdict,
    );
    assert_eq!(r, vouch_result::Ok);
    assert!(vouch_verdict_passed(verdict));

    let mut text = null_mut();
    assert_eq!(vouch_verdict_text(verdict, &mut text), vouch_result::Ok);
    let text = read::string(vouch_bytes_data(text).cast());
    assert!(text.starts_with("verdict: PASS"), "{text}");
    vouch_verdict_free(verdict);
    vouch_verifier_free(v);
}

#[test]
fn the_trace_names_every_link_and_signer() {
    let f = fixtures();
    let v = verifier();
    let (_, verdict) = verify_at(v, &f.bundle, &f.deployment_target, at());
    let j = json(verdict);
    let deployment = &j["trace"];
    assert_eq!(deployment["kind"], "deployment");
    assert_eq!(deployment["name"], "production/eu-1/shop/api");
    let signers: Vec<(&str, &str)> = deployment["signers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["identity"].as_str().unwrap(),
                s["capacity"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        signers.contains(&("workload:ci/deploy", "signer")),
        "{signers:?}"
    );
    assert!(
        signers.contains(&("person:alice@example.com", "triggered by")),
        "{signers:?}"
    );
    assert!(
        signers.contains(&("person:erin@example.com", "authorized by")),
        "{signers:?}"
    );
    let image = &deployment["children"][0];
    assert_eq!(image["kind"], "image");
    assert_eq!(image["signers"][0]["identity"], "workload:ci/build");
    let kinds: Vec<&str> = image["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["release", "commit"]);
    let commit = &image["children"][0]["children"][0];
    assert_eq!(commit["signers"][0]["evidence"]["user_present"], true);
    vouch_verdict_free(verdict);
    vouch_verifier_free(v);
}

#[test]
fn failing_verdicts_say_why() {
    let f = fixtures();
    let v = verifier();

    // A deployment that is not in the bundle.
    let (r, verdict) = verify_at(v, &f.bundle, &f.missing_target, at());
    assert_eq!(
        r,
        vouch_result::Ok,
        "a failing chain is still an evaluation"
    );
    assert!(!vouch_verdict_passed(verdict));
    assert_eq!(vouch_verdict_failure_count(verdict), 1);
    let j = json(verdict);
    assert_eq!(j["outcome"], "fail");
    assert_eq!(j["failures"][0]["reason"]["kind"], "deployment-missing");
    vouch_verdict_free(verdict);

    // The same chain a month later: the deployment is too old.
    let (r, verdict) = verify_at(v, &f.bundle, &f.deployment_target, at() + 30 * 86_400);
    assert_eq!(r, vouch_result::Ok);
    assert!(!vouch_verdict_passed(verdict));
    let kinds: Vec<String> = json(verdict)["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["reason"]["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(kinds.contains(&"too-old".to_owned()), "{kinds:?}");
    vouch_verdict_free(verdict);

    // An empty bundle: nothing is found.
    let empty = vouch_chain::Bundle::new().to_bytes().unwrap();
    let (r, verdict) = verify_at(v, &empty, &f.deployment_target, at());
    assert_eq!(r, vouch_result::Ok);
    assert!(!vouch_verdict_passed(verdict));
    vouch_verdict_free(verdict);
    vouch_verifier_free(v);
}

#[test]
fn inputs_that_cannot_be_evaluated() {
    let f = fixtures();
    let v = verifier();
    assert_eq!(
        verify_at(v, b"not a bundle", &f.deployment_target, at()).0,
        vouch_result::Bundle
    );
    assert!(last_error().starts_with("bundle: "), "{}", last_error());
    assert_eq!(
        verify_at(v, &[], &f.deployment_target, at()).0,
        vouch_result::Bundle
    );
    assert_eq!(
        verify_at(v, &f.bundle, "deployment:md5:00", at()).0,
        vouch_result::Target
    );
    assert_eq!(verify_at(v, &f.bundle, "", at()).0, vouch_result::Target);
    assert_eq!(
        verify_at(v, &f.bundle, &f.deployment_target, i64::MAX).0,
        vouch_result::BadArgument
    );

    let not_utf8 = CString::new(b"deployment:\xff".to_vec()).unwrap();
    let mut out = null_mut();
    let r = vouch_verifier_verify(
        v,
        f.bundle.as_ptr(),
        f.bundle.len(),
        not_utf8.as_ptr(),
        &mut out,
    );
    assert_eq!(r, vouch_result::Target);
    vouch_verifier_free(v);
}

#[test]
fn verifiers_refuse_bad_policies_and_rosters() {
    let f = fixtures();
    assert_eq!(
        new_verifier(b"[deployment]\nnonsense = 1\n", &f.roster).0,
        vouch_result::Policy
    );
    assert!(last_error().starts_with("policy: "), "{}", last_error());
    assert_eq!(new_verifier(b"{", &f.roster).0, vouch_result::Policy);
    assert_eq!(new_verifier(&[], &f.roster).0, vouch_result::Policy);
    assert_eq!(
        new_verifier(f.policy.as_bytes(), b"junk").0,
        vouch_result::Roster
    );
    assert_eq!(
        new_verifier(f.policy.as_bytes(), &[]).0,
        vouch_result::Roster
    );
    // A roster whose signature was tampered with.
    let mut tampered = f.roster.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(
        new_verifier(f.policy.as_bytes(), &tampered).0,
        vouch_result::Roster
    );
    // The policy may be JSON too.
    let json = serde_json::to_vec(&vouch_chain::Policy::from_toml(&f.policy).unwrap()).unwrap();
    let (r, v) = new_verifier(&json, &f.roster);
    assert_eq!(r, vouch_result::Ok, "{}", last_error());
    vouch_verifier_free(v);
}

#[test]
fn pins_are_32_bytes_or_their_text() {
    let f = fixtures();
    let p = f.policy.as_bytes();
    // Raw bytes, and the text `vouch roster verify` prints.
    for pin in [pin().to_vec(), f.roster_pin.to_string().into_bytes()] {
        let (r, v) = new_pinned(p, &f.roster, &pin);
        assert_eq!(r, vouch_result::Ok, "{}", last_error());
        assert_eq!(vouch_verifier_roster_version(v), 2);
        vouch_verifier_free(v);
    }
    // Another version's digest, or none of them: refused.
    let (r, _) = new_pinned(p, &f.roster, &[0u8; 32]);
    assert_eq!(r, vouch_result::Roster);
    assert!(last_error().contains("pin"), "{}", last_error());
    let wrong = vouch_core::Digest::sha256(b"x").to_string();
    assert_eq!(
        new_pinned(p, &f.roster, wrong.as_bytes()).0,
        vouch_result::Roster
    );
    // A short or long pin is never read past its length.
    let short = &pin()[..31];
    assert_eq!(
        new_pinned(p, &f.roster, short).0,
        vouch_result::InvalidLength
    );
    assert!(last_error().contains("31 bytes"), "{}", last_error());
    let text = f.roster_pin.to_string();
    assert_eq!(
        new_pinned(p, &f.roster, &text.as_bytes()[..70]).0,
        vouch_result::InvalidLength
    );
    assert_eq!(
        new_pinned(p, &f.roster, format!("{text}\0").as_bytes()).0,
        vouch_result::InvalidLength
    );
    assert_eq!(new_pinned(p, &f.roster, &[]).0, vouch_result::InvalidLength);
    // 71 bytes that are not sha256:<hex>.
    let garbage = format!("sha256:{}", "z".repeat(64));
    assert_eq!(
        new_pinned(p, &f.roster, garbage.as_bytes()).0,
        vouch_result::BadArgument
    );
    let other_algorithm = format!("sha512:{}", "0".repeat(64));
    assert_eq!(
        new_pinned(p, &f.roster, other_algorithm.as_bytes()).0,
        vouch_result::BadArgument
    );
    // NULL, with any length.
    let mut v = null_mut();
    for len in [0, 32] {
        let r = vouch_verifier_new(
            p.as_ptr(),
            p.len(),
            f.roster.as_ptr(),
            f.roster.len(),
            null(),
            len,
            &mut v,
        );
        assert_eq!(r, vouch_result::NullParameter);
        assert!(v.is_null());
    }
}

/// `vouch_verifier_new_with_state`: pin, state, minimum version.
fn new_with_state(
    roster: &[u8],
    pin: Option<&[u8]>,
    state: &[u8],
    min: u64,
) -> (vouch_result, *mut vouch_verifier) {
    let p = fixtures().policy.as_bytes();
    let (pin_ptr, pin_len) = pin.map_or((null(), 0), |p| (p.as_ptr(), p.len()));
    let state_ptr = if state.is_empty() {
        null()
    } else {
        state.as_ptr()
    };
    let mut v = std::ptr::NonNull::dangling().as_ptr();
    let r = vouch_verifier_new_with_state(
        p.as_ptr(),
        p.len(),
        roster.as_ptr(),
        roster.len(),
        pin_ptr,
        pin_len,
        state_ptr,
        state.len(),
        min,
        &mut v,
    );
    if r != vouch_result::Ok {
        assert!(v.is_null());
    }
    (r, v)
}

fn state_of(v: *const vouch_verifier) -> Vec<u8> {
    let mut b = null_mut();
    assert_eq!(vouch_verifier_state(v, &mut b), vouch_result::Ok);
    let bytes = read::bytes(vouch_bytes_data(b), vouch_bytes_len(b));
    vouch_bytes_free(b);
    bytes
}

#[test]
fn trusted_state_refuses_rollbacks() {
    let f = fixtures();
    let pin = pin();
    // A first run: the pin, an empty state. The state records version 2.
    let (r, v) = new_with_state(&f.roster, Some(&pin), &[], 0);
    assert_eq!(r, vouch_result::Ok, "{}", last_error());
    let state = state_of(v);
    vouch_verifier_free(v);
    let json: serde_json::Value = serde_json::from_slice(&state).unwrap();
    assert_eq!(
        json["rosters"][f.roster_pin.to_string()]["version"],
        2,
        "{json}"
    );
    // With that state, the pin may be left out.
    let (r, v) = new_with_state(&f.roster, None, &state, 2);
    assert_eq!(r, vouch_result::Ok, "{}", last_error());
    assert_eq!(state_of(v), state);
    vouch_verifier_free(v);
    // The file cut back to version 1: a rollback, with or without the pin.
    for pin in [Some(&pin[..]), None] {
        let (r, _) = new_with_state(&f.roster_v1, pin, &state, 0);
        assert_eq!(r, vouch_result::Roster);
        assert!(last_error().contains("rollback"), "{}", last_error());
    }
    // Without state, only a minimum version stops it.
    let (r, v) = new_with_state(&f.roster_v1, Some(&pin), &[], 0);
    assert_eq!(r, vouch_result::Ok, "{}", last_error());
    vouch_verifier_free(v);
    let (r, _) = new_with_state(&f.roster_v1, Some(&pin), &[], 2);
    assert_eq!(r, vouch_result::Roster);
    assert!(
        last_error().contains("below the minimum 2"),
        "{}",
        last_error()
    );
    // No pin and nothing in the state: NULL pin.
    let (r, _) = new_with_state(&f.roster, None, &[], 0);
    assert_eq!(r, vouch_result::NullParameter);
    assert!(last_error().contains("pin"), "{}", last_error());
    // A state that is not one.
    let (r, _) = new_with_state(&f.roster, Some(&pin), b"{\"version\": 7}", 0);
    assert_eq!(r, vouch_result::Parse);
    assert!(last_error().starts_with("state: "), "{}", last_error());
    // A verifier made without state still hands out its state.
    let v = verifier();
    assert_eq!(state_of(v), state);
    let mut b = null_mut();
    assert_eq!(
        vouch_verifier_state(null(), &mut b),
        vouch_result::NullParameter
    );
    assert!(b.is_null());
    assert_eq!(
        vouch_verifier_state(v, null_mut()),
        vouch_result::NullParameter
    );
    vouch_verifier_free(v);
}

#[test]
fn an_expired_roster_is_refused() {
    // The whole chain, made 400 days ago: the roster expired 35 days ago.
    let old = chain::build(Timestamp::now().plus_seconds(-400 * 86_400)).unwrap();
    let pin = *old.roster_pin.as_sha256().unwrap();
    let (r, _) = new_pinned(old.policy.as_bytes(), &old.roster, &pin);
    assert_eq!(r, vouch_result::Roster);
    assert!(last_error().contains("expired"), "{}", last_error());
    // A verifier made before the expiry refuses to evaluate after it.
    let chain = vouch_manifest::RosterChain::from_bytes(&old.roster).unwrap();
    let trusted =
        vouch_manifest::TrustedRoster::verify_chain(&old.roster_pin, chain.versions()).unwrap();
    let policy = vouch_chain::Policy::from_toml(&old.policy).unwrap();
    let v: *mut vouch_verifier =
        crate::ffi::into_handle(crate::verifier::TrustedVerifier::unchecked(policy, trusted));
    let made_at = old.made_at.unix_seconds() + 60;
    let (r, verdict) = verify_at(v, &old.bundle, &old.deployment_target, made_at);
    assert_eq!(r, vouch_result::Roster);
    assert!(verdict.is_null());
    assert!(last_error().contains("expired"), "{}", last_error());
    vouch_verifier_free(v);
}

#[test]
fn null_arguments() {
    let f = fixtures();
    let n = vouch_result::NullParameter;
    let (p, r) = (f.policy.as_bytes(), &f.roster);
    let pin = pin();
    let (k, kl) = (pin.as_ptr(), pin.len());
    let mut v = null_mut();
    assert_eq!(
        vouch_verifier_new(null(), 1, r.as_ptr(), r.len(), k, kl, &mut v),
        n
    );
    assert_eq!(
        vouch_verifier_new(p.as_ptr(), p.len(), null(), 1, k, kl, &mut v),
        n
    );
    assert_eq!(
        vouch_verifier_new(p.as_ptr(), p.len(), r.as_ptr(), r.len(), k, kl, null_mut()),
        n
    );
    assert_eq!(
        vouch_verifier_new(p.as_ptr(), usize::MAX, r.as_ptr(), r.len(), k, kl, &mut v),
        vouch_result::InvalidLength
    );
    assert_eq!(
        vouch_verifier_new(
            p.as_ptr(),
            p.len(),
            r.as_ptr(),
            r.len(),
            k,
            usize::MAX,
            &mut v
        ),
        vouch_result::InvalidLength
    );

    let v = verifier();
    let target = cstring(&f.deployment_target);
    let b = &f.bundle;
    let mut out = null_mut();
    assert_eq!(
        vouch_verifier_verify(null(), b.as_ptr(), b.len(), target.as_ptr(), &mut out),
        n
    );
    assert_eq!(
        vouch_verifier_verify(v, null(), 1, target.as_ptr(), &mut out),
        n
    );
    assert_eq!(
        vouch_verifier_verify(v, b.as_ptr(), b.len(), null(), &mut out),
        n
    );
    assert_eq!(
        vouch_verifier_verify(v, b.as_ptr(), b.len(), target.as_ptr(), null_mut()),
        n
    );
    assert_eq!(
        vouch_verifier_verify_at(null(), b.as_ptr(), b.len(), target.as_ptr(), 0, &mut out),
        n
    );
    assert_eq!(
        vouch_verifier_verify(v, b.as_ptr(), usize::MAX, target.as_ptr(), &mut out),
        vouch_result::InvalidLength
    );

    assert!(!vouch_verdict_passed(null()));
    assert_eq!(vouch_verdict_failure_count(null()), 0);
    assert_eq!(vouch_verifier_roster_version(null()), 0);
    let mut bytes = null_mut();
    assert_eq!(vouch_verdict_trace_json(null(), &mut bytes), n);
    assert_eq!(vouch_verdict_text(null(), &mut bytes), n);
    let (_, verdict) = verify_at(v, b, &f.deployment_target, at());
    assert_eq!(vouch_verdict_trace_json(verdict, null_mut()), n);
    assert_eq!(vouch_verdict_text(verdict, null_mut()), n);
    vouch_verdict_free(verdict);
    vouch_verdict_free(null_mut());
    vouch_verifier_free(null_mut());
    vouch_verifier_free(v);
}

/// The header's thread-safety contract, from Rust: one verifier evaluates
/// passing and failing chains on several threads at once, and each thread
/// keeps its own last error message.
#[test]
fn one_verifier_serves_many_threads() {
    let f = fixtures();
    let v = verifier();
    // Raw pointers are not Send; C code shares the address, and so does this.
    let shared = v as usize;
    std::thread::scope(|s| {
        for t in 0..4_i64 {
            s.spawn(move || {
                let v = shared as *const vouch_verifier;
                for i in 0..8_i64 {
                    // The case is offset by the thread, so all run at once.
                    let (bundle, target, failure) = match (t + i) % 4 {
                        0 => (&f.bundle, &f.deployment_target, None),
                        1 => (&f.bundle, &f.missing_target, Some("deployment-missing")),
                        2 => (
                            &f.forged_bundle,
                            &f.deployment_target,
                            Some("bad-signature"),
                        ),
                        _ => {
                            // A message no other thread writes.
                            let when = i64::MIN + t * 100 + i;
                            let (r, verdict) = verify_at(v, &f.bundle, &f.deployment_target, when);
                            assert_eq!(r, vouch_result::BadArgument);
                            assert!(verdict.is_null());
                            let want = format!("unix_seconds {when} is out of range");
                            assert_eq!(last_error(), want);
                            continue;
                        }
                    };
                    let (r, verdict) = verify_at(v, bundle, target, at());
                    assert_eq!(r, vouch_result::Ok, "{}", last_error());
                    assert_eq!(last_error(), "");
                    assert_eq!(vouch_verdict_passed(verdict), failure.is_none());
                    if let Some(kind) = failure {
                        let kinds: Vec<_> = json(verdict)["failures"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|x| x["reason"]["kind"].as_str().unwrap().to_owned())
                            .collect();
                        assert!(kinds.iter().any(|k| k == kind), "{kinds:?}");
                    }
                    vouch_verdict_free(verdict);
                }
            });
        }
    });
    vouch_verifier_free(v);
}

/// Every `unsafe` block (and `unsafe impl`) of the crate is in src/ffi.rs.
#[test]
fn unsafe_lives_only_in_the_ffi_module() {
    const KEYWORD: &str = "unsafe";
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut checked = 0;
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == "ffi.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for needle in ["{", "impl", "fn", "extern"].map(|next| format!("{KEYWORD} {next}")) {
                assert!(
                    !code.contains(&needle),
                    "{}:{}: `{needle}` outside src/ffi.rs",
                    path.display(),
                    i + 1
                );
            }
        }
        checked += 1;
    }
    assert!(checked >= 6);
}
