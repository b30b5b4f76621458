//! vouch_gate::admission::check_record (an admission record read from a
//! directory others may write to): never panics, and accepts only a record
//! signed by the gate's key for exactly the tuple asked about, dated no
//! later than now (plus the clock skew). The seeds are real records: a
//! test-support chain verified and its summary signed by the gate key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_chain::{Policy, Target, VerificationSummary, Verifier};
use vouch_core::{Digest, Signer};
use vouch_gate::admission::{AdmissionKey, check_record};
use vouch_manifest::{RosterChain, Signed};
use vouch_test_support::chain::{ChainSpec, build};

/// A record as the gate writes one, of a fresh chain, signed by `signer`.
fn record(signer: &dyn Signer) -> Option<Vec<u8>> {
    let mut spec = ChainSpec::new(Digest::sha256(b"image"));
    spec.now = vouch_fuzz::now();
    let chain = build(&spec);
    let roster = RosterChain::from_bytes(&chain.roster)
        .ok()?
        .verify(&chain.roster_pin, spec.now)
        .ok()?;
    let verifier = Verifier::new(Policy::from_bytes(chain.policy.as_bytes()).ok()?, roster);
    let verdict = verifier.verify(
        &chain.bundle,
        &Target::Deployment(chain.deployment),
        spec.now,
    );
    let signed = verdict
        .signed_summary_at(signer, "https://vouch.dev/gate/eu-1", None, spec.now)
        .ok()?;
    signed.to_bytes().ok()
}

/// The tuple a record claims (unverified), to ask about exactly it.
fn claimed(data: &[u8]) -> Option<AdmissionKey> {
    let signed = Signed::<VerificationSummary>::from_bytes(data).ok()?;
    let q = &signed.unverified().predicate().vouch;
    Some(AdmissionKey {
        deployment: q.target_digest,
        image: q.image,
        cluster: q.cluster.clone()?,
        namespace: q.namespace.clone()?,
        workload: q.service.clone()?,
    })
}

fuzz_target!(init: vouch_fuzz::write_seeds(|| {
    let keys = vouch_fuzz::keys();
    [record(&keys[0]), record(&keys[1]), record(&keys[2])].into_iter().flatten().collect()
}), |data: &[u8]| {
    let gate = &vouch_fuzz::keys()[0];
    let now = vouch_fuzz::now();
    let other = AdmissionKey {
        deployment: Digest::sha256(b"deployment"),
        image: Digest::sha256(b"image"),
        cluster: "eu-1".into(),
        namespace: "shop".into(),
        workload: "api".into(),
    };
    let _ = check_record(data, gate.public_key(), &other, Some("production"), now);
    let Some(key) = claimed(data) else {
        return;
    };
    if let Ok(first) = check_record(data, gate.public_key(), &key, Some("production"), now) {
        assert!(first.unix_seconds() <= now.unix_seconds() + 300);
        // Accepted for its own tuple only: another workload is refused.
        let mut elsewhere = key.clone();
        elsewhere.workload.push('x');
        assert!(check_record(data, gate.public_key(), &elsewhere, Some("production"), now).is_err());
    }
});
