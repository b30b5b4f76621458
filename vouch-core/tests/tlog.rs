//! `vouch_core::tlog` against other implementations: Cloudflare's azul
//! crates `signed_note` 0.2 and `tlog_tiles` 0.2 (ports of Go's
//! `golang.org/x/mod/sumdb/note` and `sumdb/tlog`), and the Rekor v2
//! checkpoints and inclusion proofs of the sigstore-conformance suite.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use signed_note::Verifier as _;
use vouch_core::tlog::merkle::{
    self, Hash, consistency_proof, inclusion_proof, leaf_hash, root, verify_consistency,
    verify_inclusion,
};
use vouch_core::tlog::{Checkpoint, Note, NoteVerifier, TlogError, cosignature};
use vouch_core::{Algorithm, PublicKey, SignError, Signature, Signer};

struct Ed(ed25519_dalek::SigningKey, PublicKey);

impl Signer for Ed {
    fn public_key(&self) -> &PublicKey {
        &self.1
    }
    fn try_sign(&self, m: &[u8]) -> Result<Signature, SignError> {
        use ed25519_dalek::Signer as _;
        Ok(Signature::new(Algorithm::Ed25519, &self.0.sign(m).to_bytes()).unwrap())
    }
}

fn ed(seed: u8) -> Ed {
    let sk = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    let pk = PublicKey::ed25519(&sk.verifying_key().to_bytes()).unwrap();
    Ed(sk, pk)
}

/// A Go-format signer key, `PRIVATE+KEY+name+keyid+base64(0x01 || seed)`.
fn go_skey(name: &str, seed: u8) -> String {
    let key = ed(seed);
    let id = NoteVerifier::ed25519(name, key.public_key())
        .unwrap()
        .key_id();
    let mut raw = vec![0x01];
    raw.extend_from_slice(&[seed; 32]);
    format!("PRIVATE+KEY+{name}+{id:08x}+{}", STANDARD.encode(raw))
}

fn azul_verifiers(vkeys: &[String]) -> signed_note::VerifierList {
    signed_note::VerifierList::new(
        vkeys
            .iter()
            .map(|v| {
                Box::new(signed_note::StandardVerifier::new(v).unwrap())
                    as Box<dyn signed_note::Verifier>
            })
            .collect(),
    )
}

#[test]
fn vouch_checkpoints_verify_with_signed_note() {
    let log = ed(1);
    let witness = ed(2);
    let leaves: Vec<Hash> = (0u32..37).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let cp = Checkpoint::new("example.com/vouch-log", 37, root(&leaves))
        .unwrap()
        .with_extensions(vec!["ext line".into()])
        .unwrap();
    let mut note = cp.sign(&log).unwrap();
    cosignature::cosign(&mut note, "witness.example/w1", &witness, 1_760_000_000).unwrap();
    let bytes = note.to_bytes();

    let vkey = NoteVerifier::ed25519("example.com/vouch-log", log.public_key())
        .unwrap()
        .to_vkey();
    // Their verifier key parser reads ours, and computes the same key id.
    let theirs = signed_note::StandardVerifier::new(&vkey).unwrap();
    assert_eq!(
        theirs.key_id(),
        NoteVerifier::from_vkey(&vkey).unwrap().key_id()
    );
    let parsed = signed_note::Note::from_bytes(&bytes).unwrap();
    let (verified, unverified) = parsed.verify(&azul_verifiers(&[vkey])).unwrap();
    assert_eq!(verified.len(), 1);
    // The cosignature is a type signed_note does not know: ignored there.
    assert_eq!(unverified.len(), 1);
    assert_eq!(parsed.text(), cp.to_text().as_bytes());
    assert_eq!(parsed.to_bytes(), bytes);

    // tlog_tiles reads the checkpoint body the same.
    let tc = tlog_tiles::Checkpoint::from_bytes(parsed.text()).unwrap();
    assert_eq!(tc.origin(), cp.origin());
    assert_eq!(tc.size(), cp.size());
    assert_eq!(&tc.hash().0, cp.root());
    assert_eq!(tc.extension(), "ext line\n");
    assert_eq!(tc.to_bytes(), cp.to_text().as_bytes());

    // A changed byte: refused by both.
    let tampered = String::from_utf8(bytes)
        .unwrap()
        .replacen("\n37\n", "\n38\n", 1);
    assert!(
        signed_note::Note::from_bytes(tampered.as_bytes())
            .unwrap()
            .verify(&azul_verifiers(&[NoteVerifier::ed25519(
                "example.com/vouch-log",
                log.public_key()
            )
            .unwrap()
            .to_vkey()]))
            .is_err()
    );
    let vlog = NoteVerifier::ed25519("example.com/vouch-log", log.public_key()).unwrap();
    assert!(Checkpoint::verify(tampered.as_bytes(), &vlog, &[]).is_err());
}

#[test]
fn signed_note_notes_verify_with_vouch() {
    let name = "example.com/azul-log";
    let signer = signed_note::StandardSigner::new(&go_skey(name, 3)).unwrap();
    let other = signed_note::StandardSigner::new(&go_skey("other.example", 4)).unwrap();
    let leaves: Vec<Hash> = (0u32..5).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let text = tlog_tiles::Checkpoint::new(name, 5, tlog_tiles::Hash(root(&leaves)), "")
        .unwrap()
        .to_bytes();
    let mut note = signed_note::Note::new(&text, &[]).unwrap();
    note.add_sigs(&[&other, &signer]).unwrap();
    let bytes = note.to_bytes();

    let v = NoteVerifier::ed25519(name, ed(3).public_key()).unwrap();
    let verified = Checkpoint::verify(&bytes, &v, &[]).unwrap();
    assert_eq!(verified.checkpoint().size(), 5);
    assert_eq!(verified.checkpoint().root(), &root(&leaves));
    verified
        .verify_inclusion(&leaves[4], 4, &inclusion_proof(&leaves, 4).unwrap())
        .unwrap();
    // Our note model reads and writes their bytes unchanged.
    assert_eq!(Note::from_bytes(&bytes).unwrap().to_bytes(), bytes);
    // Their key id of the same key.
    let mut typed = vec![0x01];
    typed.extend_from_slice(ed(3).public_key().point());
    assert_eq!(signed_note::key_id(name, &typed), v.key_id());
    // The other key is unknown to vouch: ignored; a wrong key is refused.
    let wrong = NoteVerifier::ed25519(name, ed(9).public_key()).unwrap();
    assert!(matches!(
        Checkpoint::verify(&bytes, &wrong, &[]),
        Err(TlogError::MissingSignature { .. })
    ));
}

/// Stored hashes of a tlog_tiles tree, indexed as `stored_hash_index` says.
struct Store(Vec<tlog_tiles::Hash>);

impl tlog_tiles::HashReader for Store {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        Ok(indexes.iter().map(|&i| self.0[i as usize]).collect())
    }
}

#[test]
fn proofs_agree_with_tlog_tiles() {
    const N: u64 = 130;
    let mut store = Store(Vec::new());
    let mut leaves = Vec::new();
    for n in 0..N {
        let data = format!("entry {n}");
        leaves.push(leaf_hash(data.as_bytes()));
        assert_eq!(
            tlog_tiles::record_hash(data.as_bytes()).0,
            leaf_hash(data.as_bytes())
        );
        let new = tlog_tiles::stored_hashes(n, data.as_bytes(), &store).unwrap();
        store.0.extend(new);
    }
    for t in 1..=N {
        let d = &leaves[..t as usize];
        let th = tlog_tiles::tree_hash(t, &store).unwrap();
        assert_eq!(th.0, root(d), "root of {t}");
        for n in 0..t {
            let theirs: Vec<Hash> = tlog_tiles::prove_record(t, n, &store)
                .unwrap()
                .iter()
                .map(|h| h.0)
                .collect();
            let ours = inclusion_proof(d, n).unwrap();
            assert_eq!(ours, theirs, "inclusion {n} of {t}");
            verify_inclusion(&leaves[n as usize], n, t, &ours, &th.0).unwrap();
            let as_theirs: Vec<tlog_tiles::Hash> =
                ours.iter().map(|h| tlog_tiles::Hash(*h)).collect();
            tlog_tiles::check_record(&as_theirs, t, th, n, tlog_tiles::Hash(leaves[n as usize]))
                .unwrap();
        }
        for n in 1..=t {
            let theirs: Vec<Hash> = tlog_tiles::prove_tree(t, n, &store)
                .unwrap()
                .iter()
                .map(|h| h.0)
                .collect();
            let ours = consistency_proof(d, n).unwrap();
            assert_eq!(ours, theirs, "consistency {n} to {t}");
            let old = root(&leaves[..n as usize]);
            verify_consistency(n, t, &old, &th.0, &ours).unwrap();
            let as_theirs: Vec<tlog_tiles::Hash> =
                ours.iter().map(|h| tlog_tiles::Hash(*h)).collect();
            tlog_tiles::check_tree(&as_theirs, t, th, n, tlog_tiles::Hash(old)).unwrap();
        }
    }
}

// The sigstore-conformance Rekor v2 cases.

const SET: &str = "sigstore-conformance";

/// Cases whose C2SP checkpoint and inclusion proof are valid.
const VALID: &[&str] = &[
    "rekor2-happy-path",
    "rekor2-checkpoint-cosigned",
    "rekor2-checkpoint-multiple-cosigs",
    "rekor2-checkpoint-origin-not-first",
    "rekor2-checkpoint-two-sigs-cosigned",
    "rekor2-checkpoint-two-sigs-from-origin",
    "rekor2-dsse-happy-path",
    "rekor2-timestamp-with-embedded-cert",
    "rekor2-timestamp-without-embedded-cert",
    "rekor2-timestamp-with-expired-cert-chain",
];

/// Cases that fail because of the checkpoint itself.
const INVALID: &[&str] = &[
    "rekor2-checkpoint-missing-log-signature_fail",
    "rekor2-checkpoint-missing-origin_fail",
    "rekor2-checkpoint-missing-root-hash_fail",
    "rekor2-checkpoint-missing-size_fail",
    "rekor2-checkpoint-no-matching-signature_fail",
];

/// One tlog entry's C2SP checkpoint and inclusion proof, with the log key.
struct Entry {
    log: NoteVerifier,
    envelope: String,
    leaf: Hash,
    index: u64,
    tree_size: u64,
    root: Hash,
    hashes: Vec<Hash>,
}

fn b64(v: &serde_json::Value) -> Vec<u8> {
    STANDARD.decode(v.as_str().unwrap()).unwrap()
}

fn hash(v: &serde_json::Value) -> Hash {
    b64(v).try_into().unwrap()
}

fn num(v: &serde_json::Value) -> u64 {
    v.as_str().unwrap().parse().unwrap()
}

/// The entries of a case whose log (found by the entry's log id in the
/// case's trusted root) has an Ed25519 key: Rekor v2's C2SP checkpoints.
fn entries(case: &str) -> Option<Vec<Entry>> {
    let dir = vouch_test_support::vectors_dir()?.join(SET).join(case);
    let bundle = vouch_test_support::vector_json(SET, &format!("{case}/bundle.sigstore.json"))?;
    let root_file = if dir.join("trusted_root.json").exists() {
        format!("{case}/trusted_root.json")
    } else {
        "production_trusted_root.json".to_owned()
    };
    let trusted = vouch_test_support::vector_json(SET, &root_file)?;
    let mut out = Vec::new();
    for e in bundle["verificationMaterial"]["tlogEntries"].as_array()? {
        let proof = &e["inclusionProof"];
        if proof.is_null() {
            continue;
        }
        let log_id = &e["logId"]["keyId"];
        let tlog = trusted["tlogs"]
            .as_array()?
            .iter()
            .find(|t| t["logId"]["keyId"] == *log_id)?;
        if tlog["publicKey"]["keyDetails"] != "PKIX_ED25519" {
            return None;
        }
        let key = PublicKey::from_spki_der(&b64(&tlog["publicKey"]["rawBytes"])).unwrap();
        let url = tlog["baseUrl"].as_str().unwrap();
        // The origin is the log URL's host (and path), without the scheme.
        let host = url
            .split_once("://")
            .map_or(url, |(_, h)| h)
            .trim_end_matches('/');
        out.push(Entry {
            log: NoteVerifier::ed25519(host, &key).unwrap(),
            envelope: proof["checkpoint"]["envelope"].as_str()?.to_owned(),
            leaf: leaf_hash(&b64(&e["canonicalizedBody"])),
            index: num(&proof["logIndex"]),
            tree_size: num(&proof["treeSize"]),
            root: hash(&proof["rootHash"]),
            hashes: proof["hashes"].as_array()?.iter().map(hash).collect(),
        });
    }
    Some(out)
}

/// Verifies the checkpoint and the inclusion proof of one entry.
fn check(e: &Entry) -> Result<vouch_core::tlog::VerifiedCheckpoint, TlogError> {
    let cp = Checkpoint::verify(e.envelope.as_bytes(), &e.log, &[])?;
    if cp.checkpoint().size() != e.tree_size || cp.checkpoint().root() != &e.root {
        return Err(TlogError::RootMismatch);
    }
    cp.verify_inclusion(&e.leaf, e.index, &e.hashes)?;
    Ok(cp)
}

#[test]
fn rekor_v2_checkpoints_and_inclusion_proofs() {
    let Some(dir) = vouch_test_support::vectors_dir() else {
        return;
    };
    let mut checked = 0;
    for case in VALID {
        let entries = entries(case).unwrap_or_else(|| panic!("{case}: no Rekor v2 entry"));
        assert!(!entries.is_empty(), "{case}");
        for e in &entries {
            let cp = check(e).unwrap_or_else(|err| panic!("{case}: {err}"));
            // The Rekor v2 log key's note key id is the C2SP one (the
            // first four bytes of the log id), so the log line is found.
            assert_eq!(cp.note().signers().len(), 1, "{case}");
            checked += 1;

            // A flipped proof hash, a flipped leaf, another index.
            for i in 0..e.hashes.len() {
                let mut hashes = e.hashes.clone();
                hashes[i][i % 32] ^= 0x10;
                assert!(
                    cp.verify_inclusion(&e.leaf, e.index, &hashes).is_err(),
                    "{case}"
                );
            }
            let mut leaf = e.leaf;
            leaf[0] ^= 1;
            assert!(cp.verify_inclusion(&leaf, e.index, &e.hashes).is_err());
            assert!(
                cp.verify_inclusion(&e.leaf, e.index ^ 1, &e.hashes)
                    .is_err()
            );
            // A changed tree size in the checkpoint breaks the log's signature.
            let size_line = format!("\n{}\n", e.tree_size);
            for other in [e.tree_size + 1, e.tree_size - 1] {
                let tampered = e.envelope.replacen(&size_line, &format!("\n{other}\n"), 1);
                assert!(
                    matches!(
                        Checkpoint::verify(tampered.as_bytes(), &e.log, &[]),
                        Err(TlogError::BadSignature { .. })
                    ),
                    "{case}"
                );
            }
            // A changed root hash too.
            let root_line = STANDARD.encode(e.root);
            let mut other_root = e.root;
            other_root[5] ^= 1;
            let tampered = e
                .envelope
                .replacen(&root_line, &STANDARD.encode(other_root), 1);
            assert!(Checkpoint::verify(tampered.as_bytes(), &e.log, &[]).is_err());
            // Proofs against a wrong tree size: the root of a 736-leaf tree
            // is not that of a larger one with the same path (the proof
            // then needs another hash).
            assert!(
                merkle::verify_inclusion(
                    &e.leaf,
                    e.index,
                    e.tree_size.next_power_of_two() + 1,
                    &e.hashes,
                    &e.root
                )
                .is_err(),
                "{case}"
            );
        }
    }
    for case in INVALID {
        let entries = entries(case).unwrap_or_else(|| panic!("{case}: no Rekor v2 entry"));
        assert!(!entries.is_empty(), "{case}");
        for e in &entries {
            assert!(check(e).is_err(), "{case} verified");
        }
    }
    // The witness cosignatures of the cosigned cases: type 0x04 lines of
    // a key id, an 8-byte time and a 64-byte signature (the witness keys
    // are not published, so they cannot be verified).
    for case in [
        "rekor2-checkpoint-cosigned",
        "rekor2-checkpoint-multiple-cosigs",
    ] {
        for e in entries(case).unwrap() {
            let note = Note::from_bytes(e.envelope.as_bytes()).unwrap();
            let cosigs: Vec<_> = note
                .signatures()
                .iter()
                .filter(|s| s.name() != e.log.name())
                .collect();
            assert!(!cosigs.is_empty(), "{case}");
            for s in cosigs {
                assert_eq!(s.value().len(), 72, "{case}");
                let t = u64::from_be_bytes(s.value()[..8].try_into().unwrap());
                assert!((1_700_000_000..2_000_000_000).contains(&t), "{case}: {t}");
            }
        }
    }
    // Every other Rekor v2 case: the checkpoint and proof verify except in
    // the cases where they are the point (listed above); report the rest.
    let mut others = Vec::new();
    for d in std::fs::read_dir(dir.join(SET)).unwrap() {
        let d = d.unwrap();
        if !d.path().join("bundle.sigstore.json").is_file() {
            continue;
        }
        let name = d.file_name().into_string().unwrap();
        // The one case that is not JSON at all.
        if name == "bundle-malformed-json_fail" {
            continue;
        }
        if VALID.contains(&name.as_str()) || INVALID.contains(&name.as_str()) {
            continue;
        }
        if let Some(entries) = entries(&name) {
            for e in &entries {
                others.push(format!(
                    "{name}: {}",
                    check(e)
                        .map(|_| "ok".to_owned())
                        .unwrap_or_else(|err| err.to_string())
                ));
            }
        }
    }
    eprintln!(
        "other Rekor v2 cases (not asserted):\n  {}",
        others.join("\n  ")
    );
    assert!(checked >= VALID.len());
}
