#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Roster rules, rotation and key validity.

use std::collections::BTreeMap;

use vouch_core::{Algorithm, Signer, Timestamp};
use vouch_keys::FileKey;
use vouch_manifest::*;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn id(s: &str) -> IdentityId {
    s.parse().unwrap()
}

struct Fixture {
    roots: Vec<FileKey>,
    alice: FileKey,
    ci: FileKey,
}

fn fixture() -> Fixture {
    Fixture {
        roots: (0..3)
            .map(|_| FileKey::generate(Algorithm::Ed25519).unwrap())
            .collect(),
        alice: FileKey::generate(Algorithm::Ed25519).unwrap(),
        ci: FileKey::generate(Algorithm::Es256).unwrap(),
    }
}

fn roster(f: &Fixture, version: u64, roots: &[&FileKey], threshold: u32) -> Roster {
    let mut alice_key = RosterKey::new(f.alice.public_key().clone(), t("2026-01-01T00:00:00Z"));
    alice_key.valid_until = Some(t("2027-01-01T00:00:00Z"));
    let mut ci_key = RosterKey::new(f.ci.public_key().clone(), t("2026-01-01T00:00:00Z"));
    ci_key.hardware = vec![HardwareClaim::TpmResident];
    let mut roles = BTreeMap::new();
    roles.insert(
        "developer".parse().unwrap(),
        vec![RoleGrant::new(
            id("person:alice@example.com"),
            t("2026-01-01T00:00:00Z"),
        )],
    );
    roles.insert(
        "builder".parse().unwrap(),
        vec![RoleGrant::new(
            id("workload:ci/build"),
            t("2026-01-01T00:00:00Z"),
        )],
    );
    Roster {
        name: "example.com".into(),
        version,
        expires: t("2099-01-01T00:00:00Z"),
        root: RootKeys {
            keys: roots.iter().map(|k| k.public_key().clone()).collect(),
            threshold,
        },
        identities: vec![
            Identity {
                id: id("person:alice@example.com"),
                display_name: "Alice".into(),
                openpgp_keys: Vec::new(),
                proofs: vec![IdentityProof::Email {
                    address: "alice@example.com".into(),
                }],
                keys: vec![alice_key],
            },
            Identity {
                id: id("workload:ci/build"),
                display_name: "CI build".into(),
                openpgp_keys: Vec::new(),
                proofs: vec![],
                keys: vec![ci_key],
            },
        ],
        roles,
        authenticators: Default::default(),
        tpm: Default::default(),
        witnesses: Default::default(),
        ci: Default::default(),
    }
}

fn sign(r: Roster, signers: &[&FileKey]) -> Signed<Roster> {
    let mut s = Signed::sign(&Statement::from_predicate(r).unwrap(), signers[0]).unwrap();
    for k in &signers[1..] {
        s.cosign(*k).unwrap();
    }
    // Round-trip through bytes, as a verifier receives it.
    Signed::from_bytes(&s.to_bytes().unwrap()).unwrap()
}

#[test]
fn pinned_root_and_rotation() {
    let f = fixture();
    let [r0, r1, r2] = [&f.roots[0], &f.roots[1], &f.roots[2]];
    let v1 = sign(roster(&f, 1, &[r0, r1], 2), &[r0, r1]);
    let trusted = TrustedRoster::from_pinned(&v1, &v1.digest()).unwrap();
    assert_eq!(trusted.version(), 1);
    // v2 rotates r0 out and r2 in: signed by 2 of v1's roots (r0, r1) and 2 of its own (r1, r2).
    let v2 = sign(roster(&f, 2, &[r1, r2], 2), &[r0, r1, r2]);
    let t2 = trusted.update(&v2).unwrap();
    assert_eq!(t2.version(), 2);
    assert_eq!(
        TrustedRoster::verify_chain(&v1.digest(), &[v2.clone(), v1.clone()])
            .unwrap()
            .version(),
        2
    );
    // Rollback: once at v2, v1 is refused.
    assert!(matches!(
        t2.update(&v1),
        Err(ManifestError::Roster(RosterError::Rollback {
            current: 2,
            offered: 1
        }))
    ));
    // v3 signed only by its own roots, not by a threshold of v2's.
    let v3 = sign(roster(&f, 3, &[r0], 1), &[r0]);
    assert!(matches!(
        t2.update(&v3),
        Err(ManifestError::Roster(RosterError::RootThreshold {
            version: 3,
            set: RootSet::Previous,
            have: 0,
            need: 2
        }))
    ));
    // A gap is refused.
    let v4 = sign(roster(&f, 4, &[r1, r2], 2), &[r1, r2]);
    assert!(matches!(
        t2.update(&v4),
        Err(ManifestError::Roster(RosterError::VersionGap { .. }))
    ));
}

#[test]
fn pin_and_own_threshold() {
    let f = fixture();
    let [r0, r1] = [&f.roots[0], &f.roots[1]];
    let v1 = sign(roster(&f, 1, &[r0, r1], 2), &[r0]);
    assert!(matches!(
        TrustedRoster::from_pinned(&v1, &v1.digest()),
        Err(ManifestError::Roster(RosterError::RootThreshold {
            set: RootSet::Own,
            have: 1,
            need: 2,
            ..
        }))
    ));
    let other = vouch_core::Digest::sha256(b"something else");
    assert!(matches!(
        TrustedRoster::from_pinned(&v1, &other),
        Err(ManifestError::Roster(RosterError::PinMismatch { .. }))
    ));
    // The same root key signing twice counts once.
    let mut twice = Signed::sign(
        &Statement::from_predicate(roster(&f, 1, &[r0, r1], 2)).unwrap(),
        r0,
    )
    .unwrap();
    twice.cosign(r0).unwrap();
    assert!(TrustedRoster::from_pinned(&twice, &twice.digest()).is_err());
}

#[test]
fn invalid_rosters_refused() {
    let f = fixture();
    let r0 = &f.roots[0];
    let check = |r: Roster| Statement::from_predicate(r).err();
    assert!(matches!(
        check(roster(&f, 1, &[r0], 2)),
        Some(ManifestError::Roster(RosterError::ThresholdAboveKeys {
            threshold: 2,
            keys: 1
        }))
    ));
    assert!(matches!(
        check(roster(&f, 1, &[r0], 0)),
        Some(ManifestError::Roster(RosterError::ZeroThreshold))
    ));
    let mut dup = roster(&f, 1, &[r0], 1);
    dup.identities.push(dup.identities[0].clone());
    assert!(matches!(
        check(dup),
        Some(ManifestError::Roster(RosterError::DuplicateIdentity(_)))
    ));
    let mut shared = roster(&f, 1, &[r0], 1);
    let k = shared.identities[0].keys[0].clone();
    shared.identities[1].keys.push(k);
    assert!(matches!(
        check(shared),
        Some(ManifestError::Roster(RosterError::DuplicateKey { .. }))
    ));
    let mut unknown = roster(&f, 1, &[r0], 1);
    unknown.roles.insert(
        "approver".parse().unwrap(),
        vec![RoleGrant::new(
            id("person:nobody@example.com"),
            t("2026-01-01T00:00:00Z"),
        )],
    );
    assert!(matches!(
        check(unknown),
        Some(ManifestError::Roster(RosterError::UnknownRoleMember { .. }))
    ));
    let mut dup_root = roster(&f, 1, &[r0, r0], 1);
    dup_root.root.threshold = 1;
    assert!(matches!(
        check(dup_root),
        Some(ManifestError::Roster(RosterError::DuplicateRootKey(_)))
    ));
}

#[test]
fn key_validity_at_signing_time() {
    let f = fixture();
    let r0 = &f.roots[0];
    let mut r = roster(&f, 1, &[r0], 1);
    let v1 = sign(r.clone(), &[r0]);
    let trusted = TrustedRoster::from_pinned(&v1, &v1.digest()).unwrap();
    let kid = f.alice.key_id();
    let (who, _) = trusted.key_holder(&kid, t("2026-06-01T00:00:00Z")).unwrap();
    assert_eq!(who.id, id("person:alice@example.com"));
    let developer: RoleName = "developer".parse().unwrap();
    assert!(trusted.has_role_at(&who.id, &developer, t("2026-06-01T00:00:00Z")));
    // A role is held from its grant on, not before.
    assert!(!trusted.has_role_at(&who.id, &developer, t("2025-06-01T00:00:00Z")));
    assert!(matches!(
        trusted.key_holder(&kid, t("2025-12-31T23:59:59Z")),
        Err(RosterError::NotYetValid { .. })
    ));
    assert!(matches!(
        trusted.key_holder(&kid, t("2027-01-01T00:00:00Z")),
        Err(RosterError::Expired { .. })
    ));
    assert!(matches!(
        trusted.key_holder(&f.roots[0].key_id(), t("2026-06-01T00:00:00Z")),
        Err(RosterError::UnknownKey(_))
    ));

    // Retired in July: June signatures stand, August ones do not.
    r.identities[0].keys[0].revoked = Some(Revocation {
        at: t("2026-07-01T00:00:00Z"),
        reason: RevocationReason::Retired,
    });
    let v = sign(r.clone(), &[r0]);
    let tr = TrustedRoster::from_pinned(&v, &v.digest()).unwrap();
    assert!(tr.key_holder(&kid, t("2026-06-01T00:00:00Z")).is_ok());
    assert!(matches!(
        tr.key_holder(&kid, t("2026-08-01T00:00:00Z")),
        Err(RosterError::Revoked { .. })
    ));
    // Compromised in July: nothing it signed stands, whatever time it claims.
    r.identities[0].keys[0].revoked = Some(Revocation {
        at: t("2026-07-01T00:00:00Z"),
        reason: RevocationReason::KeyCompromise,
    });
    let v = sign(r, &[r0]);
    let tr = TrustedRoster::from_pinned(&v, &v.digest()).unwrap();
    assert!(matches!(
        tr.key_holder(&kid, t("2026-06-01T00:00:00Z")),
        Err(RosterError::Revoked {
            reason: RevocationReason::KeyCompromise,
            ..
        })
    ));
}

#[test]
fn roster_json_is_readable() {
    let f = fixture();
    let r = roster(&f, 1, &[&f.roots[0]], 1);
    let st = Statement::from_predicate(r).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&st.to_json().unwrap()).unwrap();
    // Keys appear as OpenSSH lines in JSON.
    assert!(
        json["predicate"]["identities"][0]["keys"][0]["key"]
            .as_str()
            .unwrap()
            .starts_with("ssh-ed25519 ")
    );
    assert_eq!(
        Statement::<Roster>::from_json(&st.to_json().unwrap()).unwrap(),
        st
    );
}

#[test]
fn roster_chain_file() {
    let f = fixture();
    let [r0, r1, r2] = [&f.roots[0], &f.roots[1], &f.roots[2]];
    let v1 = sign(roster(&f, 1, &[r0, r1], 2), &[r0, r1]);
    let v2 = sign(roster(&f, 2, &[r1, r2], 2), &[r0, r1, r2]);
    let chain = RosterChain::new(vec![v1.clone(), v2]);
    let bytes = chain.to_bytes().unwrap();
    let back = RosterChain::from_bytes(&bytes).unwrap();
    assert_eq!(back.to_bytes().unwrap(), bytes);
    let now = t("2026-11-01T00:00:00Z");
    let unpinned = back.verify_insecure_unpinned(now).unwrap();
    assert_eq!(unpinned.version(), 2);
    assert!(!unpinned.pinned());
    let pinned = back.verify(&v1.digest(), now).unwrap();
    assert_eq!(pinned.version(), 2);
    assert!(pinned.pinned());
    assert_eq!(pinned.anchor(), v1.digest());
    assert_eq!(pinned.history().len(), 2);
    let wrong = vouch_core::Digest::sha256(b"x");
    assert!(matches!(
        back.verify(&wrong, now),
        Err(ManifestError::Roster(RosterError::PinMismatch { .. }))
    ));
    // A single envelope is a valid roster file too.
    let single = RosterChain::from_bytes(&v1.to_bytes().unwrap()).unwrap();
    assert_eq!(single.verify(&v1.digest(), now).unwrap().version(), 1);
    assert!(matches!(
        RosterChain::new(vec![]).verify_insecure_unpinned(now),
        Err(ManifestError::Roster(RosterError::EmptyChain))
    ));
    assert!(RosterChain::from_bytes(b"\x81\x01").is_err());
}

#[test]
fn an_expired_newest_version_is_refused() {
    let f = fixture();
    let r0 = &f.roots[0];
    let mut r = roster(&f, 1, &[r0], 1);
    r.expires = t("2026-10-01T00:00:00Z");
    let v1 = sign(r, &[r0]);
    let chain = RosterChain::new(vec![v1.clone()]);
    assert!(
        chain
            .verify(&v1.digest(), t("2026-09-30T00:00:00Z"))
            .is_ok()
    );
    assert!(matches!(
        chain.verify(&v1.digest(), t("2026-10-01T00:00:00Z")),
        Err(ManifestError::Roster(RosterError::RosterExpired {
            version: 1,
            ..
        }))
    ));
}

#[test]
fn an_ended_key_counts_only_when_grandfathered_or_trusted() {
    let f = fixture();
    let r0 = &f.roots[0];
    let mut r = roster(&f, 1, &[r0], 1);
    r.identities[0].keys[0].revoked = Some(Revocation {
        at: t("2026-07-01T00:00:00Z"),
        reason: RevocationReason::Superseded,
    });
    let kept = vouch_core::Digest::sha256(b"a release signed in May");
    let other = vouch_core::Digest::sha256(b"a statement dated June");
    r.identities[0].keys[0].grandfathered = Some(Grandfathered {
        statements: vec![kept],
        commits: vec![],
    });
    let v = sign(r.clone(), &[r0]);
    let tr = TrustedRoster::from_pinned(&v, &v.digest()).unwrap();
    let kid = f.alice.key_id();
    let june = t("2026-06-01T00:00:00Z");
    let now = t("2026-11-01T00:00:00Z");
    let thing = |d| SignedThing {
        statement: Some(d),
        commit: None,
    };
    // Before the revocation takes effect, the key is simply live.
    let (_, _, s) = tr
        .key_standing(&kid, june, june, thing(&other), ClaimedTimeTrust::Refuse)
        .unwrap();
    assert_eq!(s, KeyStanding::Live);
    // After it, a claimed June time alone is not enough...
    assert!(matches!(
        tr.key_standing(&kid, june, now, thing(&other), ClaimedTimeTrust::Refuse),
        Err(RosterError::EndedKeyClaimedTime { .. })
    ));
    // ...unless the roster grandfathers the statement, or the policy trusts claimed time.
    let (_, _, s) = tr
        .key_standing(&kid, june, now, thing(&kept), ClaimedTimeTrust::Refuse)
        .unwrap();
    assert_eq!(s, KeyStanding::Grandfathered);
    let (_, _, s) = tr
        .key_standing(&kid, june, now, thing(&other), ClaimedTimeTrust::Accept)
        .unwrap();
    assert_eq!(s, KeyStanding::ClaimedTime);
    // Signed after the revocation: refused even when claimed time is trusted.
    assert!(
        tr.key_standing(
            &kid,
            t("2026-08-01T00:00:00Z"),
            now,
            thing(&other),
            ClaimedTimeTrust::Accept
        )
        .is_err()
    );
    // A compromise is never rescued by a claimed time.
    r.identities[0].keys[0].revoked = Some(Revocation {
        at: t("2026-07-01T00:00:00Z"),
        reason: RevocationReason::KeyCompromise,
    });
    let v = sign(r, &[r0]);
    let tr = TrustedRoster::from_pinned(&v, &v.digest()).unwrap();
    assert!(
        tr.key_standing(&kid, june, now, thing(&other), ClaimedTimeTrust::Accept)
            .is_err()
    );
    assert!(
        tr.key_standing(&kid, june, now, thing(&kept), ClaimedTimeTrust::Refuse)
            .is_ok()
    );
}

#[test]
fn grants_and_grandfathered_lists_are_checked() {
    let f = fixture();
    let r0 = &f.roots[0];
    let check = |r: Roster| Statement::from_predicate(r).err();
    let mut empty = roster(&f, 1, &[r0], 1);
    empty.identities[0].keys[0].grandfathered = Some(Grandfathered::default());
    assert!(matches!(
        check(empty),
        Some(ManifestError::Roster(
            RosterError::EmptyGrandfathered { .. }
        ))
    ));
    let mut window = roster(&f, 1, &[r0], 1);
    for g in window.roles.values_mut().flatten() {
        g.valid_until = Some(g.valid_from);
    }
    assert!(matches!(
        check(window),
        Some(ManifestError::Roster(
            RosterError::InvalidGrantWindow { .. }
        ))
    ));
    let mut twice = roster(&f, 1, &[r0], 1);
    let dev: RoleName = "developer".parse().unwrap();
    let g = twice.roles[&dev][0].clone();
    twice.roles.get_mut(&dev).unwrap().push(g);
    assert!(matches!(
        check(twice),
        Some(ManifestError::Roster(RosterError::DuplicateGrant { .. }))
    ));
    // Two grants that do not overlap are fine (a role given back later).
    let mut again = roster(&f, 1, &[r0], 1);
    let list = again.roles.get_mut(&dev).unwrap();
    list[0].valid_until = Some(t("2026-03-01T00:00:00Z"));
    let mut later = list[0].clone();
    later.valid_from = t("2026-05-01T00:00:00Z");
    later.valid_until = None;
    list.push(later);
    assert!(check(again).is_none());
}

#[test]
fn trusted_state_refuses_rollback_and_forks() {
    let f = fixture();
    let [r0, r1, r2] = [&f.roots[0], &f.roots[1], &f.roots[2]];
    let now = t("2026-11-01T00:00:00Z");
    let v1 = sign(roster(&f, 1, &[r0, r1], 2), &[r0, r1]);
    let v2 = sign(roster(&f, 2, &[r1, r2], 2), &[r0, r1, r2]);
    let full = RosterChain::new(vec![v1.clone(), v2.clone()]);
    let cut = RosterChain::new(vec![v1.clone()]);
    let mut state = RosterState::new();
    let t2 = full.verify(&v1.digest(), now).unwrap();
    state.check(&t2).unwrap();
    state.record(&t2);
    assert_eq!(state.entry(&v1.digest()).unwrap().version, 2);
    assert_eq!(state.anchor_for(&cut), Some(v1.digest()));
    // The file cut back to v1, with the v1 pin: a rollback.
    let t1 = cut.verify(&v1.digest(), now).unwrap();
    assert!(matches!(
        state.check(&t1),
        Err(RosterError::Rollback {
            current: 2,
            offered: 1
        })
    ));
    // Recording never moves backwards.
    state.record(&t1);
    assert_eq!(state.entry(&v1.digest()).unwrap().version, 2);
    // Another v2 (signed by the same old roots, other content): a fork.
    let mut other = roster(&f, 2, &[r1, r2], 2);
    other.name = "example.org".into();
    let fork = sign(other, &[r0, r1, r2]);
    let tf = RosterChain::new(vec![v1.clone(), fork])
        .verify(&v1.digest(), now)
        .unwrap();
    assert!(matches!(
        state.check(&tf),
        Err(RosterError::StateFork { .. })
    ));
    // The state survives a save and a load.
    let dir = std::env::temp_dir().join(format!("vouch-state-test-{}", std::process::id()));
    let path = dir.join("sub/state.json");
    state.save(&path).unwrap();
    assert_eq!(RosterState::load(&path).unwrap(), state);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn openpgp_key(fpr: &str) -> OpenPgpKey {
    OpenPgpKey::new(
        fpr.parse().unwrap(),
        OpenPgpCertBytes::from_binary(vec![0x98, 0x33, 0x04, 1, 2, 3]).unwrap(),
        t("2026-01-01T00:00:00Z"),
    )
}

#[test]
fn rosters_without_openpgp_keys_keep_their_bytes() {
    let f = fixture();
    let r = roster(&f, 1, &[&f.roots[0]], 1);
    let cbor = vouch_core::cbor::to_canonical(&r).unwrap();
    // The field is not written when empty: the bytes are those of a roster
    // made before OpenPGP keys existed.
    assert!(!cbor.windows(11).any(|w| w == b"openpgpKeys"));
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["identities"][0].get("openpgpKeys").is_none());
    // A roster read from JSON written before the field existed re-encodes
    // to the same bytes.
    let back: Roster = serde_json::from_value(json).unwrap();
    assert_eq!(vouch_core::cbor::to_canonical(&back).unwrap(), cbor);
    let decoded: Roster = vouch_core::cbor::from_canonical(&cbor).unwrap();
    assert_eq!(decoded, r);
}

#[test]
fn openpgp_keys_are_enrolled_like_keys() {
    let f = fixture();
    let r0 = &f.roots[0];
    let fpr = "5DE3E0509C47EA3CF04A42D34AEE6B2B6AB02E9B";
    let mut r = roster(&f, 1, &[r0], 1);
    let mut key = openpgp_key(fpr);
    key.revoked = Some(Revocation {
        at: t("2026-07-01T00:00:00Z"),
        reason: RevocationReason::Retired,
    });
    r.identities[1].openpgp_keys.push(key);
    // CBOR holds the binary certificate, JSON the armored one; both
    // round-trip to the same roster and bytes.
    let cbor = vouch_core::cbor::to_canonical(&r).unwrap();
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.contains("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
    let from_json: Roster = serde_json::from_str(&json).unwrap();
    assert_eq!(vouch_core::cbor::to_canonical(&from_json).unwrap(), cbor);
    let v = sign(r.clone(), &[r0]);
    let tr = TrustedRoster::from_pinned(&v, &v.digest()).unwrap();
    let kid = OpenPgpFingerprint::parse(fpr).unwrap().key_id();
    let (ident, k) = tr.openpgp_key(&kid).unwrap();
    assert_eq!(ident.id, id("workload:ci/build"));
    assert_eq!(k.fingerprint.as_str(), fpr);
    assert_eq!(tr.openpgp_keys().count(), 1);
    assert!(tr.public_key(&kid).is_none(), "not a vouch key");
    let june = t("2026-06-01T00:00:00Z");
    let (_, _, s) = tr
        .openpgp_key_standing(
            &kid,
            june,
            june,
            SignedThing::default(),
            ClaimedTimeTrust::Refuse,
        )
        .unwrap();
    assert_eq!(s, KeyStanding::Live);
    assert!(matches!(
        tr.openpgp_key_standing(
            &kid,
            t("2026-08-01T00:00:00Z"),
            t("2026-09-01T00:00:00Z"),
            SignedThing::default(),
            ClaimedTimeTrust::Refuse
        ),
        Err(RosterError::Revoked { .. })
    ));
    assert!(matches!(
        tr.openpgp_key_standing(
            &kid,
            t("2025-08-01T00:00:00Z"),
            june,
            SignedThing::default(),
            ClaimedTimeTrust::Refuse
        ),
        Err(RosterError::NotYetValid { .. })
    ));
    // One fingerprint enrolled twice is refused.
    r.identities[0].openpgp_keys.push(openpgp_key(fpr));
    assert!(matches!(
        Statement::from_predicate(r).err(),
        Some(ManifestError::Roster(
            RosterError::DuplicateOpenPgpKey { .. }
        ))
    ));
}
