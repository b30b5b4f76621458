//! The whole-log check: every entry hashes to its leaf, every tile is the
//! hashes of the tiles below it, and the tiles give the signed root.
//!
//! Checking only the root would read just the right edge of the tree: a
//! rewritten entry or a tampered full tile under an upper-level tile would
//! pass. So every file the tree of the checkpoint's size has is read once,
//! level by level, holding one level's hashes of full tiles at a time (a
//! 256th of the level below).

use std::path::Path;

use vouch_core::tlog::Checkpoint;
use vouch_core::tlog::merkle::{self, Hash};

use crate::fsio::read_bounded;
use crate::layout::{TILE_HEIGHT, Tile};
use crate::tiles::{Tiles, read_tile};
use crate::{LogError, bundle};

/// Checks that the files of `dir` are the log of `checkpoint` (already
/// verified), reading every entry bundle and tile its tree has.
pub(crate) fn audit(dir: &Path, checkpoint: &Checkpoint) -> Result<(), LogError> {
    let size = checkpoint.size();
    // The hashes the current level's tiles must hold: leaf hashes of the
    // entries at level 0, then the roots of the full tiles below.
    let mut expected: Vec<Hash> = Vec::new();
    for level in 0u8..64 {
        let count = size >> (TILE_HEIGHT * u32::from(level));
        if count == 0 {
            break;
        }
        let mut roots = Vec::with_capacity((count >> TILE_HEIGHT) as usize);
        let mut index = 0u64;
        while let Some(tile) = Tile::in_tree(level, index, size) {
            let hashes = read_tile(dir, tile)?;
            let matches = if level == 0 {
                check_entries(dir, tile, &hashes)?;
                true
            } else {
                let from = (index << TILE_HEIGHT) as usize;
                expected.get(from..from + hashes.len()) == Some(hashes.as_slice())
            };
            if !matches {
                return Err(LogError::TileMismatch {
                    path: dir.join(tile.path()),
                });
            }
            if tile.is_full() {
                roots.push(merkle::root(&hashes));
            }
            index += 1;
        }
        expected = roots;
    }
    if Tiles::new(dir, size).root(size)? != *checkpoint.root() {
        return Err(LogError::RootMismatch { size });
    }
    Ok(())
}

/// Checks that the entry bundle beside the level-0 `tile` hashes to it.
fn check_entries(dir: &Path, tile: Tile, hashes: &[Hash]) -> Result<(), LogError> {
    let path = dir.join(tile.entries_path());
    let bytes = read_bounded(&path, bundle::max_len(tile.width()))?;
    for (i, (entry, leaf)) in bundle::parse(&bytes, tile.width(), &path)?
        .iter()
        .zip(hashes)
        .enumerate()
    {
        if merkle::leaf_hash(entry) != *leaf {
            return Err(LogError::EntryMismatch {
                index: (tile.index() << TILE_HEIGHT) + i as u64,
            });
        }
    }
    Ok(())
}
