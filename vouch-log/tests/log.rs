//! vouch-log writing real logs: 700 entries (full and partial tiles at two
//! levels), read back by vouch-core's verifiers and by Cloudflare's azul
//! crates `tlog_tiles` 0.2 (tiles, proofs, paths) and `signed_note` 0.2
//! (the checkpoint); tampering found on open and on append; concurrent
//! appends; receipts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::{Sandbox, cheap_envelope, envelope, flip, key};
use signed_note::Verifier as _;
use vouch_core::tlog::merkle::{self, Hash};
use vouch_core::tlog::{Checkpoint, NoteVerifier, Receipt, receipt};
use vouch_log::{Log, LogError, MAX_ENTRY_LEN, Tile};

const ORIGIN: &str = "example.com/vouch-log-test";

/// The log of 700 signed envelopes, with the root of every tree size.
struct Written {
    sandbox: Sandbox,
    log_key: vouch_keys::FileKey,
    envelopes: Vec<Vec<u8>>,
    roots: Vec<Hash>,
}

fn write_700() -> Written {
    let sandbox = Sandbox::new("700");
    let log_key = key();
    let author = key();
    let mut log = Log::create(&sandbox.dir, ORIGIN, &log_key).unwrap();
    let verifier = NoteVerifier::ed25519(ORIGIN, log_key.public_key()).unwrap();
    let mut roots = vec![merkle::EMPTY_ROOT];
    let mut envelopes = Vec::new();
    for i in 0..700 {
        let e = envelope(&author, i);
        let a = log.append(&e, &log_key).unwrap();
        assert_eq!((a.index, a.tree_size), (i, i + 1));
        assert_eq!(a.leaf, receipt::statement_leaf(&e).unwrap());
        merkle::verify_inclusion(&a.leaf, i, i + 1, &a.inclusion_proof, &a.root).unwrap();
        let cp = Checkpoint::verify(&a.checkpoint, &verifier, &[]).unwrap();
        assert_eq!(cp.checkpoint().size(), i + 1);
        assert_eq!(cp.checkpoint().root(), &a.root);
        roots.push(a.root);
        envelopes.push(e);
    }
    Written {
        sandbox,
        log_key,
        envelopes,
        roots,
    }
}

fn leaves(envelopes: &[Vec<u8>]) -> Vec<Hash> {
    envelopes
        .iter()
        .map(|e| receipt::statement_leaf(e).unwrap())
        .collect()
}

#[test]
fn seven_hundred_entries_reopen_and_prove_with_vouch_core() {
    let w = write_700();
    let dir = &w.sandbox.dir;
    // 700 = 2 full level-0 tiles + 188; level 1 has 2 hashes.
    for present in [
        "checkpoint",
        "vkey",
        "tile/0/000",
        "tile/0/001",
        "tile/0/002.p/188",
        "tile/1/000.p/2",
        "tile/entries/000",
        "tile/entries/001",
        "tile/entries/002.p/188",
    ] {
        assert!(dir.join(present).is_file(), "{present} missing");
    }
    assert_eq!(
        std::fs::metadata(dir.join("tile/0/000")).unwrap().len(),
        8192
    );
    // Partials superseded by full tiles are gone; those of the right edge stay.
    assert!(!dir.join("tile/0/000.p").exists());
    assert!(!dir.join("tile/entries/001.p").exists());
    assert!(dir.join("tile/0/002.p/187").is_file());
    assert!(dir.join("tile/1/000.p/1").is_file());
    assert!(!dir.join("tile/2").exists());

    let log = Log::open(dir).unwrap();
    assert_eq!(log.size(), 700);
    assert_eq!(log.origin(), ORIGIN);
    let trusted = NoteVerifier::ed25519(ORIGIN, w.log_key.public_key()).unwrap();
    assert_eq!(log.vkey(), trusted.to_vkey());
    let log = Log::open_with(dir, &trusted).unwrap();
    assert_eq!(log.checkpoint().root(), &w.roots[700]);

    let leaves = leaves(&w.envelopes);
    for size in [1u64, 2, 3, 255, 256, 257, 300, 511, 512, 513, 699, 700] {
        assert_eq!(log.root(size).unwrap(), w.roots[size as usize]);
        assert_eq!(
            merkle::root(&leaves[..size as usize]),
            w.roots[size as usize]
        );
        for index in [0, 1, size / 2, size.saturating_sub(2), size - 1] {
            if index >= size {
                continue;
            }
            let proof = log.inclusion_proof(index, size).unwrap();
            assert_eq!(
                proof,
                merkle::inclusion_proof(&leaves[..size as usize], index).unwrap()
            );
            merkle::verify_inclusion(
                &leaves[index as usize],
                index,
                size,
                &proof,
                &w.roots[size as usize],
            )
            .unwrap();
        }
        for new in [size, size + 1, 512, 700] {
            if new < size || new > 700 {
                continue;
            }
            let proof = log.consistency_proof(size, new).unwrap();
            assert_eq!(
                proof,
                merkle::consistency_proof(&leaves[..new as usize], size).unwrap()
            );
            merkle::verify_consistency(
                size,
                new,
                &w.roots[size as usize],
                &w.roots[new as usize],
                &proof,
            )
            .unwrap();
        }
    }
    // Every entry's proof at the full size.
    for index in 0..700 {
        let proof = log.inclusion_proof(index, 700).unwrap();
        merkle::verify_inclusion(&leaves[index as usize], index, 700, &proof, &w.roots[700])
            .unwrap();
        assert_eq!(log.leaf_hash(index).unwrap(), leaves[index as usize]);
    }
    assert!(matches!(
        log.inclusion_proof(700, 700),
        Err(LogError::IndexOutOfRange { .. })
    ));
    assert!(matches!(
        log.inclusion_proof(0, 701),
        Err(LogError::TreeSize { .. })
    ));
    assert!(matches!(
        log.consistency_proof(5, 4),
        Err(LogError::TreeSize { .. })
    ));

    // Entry bundles hold the registered bytes, length-prefixed.
    let bundle = std::fs::read(dir.join("tile/entries/002.p/188")).unwrap();
    let entries = split_bundle(&bundle);
    assert_eq!(entries.len(), 188);
    assert_eq!(entries[0], w.envelopes[512].as_slice());
    assert_eq!(entries[187], w.envelopes[699].as_slice());
}

/// An entry bundle split by hand, as the specification defines it.
fn split_bundle(mut b: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let len = u16::from_be_bytes([b[0], b[1]]) as usize;
        out.push(&b[2..2 + len]);
        b = &b[2 + len..];
    }
    out
}

/// The log directory as a `tlog_tiles` tile source: each tile it asks for
/// is read at the path vouch-log wrote, after checking that its own path
/// function (Go sumdb's `tile/H/L/N`, with the height) names the same tile.
/// A superseded partial tile is read as the prefix of the full one, as
/// tlog-tiles lets clients do.
struct Dir<'a>(&'a Path);

impl tlog_tiles::TileReader for Dir<'_> {
    fn height(&self) -> u8 {
        8
    }

    fn read_tiles(&self, tiles: &[tlog_tiles::Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
        Ok(tiles
            .iter()
            .map(|t| {
                let ours = Tile::new(t.level(), t.level_index(), t.width() as u16).unwrap();
                assert_eq!(t.path(), ours.path().replacen("tile/", "tile/8/", 1));
                let want = t.width() as usize * 32;
                match std::fs::read(self.0.join(ours.path())) {
                    Ok(b) => b,
                    Err(_) => {
                        let full = std::fs::read(self.0.join(ours.full().path())).unwrap();
                        full[..want].to_vec()
                    }
                }
            })
            .collect())
    }

    fn save_tiles(&self, _: &[tlog_tiles::Tile], _: &[Vec<u8>]) {}
}

#[test]
fn tlog_tiles_reads_the_tiles_and_signed_note_the_checkpoint() {
    let w = write_700();
    let dir = &w.sandbox.dir;
    let reader = Dir(dir);
    let leaves = leaves(&w.envelopes);
    let log = Log::open(dir).unwrap();
    for size in [1u64, 7, 255, 256, 257, 300, 511, 512, 513, 600, 699, 700] {
        let root = tlog_tiles::Hash(w.roots[size as usize]);
        // TileHashReader authenticates every tile it loads against this root.
        let hr = tlog_tiles::TileHashReader::new(size, root, &reader);
        assert_eq!(tlog_tiles::tree_hash(size, &hr).unwrap(), root);
        for index in [0, size / 3, size / 2, size - 1] {
            let theirs = tlog_tiles::prove_record(size, index, &hr).unwrap();
            let ours = log.inclusion_proof(index, size).unwrap();
            assert_eq!(theirs.iter().map(|h| h.0).collect::<Vec<_>>(), ours);
            let as_theirs: Vec<_> = ours.iter().map(|h| tlog_tiles::Hash(*h)).collect();
            tlog_tiles::check_record(
                &as_theirs,
                size,
                root,
                index,
                tlog_tiles::Hash(leaves[index as usize]),
            )
            .unwrap();
        }
        if size < 700 {
            let hr700 =
                tlog_tiles::TileHashReader::new(700, tlog_tiles::Hash(w.roots[700]), &reader);
            let theirs = tlog_tiles::prove_tree(700, size, &hr700).unwrap();
            let ours = log.consistency_proof(size, 700).unwrap();
            assert_eq!(theirs.iter().map(|h| h.0).collect::<Vec<_>>(), ours);
            let as_theirs: Vec<_> = ours.iter().map(|h| tlog_tiles::Hash(*h)).collect();
            tlog_tiles::check_tree(&as_theirs, 700, tlog_tiles::Hash(w.roots[700]), size, root)
                .unwrap();
        }
    }
    // Level-0 tiles are the record hashes of the entries in the bundles.
    for (bundle, tile) in [
        ("tile/entries/000", "tile/0/000"),
        ("tile/entries/002.p/188", "tile/0/002.p/188"),
    ] {
        let b = std::fs::read(dir.join(bundle)).unwrap();
        let t = std::fs::read(dir.join(tile)).unwrap();
        let hashes: Vec<u8> = split_bundle(&b)
            .iter()
            .flat_map(|e| tlog_tiles::record_hash(e).0)
            .collect();
        assert_eq!(hashes, t);
    }

    // The checkpoint: signed_note verifies it with the vkey vouch-log prints.
    let note = std::fs::read(dir.join("checkpoint")).unwrap();
    let theirs = signed_note::StandardVerifier::new(&log.vkey()).unwrap();
    assert_eq!(theirs.key_id(), log.verifier().key_id());
    let parsed = signed_note::Note::from_bytes(&note).unwrap();
    let (verified, unverified) = parsed
        .verify(&signed_note::VerifierList::new(vec![Box::new(theirs)]))
        .unwrap();
    assert_eq!((verified.len(), unverified.len()), (1, 0));
    let cp = tlog_tiles::Checkpoint::from_bytes(parsed.text()).unwrap();
    assert_eq!(
        (cp.origin(), cp.size(), cp.hash().0),
        (ORIGIN, 700, w.roots[700])
    );
    let other = signed_note::StandardVerifier::new(
        &NoteVerifier::ed25519(ORIGIN, key().public_key())
            .unwrap()
            .to_vkey(),
    )
    .unwrap();
    assert!(
        parsed
            .verify(&signed_note::VerifierList::new(vec![Box::new(other)]))
            .is_err()
    );
}

#[test]
fn tile_paths_agree_with_tlog_tiles() {
    let mut indices: Vec<u64> = (0..2100).collect();
    for p in [1_000u64, 1_000_000, 1_000_000_000, 1_000_000_000_000] {
        indices.extend([p - 1, p, p + 1, p * 7 + 123]);
    }
    indices.extend([u64::MAX >> 16, (1 << 56) - 1, 1234067]);
    let mut checked = 0;
    for &n in &indices {
        for level in [0u8, 1, 2, 5, 63] {
            for width in [1u16, 2, 17, 255, 256] {
                let ours = Tile::new(level, n, width).unwrap();
                let theirs = tlog_tiles::Tile::new(8, level, n, u32::from(width), false);
                let converted = ours.path().replacen("tile/", "tile/8/", 1);
                assert_eq!(theirs.path(), converted);
                assert_eq!(tlog_tiles::Tile::from_path(&converted).unwrap(), theirs);
                // Entry bundles: the same N and W after `tile/entries/`
                // (Go sumdb names them `tile/8/data/`).
                let data = tlog_tiles::Tile::new(8, 0, n, u32::from(width), true).path();
                assert_eq!(
                    ours.entries_path().strip_prefix("tile/entries/"),
                    data.strip_prefix("tile/8/data/")
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 50_000);
    // And the tiles a tree has are the ones tlog_tiles says it publishes.
    for size in [1u64, 255, 256, 257, 65_535, 65_536, 70_000, 16_777_217] {
        for t in tlog_tiles::Tile::new_tiles(8, size - 1, size) {
            let ours = Tile::in_tree(t.level(), t.level_index(), size).unwrap();
            assert_eq!(u32::from(ours.width()), t.width(), "size {size}");
        }
    }
}

#[test]
fn tampering_is_found_on_open() {
    let log_key = key();
    let author = key();
    let build = |name: &str| {
        let s = Sandbox::new(name);
        let mut log = Log::create(&s.dir, ORIGIN, &log_key).unwrap();
        for i in 0..300 {
            log.append(&envelope(&author, i), &log_key).unwrap();
        }
        Log::open(&s.dir).unwrap();
        s
    };

    // A full level-0 tile, which only the level-1 tile covers.
    let s = build("tile");
    flip(&s.path("tile/0/000"), 100);
    assert!(matches!(
        Log::open(&s.dir),
        Err(LogError::EntryMismatch { index: 3 })
    ));

    // A rewritten entry in a full bundle, same length.
    let s = build("entry");
    flip(&s.path("tile/entries/000"), 40);
    assert!(matches!(
        Log::open(&s.dir),
        Err(LogError::EntryMismatch { index: 0 })
    ));

    // An entry rewritten with its level-0 tile made to match: the level-1
    // tile no longer does.
    let s = build("entry-and-tile");
    let bundle = std::fs::read(s.path("tile/entries/000")).unwrap();
    let mut entries: Vec<Vec<u8>> = split_bundle(&bundle).iter().map(|e| e.to_vec()).collect();
    entries[5] = envelope(&author, 9999);
    let mut new_bundle = Vec::new();
    let mut tile = Vec::new();
    for e in &entries {
        new_bundle.extend_from_slice(&(e.len() as u16).to_be_bytes());
        new_bundle.extend_from_slice(e);
        tile.extend_from_slice(&merkle::leaf_hash(e));
    }
    std::fs::write(s.path("tile/entries/000"), &new_bundle).unwrap();
    std::fs::write(s.path("tile/0/000"), &tile).unwrap();
    assert!(matches!(
        Log::open(&s.dir),
        Err(LogError::TileMismatch { .. })
    ));
    // ... and with the level-1 tile made to match too, the signed root does not.
    let hashes: Vec<Hash> = tile.chunks(32).map(|c| c.try_into().unwrap()).collect();
    std::fs::write(s.path("tile/1/000.p/1"), merkle::root(&hashes)).unwrap();
    assert!(matches!(
        Log::open(&s.dir),
        Err(LogError::RootMismatch { size: 300 })
    ));

    // The right edge: a partial tile changed, truncated, removed.
    let s = build("partial");
    flip(&s.path("tile/0/001.p/44"), -1);
    assert!(matches!(
        Log::open(&s.dir),
        Err(LogError::EntryMismatch { index: 299 })
    ));
    let s = build("short");
    let t = std::fs::read(s.path("tile/0/001.p/44")).unwrap();
    std::fs::write(s.path("tile/0/001.p/44"), &t[..t.len() - 1]).unwrap();
    assert!(matches!(Log::open(&s.dir), Err(LogError::TileSize { .. })));
    let s = build("gone");
    std::fs::remove_file(s.path("tile/entries/001.p/44")).unwrap();
    assert!(matches!(Log::open(&s.dir), Err(LogError::Missing { .. })));
    let s = build("bundle");
    let mut b = std::fs::read(s.path("tile/entries/001.p/44")).unwrap();
    b.push(0);
    std::fs::write(s.path("tile/entries/001.p/44"), &b).unwrap();
    assert!(matches!(
        Log::open(&s.dir),
        Err(LogError::MalformedBundle { .. })
    ));

    // The checkpoint: its size changed, or signed by another key.
    let s = build("checkpoint");
    let text = std::fs::read_to_string(s.path("checkpoint")).unwrap();
    std::fs::write(s.path("checkpoint"), text.replacen("\n300\n", "\n299\n", 1)).unwrap();
    assert!(matches!(Log::open(&s.dir), Err(LogError::Tlog(_))));
    let s = build("other-key");
    let other = key();
    let forged = Checkpoint::new(ORIGIN, 300, [0; 32])
        .unwrap()
        .sign(&other)
        .unwrap();
    std::fs::write(s.path("checkpoint"), forged.to_bytes()).unwrap();
    assert!(
        Log::open_with(
            &s.dir,
            &NoteVerifier::ed25519(ORIGIN, log_key.public_key()).unwrap()
        )
        .is_err()
    );
    // (Log::open trusts the stored vkey, so a rewritten vkey is the
    // verifier's business: open_with and `vouch log verify --vkey`.)
}

#[test]
fn append_refuses_to_build_on_tampered_or_rewritten_history() {
    let log_key = key();
    let author = key();
    let s = Sandbox::new("append-tamper");
    let mut log = Log::create(&s.dir, ORIGIN, &log_key).unwrap();
    for i in 0..10 {
        log.append(&envelope(&author, i), &log_key).unwrap();
    }
    let before = std::fs::read(s.path("checkpoint")).unwrap();

    // A rewritten entry in the partial bundle is not carried forward.
    flip(&s.path("tile/entries/000.p/10"), 30);
    assert!(matches!(
        log.append(&envelope(&author, 10), &log_key),
        Err(LogError::EntryMismatch { index: 0 })
    ));
    flip(&s.path("tile/entries/000.p/10"), 30);
    // A changed partial tile does not reproduce the root.
    flip(&s.path("tile/0/000.p/10"), 0);
    assert!(matches!(
        log.append(&envelope(&author, 10), &log_key),
        Err(LogError::RootMismatch { size: 10 })
    ));
    flip(&s.path("tile/0/000.p/10"), 0);
    assert_eq!(std::fs::read(s.path("checkpoint")).unwrap(), before);
    log.append(&envelope(&author, 10), &log_key).unwrap();
    log.append(&envelope(&author, 11), &log_key).unwrap();

    // A rollback to an older checkpoint (validly signed) is refused by a
    // handle that saw the newer one.
    std::fs::write(s.path("checkpoint"), &before).unwrap();
    assert!(matches!(
        log.append(&envelope(&author, 12), &log_key),
        Err(LogError::Inconsistent {
            old_size: 12,
            new_size: 10,
            ..
        })
    ));
    assert!(log.refresh().is_err());

    // A fork: another tree of 12 under the same key and directory.
    let fork = Sandbox::new("fork");
    let mut other = Log::create(&fork.dir, ORIGIN, &log_key).unwrap();
    for i in 100..112 {
        other.append(&envelope(&author, i), &log_key).unwrap();
    }
    std::fs::remove_dir_all(&s.dir).unwrap();
    copy_dir(&fork.dir, &s.dir);
    assert!(matches!(
        log.append(&envelope(&author, 12), &log_key),
        Err(LogError::Inconsistent {
            old_size: 12,
            new_size: 12,
            ..
        })
    ));

    // Another key cannot append, nor issue receipts.
    let mut reopened = Log::open(&s.dir).unwrap();
    let stranger = key();
    assert!(matches!(
        reopened.append(&envelope(&author, 1), &stranger),
        Err(LogError::WrongKey { .. })
    ));
    assert!(matches!(
        reopened.receipt(0, None, &stranger),
        Err(LogError::WrongKey { .. })
    ));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn entries_are_bounded_and_must_be_statement_envelopes() {
    let log_key = key();
    let s = Sandbox::new("bounds");
    let mut log = Log::create(&s.dir, ORIGIN, &log_key).unwrap();
    // [h'', {}, bstr of n, h'']: 7 + n bytes with a 2-byte length.
    let big = |n: usize| {
        let mut e = vec![0x84, 0x40, 0xa0, 0x59];
        e.extend_from_slice(&(n as u16).to_be_bytes());
        e.extend(std::iter::repeat_n(7u8, n));
        e.push(0x40);
        e
    };
    let max = big(MAX_ENTRY_LEN - 7);
    assert_eq!(max.len(), MAX_ENTRY_LEN);
    log.append(&max, &log_key).unwrap();
    let mut over = vec![0x84, 0x40, 0xa0, 0x5a];
    over.extend_from_slice(&(MAX_ENTRY_LEN as u32 - 8).to_be_bytes());
    over.extend(std::iter::repeat_n(7u8, MAX_ENTRY_LEN - 8));
    over.push(0x40);
    assert_eq!(over.len(), MAX_ENTRY_LEN + 1);
    assert!(matches!(
        log.append(&over, &log_key),
        Err(LogError::EntryTooLarge { len: 65536, .. })
    ));
    assert!(matches!(
        log.append(b"not cbor at all", &log_key),
        Err(LogError::Tlog(_))
    ));
    let reopened = Log::open(&s.dir).unwrap();
    assert_eq!(reopened.size(), 1);

    // A log is made in an empty directory only.
    assert!(matches!(
        Log::create(&s.dir, ORIGIN, &log_key),
        Err(LogError::NotEmpty { .. })
    ));
    // An origin that cannot be a key name.
    let s2 = Sandbox::new("origin");
    assert!(Log::create(&s2.dir, "has space", &log_key).is_err());
    // A P-256 key cannot sign notes.
    let p256 = vouch_keys::FileKey::generate(vouch_core::Algorithm::Es256).unwrap();
    assert!(Log::create(&s2.dir, ORIGIN, &p256).is_err());
}

#[test]
fn concurrent_appends_are_serialized() {
    let log_key = std::sync::Arc::new(key());
    let s = Sandbox::new("concurrent");
    Log::create(&s.dir, ORIGIN, &*log_key).unwrap();
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let dir = s.dir.clone();
            let log_key = log_key.clone();
            std::thread::spawn(move || {
                // Each thread its own handle, as separate processes would.
                let mut log = Log::open(&dir).unwrap();
                (0..25u64)
                    .map(|i| {
                        log.append(&cheap_envelope(t * 1000 + i), &*log_key)
                            .unwrap()
                            .index
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut indices: Vec<u64> = threads
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    indices.sort_unstable();
    assert_eq!(indices, (0..100).collect::<Vec<_>>());
    let log = Log::open(&s.dir).unwrap();
    assert_eq!(log.size(), 100);
    // Every entry is there once.
    let bundle = std::fs::read(s.path("tile/entries/000.p/100")).unwrap();
    let mut payloads: Vec<Vec<u8>> = split_bundle(&bundle).iter().map(|e| e.to_vec()).collect();
    payloads.sort();
    payloads.dedup();
    assert_eq!(payloads.len(), 100);
}

#[test]
fn receipts_verify_and_travel_in_the_envelope() {
    let log_key = key();
    let author = key();
    let s = Sandbox::new("receipts");
    let mut log = Log::create(&s.dir, ORIGIN, &log_key).unwrap();
    let verifier = NoteVerifier::ed25519(ORIGIN, log_key.public_key()).unwrap();
    let mut registered = Vec::new();
    for i in 0..5 {
        registered.push(
            log.register(
                &envelope(&author, i),
                &log_key,
                Some(1_760_000_000 + i as i64),
            )
            .unwrap(),
        );
    }
    for (i, r) in registered.iter().enumerate() {
        let carried = receipt::receipts(&r.envelope).unwrap();
        assert_eq!(carried, vec![r.receipt.as_slice()]);
        let leaf = receipt::statement_leaf(&r.envelope).unwrap();
        assert_eq!(leaf, r.appended.leaf);
        let proved = Receipt::from_bytes(&r.receipt)
            .unwrap()
            .verify(&leaf, log_key.public_key())
            .unwrap();
        assert_eq!(
            (proved.leaf_index(), proved.tree_size()),
            (i as u64, i as u64 + 1)
        );
        assert_eq!(proved.issued_at(), Some(1_760_000_000 + i as i64));
        assert_eq!(proved.root(), &r.appended.root);
        assert_eq!(proved.key_id(), log_key.public_key().key_id());
        // The root is the one the checkpoint of that size signed.
        let cp = Checkpoint::verify(&r.appended.checkpoint, &verifier, &[]).unwrap();
        assert_eq!(cp.checkpoint().root(), proved.root());
        // Another leaf, or another key: refused.
        assert!(
            Receipt::from_bytes(&r.receipt)
                .unwrap()
                .verify(&[0; 32], log_key.public_key())
                .is_err()
        );
        assert!(
            Receipt::from_bytes(&r.receipt)
                .unwrap()
                .verify(&leaf, author.public_key())
                .is_err()
        );
    }
    // A receipt of an old entry in the current tree.
    let fresh = log.receipt(1, None, &log_key).unwrap();
    let proved = Receipt::from_bytes(&fresh)
        .unwrap()
        .verify(&registered[1].appended.leaf, log_key.public_key())
        .unwrap();
    assert_eq!(
        (proved.tree_size(), proved.root()),
        (5, log.checkpoint().root())
    );
    assert!(matches!(
        log.receipt(5, None, &log_key),
        Err(LogError::IndexOutOfRange { .. })
    ));

    // Registering an envelope that carries a receipt: the entry is its
    // registered bytes (the same leaf), and both receipts travel.
    let again = log
        .register(&registered[0].envelope, &log_key, None)
        .unwrap();
    assert_eq!(again.appended.leaf, registered[0].appended.leaf);
    assert_eq!(receipt::receipts(&again.envelope).unwrap().len(), 2);
    let bundle = std::fs::read(s.path("tile/entries/000.p/6")).unwrap();
    assert_eq!(
        split_bundle(&bundle)[5],
        envelope_bytes_without_receipts(&again.envelope).as_slice()
    );
    // The envelope's own signature still verifies with the receipts on it.
    vouch_core::cose::Sign1::from_bytes(&again.envelope)
        .unwrap()
        .verify(author.public_key())
        .unwrap();
}

fn envelope_bytes_without_receipts(e: &[u8]) -> Vec<u8> {
    receipt::registered_bytes(e).unwrap().into_owned()
}
