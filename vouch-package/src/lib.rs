//! Package archives as registries serve them, read in memory within
//! bounds into the [`TreeManifest`] a release statement certifies.
//!
//! [`Package::read`] takes the bytes of a `.crate`, a Python wheel or
//! sdist, an npm tarball, or any zip (an IDE extension's `.vsix`) or tar,
//! and gives the archive's digests as registries state them (SHA-256 and
//! SHA-512), its format, and the tree manifest of its files: the same
//! manifest [`TreeManifest::build`](vouch_manifest::tree::TreeManifest)
//! gives for a directory holding those files (with `include_git` set:
//! nothing in an archive is skipped), so an archive verifies against a
//! release made from its unpacked directory and the other way round.
//! Nothing is written to disk and nothing is extracted.
//!
//! ```
//! use vouch_package::{Format, Package, ReadOptions};
//!
//! # fn main() -> Result<(), vouch_package::PackageError> {
//! # let bytes = {
//! #     let mut b = tar::Builder::new(Vec::new());
//! #     let mut h = tar::Header::new_ustar();
//! #     h.set_size(3); h.set_mode(0o644); h.set_cksum();
//! #     b.append_data(&mut h, "package/index.js", &b"1;\n"[..]).unwrap();
//! #     let tar = b.into_inner().unwrap();
//! #     let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
//! #     std::io::Write::write_all(&mut gz, &tar).unwrap();
//! #     gz.finish().unwrap()
//! # };
//! let package = Package::read(&bytes, Some("left-pad-1.3.0.tgz"), &ReadOptions::default())?;
//! assert_eq!(package.format(), Format::Npm);
//! assert_eq!(package.top_directory(), Some("package"));
//! assert_eq!(package.manifest().entries()[0].path.as_str(), "index.js");
//! println!("{} {}", package.sha256_hex(), package.npm_integrity());
//! # Ok(())
//! # }
//! ```
//!
//! # Formats and the directory stripped
//!
//! | [`Format`] | container | top-level directory stripped |
//! |---|---|---|
//! | `crate` (`.crate`) | tar.gz | `NAME-VERSION/` (any single one) |
//! | `sdist` (`.tar.gz`) | tar.gz | `NAME-VERSION/` (any single one) |
//! | `npm` (`.tgz`) | tar.gz | exactly `package/` |
//! | `wheel` (`.whl`) | zip | nothing |
//! | `zip` (`.zip`, `.vsix`, `.jar`, any zip) | zip | nothing |
//! | `tar` (`.tar`) | tar | nothing |
//! | `tar-gz` (any other gzip) | tar.gz | nothing |
//!
//! When a format strips, every member must be under that one directory
//! (else [`PackageError::OutsideTopDirectory`]), and its name is reported
//! ([`Package::top_directory`]) so a caller can compare it with the
//! package name and version; the tree manifest does not hold it. The
//! format is told from the file name and checked against the magic bytes
//! (gzip `1f 8b`, zip `PK\3\4`, tar `ustar` at offset 257); with no file
//! name, from the magic bytes alone (gzip is `tar-gz`, zip is `zip`).
//! [`ReadOptions::format`] overrides the name, never the magic bytes.
//!
//! # Paths
//!
//! Member names must be UTF-8 and at most [`Limits::max_path_len`] bytes.
//! Refused, naming the member ([`PackageError::UnsafePath`]): absolute
//! names, `..` components, drive letters (`C:`), backslashes and NUL.
//! Empty and `.` components are dropped (`./a//b` is `a/b`), and two
//! members with the same path after that are refused
//! ([`PackageError::DuplicatePath`]), as is a path that is a file in one
//! member and a directory in another
//! ([`PackageError::FileDirectoryConflict`]). A directory listed twice is
//! not a duplicate (it holds nothing). Directories are not manifest
//! entries, as for a directory tree.
//!
//! Names that readers decode differently are refused
//! ([`PackageError::AmbiguousName`]): a zip name with non-ASCII bytes and
//! no UTF-8 flag (CP437 to Python's zipfile, UTF-8 to others), a zip
//! member with an Info-ZIP Unicode Path field (some readers apply it,
//! some ignore it), a tar member with both a GNU long name and a pax path.
//! Case-insensitive and Unicode-normalization collisions (`A` and `a`)
//! are *not* refused: the manifest is exact bytes, as for a directory.
//!
//! # Members
//!
//! - **Regular files** are hashed (SHA-256) as they are read; the
//!   executable bit is the owner-execute bit (`0o100`) of the tar mode,
//!   or of the Unix mode in a zip member's external attributes when the
//!   member was made on Unix (else not executable), as a directory walk
//!   records it.
//! - **Symbolic links** are refused by default ([`PackageError::Link`]):
//!   no registry's packer writes them (cargo and npm follow or skip links,
//!   wheels cannot hold them) and an extracting tool that honours one can
//!   be made to write outside its directory. With [`ReadOptions::symlinks`]
//!   they are recorded as a tree manifest records them (the target text,
//!   verbatim), so an archive of a tree with links matches that tree.
//!   A path under a link (`l` a link, `l/x` a file) is always refused.
//! - **Hard links** are always refused: the content is another member's,
//!   which readers resolve differently.
//! - **Special files** (devices, FIFOs, sockets) are refused
//!   ([`PackageError::SpecialFile`]), as a directory walk refuses them;
//!   so are tar types that are none of these ([`PackageError::UnknownEntryType`]:
//!   GNU sparse, contiguous, multi-volume, vendor types).
//! - **Tar extensions**: GNU long names and links and pax `path` /
//!   `linkpath` give the member's name; a pax `size` other than the
//!   header's, GNU sparse keys, and a global pax header that sets a path
//!   or size are refused ([`PackageError::Pax`]). Bytes after the
//!   end-of-archive marker must be zeros, and a tar.gz must be one gzip
//!   member with nothing after it ([`PackageError::TrailingData`]).
//! - **Zip**: only stored and deflate members; encrypted members are
//!   refused ([`PackageError::Encrypted`]); every local header must match
//!   its central directory entry, members may not overlap, no local header
//!   may hide between them, and the archive starts at byte 0. Sizes and
//!   CRC-32 are checked as members are read.
//!
//! # Bounds
//!
//! See [`Limits`]: archive size, member count, per-member and total
//! expanded size, compressed-to-expanded ratio (gzip bombs are stopped
//! while decompressing, zip bombs by the members' sum), path length and
//! tar extension header size. Each is checked before the memory or work
//! it bounds is spent; memory use is the archive plus a fixed buffer, and
//! the manifest.
//!
//! # What a registry checks
//!
//! The digests are the registries' own: a `.crate`'s SHA-256 in hex is
//! Cargo.lock's `checksum` ([`Package::sha256`]); pip's `--hash=sha256:`
//! is the same hex of a wheel or sdist; npm's `integrity` is
//! `sha512-<base64>` ([`Package::npm_integrity`]).

mod collect;
mod error;
mod tar;
mod zipfile;

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use vouch_core::Digest;
use vouch_manifest::ReleaseArchive;
use vouch_manifest::tree::TreeManifest;

use collect::{Collector, TopDirectory};
pub use error::{Bound, PackageError, UnsafePath};

/// Below this many expanded bytes the ratio bound is not applied: a small
/// archive of mostly padding (a tar of one tiny file, 10 KiB of zeros
/// after gzip) has a large ratio and no danger.
pub const RATIO_FLOOR: u64 = 1 << 20;

/// The kinds of archive read. See the
/// [crate documentation](crate#formats-and-the-directory-stripped) for
/// what each strips.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// A Rust crate (`.crate`, tar.gz under `NAME-VERSION/`).
    Crate,
    /// A Python source distribution (`.tar.gz` under `NAME-VERSION/`).
    Sdist,
    /// An npm package tarball (`.tgz` under `package/`).
    Npm,
    /// A Python wheel (`.whl`, zip, nothing stripped).
    Wheel,
    /// Any zip (`.vsix`, `.jar`, ...), nothing stripped.
    Zip,
    /// Any uncompressed tar, nothing stripped.
    Tar,
    /// Any gzip-compressed tar, nothing stripped.
    TarGz,
}

/// The container of a format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Container {
    TarGz,
    Tar,
    Zip,
}

impl Container {
    fn name(self) -> &'static str {
        match self {
            Container::TarGz => "gzip",
            Container::Tar => "tar",
            Container::Zip => "zip",
        }
    }

    /// What the magic bytes say, if anything.
    fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0x1f, 0x8b]) {
            Some(Container::TarGz)
        } else if zipfile::looks_like_zip(bytes) {
            Some(Container::Zip)
        } else if tar::looks_like_tar(bytes) {
            Some(Container::Tar)
        } else {
            None
        }
    }
}

impl Format {
    /// Every format, in the order of the documentation's table.
    pub const ALL: [Format; 7] = [
        Format::Crate,
        Format::Sdist,
        Format::Npm,
        Format::Wheel,
        Format::Zip,
        Format::Tar,
        Format::TarGz,
    ];

    /// The name [`Format::from_str`] reads: `crate`, `sdist`, `npm`,
    /// `wheel`, `zip`, `tar`, `tar-gz`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Crate => "crate",
            Format::Sdist => "sdist",
            Format::Npm => "npm",
            Format::Wheel => "wheel",
            Format::Zip => "zip",
            Format::Tar => "tar",
            Format::TarGz => "tar-gz",
        }
    }

    fn container(self) -> Container {
        match self {
            Format::Crate | Format::Sdist | Format::Npm | Format::TarGz => Container::TarGz,
            Format::Wheel | Format::Zip => Container::Zip,
            Format::Tar => Container::Tar,
        }
    }

    fn top_directory(self) -> TopDirectory {
        match self {
            Format::Crate | Format::Sdist => TopDirectory::Any,
            Format::Npm => TopDirectory::Named("package"),
            Format::Wheel | Format::Zip | Format::Tar | Format::TarGz => TopDirectory::None,
        }
    }

    /// The format a file name implies, from its extension (ASCII case
    /// ignored): `.crate`, `.tar.gz` (sdist), `.tgz` (npm), `.whl`, `.zip`
    /// / `.vsix` / `.jar`, `.tar`. `None` for any other name.
    pub fn from_file_name(name: &str) -> Option<Format> {
        let lower = name.to_ascii_lowercase();
        let table: [(&str, Format); 8] = [
            (".crate", Format::Crate),
            (".tar.gz", Format::Sdist),
            (".tgz", Format::Npm),
            (".whl", Format::Wheel),
            (".zip", Format::Zip),
            (".vsix", Format::Zip),
            (".jar", Format::Zip),
            (".tar", Format::Tar),
        ];
        table
            .into_iter()
            .find(|(ext, _)| lower.ends_with(ext))
            .map(|(_, f)| f)
    }

    /// The format of an archive: `given` if any, else the one `name`
    /// implies, else the magic bytes' generic one; refused when the magic
    /// bytes are not that format's container.
    pub fn detect(
        bytes: &[u8],
        name: Option<&str>,
        given: Option<Format>,
    ) -> Result<Format, PackageError> {
        let sniffed = Container::sniff(bytes);
        let chosen = given.or_else(|| name.and_then(Format::from_file_name));
        match (chosen, sniffed) {
            (Some(format), Some(container)) if format.container() == container => Ok(format),
            // A tar without the ustar magic (old v7): trust the name.
            (Some(Format::Tar), None) => Ok(Format::Tar),
            (Some(format), found) => Err(PackageError::FormatMismatch {
                name: name.map(str::to_owned),
                format,
                found: found.map_or("unknown", Container::name),
            }),
            (None, Some(Container::TarGz)) => Ok(Format::TarGz),
            (None, Some(Container::Zip)) => Ok(Format::Zip),
            (None, Some(Container::Tar)) => Ok(Format::Tar),
            (None, None) => Err(PackageError::UnknownFormat {
                name: name.map(str::to_owned),
            }),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = PackageError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| PackageError::UnknownFormatName(s.to_owned()))
    }
}

/// The bounds an archive is read within. [`Limits::default`] suits the
/// registries' own limits with room to spare (crates.io takes 10 MB
/// crates, PyPI 100 MB files by default, the VS Code marketplace 200 MB
/// extensions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest archive read, in bytes (default 512 MiB).
    pub max_archive_size: u64,
    /// The most members (files, directories, links and tar extension
    /// headers) an archive may have (default 100 000).
    pub max_entries: usize,
    /// The most bytes an archive expands to, in total: the decompressed
    /// tar stream of a tar.gz, the sum of members' sizes otherwise
    /// (default 2 GiB).
    pub max_expanded_size: u64,
    /// The largest member, in bytes (default 1 GiB).
    pub max_entry_size: u64,
    /// The most an archive may expand per byte of archive, once past
    /// [`RATIO_FLOOR`] expanded bytes (default 100: source compresses
    /// about 5 to 1, deflate's best is about 1032 to 1).
    pub max_ratio: u64,
    /// The longest member name or link target, in bytes (default 4096,
    /// Linux's `PATH_MAX`).
    pub max_path_len: usize,
    /// The largest tar pax extended header, in bytes (default 64 KiB).
    pub max_header_size: u64,
}

impl Limits {
    /// The defaults, as a constant.
    pub const DEFAULT: Limits = Limits {
        max_archive_size: 512 << 20,
        max_entries: 100_000,
        max_expanded_size: 2 << 30,
        max_entry_size: 1 << 30,
        max_ratio: 100,
        max_path_len: 4096,
        max_header_size: 64 << 10,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// How [`Package::read`] reads an archive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The format, overriding what the file name implies (the magic bytes
    /// must still agree).
    pub format: Option<Format>,
    /// The bounds.
    pub limits: Limits,
    /// Record symbolic links as a tree manifest does, instead of refusing
    /// them (see the [crate documentation](crate#members)).
    pub symlinks: bool,
}

/// An archive read: its digests, format and tree manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    format: Format,
    top_directory: Option<String>,
    manifest: TreeManifest,
    sha256: Digest,
    sha512: Digest,
    members: usize,
}

impl Package {
    /// Reads an archive from its bytes. `name` is its file name (for the
    /// format, see [`Format::detect`]); nothing is read from disk.
    pub fn read(
        bytes: &[u8],
        name: Option<&str>,
        options: &ReadOptions,
    ) -> Result<Package, PackageError> {
        let limits = &options.limits;
        if bytes.len() as u64 > limits.max_archive_size {
            return Err(PackageError::Limit {
                bound: Bound::ArchiveSize,
                limit: limits.max_archive_size,
                entry: None,
            });
        }
        let format = Format::detect(bytes, name, options.format)?;
        let mut collector = Collector::new(options);
        match format.container() {
            Container::TarGz => tar::read_tar_gz(bytes, &mut collector, options)?,
            Container::Tar => tar::read_tar(bytes, &mut collector, options)?,
            Container::Zip => zipfile::read_zip(bytes, &mut collector, options)?,
        }
        let (manifest, top_directory, members) = collector.finish(format)?;
        Ok(Package {
            format,
            top_directory,
            manifest,
            sha256: Digest::sha256(bytes),
            sha512: Digest::sha512(bytes),
            members,
        })
    }

    /// The format read.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The top-level directory stripped, for the formats that strip one.
    pub fn top_directory(&self) -> Option<&str> {
        self.top_directory.as_deref()
    }

    /// The tree manifest of the archive's files and links.
    pub fn manifest(&self) -> &TreeManifest {
        &self.manifest
    }

    /// Takes the manifest out.
    pub fn into_manifest(self) -> TreeManifest {
        self.manifest
    }

    /// SHA-256 of the archive: in hex, Cargo.lock's `checksum` of a
    /// `.crate` and pip's `--hash=sha256:` of a wheel or sdist.
    pub fn sha256(&self) -> Digest {
        self.sha256
    }

    /// SHA-512 of the archive (what npm's `integrity` states).
    pub fn sha512(&self) -> Digest {
        self.sha512
    }

    /// npm's `integrity` of the archive: `sha512-` and the base64 of its
    /// SHA-512 (the Subresource Integrity form package-lock.json holds).
    pub fn npm_integrity(&self) -> String {
        format!(
            "sha512-{}",
            base64::engine::general_purpose::STANDARD.encode(self.sha512.as_bytes())
        )
    }

    /// Cargo.lock's `checksum` of a `.crate` (and pip's `--hash=sha256:`
    /// value): the SHA-256 in lowercase hex.
    pub fn sha256_hex(&self) -> String {
        self.sha256.hex()
    }

    /// The release statement's description of this archive, under the
    /// file name `name` (`vouch attest release --archive`).
    pub fn release_archive(&self, name: impl Into<String>) -> ReleaseArchive {
        ReleaseArchive {
            name: name.into(),
            format: self.format.name().to_owned(),
            sha256: self.sha256,
            sha512: self.sha512,
        }
    }

    /// The number of members read (files, directories, links and tar
    /// extension headers).
    pub fn members(&self) -> usize {
        self.members
    }

    /// Checks that the archive's files are exactly `expected` (a release
    /// statement's `contents`); a mismatch names the first differing
    /// path and lists every difference.
    pub fn verify_contents(&self, expected: &TreeManifest) -> Result<(), PackageError> {
        if expected.root() == self.manifest.root() {
            return Ok(());
        }
        // Equal entries make equal manifests, so an empty diff is a match.
        let diff = expected.diff(&self.manifest);
        let first = diff
            .added
            .iter()
            .chain(&diff.removed)
            .chain(&diff.changed)
            .min()
            .cloned();
        match first {
            None => Ok(()),
            Some(first) => Err(PackageError::ContentsMismatch { first, diff }),
        }
    }
}
