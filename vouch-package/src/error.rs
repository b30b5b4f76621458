//! The one error type of the crate.

use vouch_manifest::tree::{TreeDiff, TreeError, TreePath};

use crate::Format;

/// Which path rule an archive member breaks (see the
/// [crate documentation](crate#paths)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnsafePath {
    /// The name starts with `/`.
    Absolute,
    /// The name starts with a drive letter (`C:`), which Windows resolves
    /// outside the extraction directory.
    DriveLetter,
    /// A component is `..`.
    ParentDir,
    /// The name contains a backslash (a separator on Windows).
    Backslash,
    /// The name contains a NUL character.
    Nul,
    /// The name is empty, or only `.` and `/`.
    Empty,
}

impl std::fmt::Display for UnsafePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UnsafePath::Absolute => "it is absolute",
            UnsafePath::DriveLetter => "it starts with a drive letter",
            UnsafePath::ParentDir => "it has a `..` component",
            UnsafePath::Backslash => "it contains a backslash",
            UnsafePath::Nul => "it contains a NUL character",
            UnsafePath::Empty => "it names no file",
        })
    }
}

/// Which bound of [`Limits`](crate::Limits) an archive exceeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Bound {
    /// [`Limits::max_archive_size`](crate::Limits::max_archive_size).
    ArchiveSize,
    /// [`Limits::max_entries`](crate::Limits::max_entries).
    Entries,
    /// [`Limits::max_expanded_size`](crate::Limits::max_expanded_size).
    ExpandedSize,
    /// [`Limits::max_entry_size`](crate::Limits::max_entry_size).
    EntrySize,
    /// [`Limits::max_ratio`](crate::Limits::max_ratio).
    Ratio,
    /// [`Limits::max_path_len`](crate::Limits::max_path_len).
    PathLength,
    /// [`Limits::max_header_size`](crate::Limits::max_header_size).
    HeaderSize,
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Bound::ArchiveSize => "archive size",
            Bound::Entries => "entry count",
            Bound::ExpandedSize => "total expanded size",
            Bound::EntrySize => "entry size",
            Bound::Ratio => "compressed-to-expanded ratio",
            Bound::PathLength => "path length",
            Bound::HeaderSize => "extension header size",
        })
    }
}

/// Why an archive was refused.
///
/// Every variant about one member names it: `entry` is the member's name
/// as the archive spells it (shown lossily when it is not UTF-8), `path`
/// the normalized path the member would have in the tree manifest.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// A bound of [`Limits`](crate::Limits) was exceeded. `entry` is the
    /// member being read when it happened, if any.
    #[error("archive exceeds the {bound} limit of {limit}{}", at(entry))]
    Limit {
        /// Which bound.
        bound: Bound,
        /// Its value.
        limit: u64,
        /// The member being read, if any.
        entry: Option<String>,
    },
    /// The format could not be told from the magic bytes and the file name.
    #[error(
        "cannot tell the archive format of {name:?} (not gzip, zip or tar): name it with a format"
    )]
    UnknownFormat {
        /// The file name given, if any.
        name: Option<String>,
    },
    /// The format named (or implied by the file name) is not what the
    /// bytes are.
    #[error("{} is not a {format} archive: its bytes are {found}", named(name))]
    FormatMismatch {
        /// The file name given, if any.
        name: Option<String>,
        /// The format named or implied by the name.
        format: Format,
        /// What the magic bytes say: `"gzip"`, `"zip"`, `"tar"` or `"unknown"`.
        found: &'static str,
    },
    /// A format name that [`Format::from_str`](std::str::FromStr) does not know.
    #[error("unknown archive format {0:?} (crate, sdist, npm, wheel, zip, tar, tar-gz)")]
    UnknownFormatName(String),
    /// The archive is not well-formed (a bad header, checksum, deflate
    /// stream or zip directory).
    #[error("malformed {container} archive{}: {reason}", at(entry))]
    Malformed {
        /// `"tar"`, `"gzip"` or `"zip"`.
        container: &'static str,
        /// The member being read, if known.
        entry: Option<String>,
        /// What the reader said.
        reason: String,
    },
    /// Bytes after the end of the archive that a reader might take for
    /// more members: non-zero bytes after a tar's end-of-archive marker,
    /// or a second gzip member.
    #[error("{what} after the end of the archive")]
    TrailingData {
        /// `"non-zero bytes"` or `"another gzip member"`.
        what: &'static str,
    },
    /// A member name that is not UTF-8.
    #[error("member {entry:?} has a name that is not UTF-8")]
    NonUtf8Name {
        /// The name, lossily.
        entry: String,
    },
    /// A member name that readers disagree on: a zip name with non-ASCII
    /// bytes but no UTF-8 flag (read as CP437 by some tools), or with an
    /// Info-ZIP Unicode Path extra field (applied by some tools, ignored
    /// by others); a tar member with both a GNU long name and a pax path.
    #[error("member {entry:?} has a name that readers disagree on: {why}")]
    AmbiguousName {
        /// The name as read.
        entry: String,
        /// Why.
        why: &'static str,
    },
    /// A path that would escape the tree, or that no platform can hold.
    #[error("member {entry:?} has an unsafe path: {reason}")]
    UnsafePath {
        /// The name as the archive spells it.
        entry: String,
        /// The rule it breaks.
        reason: UnsafePath,
    },
    /// Two members with the same path (after normalization: `a/./b` is
    /// `a/b`).
    #[error("member {entry:?} repeats path {path}")]
    DuplicatePath {
        /// The second member's name as the archive spells it.
        entry: String,
        /// The normalized path.
        path: String,
    },
    /// A zip central directory that lists one name twice (the zip reader
    /// keeps one, so which is not known).
    #[error("the zip central directory lists a name twice")]
    DuplicateZipName,
    /// A path that is a file (or link) in one member and a directory in
    /// another (`a` and `a/b`).
    #[error("{path} is both a file and a directory")]
    FileDirectoryConflict {
        /// The normalized path.
        path: String,
    },
    /// A hard link, or a symbolic link when [`ReadOptions::symlinks`]
    /// (crate::ReadOptions::symlinks) is off.
    #[error("member {entry:?} is a {kind}, which is refused")]
    Link {
        /// The member.
        entry: String,
        /// `"hard link"` or `"symbolic link"`.
        kind: &'static str,
    },
    /// A symbolic link with an empty target, one with NUL, or one that is
    /// not UTF-8.
    #[error("symbolic link {entry:?} has an invalid target")]
    InvalidLinkTarget {
        /// The member.
        entry: String,
    },
    /// A device, FIFO or other special file.
    #[error("member {entry:?} is a {kind}, which a tree manifest cannot record")]
    SpecialFile {
        /// The member.
        entry: String,
        /// `"character device"`, `"block device"`, `"fifo"` or `"socket"`.
        kind: &'static str,
    },
    /// A tar member type that is neither file, directory nor link (GNU
    /// sparse, multi-volume, contiguous, vendor types).
    #[error("member {entry:?} has tar type {type_flag:?}, which is not read")]
    UnknownEntryType {
        /// The member.
        entry: String,
        /// The type flag byte.
        type_flag: char,
    },
    /// A pax extended header that is malformed, or that changes what a
    /// member is in a way readers disagree on (a `size` other than the
    /// header's, sparse-file keys, a global `path`).
    #[error("pax header{} refused: {why}", at(entry))]
    Pax {
        /// The member it describes, if known.
        entry: Option<String>,
        /// Why.
        why: &'static str,
    },
    /// An encrypted zip member.
    #[error("zip member {entry:?} is encrypted")]
    Encrypted {
        /// The member.
        entry: String,
    },
    /// A zip compression method other than stored or deflate.
    #[error("zip member {entry:?} uses compression method {method}, which is not read")]
    UnsupportedCompression {
        /// The member.
        entry: String,
        /// The method, as the zip reader names it.
        method: String,
    },
    /// A member whose kind readers disagree on (a directory name with
    /// content, a zip mode that says directory on a name without `/`, a
    /// non-directory tar member whose name ends with `/`).
    #[error("member {entry:?} is ambiguous: {why}")]
    AmbiguousEntry {
        /// The member.
        entry: String,
        /// Why.
        why: &'static str,
    },
    /// A zip member whose content is not the size its header says.
    #[error("zip member {entry:?} expands to {actual} bytes, its header says {declared}")]
    SizeMismatch {
        /// The member.
        entry: String,
        /// The size declared.
        declared: u64,
        /// The size read (at most one byte more than declared).
        actual: u64,
    },
    /// The format strips one top-level directory, and this member is not
    /// under it (or the archive has no member at all).
    #[error(
        "{format} archive member {entry:?} is not under the single top-level directory {expected:?}"
    )]
    OutsideTopDirectory {
        /// The format.
        format: Format,
        /// The member (empty when the archive has no file).
        entry: String,
        /// The top-level directory the format expects, or the one the
        /// first member is in.
        expected: String,
    },
    /// The archive's tree manifest could not be built.
    #[error("tree manifest of the archive")]
    Manifest(#[from] TreeError),
    /// [`Package::verify_contents`](crate::Package::verify_contents): the
    /// archive's files are not the expected manifest's.
    #[error("archive contents differ from the release's, first at {first}: {diff}")]
    ContentsMismatch {
        /// The first differing path, in path order.
        first: TreePath,
        /// Everything that differs.
        diff: TreeDiff,
    },
}

fn named(name: &Option<String>) -> String {
    match name {
        Some(n) => format!("{n:?}"),
        None => "the archive".into(),
    }
}

fn at(entry: &Option<String>) -> String {
    match entry {
        Some(e) => format!(" at member {e:?}"),
        None => String::new(),
    }
}
