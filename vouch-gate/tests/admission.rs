//! Re-admission: a workload admitted while its deployment was fresh keeps
//! being admitted after the deployment's `max_age`, on a valid admission
//! record only, and never past a revoked or expired key. Also the
//! multi-platform rule: an index pin, a platform-manifest pin certified by
//! the verified image statement, and one that is not.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use vouch_chain::{Policy, Verifier};
use vouch_core::{Algorithm, Digest, Timestamp};
use vouch_gate::admission::{AdmissionKey, AdmissionRecords};
use vouch_gate::audit::Outcome;
use vouch_gate::gate::{Gate, GateSettings, Reviewed};
use vouch_gate::review::{self, AdmissionRequest};
use vouch_gate::source::{BundleSource, DirSource, file_name};
use vouch_keys::FileKey;
use vouch_manifest::{PlatformImage, RosterChain};
use vouch_test_support::chain::{Chain, ChainSpec, build};

const IMAGE: &str = "sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f";

/// The policy's deployment `max_age` (7 days), in seconds.
const MAX_AGE: i64 = 7 * 86_400;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "vouch-gate-admission-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("bundles")).unwrap();
    dir
}

fn verifier(roster: &[u8], pin: &Digest, policy: &str, at: Timestamp) -> (Arc<Verifier>, Digest) {
    let trusted = RosterChain::from_bytes(roster)
        .unwrap()
        .verify(pin, at)
        .unwrap();
    let policy = Policy::from_bytes(policy.as_bytes()).unwrap();
    let digest = policy.digest();
    (Arc::new(Verifier::new(policy, trusted)), digest)
}

fn settings() -> GateSettings {
    GateSettings {
        cluster: "eu-1".into(),
        environment: Some("production".into()),
        workload_label: vouch_gate::workload::DEFAULT_WORKLOAD_LABEL.into(),
        dry_run: false,
        exempt_namespaces: Vec::new(),
        fetch_timeout: Duration::from_secs(5),
    }
}

/// A gate over `chain`'s bundle (filed under each digest of `pins`), with
/// records signed by `key` in `dir/records` when given.
fn gate(dir: &Path, chain: &Chain, pins: &[Digest], key: Option<&FileKey>) -> Gate {
    for pin in pins {
        std::fs::write(
            dir.join("bundles").join(file_name(pin)),
            chain.bundle.to_bytes().unwrap(),
        )
        .unwrap();
    }
    let (v, policy) = verifier(
        &chain.roster,
        &chain.roster_pin,
        &chain.policy,
        Timestamp::now(),
    );
    let sources: Vec<Arc<dyn BundleSource>> = vec![Arc::new(DirSource::new(dir.join("bundles")))];
    let g = Gate::new(settings(), v, policy, sources, 64);
    match key {
        Some(k) => g.with_records(records(dir, k)),
        None => g,
    }
}

fn records(dir: &Path, key: &FileKey) -> AdmissionRecords {
    let path = dir.join("gate.key");
    if !path.exists() {
        key.save(&path, None).unwrap();
    }
    AdmissionRecords::open(
        &dir.join("records"),
        &format!("file:{}", path.display()),
        "eu-1",
        Some("production".into()),
    )
    .unwrap()
}

/// The pod fixture (namespace shop, workload api), its two containers
/// pinned to `image`.
fn pod(image: &Digest) -> AdmissionRequest {
    let path = format!("{}/tests/fixtures/pod.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path)
        .unwrap()
        .replace(IMAGE, &image.to_string());
    review::decode(text.as_bytes()).unwrap().request
}

fn the_key(chain: &Chain, image: &Digest) -> AdmissionKey {
    AdmissionKey {
        deployment: chain.deployment,
        image: *image,
        cluster: "eu-1".into(),
        namespace: "shop".into(),
        workload: "api".into(),
    }
}

fn allowed(r: &Reviewed) -> bool {
    r.decision.allowed
}

/// The spec's chain, made at `t0`; the deployment is an hour old then.
fn spec(t0: Timestamp) -> ChainSpec {
    let mut s = ChainSpec::new(IMAGE.parse().unwrap());
    s.now = t0;
    s
}

/// Past the deployment's max_age: one second after it ran out.
fn stale(t0: Timestamp) -> Timestamp {
    t0.plus_seconds(-3600 + MAX_AGE + 1)
}

#[test]
fn a_first_admission_is_recorded_and_readmits_after_max_age() {
    let dir = temp_dir("readmit");
    let t0 = Timestamp::now();
    let chain = build(&spec(t0));
    let image: Digest = IMAGE.parse().unwrap();
    let key = FileKey::generate(Algorithm::Ed25519).unwrap();
    let g = gate(&dir, &chain, &[image], Some(&key));

    let first = g.review(&pod(&image), t0);
    assert!(allowed(&first), "{}", first.decision.message);
    assert_eq!(first.audit.outcome, Outcome::Allowed);
    assert!(first.audit.notes.is_empty(), "{:?}", first.audit.notes);
    let record = dir
        .join("records")
        .join(the_key(&chain, &image).file_name());
    assert!(record.is_file(), "the first admission wrote its record");
    let written = std::fs::read(&record).unwrap();

    let later = g.review(&pod(&image), stale(t0));
    assert!(allowed(&later), "{}", later.decision.message);
    assert_eq!(later.audit.outcome, Outcome::Readmitted);
    let message = &later.decision.message;
    assert!(message.contains("re-admission of deployment"), "{message}");
    assert!(
        message.contains(&format!("first admitted at {t0}")),
        "{message}"
    );
    assert!(
        later
            .audit
            .notes
            .iter()
            .all(|n| n.contains("re-admission") && n.contains(&chain.deployment.to_string())),
        "{:?}",
        later.audit.notes
    );
    let body = review::respond("u", &later.decision);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["response"]["allowed"], true);
    assert!(
        v["response"]["status"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("first admitted at")),
        "{v}"
    );
    // The record still says when the workload was first admitted.
    assert_eq!(std::fs::read(&record).unwrap(), written);

    // A fresh admission at another time keeps the first record.
    let again = g.review(&pod(&image), t0.plus_seconds(60));
    assert!(allowed(&again));
    assert_eq!(std::fs::read(&record).unwrap(), written);
}

#[test]
fn past_max_age_without_a_record_is_denied() {
    let dir = temp_dir("norecord");
    let t0 = Timestamp::now();
    let chain = build(&spec(t0));
    let image: Digest = IMAGE.parse().unwrap();
    let key = FileKey::generate(Algorithm::Ed25519).unwrap();
    // Never admitted at t0: no record.
    let g = gate(&dir, &chain, &[image], Some(&key));
    let r = g.review(&pod(&image), stale(t0));
    assert!(!allowed(&r));
    assert_eq!(r.audit.outcome, Outcome::Denied);
    assert!(
        r.decision.message.contains("older than the maximum age"),
        "{}",
        r.decision.message
    );
    assert!(
        r.decision.message.contains("no admission record"),
        "{}",
        r.decision.message
    );

    // Without a signing key, no records at all: the denial says so.
    let dir = temp_dir("nokey");
    let g = gate(&dir, &chain, &[image], None);
    assert!(allowed(&g.review(&pod(&image), t0)));
    let r = g.review(&pod(&image), stale(t0));
    assert!(!allowed(&r));
    assert!(
        r.decision.message.contains("keeps no admission records"),
        "{}",
        r.decision.message
    );
}

#[test]
fn a_tampered_or_foreign_record_is_ignored_with_the_reason() {
    let dir = temp_dir("tampered");
    let t0 = Timestamp::now();
    let chain = build(&spec(t0));
    let image: Digest = IMAGE.parse().unwrap();
    let key = FileKey::generate(Algorithm::Ed25519).unwrap();
    let g = gate(&dir, &chain, &[image], Some(&key));
    assert!(allowed(&g.review(&pod(&image), t0)));
    let record = dir
        .join("records")
        .join(the_key(&chain, &image).file_name());
    let good = std::fs::read(&record).unwrap();

    // One bit of the signature flipped.
    let mut bad = good.clone();
    if let Some(last) = bad.last_mut() {
        *last ^= 1;
    }
    std::fs::write(&record, &bad).unwrap();
    let r = g.review(&pod(&image), stale(t0));
    assert!(!allowed(&r), "{}", r.decision.message);
    assert!(
        r.decision.message.contains("ignored")
            && r.decision.message.contains("not signed by this gate's key"),
        "{}",
        r.decision.message
    );

    // A valid record, but by another gate's key (a second gate sharing the
    // directory with another key, or someone who can write to it).
    let other_dir = temp_dir("tampered-other");
    let other = FileKey::generate(Algorithm::Ed25519).unwrap();
    let g2 = gate(&other_dir, &chain, &[image], Some(&other));
    assert!(allowed(&g2.review(&pod(&image), t0)));
    let foreign = std::fs::read(
        other_dir
            .join("records")
            .join(the_key(&chain, &image).file_name()),
    )
    .unwrap();
    std::fs::write(&record, &foreign).unwrap();
    // A fresh gate (nothing cached) with the first key.
    let g = gate(&dir, &chain, &[image], Some(&key));
    let r = g.review(&pod(&image), stale(t0));
    assert!(!allowed(&r), "{}", r.decision.message);
    assert!(
        r.decision.message.contains("not signed by this gate's key"),
        "{}",
        r.decision.message
    );

    // A record of another tuple filed under this one's name.
    let mut elsewhere = spec(t0);
    elsewhere.namespace = "other".into();
    let chain2 = build(&elsewhere);
    let dir3 = temp_dir("tampered-elsewhere");
    let g3 = gate(&dir3, &chain2, &[image], Some(&key));
    let mut other_pod = pod(&image);
    other_pod.namespace = Some("other".into());
    assert!(allowed(&g3.review(&other_pod, t0)));
    let mut other_key = the_key(&chain2, &image);
    other_key.namespace = "other".into();
    let misfiled = std::fs::read(dir3.join("records").join(other_key.file_name())).unwrap();
    std::fs::write(&record, &misfiled).unwrap();
    let g = gate(&dir, &chain, &[image], Some(&key));
    let r = g.review(&pod(&image), stale(t0));
    assert!(!allowed(&r), "{}", r.decision.message);
    assert!(
        r.decision.message.contains("names deployment"),
        "{}",
        r.decision.message
    );

    // Restored, the record re-admits again.
    std::fs::write(&record, &good).unwrap();
    let g = gate(&dir, &chain, &[image], Some(&key));
    assert!(allowed(&g.review(&pod(&image), stale(t0))));
}

#[test]
fn a_revoked_key_denies_even_with_a_record() {
    let dir = temp_dir("revoked");
    let t0 = Timestamp::now();
    let mut s = spec(t0);
    s.revoke_deployer_at = Some(t0.plus_seconds(86_400));
    let chain = build(&s);
    let image: Digest = IMAGE.parse().unwrap();
    let key = FileKey::generate(Algorithm::Ed25519).unwrap();
    let g = gate(&dir, &chain, &[image], Some(&key));
    assert!(allowed(&g.review(&pod(&image), t0)));
    assert!(
        dir.join("records")
            .join(the_key(&chain, &image).file_name())
            .is_file()
    );
    // The roster that revokes the deployer's key arrives (a reload).
    let revoked = chain.roster_revoked.as_ref().unwrap();
    let (v, policy) = verifier(revoked, &chain.roster_pin, &chain.policy, t0);
    g.replace_verifier(v, policy);
    let r = g.review(&pod(&image), stale(t0));
    assert!(!allowed(&r), "{}", r.decision.message);
    assert_eq!(r.audit.outcome, Outcome::Denied);
    assert!(
        r.decision.message.contains("revoked"),
        "{}",
        r.decision.message
    );
    assert!(
        !r.decision.message.contains("re-admission"),
        "{}",
        r.decision.message
    );
}

#[test]
fn a_cached_readmission_ends_with_the_deployer_key() {
    let dir = temp_dir("keyend");
    let t0 = Timestamp::now();
    let t1 = stale(t0);
    let mut s = spec(t0);
    // The deployer's key ends ten minutes after the deployment went stale.
    s.deployer_key_until = Some(t1.plus_seconds(600));
    let chain = build(&s);
    let image: Digest = IMAGE.parse().unwrap();
    let key = FileKey::generate(Algorithm::Ed25519).unwrap();
    let g = gate(&dir, &chain, &[image], Some(&key));
    assert!(allowed(&g.review(&pod(&image), t0)));

    let r = g.review(&pod(&image), t1);
    assert_eq!(r.audit.outcome, Outcome::Readmitted, "{:?}", r.audit);
    // The second container's identical question came from the cache.
    assert_eq!(r.cache_hits, 1);
    // The approvals (made 60 s and 300 s after the deployment) go stale
    // later still: until then the verdict could change, and is not kept
    // past that. Once every link is stale, what ends it is the key.
    let r = g.review(&pod(&image), t1.plus_seconds(300));
    assert_eq!(r.audit.outcome, Outcome::Readmitted);
    let r = g.review(&pod(&image), t1.plus_seconds(590));
    assert_eq!(r.audit.outcome, Outcome::Readmitted);
    assert_eq!(r.cache_hits, 2, "a cache hit within the key's validity");

    // Past the key's end the cached re-admission has expired: the chain is
    // verified again, and the ended key denies.
    let r = g.review(&pod(&image), t1.plus_seconds(601));
    assert!(!allowed(&r), "{}", r.decision.message);
    assert_eq!(r.audit.outcome, Outcome::Denied);
    assert!(
        !r.decision.message.contains("re-admission"),
        "{}",
        r.decision.message
    );
}

fn platform(n: u8, arch: &str) -> PlatformImage {
    PlatformImage {
        platform: Some(format!("linux/{arch}")),
        manifest: Digest::sha256(&[n, 1]),
        config: Digest::sha256(&[n, 2]),
        layers: vec![Digest::sha256(&[n, 3])],
    }
}

#[test]
fn index_and_certified_platform_pins_are_admitted_and_others_are_not() {
    let dir = temp_dir("multiarch");
    let t0 = Timestamp::now();
    let index = Digest::sha256(b"an image index");
    let (amd64, arm64) = (platform(1, "amd64"), platform(2, "arm64"));
    let mut s = spec(t0);
    s.image = index;
    s.platforms = vec![amd64.clone(), arm64.clone()];
    let chain = build(&s);
    let stranger = Digest::sha256(b"not in the index");
    let key = FileKey::generate(Algorithm::Ed25519).unwrap();
    let g = gate(
        &dir,
        &chain,
        &[index, amd64.manifest, arm64.manifest, stranger],
        Some(&key),
    );

    // The index digest: an exact match of the deployment's image.
    let r = g.review(&pod(&index), t0);
    assert!(allowed(&r), "{}", r.decision.message);
    // Each platform manifest the verified image statement lists.
    for p in [&amd64, &arm64] {
        let r = g.review(&pod(&p.manifest), t0);
        assert!(allowed(&r), "{}: {}", p.manifest, r.decision.message);
    }
    // A digest the index does not list: no statement names it.
    let r = g.review(&pod(&stranger), t0);
    assert!(!allowed(&r));
    assert!(
        r.decision.message.contains("no deployment statement"),
        "{}",
        r.decision.message
    );
    // The record names the index (the deployment's image), and re-admits a
    // platform pin after max_age too.
    assert!(
        dir.join("records")
            .join(the_key(&chain, &index).file_name())
            .is_file()
    );
    let r = g.review(&pod(&arm64.manifest), stale(t0));
    assert_eq!(
        r.audit.outcome,
        Outcome::Readmitted,
        "{}",
        r.decision.message
    );
}

#[test]
fn a_platform_list_the_chain_did_not_verify_admits_nothing() {
    let dir = temp_dir("multiarch-forged");
    let t0 = Timestamp::now();
    let index = Digest::sha256(b"an image index");
    let amd64 = platform(1, "amd64");
    let mut s = spec(t0);
    s.image = index;
    s.platforms = vec![amd64.clone()];
    let mut chain = build(&s);
    // Someone who can write to the bundle adds an image statement of the
    // same index, signed by a key the roster does not know, that lists a
    // manifest of their own.
    let evil = platform(9, "amd64");
    let forged = vouch_manifest::Image {
        name: "registry.example.com/shop/api".into(),
        image: index,
        config: index,
        layers: Vec::new(),
        packages: Vec::new(),
        source_commits: vec![vouch_manifest::SourceCommit {
            repository: "https://git.example.com/shop.git".into(),
            commit: Digest::sha256(b"a commit").hex()[..40].parse().unwrap(),
        }],
        builder: "workload:ci/build".parse().unwrap(),
        invocation_id: "build-1".into(),
        started_at: t0.plus_seconds(-3 * 3600),
        finished_at: t0.plus_seconds(-2 * 3600),
        platforms: vec![amd64.clone(), evil.clone()],
    };
    let outsider = FileKey::generate(Algorithm::Ed25519).unwrap();
    let signed = vouch_manifest::Signed::sign(
        &vouch_manifest::Statement::from_predicate(forged).unwrap(),
        &outsider,
    )
    .unwrap();
    chain.bundle.add_envelope(signed.to_bytes().unwrap());
    let g = gate(&dir, &chain, &[amd64.manifest, evil.manifest], None);
    let r = g.review(&pod(&amd64.manifest), t0);
    assert!(allowed(&r), "{}", r.decision.message);
    let r = g.review(&pod(&evil.manifest), t0);
    assert!(
        !allowed(&r),
        "the forged platform list admitted {}",
        evil.manifest
    );
    assert!(
        r.decision.message.contains("no verified image statement"),
        "{}",
        r.decision.message
    );
}

#[test]
fn another_namespace_or_a_wrong_signer_denies_even_with_a_record() {
    let dir = temp_dir("wrong");
    let t0 = Timestamp::now();
    let chain = build(&spec(t0));
    let image: Digest = IMAGE.parse().unwrap();
    let key = FileKey::generate(Algorithm::Ed25519).unwrap();
    let g = gate(&dir, &chain, &[image], Some(&key));
    assert!(allowed(&g.review(&pod(&image), t0)));

    // The same workload name in another namespace: the statement's
    // placement does not match, which no record forgives.
    let mut elsewhere = pod(&image);
    elsewhere.namespace = Some("other".into());
    let r = g.review(&elsewhere, stale(t0));
    assert!(!allowed(&r), "{}", r.decision.message);
    assert!(
        r.decision.message.contains("namespace"),
        "{}",
        r.decision.message
    );
    assert!(!r.decision.message.contains("re-admission"));

    // The very statement the record names (same digest), but signed by a
    // key outside the roster: the record exists and verifies, and still
    // the pod is denied.
    let mut s = spec(t0);
    s.deployer_outside_roster = true;
    let forged = build(&s);
    assert_eq!(forged.deployment, chain.deployment);
    let mixed = Chain {
        roster: chain.roster.clone(),
        roster_pin: chain.roster_pin,
        policy: chain.policy.clone(),
        bundle: forged.bundle,
        deployment: chain.deployment,
        roster_revoked: None,
    };
    let g = gate(&dir, &mixed, &[image], Some(&key));
    let records = g.records().unwrap();
    assert!(
        records
            .find(&the_key(&chain, &image), stale(t0))
            .unwrap()
            .is_some()
    );
    let r = g.review(&pod(&image), stale(t0));
    assert!(!allowed(&r), "{}", r.decision.message);
    assert_eq!(r.audit.outcome, Outcome::Denied);
    assert!(!r.decision.message.contains("re-admission"));
}

#[test]
fn a_record_that_cannot_be_written_still_admits_and_says_so() {
    let dir = temp_dir("unwritable");
    let t0 = Timestamp::now();
    let chain = build(&spec(t0));
    let image: Digest = IMAGE.parse().unwrap();
    let key = FileKey::generate(Algorithm::Ed25519).unwrap();
    let g = gate(&dir, &chain, &[image], Some(&key));
    // The directory replaced by a file: every write fails.
    std::fs::remove_dir_all(dir.join("records")).unwrap();
    std::fs::write(dir.join("records"), b"not a directory").unwrap();
    let r = g.review(&pod(&image), t0);
    assert!(allowed(&r), "the chain verified: {}", r.decision.message);
    assert_eq!(r.audit.outcome, Outcome::Allowed);
    assert!(
        r.audit.notes.iter().any(|n| n.contains("not written")),
        "{:?}",
        r.audit.notes
    );
}
