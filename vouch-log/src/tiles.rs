//! Merkle tree hashes read from the tiles of a log directory: any complete
//! subtree's hash, the root, and RFC 9162 inclusion and consistency proofs,
//! for the tree of a given size.
//!
//! Every hash comes from the tiles that tree has (full tiles, and the
//! partial ones of its right edge), a subtree of up to 255 hashes within a
//! tile hashed on the fly. A partial tile that was removed once its full
//! tile was written is read as the full tile's prefix, which is the same
//! hashes in an append-only log. Nothing here is trusted: callers compare
//! what they compute with a signed root.

use std::collections::HashMap;
use std::path::Path;

use vouch_core::tlog::merkle::{self, EMPTY_ROOT, Hash};

use crate::LogError;
use crate::fsio::read_bounded;
use crate::layout::{TILE_HEIGHT, TILE_WIDTH, Tile};

/// The tiles of the tree of `size` leaves in a directory, read on demand
/// and kept for the life of the value (one operation).
pub(crate) struct Tiles<'a> {
    dir: &'a Path,
    size: u64,
    cache: HashMap<(u8, u64), Vec<Hash>>,
}

/// Parses a tile file's bytes, which must be exactly `width` hashes.
pub(crate) fn parse_tile(bytes: &[u8], width: u16, path: &Path) -> Result<Vec<Hash>, LogError> {
    let expected = u64::from(width) * 32;
    if bytes.len() as u64 != expected {
        return Err(LogError::TileSize {
            path: path.to_owned(),
            len: bytes.len() as u64,
            expected,
        });
    }
    let (hashes, _) = bytes.as_chunks::<32>();
    Ok(hashes.to_vec())
}

/// Reads the tile at `tile`'s path, exactly its width.
pub(crate) fn read_tile(dir: &Path, tile: Tile) -> Result<Vec<Hash>, LogError> {
    let path = dir.join(tile.path());
    parse_tile(
        &read_bounded(&path, u64::from(tile.width()) * 32)?,
        tile.width(),
        &path,
    )
}

/// The largest power of two strictly smaller than `n` (`n >= 2`).
fn split_point(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

impl<'a> Tiles<'a> {
    /// The tree of `size` leaves in `dir`.
    pub(crate) fn new(dir: &'a Path, size: u64) -> Self {
        Tiles {
            dir,
            size,
            cache: HashMap::new(),
        }
    }

    /// The hashes of the tile at `level` and `index` of this tree.
    fn tile(&mut self, level: u8, index: u64) -> Result<&[Hash], LogError> {
        let Some(tile) = Tile::in_tree(level, index, self.size) else {
            return Err(LogError::TreeSize {
                tree_size: self.size,
                size: self.size,
            });
        };
        if !self.cache.contains_key(&(level, index)) {
            let hashes = match read_tile(self.dir, tile) {
                Err(LogError::Missing { path }) if !tile.is_full() => {
                    // Superseded partial: its hashes begin the full tile.
                    match read_tile(self.dir, tile.full()) {
                        Ok(mut full) => {
                            full.truncate(usize::from(tile.width()));
                            full
                        }
                        Err(LogError::Missing { .. }) => return Err(LogError::Missing { path }),
                        Err(e) => return Err(e),
                    }
                }
                other => other?,
            };
            self.cache.insert((level, index), hashes);
        }
        Ok(self
            .cache
            .get(&(level, index))
            .map(Vec::as_slice)
            .unwrap_or_default())
    }

    /// The leaf hash of entry `index`.
    pub(crate) fn leaf(&mut self, index: u64) -> Result<Hash, LogError> {
        self.node(0, index)
    }

    /// The hash of the complete subtree of `2^height` leaves starting at
    /// leaf `index << height`, which must be within the tree.
    fn node(&mut self, height: u32, index: u64) -> Result<Hash, LogError> {
        let end = (u128::from(index) + 1) << height;
        if height > 63 || end > u128::from(self.size) {
            return Err(LogError::IndexOutOfRange {
                index,
                tree_size: self.size,
            });
        }
        // The tile level holding hashes of 256^level leaves, and the span
        // of 2^k of its hashes that make up this subtree.
        let level = height / TILE_HEIGHT;
        let k = height % TILE_HEIGHT;
        let first = index << k;
        let tile_index = first >> TILE_HEIGHT;
        let offset = (first % u64::from(TILE_WIDTH)) as usize;
        let tree_size = self.size;
        let hashes = self.tile(level as u8, tile_index)?;
        let span = hashes
            .get(offset..offset + (1usize << k))
            .ok_or(LogError::IndexOutOfRange { index, tree_size })?;
        Ok(merkle::root(span))
    }

    /// MTH(D[lo:hi]), `lo < hi <= size`.
    fn range(&mut self, lo: u64, hi: u64) -> Result<Hash, LogError> {
        let n = hi - lo;
        if n.is_power_of_two() && lo.is_multiple_of(n) {
            return self.node(n.trailing_zeros(), lo >> n.trailing_zeros());
        }
        let k = split_point(n);
        let left = self.range(lo, lo + k)?;
        let right = self.range(lo + k, hi)?;
        Ok(merkle::node_hash(&left, &right))
    }

    /// The root of the tree of `tree_size <= size` leaves.
    pub(crate) fn root(&mut self, tree_size: u64) -> Result<Hash, LogError> {
        self.within(tree_size)?;
        if tree_size == 0 {
            return Ok(EMPTY_ROOT);
        }
        self.range(0, tree_size)
    }

    fn within(&self, tree_size: u64) -> Result<(), LogError> {
        if tree_size > self.size {
            return Err(LogError::TreeSize {
                tree_size,
                size: self.size,
            });
        }
        Ok(())
    }

    /// The inclusion proof of leaf `index` in the tree of `tree_size`
    /// leaves (PATH of RFC 9162 §2.1.3.1), from the leaf up.
    pub(crate) fn inclusion_proof(
        &mut self,
        index: u64,
        tree_size: u64,
    ) -> Result<Vec<Hash>, LogError> {
        self.within(tree_size)?;
        if index >= tree_size {
            return Err(LogError::IndexOutOfRange { index, tree_size });
        }
        let (mut lo, mut hi) = (0, tree_size);
        let mut path = Vec::new();
        while hi - lo > 1 {
            let k = split_point(hi - lo);
            if index < lo + k {
                path.push(self.range(lo + k, hi)?);
                hi = lo + k;
            } else {
                path.push(self.range(lo, lo + k)?);
                lo += k;
            }
        }
        path.reverse();
        Ok(path)
    }

    /// The consistency proof from the tree of `old_size` leaves to the
    /// tree of `new_size` (PROOF of RFC 9162 §2.1.4.1); empty when
    /// `old_size` is 0 or `new_size`.
    pub(crate) fn consistency_proof(
        &mut self,
        old_size: u64,
        new_size: u64,
    ) -> Result<Vec<Hash>, LogError> {
        self.within(new_size)?;
        if old_size > new_size {
            return Err(LogError::TreeSize {
                tree_size: old_size,
                size: new_size,
            });
        }
        let mut path = Vec::new();
        if old_size == 0 {
            return Ok(path);
        }
        // SUBPROOF(m, D[lo:hi], complete), unrolled as in vouch-core.
        let (mut lo, mut hi, mut m) = (0, new_size, old_size);
        let mut complete = true;
        loop {
            if m == hi - lo {
                if !complete {
                    path.push(self.range(lo, hi)?);
                }
                break;
            }
            let k = split_point(hi - lo);
            if m <= k {
                path.push(self.range(lo + k, hi)?);
                hi = lo + k;
            } else {
                path.push(self.range(lo, lo + k)?);
                m -= k;
                lo += k;
                complete = false;
            }
        }
        path.reverse();
        Ok(path)
    }
}
