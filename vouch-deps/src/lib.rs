//! Lock files as lists of dependencies with digests: what a project
//! imports, named the way a verifier can check it.
//!
//! Three formats are read, each from bytes held in memory and within
//! bounds ([`MAX_LOCK`] bytes, [`MAX_ENTRIES`] entries, [`MAX_LINE`] bytes
//! per line of a requirements file):
//!
//! - **Cargo.lock** (format v2, v3 and v4; [`cargo`]): each `[[package]]`
//!   with its `checksum`, the SHA-256 of the `.crate` archive the registry
//!   serves. Git and path dependencies have no checksum and are reported
//!   with their source and no digest.
//! - **package-lock.json** (`lockfileVersion` 2 and 3; [`npm`]): the
//!   `packages` map, each `node_modules/...` entry (nested and scoped
//!   names) with its `integrity`, the Subresource Integrity string of the
//!   tarball (`sha512-<base64>`). A v1 lock is refused: it has no
//!   `packages` map. Links and workspace members are reported as local.
//! - **pip requirements** with `--hash` options ([`pip`]): line
//!   continuations, comments, several hashes per requirement, environment
//!   markers kept; `-r`/`-c` includes are listed in [`Lock::includes`]
//!   (never followed: the caller decides which files to read) and
//!   unhashed requirements are dependencies with no digest.
//!
//! Every digest that can be evidence is a [`Digest`] (SHA-256 or SHA-512).
//! A digest of a broken or unsupported algorithm (an npm `sha1-`
//! integrity, a pip `sha384` hash) is kept in
//! [`LockedDependency::weak_digests`], shown in reports and never used as
//! evidence: SHA-1 collisions are practical, so a SHA-1 match proves
//! nothing about who published the bytes.
//!
//! ```
//! let lock = vouch_deps::Lock::parse(
//!     vouch_deps::Format::Cargo,
//!     br#"version = 4
//! [[package]]
//! name = "hex"
//! version = "0.4.3"
//! source = "registry+https://github.com/rust-lang/crates.io-index"
//! checksum = "7f24254aa9a54b5c858eaee2f5bccdb46aaf0e486a595ed5fd8f86ba55232a70"
//! "#,
//! )?;
//! let hex = &lock.dependencies[0];
//! assert_eq!(hex.purl(), "pkg:cargo/hex@0.4.3");
//! assert_eq!(hex.digests[0].to_string(),
//!     "sha256:7f24254aa9a54b5c858eaee2f5bccdb46aaf0e486a595ed5fd8f86ba55232a70");
//! # Ok::<(), vouch_deps::DepsError>(())
//! ```

use std::fmt;

use vouch_core::{Digest, DigestAlgorithm};

pub mod cargo;
mod error;
pub mod npm;
pub mod pip;
mod purl;

pub use error::{DepsError, Problem};

/// The largest lock file read, in bytes. The largest real lock files are
/// package-lock.json files of big monorepos, a few tens of MiB.
pub const MAX_LOCK: usize = 64 << 20;

/// The most dependencies (Cargo packages, npm entries, requirement lines)
/// one lock file may hold.
pub const MAX_ENTRIES: usize = 100_000;

/// The longest physical line of a requirements file, and the longest
/// logical line (continuations joined), in bytes.
pub const MAX_LINE: usize = 64 << 10;

/// The longest name, version, source or marker kept, in bytes: longer ones
/// are refused rather than cut, so two different names never look alike.
pub const MAX_FIELD: usize = 4096;

/// The most digests one dependency may carry (a pip requirement lists one
/// hash per wheel of each platform; a few dozen in practice).
pub const MAX_DIGESTS: usize = 256;

/// The package ecosystem a dependency comes from (the purl type; in a
/// policy, `"cargo"`, `"npm"` or `"pypi"`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Ecosystem {
    /// Rust crates (crates.io or another Cargo registry).
    Cargo,
    /// npm packages.
    Npm,
    /// Python packages (PyPI).
    Pypi,
}

impl Ecosystem {
    /// The purl type: `cargo`, `npm`, `pypi`.
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "cargo",
            Ecosystem::Npm => "npm",
            Ecosystem::Pypi => "pypi",
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.purl_type())
    }
}

/// A lock-file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Cargo.lock.
    Cargo,
    /// package-lock.json (or npm-shrinkwrap.json).
    Npm,
    /// A pip requirements file.
    Pip,
}

impl Format {
    /// The format a file name implies: `Cargo.lock`, `package-lock.json` or
    /// `npm-shrinkwrap.json`, and any `*.txt` or `*.in` file as pip
    /// requirements. `None` when the name says nothing.
    pub fn from_file_name(name: &str) -> Option<Format> {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        if base == "Cargo.lock" {
            Some(Format::Cargo)
        } else if base == "package-lock.json" || base == "npm-shrinkwrap.json" {
            Some(Format::Npm)
        } else if base.ends_with(".txt") || base.ends_with(".in") {
            Some(Format::Pip)
        } else {
            None
        }
    }

    /// The ecosystem of the dependencies this format lists.
    pub fn ecosystem(self) -> Ecosystem {
        match self {
            Format::Cargo => Ecosystem::Cargo,
            Format::Npm => Ecosystem::Npm,
            Format::Pip => Ecosystem::Pypi,
        }
    }
}

impl std::str::FromStr for Format {
    type Err = DepsError;
    fn from_str(s: &str) -> Result<Self, DepsError> {
        match s {
            "cargo" => Ok(Format::Cargo),
            "npm" => Ok(Format::Npm),
            "pip" => Ok(Format::Pip),
            _ => Err(DepsError::UnknownFormat(s.chars().take(32).collect())),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Cargo => "cargo",
            Format::Npm => "npm",
            Format::Pip => "pip",
        })
    }
}

/// Where a dependency comes from, as the lock file says.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// A package registry: the index or tarball URL when the lock names one
    /// (Cargo's `registry+`/`sparse+` source, npm's `resolved`); pip names
    /// none (the index is chosen at install time).
    Registry(Option<String>),
    /// A git repository (Cargo's `git+` source, npm's `git+` resolved URL,
    /// pip's `git+` direct reference): the URL with its revision. No
    /// archive digest exists for it.
    Git(String),
    /// A direct URL to an archive (pip's `name @ https://...`, an npm
    /// `resolved` tarball outside a registry layout).
    Url(String),
    /// The project's own code or a path on disk: a Cargo workspace member
    /// or path dependency (no `source`), an npm workspace member, the
    /// root package, or a `file:` reference; a pip editable or local path.
    /// The string is the path when the lock names one.
    Local(Option<String>),
    /// An npm link (`"link": true`) to the named location, which has its
    /// own entry.
    Link(String),
    /// An npm dependency bundled inside its parent's tarball
    /// (`inBundle`): covered by the parent's integrity, not its own.
    Bundled,
}

impl Source {
    /// Whether this is the project's own code or a link to it (not a
    /// third-party archive: attributed through the project's commits).
    pub fn is_local(&self) -> bool {
        matches!(self, Source::Local(_) | Source::Link(_))
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Registry(Some(u)) => f.write_str(u),
            Source::Registry(None) => f.write_str("registry"),
            Source::Git(u) => write!(f, "git {u}"),
            Source::Url(u) => write!(f, "url {u}"),
            Source::Local(Some(p)) => write!(f, "local {p}"),
            Source::Local(None) => f.write_str("local"),
            Source::Link(p) => write!(f, "link to {p}"),
            Source::Bundled => f.write_str("bundled in its parent"),
        }
    }
}

/// Where in the lock file an entry is, for reports and errors.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Location {
    /// The n-th `[[package]]` of a Cargo.lock (1-based).
    Package(usize),
    /// The key of a package-lock.json `packages` entry.
    Key(String),
    /// The (first physical) line of a requirements file (1-based).
    Line(usize),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Package(n) => write!(f, "[[package]] #{n}"),
            Location::Key(k) => write!(f, "packages[{k:?}]"),
            Location::Line(n) => write!(f, "line {n}"),
        }
    }
}

/// A digest the lock file states that is never evidence: a broken
/// algorithm (SHA-1, MD5) or one vouch does not compute (SHA-384).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WeakDigest {
    /// The algorithm as the lock file names it (`sha1`, `sha384`, `md5`).
    pub algorithm: String,
    /// The value as written (base64 or hex).
    pub value: String,
}

impl fmt::Display for WeakDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.value)
    }
}

/// One dependency of a lock file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LockedDependency {
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// Its package name (npm: with its `@scope/`; pip: as written).
    pub name: String,
    /// Its exact version, when the lock pins one (a pip requirement without
    /// `==` has none).
    pub version: Option<String>,
    /// The digests that can be evidence (SHA-256, SHA-512) of the archive
    /// the registry serves; any one of them matching identifies it. Empty
    /// for git, local and unhashed dependencies.
    pub digests: Vec<Digest>,
    /// Digests of algorithms that are never evidence (see [`WeakDigest`]).
    pub weak_digests: Vec<WeakDigest>,
    /// Where it comes from.
    pub source: Source,
    /// Where the lock file lists it.
    pub location: Location,
    /// A pip requirement's environment marker (after `;`), kept as written:
    /// whether it applies depends on the installing machine.
    pub markers: Option<String>,
    /// npm: a development-only dependency (`"dev": true`).
    pub dev: bool,
}

impl LockedDependency {
    /// Its package URL: `pkg:cargo/serde@1.0.0`, `pkg:npm/%40scope/name@1.0.0`,
    /// `pkg:pypi/requests@2.32.3` (PyPI names normalized as PEP 503 says).
    pub fn purl(&self) -> String {
        purl::purl(self.ecosystem, &self.name, self.version.as_deref())
    }

    /// Whether `pattern` names this dependency: `*` stands for any run of
    /// characters, everything else is compared exactly, except that PyPI
    /// names are compared in their PEP 503 form (`Foo_Bar` is `foo-bar`).
    pub fn name_matches(&self, pattern: &str) -> bool {
        match self.ecosystem {
            Ecosystem::Pypi => glob(&purl::pep503(pattern), &purl::pep503(&self.name)),
            _ => glob(pattern, &self.name),
        }
    }

    /// The dependency as `name@version` (or just `name`).
    pub fn display_name(&self) -> String {
        match &self.version {
            Some(v) => format!("{}@{v}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Whether a `-r` or a `-c` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IncludeKind {
    /// `-r FILE` / `--requirement FILE`: more requirements.
    Requirements,
    /// `-c FILE` / `--constraint FILE`: constraints on versions, which
    /// install nothing by themselves.
    Constraints,
}

/// A file a requirements file includes, which this reader does not follow.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Include {
    /// `-r` or `-c`.
    pub kind: IncludeKind,
    /// The path or URL as written.
    pub path: String,
    /// The line it is on (1-based).
    pub line: usize,
}

/// A lock file read: its dependencies in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lock {
    /// The format read.
    pub format: Format,
    /// The format's version (`version` of a Cargo.lock, `lockfileVersion`
    /// of a package-lock.json); `None` for requirements files and
    /// Cargo.lock v2, which has no version field.
    pub format_version: Option<u32>,
    /// Every dependency, local ones included (see [`Source::is_local`]).
    pub dependencies: Vec<LockedDependency>,
    /// The `-r`/`-c` files a requirements file names (never read here).
    pub includes: Vec<Include>,
}

impl Lock {
    /// Reads a lock file of the given format.
    pub fn parse(format: Format, bytes: &[u8]) -> Result<Lock, DepsError> {
        if bytes.len() > MAX_LOCK {
            return Err(DepsError::TooLarge {
                len: bytes.len(),
                max: MAX_LOCK,
            });
        }
        match format {
            Format::Cargo => cargo::parse(bytes),
            Format::Npm => npm::parse(bytes),
            Format::Pip => pip::parse(bytes),
        }
    }
}

/// A digest from an algorithm name and raw bytes, when vouch computes that
/// algorithm (SHA-256, SHA-512); `None` for any other name.
pub(crate) fn evidence_digest(algorithm: &str, raw: &[u8]) -> Option<Result<Digest, ()>> {
    let alg = match algorithm {
        // Looked up by name so that SHA-512 counts as soon as vouch-core
        // knows it, without a second list of algorithms here.
        "sha256" | "sha512" => DigestAlgorithm::from_name(algorithm)?,
        _ => return None,
    };
    Some(Digest::from_parts(alg, raw).map_err(|_| ()))
}

/// Refuses a field longer than [`MAX_FIELD`].
pub(crate) fn bounded(field: &'static str, value: &str) -> Result<(), Problem> {
    if value.len() > MAX_FIELD {
        Err(Problem::FieldTooLong {
            field,
            len: value.len(),
            max: MAX_FIELD,
        })
    } else {
        Ok(())
    }
}

/// `*`-glob matching, linear in time: the last `*` seen is the only
/// backtracking point, which is enough for a pattern of literal runs.
fn glob(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ni));
            pi += 1;
        } else if pi < p.len() && p[pi] == n[ni] {
            pi += 1;
            ni += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("serde", "serde"));
        assert!(!glob("serde", "serde_json"));
        assert!(glob("serde*", "serde_json"));
        assert!(glob("*", ""));
        assert!(glob("@types/*", "@types/node"));
        assert!(!glob("@types/*", "@typesx/node"));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("a*b*c", "aXXbYY"));
        assert!(glob("*-sys", "openssl-sys"));
    }
}
