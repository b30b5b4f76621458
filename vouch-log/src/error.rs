//! The crate's one error type.

use std::path::PathBuf;

use vouch_core::tlog::TlogError;

/// Why the log refused an operation, or found its files wrong.
///
/// [`LogError::Io`] means a file could not be used at all; the variants
/// about the log's contents (a missing file the tree needs, a tile or an
/// entry that does not match, a root that is not the checkpoint's, a
/// checkpoint that does not verify or does not extend the last one seen)
/// mean the directory is not the log its checkpoint says it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// A file could not be read, written, renamed or locked.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// A file the tree of the checkpoint needs is not there.
    #[error("{} is missing", path.display())]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// `Log::create` was given a directory that already holds files.
    #[error("{} is not empty; a log is created in a new or empty directory", path.display())]
    NotEmpty {
        /// The directory.
        path: PathBuf,
    },
    /// A file is larger than anything the log writes there.
    #[error("{} is larger than the {max} bytes read there", path.display())]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        max: u64,
    },
    /// A tile does not hold exactly the hashes its path says.
    #[error("{} is {len} bytes, not the {expected} of its width", path.display())]
    TileSize {
        /// The tile.
        path: PathBuf,
        /// Its length.
        len: u64,
        /// Width × 32.
        expected: u64,
    },
    /// An entry bundle is not its width's entries, each a big-endian
    /// uint16 length and that many bytes.
    #[error("{} is not an entry bundle of {width} entries", path.display())]
    MalformedBundle {
        /// The bundle.
        path: PathBuf,
        /// The entries it must hold.
        width: u16,
    },
    /// An entry in a bundle does not hash to its leaf in the level-0 tile.
    #[error("entry {index} does not hash to its leaf in the tiles")]
    EntryMismatch {
        /// The entry's index in the log.
        index: u64,
    },
    /// A tile's hashes are not the hashes of the full tiles below it.
    #[error("{} does not match the tiles below it", path.display())]
    TileMismatch {
        /// The tile.
        path: PathBuf,
    },
    /// The tiles do not reproduce the root of the signed checkpoint.
    #[error("the tiles do not reproduce the root of the checkpoint of size {size}")]
    RootMismatch {
        /// The checkpoint's tree size.
        size: u64,
    },
    /// The checkpoint on disk does not extend the one this handle last
    /// verified: history was rewritten, or the log rolled back.
    #[error(
        "the checkpoint of size {new_size} is not consistent with the earlier one of size {old_size}"
    )]
    Inconsistent {
        /// The size this handle had verified.
        old_size: u64,
        /// The size on disk.
        new_size: u64,
        /// The failed consistency check, when sizes allowed one.
        #[source]
        source: Option<Box<TlogError>>,
    },
    /// The signer is not the log's key.
    #[error("the signing key is not the log's key {vkey}")]
    WrongKey {
        /// The log's verifier key.
        vkey: String,
    },
    /// An entry is larger than an entry bundle can hold.
    #[error("entry of {len} bytes exceeds the limit of {max} bytes")]
    EntryTooLarge {
        /// Its length.
        len: usize,
        /// [`crate::MAX_ENTRY_LEN`].
        max: usize,
    },
    /// A leaf index is not below a tree size.
    #[error("leaf index {index} is not in a tree of {tree_size} leaves")]
    IndexOutOfRange {
        /// The index.
        index: u64,
        /// The tree size.
        tree_size: u64,
    },
    /// A tree size is beyond the log's checkpoint, or sizes are out of order.
    #[error("tree size {tree_size} is not within the log's {size} entries")]
    TreeSize {
        /// The tree size asked for.
        tree_size: u64,
        /// The checkpoint's size.
        size: u64,
    },
    /// Tile coordinates out of range (a level above 63, a width of 0 or
    /// above 256).
    #[error("no tile at level {level} with width {width}")]
    TileCoordinates {
        /// The level.
        level: u8,
        /// The width.
        width: u16,
    },
    /// The log would outgrow 2⁶⁴ − 1 entries.
    #[error("the log is full")]
    Full,
    /// A checkpoint, note, proof or receipt was refused or could not be
    /// made, or the entry is not a statement envelope.
    #[error(transparent)]
    Tlog(Box<TlogError>),
}

impl From<TlogError> for LogError {
    fn from(e: TlogError) -> Self {
        // Boxed: TlogError is large, and every result of this crate carries it.
        LogError::Tlog(Box::new(e))
    }
}

impl LogError {
    /// An I/O error about `path`; a missing file is [`LogError::Missing`].
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if source.kind() == std::io::ErrorKind::NotFound {
            LogError::Missing { path }
        } else {
            LogError::Io { path, source }
        }
    }
}
