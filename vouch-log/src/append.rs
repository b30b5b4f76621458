//! Writing one more entry into the tiles: the entry bundle and the hash
//! tiles of the right edge that change, before any checkpoint names them.

use std::path::Path;

use vouch_core::tlog::merkle::{self, Hash};

use crate::fsio::{read_bounded, write_atomic};
use crate::layout::{TILE_HEIGHT, TILE_WIDTH, Tile};
use crate::tiles::{Tiles, read_tile};
use crate::{LogError, bundle};

/// Writes `entry` as entry `size` of the log in `dir`, whose tree of
/// `size` leaves the caller has checked against its signed root, and
/// returns the full tiles this completed (their partials can go once a
/// checkpoint covers them).
///
/// The files written are those of the tree of `size + 1` leaves only: a
/// crash before the checkpoint leaves the tree of `size` as it was, and
/// the next append writes the same paths again.
pub(crate) fn write_entry(dir: &Path, size: u64, entry: &[u8]) -> Result<Vec<Tile>, LogError> {
    let new_size = size.checked_add(1).ok_or(LogError::Full)?;
    let mut completed = Vec::new();
    let mut tiles = Tiles::new(dir, size);

    // The entry bundle: the partial one before it, checked against the
    // level-0 tile (a rewritten entry is not carried forward), plus it.
    let bundle_index = size >> TILE_HEIGHT;
    let offset = (size % u64::from(TILE_WIDTH)) as u16;
    let mut bytes = Vec::new();
    if let Some(old) = Tile::in_tree(0, bundle_index, size) {
        let path = dir.join(old.entries_path());
        bytes = read_bounded(&path, bundle::max_len(old.width()))?;
        let entries = bundle::parse(&bytes, old.width(), &path)?;
        for (i, e) in entries.iter().enumerate() {
            let index = (bundle_index << TILE_HEIGHT) + i as u64;
            if merkle::leaf_hash(e) != tiles.leaf(index)? {
                return Err(LogError::EntryMismatch { index });
            }
        }
    }
    bundle::push(&mut bytes, entry)?;
    let new_bundle = Tile::new(0, bundle_index, offset + 1)?;
    write_atomic(&dir.join(new_bundle.entries_path()), &bytes)?;

    // The hash tiles, level by level: the new hash goes at the end of the
    // level's partial tile; a tile it fills passes its root up a level.
    let mut carry: Hash = merkle::leaf_hash(entry);
    for level in 0u8..64 {
        let before = size >> (TILE_HEIGHT * u32::from(level));
        let index = before >> TILE_HEIGHT;
        let mut hashes = match Tile::in_tree(level, index, size) {
            Some(old) => read_tile(dir, old)?,
            None => Vec::new(),
        };
        hashes.push(carry);
        let width = u16::try_from(hashes.len()).map_err(|_| LogError::TileCoordinates {
            level,
            width: TILE_WIDTH,
        })?;
        let tile = Tile::new(level, index, width)?;
        debug_assert_eq!(Tile::in_tree(level, index, new_size), Some(tile));
        write_atomic(&dir.join(tile.path()), &hashes.concat())?;
        if !tile.is_full() {
            break;
        }
        completed.push(tile);
        carry = merkle::root(&hashes);
    }
    Ok(completed)
}
