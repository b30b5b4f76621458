//! Every limit of vouch-chain in `docs/limits.md`, at the limit (accepted,
//! or refused only by a later check) and one past it (refused with the
//! error that names the limit). One test per row, named after its
//! constant. The 256 MiB bundle is tested on sparse files and on zero
//! pages never written; the million items on a file of one byte each,
//! refused on its lists' declared counts before anything is decoded.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use common::*;
use vouch_chain::policy::{MAX_POLICY, MaxAge, PolicyError, TimeRule};
use vouch_chain::{
    Bundle, ChainError, Inclusion, MAX_BUNDLE, MAX_INCLUSION, MAX_ITEMS, MAX_PROOFS_PER_ENVELOPE,
    MAX_SIGSTORE_BUNDLE, Policy, Reason, Target,
};
use vouch_core::Algorithm;
use vouch_core::cbor::{self, CborError};
use vouch_core::tlog::Receipt;
use vouch_core::tlog::merkle::{self, MAX_PROOF_HASHES};
use vouch_core::tlog::receipt::{attach_receipts, statement_leaf};
use vouch_keys::FileKey;
use vouch_manifest::TrustedLog;

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("vouch-chain-limits-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A sparse file of `len` bytes: no disk blocks, no page ever read.
fn sparse(path: &std::path::Path, len: u64) {
    std::fs::File::create(path).unwrap().set_len(len).unwrap();
}

#[test]
fn max_bundle() {
    // At the limit the bytes go to the decoder (zero pages, refused as
    // one integer followed by trailing bytes).
    assert!(matches!(
        Bundle::from_bytes(&vec![0; MAX_BUNDLE]),
        Err(ChainError::Cbor(CborError::TrailingBytes { offset: 1 }))
    ));
    let past = |r: Result<Bundle, ChainError>| match r {
        Err(ChainError::BundleTooLarge { size, max }) => {
            assert_eq!((size, max), (MAX_BUNDLE as u64 + 1, MAX_BUNDLE as u64));
        }
        other => panic!("{other:?}"),
    };
    past(Bundle::from_bytes(&vec![0; MAX_BUNDLE + 1]));
    // A file, and a directory's files together, are refused on their size
    // before they are read (sparse: reading would cost 256 MiB).
    let dir = scratch("size");
    let file = dir.join("bundle.cbor");
    sparse(&file, MAX_BUNDLE as u64 + 1);
    past(Bundle::read(&file));
    past(Bundle::read(&dir));
    std::fs::remove_dir_all(dir).unwrap();
}

/// A bundle file whose lists hold `commits` and `timestamps` items, each
/// an empty byte string (one byte), and whose version is text: it passes
/// the canonical check, and its decoding fails at the version, before the
/// lists.
fn bundle_of_items(commits: usize, timestamps: usize) -> Vec<u8> {
    let mut b = vec![0xa3];
    b.extend_from_slice(b"\x67commits");
    cbor::write_head(&mut b, 4, commits as u64);
    b.resize(b.len() + commits, 0x40);
    b.extend_from_slice(b"\x67version\x61x");
    b.extend_from_slice(b"\x6atimestamps");
    cbor::write_head(&mut b, 4, timestamps as u64);
    b.resize(b.len() + timestamps, 0x40);
    b
}

#[test]
fn max_items() {
    let bytes = bundle_of_items(1, MAX_ITEMS - 1);
    cbor::validate(&bytes, cbor::Strictness::Document, cbor::Limits::DEFAULT).unwrap();
    // At the limit the file is decoded, and refused for its version.
    assert!(matches!(
        Bundle::from_bytes(&bytes),
        Err(ChainError::Cbor(CborError::Schema { .. }))
    ));
    // One more, in any list: refused on the counts, before decoding.
    for bytes in [
        bundle_of_items(2, MAX_ITEMS - 1),
        bundle_of_items(1, MAX_ITEMS),
    ] {
        match Bundle::from_bytes(&bytes) {
            Err(ChainError::TooManyItems { count, max }) => {
                assert_eq!((count, max), (MAX_ITEMS + 1, MAX_ITEMS));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn max_sigstore_bundle() {
    let mut bundle = Bundle::new();
    bundle.add_sigstore(vec![0; MAX_SIGSTORE_BUNDLE]).unwrap();
    match bundle.add_sigstore(vec![0; MAX_SIGSTORE_BUNDLE + 1]) {
        Err(ChainError::SigstoreBundleTooLarge { size, max }) => {
            assert_eq!((size, max), (MAX_SIGSTORE_BUNDLE + 1, MAX_SIGSTORE_BUNDLE));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(bundle.sigstore().len(), 1);
}

/// A minimal `COSE_Sign1` for proofs to be about.
const ENVELOPE: [u8; 7] = [0xd2, 0x84, 0x40, 0xa0, 0x41, b'x', 0x40];

fn inclusion(hashes: usize) -> Inclusion {
    Inclusion {
        checkpoint: b"log\n1\nAAAA\n\n".to_vec(),
        index: 0,
        proof: vec![[7; 32]; hashes],
    }
}

#[test]
fn max_inclusion() {
    // At the limit the file is decoded (and refused: zeros are not a map).
    assert!(matches!(
        Inclusion::from_bytes(&vec![0; MAX_INCLUSION]),
        Err(ChainError::Cbor(CborError::TrailingBytes { .. }))
    ));
    match Inclusion::from_bytes(&vec![0; MAX_INCLUSION + 1]) {
        Err(ChainError::InclusionTooLarge { size, max }) => {
            assert_eq!((size, max), (MAX_INCLUSION + 1, MAX_INCLUSION));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn max_inclusion_proof_hashes() {
    let too_long = |r: Result<(), ChainError>| match r {
        Err(ChainError::ProofTooLong { len, max }) => {
            assert_eq!((len, max), (MAX_PROOF_HASHES + 1, MAX_PROOF_HASHES));
        }
        other => panic!("{other:?}"),
    };
    // In an inclusion file.
    let at = inclusion(MAX_PROOF_HASHES);
    assert_eq!(Inclusion::from_bytes(&at.to_bytes().unwrap()).unwrap(), at);
    too_long(Inclusion::from_bytes(&inclusion(MAX_PROOF_HASHES + 1).to_bytes().unwrap()).map(drop));
    // In a bundle file.
    let mut bundle = Bundle::new();
    bundle.add_envelope(ENVELOPE.to_vec());
    bundle.add_inclusion(&ENVELOPE, at).unwrap();
    let read = Bundle::from_bytes(&bundle.to_bytes().unwrap()).unwrap();
    assert_eq!(read.inclusions()[0].1.proof.len(), MAX_PROOF_HASHES);
    bundle
        .add_inclusion(&ENVELOPE, inclusion(MAX_PROOF_HASHES + 1))
        .unwrap();
    too_long(Bundle::from_bytes(&bundle.to_bytes().unwrap()).map(drop));
}

#[test]
fn max_policy() {
    // At the limit the document is parsed (spaces: an empty TOML policy,
    // which lacks its required tables).
    let at = " ".repeat(MAX_POLICY);
    assert!(matches!(Policy::from_toml(&at), Err(PolicyError::Toml(_))));
    assert!(matches!(
        Policy::from_json(at.as_bytes()),
        Err(PolicyError::Json(_))
    ));
    let past = " ".repeat(MAX_POLICY + 1);
    for r in [
        Policy::from_toml(&past),
        Policy::from_json(past.as_bytes()),
        Policy::from_bytes(past.as_bytes()),
    ] {
        match r {
            Err(PolicyError::TooLarge { len, max }) => {
                assert_eq!((len, max), (MAX_POLICY + 1, MAX_POLICY));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn max_age_max_seconds() {
    let at = format!("{}s", MaxAge::MAX_SECONDS);
    assert_eq!(at.parse::<MaxAge>().unwrap().seconds(), u64::MAX);
    // One second more, and the largest whole days past it.
    for past in [
        "18446744073709551616s".to_owned(),
        format!("{}d", u64::MAX / 86_400 + 1),
    ] {
        match past.parse::<MaxAge>() {
            Err(PolicyError::AgeTooLarge { text, max }) => {
                assert_eq!((text.as_str(), max), (past.as_str(), u64::MAX));
            }
            other => panic!("{past}: {other:?}"),
        }
    }
    // What is not a duration is told apart from one too long.
    for bad in ["", "d", "30w", "-1d", "30é"] {
        assert!(
            matches!(bad.parse::<MaxAge>(), Err(PolicyError::InvalidAge { .. })),
            "{bad:?}"
        );
    }
    // In a policy, the TOML error carries its message.
    let policy = vouch_test_support::policy_with(&[(
        "max_age = \"30d\"",
        "max_age = \"18446744073709551616s\"",
    )]);
    let e = Policy::from_toml(&policy).unwrap_err();
    let text = vouch_core::text::error_chain(&e);
    assert!(
        text.contains("more than the 18446744073709551615 seconds"),
        "{text}"
    );
    Policy::from_toml(&vouch_test_support::policy_with(&[(
        "max_age = \"30d\"",
        &format!("max_age = \"{at}\""),
    )]))
    .unwrap();
}

/// The test log's key.
fn log_key() -> &'static FileKey {
    static KEY: std::sync::OnceLock<FileKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| FileKey::generate(Algorithm::Ed25519).unwrap())
}

#[test]
fn max_proofs_per_envelope() {
    // Every envelope carries `junk` receipts that do not decode, then one
    // of a log the roster trusts: found within the first eight it proves
    // the deployment's time; as the ninth it is never looked at.
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.roster.witnesses.logs.push(TrustedLog {
        label: "test-log".into(),
        origin: "log.example.com/test".into(),
        key: log_key().public_key().clone(),
    });
    if let Some(d) = scenario.policy.deployment.as_mut() {
        d.time = TimeRule::Proven;
    }
    scenario.policy.time.max_log_delay = "60d".parse().unwrap();
    let built = scenario.build();
    let envelopes = built.bundle.envelopes();
    let leaves: Vec<merkle::Hash> = envelopes
        .iter()
        .map(|e| statement_leaf(e).unwrap())
        .collect();
    let with_receipts = |junk: usize| {
        let mut out = Bundle::new();
        for (i, e) in envelopes.iter().enumerate() {
            let proof = merkle::inclusion_proof(&leaves, i as u64).unwrap();
            let good = Receipt::issue(
                log_key(),
                &leaves[i],
                i as u64,
                leaves.len() as u64,
                &proof,
                Some(t("2026-11-24T11:30:00Z").unix_seconds()),
            )
            .unwrap();
            let mut receipts = vec![vec![0x40]; junk];
            receipts.push(good);
            out.add_envelope(attach_receipts(e, &receipts).unwrap());
        }
        for o in built.bundle.commit_objects() {
            out.add_commit_object(o.clone());
        }
        Bundle::from_bytes(&out.to_bytes().unwrap()).unwrap()
    };
    let run = |bundle: &Bundle| {
        scenario
            .verifier()
            .verify(bundle, &Target::Deployment(built.deployment), scenario.now)
    };
    let at = run(&with_receipts(MAX_PROOFS_PER_ENVELOPE - 1));
    assert!(at.passed(), "{}", at.render_text());
    let past = run(&with_receipts(MAX_PROOFS_PER_ENVELOPE));
    expect_failure(&past, "TimeNotProven", |r| {
        matches!(r, Reason::TimeNotProven { statement, refused }
            if *statement == built.deployment
                && refused.len() == MAX_PROOFS_PER_ENVELOPE
                && refused.iter().all(|x| x.contains("does not decode")))
    });
}
