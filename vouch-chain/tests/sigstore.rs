//! Sigstore bundles as evidence in the chain (feature `sigstore`).
//!
//! Two kinds of bundle:
//!
//! - the public sigstore-conformance DSSE cases (keyless, GitHub Actions
//!   certificates, Rekor v1 and v2): their statements are SLSA provenance,
//!   so they test the plumbing: verification against the roster's trusted
//!   root, the exact (issuer, SAN) mapping, the proven time, the Fulcio
//!   claims, and that a statement of a non-vouch type is no link;
//! - a bundle made here, end to end: a vouch image statement in a DSSE
//!   envelope signed with the build workload's P-256 roster key, logged in
//!   a Rekor v1 stand-in (its own log key in a trusted root the roster
//!   carries, a signed entry timestamp, an inclusion proof to a signed
//!   checkpoint). Keyless bundles cannot be made offline here (no Fulcio
//!   or CT stand-in), so the end-to-end pass is key-signed.

#![cfg(feature = "sigstore")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use p256::ecdsa::SigningKey;
use p256::pkcs8::EncodePublicKey as _;
use vouch_chain::{
    Bundle, Outcome, Policy, Reason, Target, TraceNode, Verdict, Verifier, verify_sigstore,
};
use vouch_core::{Algorithm, Digest, PublicKey, Timestamp};
use vouch_keys::FileKey;
use vouch_manifest::{
    Identity, IdentityId, Image, Predicate, RoleGrant, RoleName, RootKeys, Roster, RosterKey,
    Signed, SigstoreSigner, SigstoreTrust, Statement, TrustedRoster,
};
use vouch_test_support::rekor::Rekor;

const SET: &str = "sigstore-conformance";
const BEACON: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const GITHUB: &str = "https://token.actions.githubusercontent.com";
const BUILD: &str = "workload:ci/build";

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn id(s: &str) -> IdentityId {
    s.parse().unwrap()
}

/// A file of a conformance case, else of the suite (`None` without the
/// vectors, after the skip notice, or when neither has it).
fn conformance(case: &str, file: &str) -> Option<Vec<u8>> {
    let p = vouch_test_support::vector(SET, "production_trusted_root.json")?;
    let dir = p.parent().unwrap();
    std::fs::read(dir.join(case).join(file))
        .or_else(|_| std::fs::read(dir.join(file)))
        .ok()
}

/// A roster with the build workload (optionally holding `key`), the
/// builder role from `role_from`, and `sigstore` as its Sigstore trust.
struct RosterPlan {
    key: Option<PublicKey>,
    role_from: &'static str,
    sigstore: Option<SigstoreTrust>,
}

fn trusted(plan: RosterPlan) -> TrustedRoster {
    let root = FileKey::generate(Algorithm::Ed25519).unwrap();
    let mut roles = BTreeMap::new();
    roles.insert(
        "builder".parse::<RoleName>().unwrap(),
        vec![RoleGrant::new(id(BUILD), t(plan.role_from))],
    );
    let witnesses = vouch_manifest::WitnessTrust {
        sigstore: plan.sigstore,
        ..Default::default()
    };
    let roster = Roster {
        name: "example.com".into(),
        version: 1,
        expires: t("2030-01-01T00:00:00Z"),
        root: RootKeys {
            keys: vec![vouch_core::Signer::public_key(&root).clone()],
            threshold: 1,
        },
        identities: vec![Identity {
            id: id(BUILD),
            display_name: "CI build".into(),
            openpgp_keys: Vec::new(),
            proofs: Vec::new(),
            keys: plan
                .key
                .into_iter()
                .map(|k| RosterKey::new(k, t("2026-01-01T00:00:00Z")))
                .collect(),
        }],
        roles,
        authenticators: Default::default(),
        tpm: Default::default(),
        witnesses,
        ci: Default::default(),
    };
    let signed = Signed::sign(&Statement::from_predicate(roster).unwrap(), &root).unwrap();
    TrustedRoster::from_pinned(&signed, &signed.digest()).unwrap()
}

fn mapping(issuer: &str, san: &str, from: &str) -> SigstoreSigner {
    SigstoreSigner {
        identity: id(BUILD),
        issuer: issuer.into(),
        san: san.into(),
        valid_from: t(from),
        valid_until: None,
    }
}

fn trust(root: Vec<u8>, signers: Vec<SigstoreSigner>) -> SigstoreTrust {
    SigstoreTrust {
        label: "sigstore".into(),
        trusted_root: String::from_utf8(root).unwrap(),
        signers,
    }
}

fn beacon_roster(case: &str, signers: Vec<SigstoreSigner>) -> Option<TrustedRoster> {
    let root = conformance(case, "trusted_root.json")
        .or_else(|| conformance(case, "production_trusted_root.json"))?;
    Some(trusted(RosterPlan {
        key: None,
        role_from: "2020-01-01T00:00:00Z",
        sigstore: Some(trust(root, signers)),
    }))
}

// ---------------------------------------------------------------------
// Plumbing, on the public conformance bundles.

#[test]
fn a_keyless_rekor_v1_dsse_bundle_maps_to_its_roster_identity_with_proven_time() {
    let case = "happy-path-intoto-in-dsse-v3";
    let Some(roster) = beacon_roster(case, vec![mapping(GITHUB, BEACON, "2020-01-01T00:00:00Z")])
    else {
        return;
    };
    let json = conformance(case, "bundle.sigstore.json").unwrap();
    let e = verify_sigstore(&roster, &json).unwrap();
    assert_eq!(e.identity(), &id(BUILD));
    assert_eq!(e.bundle(), Digest::sha256(&json));
    let p = e.proven_time();
    assert_eq!(p.how, "sigstore");
    assert!(p.index.is_some(), "a Rekor v1 integrated time: {p:?}");
    assert!(p.by.contains("rekor"), "{}", p.by);
    assert_eq!(e.signer().kind, "certificate");
    assert_eq!(e.signer().san.as_deref(), Some(BEACON));
    assert_eq!(e.signer().issuer.as_deref(), Some(GITHUB));
    let claims: BTreeMap<&str, &str> = e
        .signer()
        .claims
        .iter()
        .map(|c| (c.name, c.value.as_str()))
        .collect();
    for name in [
        "build-trigger",
        "run-invocation-uri",
        "source-repository-uri",
        "source-repository-ref",
        "build-config-digest",
    ] {
        assert!(claims.contains_key(name), "{name} in {claims:?}");
    }
    // An SLSA provenance is no link of a vouch chain.
    assert_eq!(e.predicate_type(), "https://slsa.dev/provenance/v1");
    let r = e.link_type().unwrap_err();
    assert!(matches!(r, Reason::SigstoreNotALink { .. }), "{r}");
    assert!(r.to_string().contains("slsa.dev/provenance"), "{r}");
    assert!(e.statement_json().starts_with(b"{"));
}

#[test]
fn a_keyless_rekor_v2_dsse_bundle_is_proven_by_its_timestamp() {
    let case = "rekor2-dsse-happy-path";
    let Some(json) = conformance(case, "bundle.sigstore.json") else {
        return;
    };
    let identity = conformance(case, "identity")
        .map(|b| String::from_utf8(b).unwrap().trim().to_owned())
        .unwrap_or_else(|| BEACON.to_owned());
    let roster = beacon_roster(
        case,
        vec![mapping(GITHUB, &identity, "2020-01-01T00:00:00Z")],
    )
    .unwrap();
    let e = verify_sigstore(&roster, &json).unwrap();
    assert_eq!(e.identity(), &id(BUILD));
    assert_eq!(e.proven_time().how, "sigstore");
    assert_eq!(e.proven_time().index, None, "Rekor v2: an RFC 3161 time");
    assert!(e.proven_time().by.contains("timestamp authority"));
}

#[test]
fn the_san_and_issuer_match_exactly_never_by_prefix() {
    let case = "happy-path-intoto-in-dsse-v3";
    let Some(json) = conformance(case, "bundle.sigstore.json") else {
        return;
    };
    let repo = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon";
    for signers in [
        // A prefix of the SAN: the repository, without the workflow.
        vec![mapping(GITHUB, repo, "2020-01-01T00:00:00Z")],
        // The SAN with a longer repository name.
        vec![mapping(
            GITHUB,
            &BEACON.replace("oidc-beacon/", "oidc-beacon-evil/"),
            "2020-01-01T00:00:00Z",
        )],
        // Another ref.
        vec![mapping(
            GITHUB,
            &BEACON.replace("refs/heads/main", "refs/heads/dev"),
            "2020-01-01T00:00:00Z",
        )],
        // Another issuer.
        vec![mapping(
            "https://accounts.google.com",
            BEACON,
            "2020-01-01T00:00:00Z",
        )],
        // Letter case differs.
        vec![mapping(
            GITHUB,
            &BEACON.to_uppercase(),
            "2020-01-01T00:00:00Z",
        )],
        vec![],
    ] {
        let roster = beacon_roster(case, signers.clone()).unwrap();
        let r = verify_sigstore(&roster, &json).unwrap_err();
        let Reason::SigstoreUnmapped { san, issuer, .. } = &r else {
            panic!("{signers:?}: {r}");
        };
        assert_eq!((san.as_str(), issuer.as_str()), (BEACON, GITHUB));
        let shown = r.to_string();
        assert!(shown.contains(BEACON) && shown.contains(GITHUB), "{shown}");
    }
}

#[test]
fn a_mapping_counts_only_within_its_window_at_the_proven_time() {
    let case = "happy-path-intoto-in-dsse-v3";
    let Some(json) = conformance(case, "bundle.sigstore.json") else {
        return;
    };
    // The bundle was logged in December 2024.
    let roster =
        beacon_roster(case, vec![mapping(GITHUB, BEACON, "2025-06-01T00:00:00Z")]).unwrap();
    let r = verify_sigstore(&roster, &json).unwrap_err();
    assert!(
        matches!(&r, Reason::SigstoreOutsideWindow { identity, .. } if *identity == id(BUILD)),
        "{r}"
    );
    let mut ended = mapping(GITHUB, BEACON, "2020-01-01T00:00:00Z");
    ended.valid_until = Some(t("2024-01-01T00:00:00Z"));
    let roster = beacon_roster(case, vec![ended]).unwrap();
    assert!(matches!(
        verify_sigstore(&roster, &json),
        Err(Reason::SigstoreOutsideWindow { .. })
    ));
}

#[test]
fn without_sigstore_trust_or_with_another_root_a_bundle_proves_nothing() {
    let case = "happy-path-intoto-in-dsse-v3";
    let Some(json) = conformance(case, "bundle.sigstore.json") else {
        return;
    };
    let roster = trusted(RosterPlan {
        key: None,
        role_from: "2020-01-01T00:00:00Z",
        sigstore: None,
    });
    assert!(matches!(
        verify_sigstore(&roster, &json),
        Err(Reason::SigstoreNotTrusted { .. })
    ));
    // The staging root (another Fulcio, other logs): refused by verification.
    let staging = conformance("managed-key-and-trusted-root", "trusted_root.json").unwrap();
    let roster = trusted(RosterPlan {
        key: None,
        role_from: "2020-01-01T00:00:00Z",
        sigstore: Some(trust(
            staging,
            vec![mapping(GITHUB, BEACON, "2020-01-01T00:00:00Z")],
        )),
    });
    let r = verify_sigstore(&roster, &json).unwrap_err();
    assert!(matches!(r, Reason::SigstoreRefused { .. }), "{r}");
}

#[test]
fn tampered_conformance_bundles_are_refused() {
    let case = "happy-path-intoto-in-dsse-v3";
    let Some(json) = conformance(case, "bundle.sigstore.json") else {
        return;
    };
    let roster =
        beacon_roster(case, vec![mapping(GITHUB, BEACON, "2020-01-01T00:00:00Z")]).unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    // Another statement in the same envelope: the signature fails.
    let payload = v["dsseEnvelope"]["payload"].as_str().unwrap().to_owned();
    let mut statement = B64.decode(&payload).unwrap();
    let at = statement.len() / 2;
    statement[at] ^= 0x01;
    v["dsseEnvelope"]["payload"] = B64.encode(&statement).into();
    let r = verify_sigstore(&roster, &serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert!(matches!(r, Reason::SigstoreRefused { .. }), "{r}");
    // Another signature.
    let mut v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let sig = v["dsseEnvelope"]["signatures"][0]["sig"].as_str().unwrap();
    let mut sig = B64.decode(sig).unwrap();
    let n = sig.len();
    sig[n - 2] ^= 0x01;
    v["dsseEnvelope"]["signatures"][0]["sig"] = B64.encode(&sig).into();
    let r = verify_sigstore(&roster, &serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert!(matches!(r, Reason::SigstoreRefused { .. }), "{r}");
    // Not a bundle at all.
    assert!(matches!(
        verify_sigstore(&roster, b"{}"),
        Err(Reason::SigstoreRefused { .. })
    ));
}

#[test]
fn in_a_chain_a_non_vouch_statement_is_ignored() {
    let case = "happy-path-intoto-in-dsse-v3";
    let Some(json) = conformance(case, "bundle.sigstore.json") else {
        return;
    };
    let roster =
        beacon_roster(case, vec![mapping(GITHUB, BEACON, "2020-01-01T00:00:00Z")]).unwrap();
    let mut bundle = Bundle::new();
    bundle.add_sigstore(json).unwrap();
    bundle.add_sigstore(b"not json".to_vec()).unwrap();
    let bundle = Bundle::from_bytes(&bundle.to_bytes().unwrap()).unwrap();
    // Its subject (a.txt's digest) as the image target finds nothing.
    let subject = Digest::sha256(&conformance(case, "a.txt").unwrap());
    let verdict = Verifier::new(policy("claimed"), roster).verify(
        &bundle,
        &Target::Image(subject),
        t("2026-06-01T00:00:00Z"),
    );
    assert_eq!(verdict.outcome(), Outcome::Fail);
    assert!(
        verdict
            .failures()
            .iter()
            .any(|f| matches!(f.reason, Reason::ImageMissing { .. })),
        "{}",
        verdict.render_text()
    );
    let counts = verdict.bundle_counts();
    assert_eq!((counts.ignored, counts.unreadable), (1, 1), "{counts:?}");
}

#[test]
fn reasons_escape_what_the_bundle_says() {
    let r = Reason::SigstoreUnmapped {
        bundle: Digest::sha256(b"x"),
        san: "https://evil\u{1b}[2J\nrefused: nothing".into(),
        issuer: "https://issuer\u{7}".into(),
    };
    let shown = r.to_string();
    assert!(!shown.contains('\u{1b}') && !shown.contains('\n') && !shown.contains('\u{7}'));
}

// ---------------------------------------------------------------------
// End to end: a key-signed Sigstore bundle of a vouch image statement.

const SIGNED_AT: &str = "2026-06-01T00:00:00Z";
const FINISHED_AT: &str = "2026-05-31T23:58:00Z";

fn image() -> Image {
    Image {
        name: "registry.example.com/shop/api".into(),
        image: Digest::sha256(b"OCI manifest of shop/api"),
        config: Digest::sha256(b"config"),
        layers: vec![Digest::sha256(b"layer")],
        packages: Vec::new(),
        source_commits: Vec::new(),
        builder: id(BUILD),
        invocation_id: "https://github.com/o/r/actions/runs/1".into(),
        started_at: t("2026-05-31T23:50:00Z"),
        finished_at: t(FINISHED_AT),
        platforms: Vec::new(),
    }
}

fn policy(time: &str) -> Policy {
    Policy::from_toml(&format!(
        r#"
[image]
signers = {{ roles = ["builder"], threshold = 1 }}
allow_empty = true
time = "{time}"
"#
    ))
    .unwrap()
}

struct E2e {
    rekor: Rekor,
    build: SigningKey,
    build_public: PublicKey,
}

impl E2e {
    fn new() -> Self {
        let build = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let der = build.verifying_key().to_public_key_der().unwrap();
        E2e {
            rekor: Rekor::new(9),
            build_public: PublicKey::from_spki_der(der.as_bytes()).unwrap(),
            build,
        }
    }

    fn roster(&self, role_from: &'static str, key: bool) -> TrustedRoster {
        trusted(RosterPlan {
            key: key.then(|| self.build_public.clone()),
            role_from,
            sigstore: Some(trust(self.rekor.trusted_root(), Vec::new())),
        })
    }

    fn statement(&self) -> Vec<u8> {
        Statement::from_predicate(image())
            .unwrap()
            .to_json()
            .unwrap()
    }

    fn bundle_json(&self) -> Vec<u8> {
        self.rekor
            .bundle(&self.statement(), &self.build, t(SIGNED_AT))
    }

    fn verify(&self, roster: TrustedRoster, json: Vec<u8>, policy: Policy) -> Verdict {
        let mut bundle = Bundle::new();
        bundle.add_sigstore(json).unwrap();
        let bundle = Bundle::from_bytes(&bundle.to_bytes().unwrap()).unwrap();
        Verifier::new(policy, roster).verify(
            &bundle,
            &Target::Image(image().image),
            t("2026-06-01T01:00:00Z"),
        )
    }
}

fn reasons(v: &Verdict) -> Vec<Reason> {
    v.failures().iter().map(|f| f.reason.clone()).collect()
}

fn node(v: &Verdict) -> &TraceNode {
    v.trace()
}

#[test]
fn a_key_signed_sigstore_image_attestation_satisfies_the_image_stage() {
    let e = E2e::new();
    let json = e.bundle_json();
    let roster = e.roster("2026-01-01T00:00:00Z", true);

    let evidence = verify_sigstore(&roster, &json).unwrap();
    assert_eq!(evidence.identity(), &id(BUILD));
    assert_eq!(evidence.link_type().unwrap(), Image::PREDICATE_TYPE);
    assert_eq!(evidence.key_id(), e.build_public.key_id());

    let verdict = e.verify(roster, json, policy("proven"));
    assert_eq!(
        verdict.outcome(),
        Outcome::Pass,
        "{}",
        verdict.render_text()
    );
    let image = node(&verdict);
    let canonical = Statement::from_predicate(image_predicate())
        .unwrap()
        .to_canonical_bytes()
        .unwrap();
    // Named by the canonical statement's digest, as in a COSE envelope.
    assert_eq!(image.statement, Some(Digest::sha256(&canonical)));
    let time = image.time.as_ref().unwrap();
    let proven = time.proven.as_ref().unwrap();
    assert_eq!(
        (proven.at, proven.how, proven.index),
        (t(SIGNED_AT), "sigstore", Some(0))
    );
    assert_eq!(proven.by, "https://rekor.test");
    assert_eq!(
        time.at,
        t(FINISHED_AT),
        "the claimed time stays the statement's"
    );
    let s = &image.signers[0];
    assert_eq!(s.identity, id(BUILD));
    assert_eq!(s.key_id, e.build_public.key_id());
    assert_eq!(s.sigstore.as_ref().unwrap().kind, "key");
    let text = verdict.render_text();
    assert!(text.contains("via Sigstore"), "{text}");
    assert!(text.contains("https://rekor.test"), "{text}");
    let json = verdict.to_json();
    assert!(json.contains(r#""how": "sigstore""#), "{json}");
    assert!(json.contains(r#""kind": "key""#), "{json}");
    assert_eq!(verdict.bundle_counts().decoded, 1);
}

fn image_predicate() -> Image {
    image()
}

#[test]
fn a_directory_bundle_reads_sigstore_json_files() {
    let e = E2e::new();
    let dir = std::env::temp_dir().join(format!("vouch-sigstore-dir-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("image.sigstore.json"), e.bundle_json()).unwrap();
    let bundle = Bundle::read(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(bundle.sigstore().len(), 1);
    let verdict = Verifier::new(policy("proven"), e.roster("2026-01-01T00:00:00Z", true)).verify(
        &bundle,
        &Target::Image(image().image),
        t("2026-06-01T01:00:00Z"),
    );
    assert_eq!(
        verdict.outcome(),
        Outcome::Pass,
        "{}",
        verdict.render_text()
    );
}

#[test]
fn tampered_key_signed_bundles_fail_the_chain() {
    let e = E2e::new();
    let roster = || e.roster("2026-01-01T00:00:00Z", true);
    let good = e.bundle_json();
    let v: serde_json::Value = serde_json::from_slice(&good).unwrap();

    // Another statement under the same signature and log entry.
    let mut other = image();
    other.invocation_id = "run-2".into();
    let mut w = v.clone();
    w["dsseEnvelope"]["payload"] = B64
        .encode(Statement::from_predicate(other).unwrap().to_json().unwrap())
        .into();
    let verdict = e.verify(roster(), serde_json::to_vec(&w).unwrap(), policy("claimed"));
    assert_eq!(verdict.outcome(), Outcome::Fail);
    assert!(
        reasons(&verdict)
            .iter()
            .any(|r| matches!(r, Reason::SigstoreRefused { .. })),
        "{}",
        verdict.render_text()
    );

    // A signed entry timestamp over another time.
    let mut w = v.clone();
    // (An hour before the signed time, still in the log key's window.)
    w["verificationMaterial"]["tlogEntries"][0]["integratedTime"] = "1780268400".into();
    let verdict = e.verify(roster(), serde_json::to_vec(&w).unwrap(), policy("claimed"));
    assert!(
        reasons(&verdict)
            .iter()
            .any(|r| matches!(r, Reason::SigstoreRefused { .. })),
        "{}",
        verdict.render_text()
    );

    // Signed by a key the roster does not hold.
    let mallory = SigningKey::from_slice(&[5u8; 32]).unwrap();
    let json = e.rekor.bundle(&e.statement(), &mallory, t(SIGNED_AT));
    let verdict = e.verify(roster(), json, policy("claimed"));
    assert!(
        reasons(&verdict)
            .iter()
            .any(|r| matches!(r, Reason::SigstoreUnknownKey { .. })),
        "{}",
        verdict.render_text()
    );

    // A log the roster's trusted root does not list.
    let other_log = Rekor::new(11);
    let json = other_log.bundle(&e.statement(), &e.build, t(SIGNED_AT));
    let verdict = e.verify(roster(), json, policy("proven"));
    let rs = reasons(&verdict);
    assert!(
        rs.iter()
            .any(|r| matches!(r, Reason::SigstoreRefused { .. }))
            && rs.iter().any(|r| matches!(r, Reason::TimeNotProven { .. })),
        "{}",
        verdict.render_text()
    );

    // The roster key removed: nothing maps the signer.
    let verdict = e.verify(
        e.roster("2026-01-01T00:00:00Z", false),
        good,
        policy("claimed"),
    );
    assert_eq!(verdict.outcome(), Outcome::Fail);
}

#[test]
fn roles_are_judged_at_the_proven_time() {
    let e = E2e::new();
    // The builder role from an hour after the log saw the bundle.
    let verdict = e.verify(
        e.roster("2026-06-01T01:00:00Z", true),
        e.bundle_json(),
        policy("proven"),
    );
    assert_eq!(verdict.outcome(), Outcome::Fail);
    assert!(
        reasons(&verdict).iter().any(|r| matches!(
            r,
            Reason::Threshold { without_role, .. } if without_role == &vec![id(BUILD)]
        )),
        "{}",
        verdict.render_text()
    );
}

#[test]
fn a_sigstore_signature_never_meets_a_hardware_requirement() {
    let e = E2e::new();
    let policy = Policy::from_toml(
        r#"
[image]
signers = { roles = ["builder"], threshold = 1, hardware = ["tpm-attested"] }
allow_empty = true
"#,
    )
    .unwrap();
    let verdict = e.verify(
        e.roster("2026-01-01T00:00:00Z", true),
        e.bundle_json(),
        policy,
    );
    assert_eq!(verdict.outcome(), Outcome::Fail);
    let r = reasons(&verdict)
        .into_iter()
        .find(|r| matches!(r, Reason::SigstoreNoHardware { .. }))
        .unwrap_or_else(|| panic!("{}", verdict.render_text()));
    assert!(r.to_string().contains("Sigstore signature"), "{r}");
}

#[test]
fn the_claimed_time_must_agree_with_the_proven_time() {
    let e = E2e::new();
    // Logged a day after the build claims to have finished, more than
    // max_log_delay later.
    let json = e
        .rekor
        .bundle(&e.statement(), &e.build, t("2026-06-02T00:00:00Z"));
    let mut bundle = Bundle::new();
    bundle.add_sigstore(json).unwrap();
    let policy = Policy::from_toml(
        r#"
[time]
max_log_delay = "1h"

[image]
signers = { roles = ["builder"], threshold = 1 }
allow_empty = true
time = "proven"
"#,
    )
    .unwrap();
    let verdict = Verifier::new(policy, e.roster("2026-01-01T00:00:00Z", true)).verify(
        &bundle,
        &Target::Image(image().image),
        t("2026-06-02T01:00:00Z"),
    );
    assert!(
        reasons(&verdict)
            .iter()
            .any(|r| matches!(r, Reason::LoggedTooLate { .. })),
        "{}",
        verdict.render_text()
    );
}

#[test]
fn the_roster_refuses_ambiguous_or_dangling_sigstore_mappings() {
    let roster = |signers: Vec<SigstoreSigner>, root: &str| {
        let witnesses = vouch_manifest::WitnessTrust {
            sigstore: Some(SigstoreTrust {
                label: "sigstore".into(),
                trusted_root: root.into(),
                signers,
            }),
            ..Default::default()
        };
        Roster {
            name: "example.com".into(),
            version: 1,
            expires: t("2030-01-01T00:00:00Z"),
            root: RootKeys {
                keys: vec![
                    vouch_core::Signer::public_key(&FileKey::generate(Algorithm::Ed25519).unwrap())
                        .clone(),
                ],
                threshold: 1,
            },
            identities: ["workload:ci/build", "workload:ci/other"]
                .into_iter()
                .map(|w| Identity {
                    id: id(w),
                    display_name: w.into(),
                    openpgp_keys: Vec::new(),
                    proofs: Vec::new(),
                    keys: Vec::new(),
                })
                .collect(),
            roles: BTreeMap::new(),
            authenticators: Default::default(),
            tpm: Default::default(),
            witnesses,
            ci: Default::default(),
        }
    };
    let ok = mapping(GITHUB, BEACON, "2020-01-01T00:00:00Z");
    let good = roster(vec![ok.clone()], "{}");
    // It reads back from its JSON draft, and from canonical CBOR.
    let json = serde_json::to_vec(&good).unwrap();
    assert_eq!(serde_json::from_slice::<Roster>(&json).unwrap(), good);
    let statement = Statement::from_predicate(good).unwrap();
    let back = Statement::<Roster>::from_canonical_bytes(&statement.to_canonical_bytes().unwrap())
        .unwrap();
    assert_eq!(back, statement);

    let mut other = ok.clone();
    other.identity = id("workload:ci/other");
    assert!(Statement::from_predicate(roster(vec![ok.clone(), other], "{}")).is_err());
    let mut dangling = ok.clone();
    dangling.identity = id("workload:ci/nobody");
    assert!(Statement::from_predicate(roster(vec![dangling], "{}")).is_err());
    let mut window = ok.clone();
    window.valid_until = Some(window.valid_from);
    assert!(Statement::from_predicate(roster(vec![window], "{}")).is_err());
    assert!(Statement::from_predicate(roster(vec![ok.clone()], "not json")).is_err());
    let mut empty = ok;
    empty.san.clear();
    assert!(Statement::from_predicate(roster(vec![empty], "{}")).is_err());
}
