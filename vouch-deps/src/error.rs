//! The crate's one error type.

/// Why a lock file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DepsError {
    /// The file is larger than [`crate::MAX_LOCK`].
    #[error("lock file of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// More entries than [`crate::MAX_ENTRIES`].
    #[error("lock file has more than {max} entries")]
    TooManyEntries {
        /// The limit.
        max: usize,
    },
    /// The file is not UTF-8.
    #[error("lock file is not UTF-8 (at byte {offset})")]
    NotUtf8 {
        /// Where the first invalid byte is.
        offset: usize,
    },
    /// A format name that is not `cargo`, `npm` or `pip`.
    #[error("unknown lock-file format {0:?} (expected cargo, npm or pip)")]
    UnknownFormat(String),
    /// Cargo.lock is not valid TOML or not shaped like a lock file.
    #[error("Cargo.lock is invalid")]
    Toml(#[source] Box<toml::de::Error>),
    /// package-lock.json is not valid JSON or not shaped like a lock file.
    #[error("package-lock.json is invalid at line {line}, column {column}")]
    Json {
        /// The line (1-based).
        line: usize,
        /// The column (1-based).
        column: usize,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A format version this reader does not read.
    #[error("{format} version {version} is not supported: {hint}")]
    UnsupportedVersion {
        /// `Cargo.lock` or `package-lock.json`.
        format: &'static str,
        /// The version the file states.
        version: u64,
        /// What to do about it.
        hint: &'static str,
    },
    /// A package-lock.json without `lockfileVersion`.
    #[error("package-lock.json has no lockfileVersion")]
    NoVersion,
    /// A Cargo.lock `[[package]]` that is wrong.
    #[error("Cargo.lock [[package]] #{index} ({name}): {problem}")]
    Cargo {
        /// Which `[[package]]` (1-based).
        index: usize,
        /// Its name, cut to 128 characters and escaped.
        name: String,
        /// What is wrong.
        problem: Problem,
    },
    /// A package-lock.json `packages` entry that is wrong.
    #[error("package-lock.json packages[{key}]: {problem}")]
    Npm {
        /// Its key, cut to 128 characters and escaped.
        key: String,
        /// What is wrong.
        problem: Problem,
    },
    /// A requirements-file line that is wrong.
    #[error("requirements line {line}: {problem}")]
    Pip {
        /// The (first physical) line (1-based).
        line: usize,
        /// What is wrong.
        problem: Problem,
    },
}

/// What is wrong with one entry or line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// A field longer than [`crate::MAX_FIELD`].
    #[error("{field} of {len} bytes exceeds the limit of {max}")]
    FieldTooLong {
        /// Which field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// More digests than [`crate::MAX_DIGESTS`].
    #[error("more than {max} digests")]
    TooManyDigests {
        /// The limit.
        max: usize,
    },
    /// A required field is missing or empty.
    #[error("no {0}")]
    Missing(&'static str),
    /// A Cargo `checksum` that is not 64 lowercase hex digits.
    #[error("checksum is not 64 lowercase hex digits")]
    BadChecksum,
    /// An npm `integrity` that is not a Subresource Integrity string.
    #[error("integrity is not sha512-<base64> (or another SRI hash)")]
    BadIntegrity,
    /// A pip `--hash` that is not `algorithm:hex`.
    #[error("hash is not algorithm:<lowercase hex> of the algorithm's length")]
    BadHash,
    /// The same package twice.
    #[error("listed twice (first at {first})")]
    Duplicate {
        /// Where it was first listed.
        first: String,
    },
    /// A name that is not a valid package name of its ecosystem.
    #[error("{0:?} is not a valid package name")]
    BadName(String),
    /// A Cargo `source` of a kind this reader does not know.
    #[error("unknown source kind {0:?}")]
    UnknownSource(String),
    /// A line longer than [`crate::MAX_LINE`].
    #[error("line of {len} bytes exceeds the limit of {max}")]
    LineTooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A pip option this reader does not know (pip refuses those too).
    #[error("unknown option {0:?}")]
    UnknownOption(String),
    /// A pip option without its value.
    #[error("option {0} needs a value")]
    OptionValue(&'static str),
    /// A control character (other than a tab) in a line: no name, URL or
    /// marker has one, and it could reach a terminal.
    #[error("a control character U+{0:04X}")]
    ControlCharacter(u32),
    /// An unclosed `[extras]` or quote.
    #[error("unbalanced {0}")]
    Unbalanced(&'static str),
}

/// A name or key as shown inside an error: cut and escaped, so that no
/// terminal control character from the file reaches a terminal.
pub(crate) fn shown(s: &str) -> String {
    s.chars().take(128).flat_map(char::escape_default).collect()
}
