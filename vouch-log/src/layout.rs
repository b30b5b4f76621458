//! Where things are in a log directory: the paths of C2SP tlog-tiles
//! (<https://c2sp.org/tlog-tiles>).
//!
//! ```text
//! checkpoint                       the signed note of the newest tree head
//! tile/<L>/<N>[.p/<W>]             hash tiles: level L, index N, width W
//! tile/entries/<N>[.p/<W>]         entry bundles beside the level-0 tiles
//! vkey                             the log's verifier key (vouch's own)
//! .lock                            serializes writers (vouch's own)
//! ```
//!
//! `<N>` is written in zero-padded groups of three digits, every group but
//! the last prefixed with `x` (1234067 is `x001/x234/067`), so that no
//! directory has more than 3000 children and no name is both a file and a
//! directory. `.p/<W>` marks a partial tile of `W` (1 to 255) hashes or
//! entries; a full tile has 256 and no suffix.

use std::fmt::Write as _;

use crate::LogError;

/// Levels of the Merkle tree one tile spans.
pub const TILE_HEIGHT: u32 = 8;

/// Hashes in a full tile, and entries in a full entry bundle.
pub const TILE_WIDTH: u16 = 1 << TILE_HEIGHT;

/// The checkpoint's path in the log directory.
pub const CHECKPOINT_PATH: &str = "checkpoint";

/// The path of the log's verifier key (not part of tlog-tiles: it lets
/// `vouch log vkey` print the key, and is public like the checkpoint).
pub const VKEY_PATH: &str = "vkey";

/// The lock file writers hold while they append.
pub const LOCK_PATH: &str = ".lock";

/// The coordinates of a tile: its level, its index in the level, and its
/// width in hashes (256 for a full tile).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tile {
    level: u8,
    index: u64,
    width: u16,
}

impl Tile {
    /// A tile at `level` (0 to 63) and `index`, `width` hashes wide (1 to 256).
    pub fn new(level: u8, index: u64, width: u16) -> Result<Tile, LogError> {
        if level > 63 || width == 0 || width > TILE_WIDTH {
            return Err(LogError::TileCoordinates { level, width });
        }
        Ok(Tile {
            level,
            index,
            width,
        })
    }

    /// The tile at `level` and `index` as the tree of `tree_size` leaves
    /// has it (full, or partial with the width that size gives), or `None`
    /// when that tree has no such tile.
    pub fn in_tree(level: u8, index: u64, tree_size: u64) -> Option<Tile> {
        if level > 63 {
            return None;
        }
        // Hashes at this level: one per complete subtree of 256^level leaves.
        let hashes = tree_size.checked_shr(TILE_HEIGHT * u32::from(level))?;
        let full = hashes >> TILE_HEIGHT;
        let width = if index < full {
            TILE_WIDTH
        } else if index == full {
            // The remainder is below 256, so it fits.
            (hashes % u64::from(TILE_WIDTH)) as u16
        } else {
            0
        };
        (width > 0).then_some(Tile {
            level,
            index,
            width,
        })
    }

    /// The level: 0 for the tiles of leaf hashes.
    pub fn level(&self) -> u8 {
        self.level
    }

    /// The index within the level.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The width in hashes.
    pub fn width(&self) -> u16 {
        self.width
    }

    /// Whether the tile is full (256 hashes).
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// The same tile, full.
    pub fn full(&self) -> Tile {
        Tile {
            width: TILE_WIDTH,
            ..*self
        }
    }

    /// The tile's path, `tile/<L>/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        let mut out = format!("tile/{}/", self.level);
        self.push_index_and_width(&mut out);
        out
    }

    /// The path of the entry bundle of the same index and width,
    /// `tile/entries/<N>[.p/<W>]` (meaningful beside level-0 tiles).
    pub fn entries_path(&self) -> String {
        let mut out = String::from("tile/entries/");
        self.push_index_and_width(&mut out);
        out
    }

    /// The directory of this index's partial tiles, `tile/<L>/<N>.p`,
    /// which the log removes once the full tile is written.
    pub(crate) fn partials_dir(&self) -> String {
        format!("{}.p", self.full().path())
    }

    /// The directory of this index's partial entry bundles.
    pub(crate) fn entries_partials_dir(&self) -> String {
        format!("{}.p", self.full().entries_path())
    }

    fn push_index_and_width(&self, out: &mut String) {
        push_index(out, self.index);
        if !self.is_full() {
            let _ = write!(out, ".p/{}", self.width);
        }
    }
}

/// Appends `n` as `x`-prefixed three-digit path elements.
fn push_index(out: &mut String, n: u64) {
    // Groups of three digits, least significant first (at most seven).
    let mut groups = [0u16; 7];
    let mut len = 0;
    let mut rest = n;
    loop {
        groups[len] = (rest % 1000) as u16;
        len += 1;
        rest /= 1000;
        if rest == 0 {
            break;
        }
    }
    for (i, g) in groups[..len].iter().rev().enumerate() {
        if i > 0 {
            out.push('/');
        }
        if i + 1 < len {
            out.push('x');
        }
        let _ = write!(out, "{g:03}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_as_the_specification_writes_them() -> Result<(), LogError> {
        assert_eq!(Tile::new(0, 1234067, 256)?.path(), "tile/0/x001/x234/067");
        assert_eq!(Tile::new(3, 1234067, 8)?.path(), "tile/3/x001/x234/067.p/8");
        assert_eq!(Tile::new(0, 0, 1)?.entries_path(), "tile/entries/000.p/1");
        assert_eq!(Tile::new(1, 999, 256)?.path(), "tile/1/999");
        assert_eq!(Tile::new(1, 1000, 256)?.path(), "tile/1/x001/000");
        assert_eq!(
            Tile::new(0, u64::MAX, 256)?.path(),
            "tile/0/x018/x446/x744/x073/x709/x551/615"
        );
        assert!(Tile::new(64, 0, 1).is_err());
        assert!(Tile::new(0, 0, 0).is_err());
        assert!(Tile::new(0, 0, 257).is_err());
        Ok(())
    }

    #[test]
    fn tiles_of_a_tree_of_70000_as_the_specification_counts_them() {
        // 273 full level-0 tiles, a partial of 112, one full level-1 tile,
        // a partial of 17, and a level-2 partial of 1.
        let s = 70_000;
        assert_eq!(Tile::in_tree(0, 272, s).map(|t| t.width()), Some(256));
        assert_eq!(Tile::in_tree(0, 273, s).map(|t| t.width()), Some(112));
        assert_eq!(Tile::in_tree(0, 274, s), None);
        assert_eq!(Tile::in_tree(1, 0, s).map(|t| t.width()), Some(256));
        assert_eq!(Tile::in_tree(1, 1, s).map(|t| t.width()), Some(17));
        assert_eq!(Tile::in_tree(2, 0, s).map(|t| t.width()), Some(1));
        assert_eq!(Tile::in_tree(3, 0, s), None);
        // 256: a full level-0 tile and a level-1 partial of 1.
        assert_eq!(Tile::in_tree(0, 0, 256).map(|t| t.width()), Some(256));
        assert_eq!(Tile::in_tree(1, 0, 256).map(|t| t.width()), Some(1));
        assert_eq!(Tile::in_tree(0, 0, 0), None);
        assert_eq!(Tile::in_tree(7, 0, u64::MAX).map(|t| t.width()), Some(255));
    }
}
