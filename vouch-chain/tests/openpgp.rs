//! OpenPGP-signed commit objects (signed by stock `gpg`, as `git commit -S`
//! has it sign them) proving Alice's commit through the roster's OpenPGP
//! keys, and the forge's merges under each attribution rule.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(feature = "openpgp")]
mod common;

/// The tests, built with feature `openpgp` only.
#[cfg(feature = "openpgp")]
mod with_openpgp {

    use crate::common::*;
    use vouch_chain::policy::Attribution;
    use vouch_chain::{Reason, Rule};
    use vouch_git::commit::{CommitObject, ObjectFormat};
    use vouch_manifest::{
        GitObjectId, IdentityProof, OpenPgpCertBytes, OpenPgpKey, Revocation, RevocationReason,
        Roster,
    };
    use vouch_test_support::gpg::Gpg;

    const FORGE: &str = "workload:github-web-flow";

    fn tools_available() -> bool {
        vouch_test_support::gpg::tools_available("OpenPGP chain tests", "OpenPGP commit links")
    }

    struct Keys {
        _dir: std::path::PathBuf,
        gpg: Gpg,
        alice: String,
        forge: String,
        stranger: String,
    }

    fn keys(name: &str) -> Keys {
        let dir =
            std::env::temp_dir().join(format!("vouch-chain-openpgp-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let gpg = Gpg::new(&dir);
        let alice = gpg.gen_key("Alice <alice@example.com>", "ed25519");
        let forge = gpg.gen_key(
            "GitHub (web-flow commit signing) <noreply@github.com>",
            "rsa3072",
        );
        let stranger = gpg.gen_key("Mallory <mallory@example.com>", "ed25519");
        Keys {
            _dir: dir,
            gpg,
            alice,
            forge,
            stranger,
        }
    }

    /// A commit object as `git commit -S` makes it with `gpg.format=openpgp`:
    /// gpg's armored detached signature over the object without `gpgsig`.
    fn object(gpg: &Gpg, key: &str, committer: &str) -> (GitObjectId, Vec<u8>) {
        let at = t(ALICE_COMMIT_AT).unix_seconds();
        let headers = format!(
            "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
             author Alice <alice@example.com> {at} +0100\n\
             committer {committer} {at} +0100\n"
        );
        let payload = format!("{headers}\nadd the checkout endpoint\n");
        let sig = gpg.detach_sign(key, "SHA256", payload.as_bytes());
        let sig = String::from_utf8(sig).unwrap();
        let gpgsig = sig.trim_end().lines().collect::<Vec<_>>().join("\n ");
        let raw = format!("{headers}gpgsig {gpgsig}\n\nadd the checkout endpoint\n").into_bytes();
        let obj = CommitObject::parse(&raw, ObjectFormat::Sha1).unwrap();
        assert_eq!(obj.payload(), payload.as_bytes());
        (obj.id().clone(), raw)
    }

    fn enroll(roster: &mut Roster, who: &str, gpg: &Gpg, fpr: &str) -> usize {
        let cert = OpenPgpCertBytes::parse(gpg.export(fpr).as_bytes()).unwrap();
        let key = OpenPgpKey::new(fpr.parse().unwrap(), cert, t("2026-01-01T00:00:00Z"));
        let ident = identity_mut(roster, who);
        ident.openpgp_keys.push(key);
        ident.openpgp_keys.len() - 1
    }

    /// The forge as a workload identity: its email proof is the committer
    /// address of the merges it signs.
    fn add_forge(roster: &mut Roster, gpg: &Gpg, fpr: &str) {
        let mut forge = identity_mut(roster, "person:alice@example.com").clone();
        forge.id = id(FORGE);
        forge.display_name = "GitHub web-flow".into();
        forge.keys.clear();
        forge.openpgp_keys.clear();
        forge.proofs = vec![IdentityProof::Email {
            address: "noreply@github.com".into(),
        }];
        roster.identities.push(forge);
        enroll(roster, FORGE, gpg, fpr);
        grant(roster, "developer", FORGE, "2026-01-01T00:00:00Z");
    }

    /// Commit signers of the developer or maintainer roles; no hardware
    /// (an OpenPGP signature carries no FIDO evidence).
    fn no_hardware_rule() -> Rule {
        Rule::signers(
            vec![role("developer"), role("maintainer")],
            std::num::NonZeroU32::new(1).unwrap(),
            vec![],
        )
        .unwrap()
    }

    fn run(
        w: &World,
        edit: impl FnOnce(&mut Scenario<'_>),
        obj: (GitObjectId, Vec<u8>),
    ) -> (vouch_chain::Verdict, GitObjectId) {
        let mut s = w.scenario();
        s.policy.commit.as_mut().unwrap().signers = no_hardware_rule();
        edit(&mut s);
        s.use_object_for_alice(&obj.0, obj.1);
        let (verdict, _) = s.run();
        (verdict, obj.0)
    }

    #[test]
    fn an_openpgp_signed_commit_proves_its_commit() {
        if !tools_available() {
            return;
        }
        let k = keys("proves");
        let w = World::new();
        let obj = object(&k.gpg, &k.alice, "Alice <alice@example.com>");
        let (verdict, oid) = run(
            &w,
            |s| {
                enroll(&mut s.roster, ALICE, &k.gpg, &k.alice);
            },
            obj.clone(),
        );
        assert!(verdict.passed(), "{}", verdict.render_text());
        let node = find_node(verdict.trace(), oid.as_str()).unwrap();
        assert_eq!(node.signers[0].identity, id(ALICE));
        assert_eq!(
            node.signers[0].capacity,
            "signed the commit object (OpenPGP)"
        );

        // Without the enrollment the same object proves nothing, naming the key.
        let (verdict, _) = run(&w, |_| {}, obj.clone());
        assert!(!verdict.passed());
        assert!(
            reasons(&verdict).iter().any(|r| matches!(
                r,
                Reason::UnknownOpenPgpKey { issuer, .. } if *issuer == k.alice
            )),
            "{}",
            verdict.render_text()
        );

        // Signed by a stranger's key the roster does not enroll.
        let stranger = object(&k.gpg, &k.stranger, "Alice <alice@example.com>");
        let (verdict, _) = run(
            &w,
            |s| {
                enroll(&mut s.roster, ALICE, &k.gpg, &k.alice);
            },
            stranger,
        );
        assert!(reasons(&verdict).iter().any(|r| matches!(
            r,
            Reason::UnknownOpenPgpKey { issuer, .. } if *issuer == k.stranger
        )));

        // The certificate enrolled under another key's fingerprint is unusable.
        let (verdict, _) = run(
            &w,
            |s| {
                let n = enroll(&mut s.roster, ALICE, &k.gpg, &k.stranger);
                let ident = identity_mut(&mut s.roster, ALICE);
                ident.openpgp_keys[n].fingerprint = k.alice.parse().unwrap();
            },
            obj,
        );
        assert!(
            reasons(&verdict).iter().any(|r| matches!(
                r,
                Reason::OpenPgpKeyUnusable { fingerprint, .. } if *fingerprint == k.alice
            )),
            "{}",
            verdict.render_text()
        );
    }

    #[test]
    fn a_revoked_or_expired_openpgp_key_does_not_count() {
        if !tools_available() {
            return;
        }
        let k = keys("ended");
        let w = World::new();
        let obj = object(&k.gpg, &k.alice, "Alice <alice@example.com>");
        // Revoked as compromised: nothing it signed counts.
        let (verdict, _) = run(
            &w,
            |s| {
                let n = enroll(&mut s.roster, ALICE, &k.gpg, &k.alice);
                identity_mut(&mut s.roster, ALICE).openpgp_keys[n].revoked = Some(Revocation {
                    at: t("2026-12-01T00:00:00Z"),
                    reason: RevocationReason::KeyCompromise,
                });
            },
            obj.clone(),
        );
        assert!(!verdict.passed());
        assert!(
            reasons(&verdict).iter().any(|r| matches!(
                r,
                Reason::KeyRevoked { identity, .. } if *identity == id(ALICE)
            )),
            "{}",
            verdict.render_text()
        );
        // Its window ended before the committer time.
        let (verdict, _) = run(
            &w,
            |s| {
                let n = enroll(&mut s.roster, ALICE, &k.gpg, &k.alice);
                identity_mut(&mut s.roster, ALICE).openpgp_keys[n].valid_until =
                    Some(t("2026-06-01T00:00:00Z"));
            },
            obj,
        );
        assert!(!verdict.passed());
        assert!(
            reasons(&verdict).iter().any(|r| matches!(
                r,
                Reason::KeyOutsideWindow { identity, .. } if *identity == id(ALICE)
            )),
            "{}",
            verdict.render_text()
        );
    }

    #[test]
    fn a_forge_merge_passes_under_committer_and_fails_under_author() {
        if !tools_available() {
            return;
        }
        let k = keys("forge");
        let w = World::new();
        let obj = object(&k.gpg, &k.forge, "GitHub <noreply@github.com>");
        let forge_roster = |s: &mut Scenario<'_>| add_forge(&mut s.roster, &k.gpg, &k.forge);

        let (verdict, oid) = run(
            &w,
            |s| {
                forge_roster(s);
                s.policy.commit.as_mut().unwrap().attribution = Attribution::Committer;
            },
            obj.clone(),
        );
        assert!(verdict.passed(), "{}", verdict.render_text());
        let node = find_node(verdict.trace(), oid.as_str()).unwrap();
        assert_eq!(node.signers[0].identity, id(FORGE));
        let note = node.note.clone().unwrap_or_default();
        assert!(
            note.contains("committed by the forge workload:github-web-flow"),
            "{note}"
        );
        assert!(verdict.render_text().contains("committed by the forge"));

        let (verdict, _) = run(&w, forge_roster, obj);
        assert!(!verdict.passed());
        assert!(
            reasons(&verdict).iter().any(|r| matches!(
                r,
                Reason::AuthorNotSigner { author, signers, .. }
                    if *author == id(ALICE) && signers == &vec![id(FORGE)]
            )),
            "{}",
            verdict.render_text()
        );
    }
}
