//! Algorithm-tagged content digests and a streaming hasher.
//!
//! A [`Digest`] is shown and parsed as `sha256:<64 lowercase hex>` (or
//! `sha512:<128 lowercase hex>`), the form OCI, in-toto and SLSA tools
//! already use. Hashing goes through the `sha2`
//! crate, which takes the SHA-NI instructions at run time when the processor
//! has them (see [`sha256_hardware_accelerated`]).

use std::fmt;
use std::io::{self, Read, Write};
use std::path::Path;
use std::str::FromStr;

use sha2::Digest as _;

/// A hash function vouch names digests with.
///
/// vouch names its own statements, keys and images by SHA-256. SHA-512 is
/// here for the digests other tools state: npm's lock files and package
/// provenance give an archive's SHA-512 (`integrity: sha512-...`), so a
/// release made from an archive carries both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// SHA-256 (FIPS 180-4), 32-byte output.
    Sha256,
    /// SHA-512 (FIPS 180-4), 64-byte output.
    Sha512,
}

impl DigestAlgorithm {
    /// The lowercase name used as the prefix of the text form (`sha256`).
    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha256 => "sha256",
            DigestAlgorithm::Sha512 => "sha512",
        }
    }

    /// Output length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            DigestAlgorithm::Sha256 => 32,
            DigestAlgorithm::Sha512 => 64,
        }
    }

    /// Looks an algorithm up by its lowercase name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sha256" => Some(DigestAlgorithm::Sha256),
            "sha512" => Some(DigestAlgorithm::Sha512),
            _ => None,
        }
    }
}

impl fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The longest digest output (SHA-512).
const MAX_LEN: usize = 64;

/// A content digest: an algorithm and its output.
///
/// ```
/// use vouch_core::Digest;
/// let d = Digest::sha256(b"hello world");
/// assert_eq!(
///     d.to_string(),
///     "sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
/// );
/// assert_eq!(d.to_string().parse::<Digest>().unwrap(), d);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: DigestAlgorithm,
    // Sized for the longest algorithm; only `output_len` bytes are used and
    // the rest stay zero, so the derived comparisons and hash are exact.
    bytes: [u8; MAX_LEN],
}

impl Digest {
    /// Wraps a raw SHA-256 output.
    pub fn from_sha256(bytes: [u8; 32]) -> Self {
        let mut all = [0u8; MAX_LEN];
        all[..32].copy_from_slice(&bytes);
        Digest {
            algorithm: DigestAlgorithm::Sha256,
            bytes: all,
        }
    }

    /// Wraps a raw SHA-512 output.
    pub fn from_sha512(bytes: [u8; 64]) -> Self {
        Digest {
            algorithm: DigestAlgorithm::Sha512,
            bytes,
        }
    }

    /// Builds a digest from an algorithm and its raw output, checking the length.
    pub fn from_parts(algorithm: DigestAlgorithm, raw: &[u8]) -> Result<Self, DigestError> {
        if raw.len() != algorithm.output_len() {
            return Err(DigestError::Length {
                algorithm,
                expected: algorithm.output_len(),
                actual: raw.len(),
            });
        }
        let mut bytes = [0u8; MAX_LEN];
        bytes[..raw.len()].copy_from_slice(raw);
        Ok(Digest { algorithm, bytes })
    }

    /// SHA-256 of a byte string held in memory.
    pub fn sha256(data: &[u8]) -> Self {
        Digest::from_sha256(sha2::Sha256::digest(data).into())
    }

    /// SHA-512 of a byte string held in memory.
    pub fn sha512(data: &[u8]) -> Self {
        Digest::from_sha512(sha2::Sha512::digest(data).into())
    }

    /// Streams a reader through SHA-256 in fixed-size chunks.
    pub fn sha256_reader<R: Read>(reader: R) -> io::Result<Self> {
        Digest::reader(DigestAlgorithm::Sha256, reader)
    }

    /// Streams a reader through the given algorithm in fixed-size chunks.
    pub fn reader<R: Read>(algorithm: DigestAlgorithm, mut reader: R) -> io::Result<Self> {
        let mut hasher = Hasher::new(algorithm);
        // 64 KiB keeps the SHA-NI path busy while staying in L2.
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => hasher.update(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(hasher.finish())
    }

    /// SHA-256 of a file, streamed: the file is never held in memory whole.
    pub fn sha256_file(path: impl AsRef<Path>) -> io::Result<Self> {
        Digest::sha256_reader(std::fs::File::open(path)?)
    }

    /// The algorithm that produced this digest.
    pub fn algorithm(&self) -> DigestAlgorithm {
        self.algorithm
    }

    /// The raw digest bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.algorithm.output_len()]
    }

    /// The raw SHA-256 output, if this is a SHA-256 digest.
    pub fn as_sha256(&self) -> Option<&[u8; 32]> {
        match self.algorithm {
            DigestAlgorithm::Sha256 => self.bytes[..32].try_into().ok(),
            DigestAlgorithm::Sha512 => None,
        }
    }

    /// The raw SHA-512 output, if this is a SHA-512 digest.
    pub fn as_sha512(&self) -> Option<&[u8; 64]> {
        match self.algorithm {
            DigestAlgorithm::Sha512 => Some(&self.bytes),
            DigestAlgorithm::Sha256 => None,
        }
    }

    /// Lowercase hex of the raw bytes, without the algorithm prefix.
    pub fn hex(&self) -> String {
        hex::encode(self.as_bytes())
    }

    /// Parses lowercase hex for the given algorithm (no prefix).
    pub fn from_hex(algorithm: DigestAlgorithm, text: &str) -> Result<Self, DigestError> {
        let expected = algorithm.output_len() * 2;
        if text.len() != expected {
            return Err(DigestError::Length {
                algorithm,
                expected: algorithm.output_len(),
                actual: text.len() / 2,
            });
        }
        // Only lowercase is accepted so that every digest has one text form.
        if !text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(DigestError::NotLowercaseHex);
        }
        let raw = hex::decode(text).map_err(|_| DigestError::NotLowercaseHex)?;
        Digest::from_parts(algorithm, &raw)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, hex) = s.split_once(':').ok_or(DigestError::MissingPrefix)?;
        let algorithm = DigestAlgorithm::from_name(name)
            .ok_or_else(|| DigestError::UnknownAlgorithm(name.chars().take(32).collect()))?;
        Digest::from_hex(algorithm, hex)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Digest;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a digest such as sha256:<64 lowercase hex>")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Digest, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// Why a digest could not be parsed or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestError {
    /// The text has no `algorithm:` prefix.
    #[error("digest has no algorithm prefix (expected sha256:<hex>)")]
    MissingPrefix,
    /// The prefix names an algorithm vouch does not know.
    #[error("unknown digest algorithm {0:?}")]
    UnknownAlgorithm(String),
    /// The hex part is not lowercase hexadecimal.
    #[error("digest value is not lowercase hex")]
    NotLowercaseHex,
    /// The value has the wrong length for its algorithm.
    #[error("{algorithm} digest must be {expected} bytes, got {actual}")]
    Length {
        /// The algorithm named.
        algorithm: DigestAlgorithm,
        /// Bytes the algorithm produces.
        expected: usize,
        /// Bytes found.
        actual: usize,
    },
}

/// A streaming hasher: feed it with [`Hasher::update`] or through
/// [`std::io::Write`] (e.g. `std::io::copy`), then [`Hasher::finish`].
///
/// ```
/// use std::io::Write;
/// use vouch_core::{Digest, DigestAlgorithm, Hasher};
/// let mut h = Hasher::new(DigestAlgorithm::Sha256);
/// h.write_all(b"hello ").unwrap();
/// h.write_all(b"world").unwrap();
/// assert_eq!(h.finish(), Digest::sha256(b"hello world"));
/// ```
#[derive(Clone)]
pub struct Hasher {
    inner: HasherInner,
}

#[derive(Clone)]
enum HasherInner {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl Hasher {
    /// Starts a hash with the given algorithm.
    pub fn new(algorithm: DigestAlgorithm) -> Self {
        match algorithm {
            DigestAlgorithm::Sha256 => Hasher {
                inner: HasherInner::Sha256(sha2::Sha256::new()),
            },
            DigestAlgorithm::Sha512 => Hasher {
                inner: HasherInner::Sha512(sha2::Sha512::new()),
            },
        }
    }

    /// Absorbs more bytes.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.inner {
            HasherInner::Sha256(h) => h.update(data),
            HasherInner::Sha512(h) => h.update(data),
        }
    }

    /// Finishes the hash.
    pub fn finish(self) -> Digest {
        match self.inner {
            HasherInner::Sha256(h) => Digest::from_sha256(h.finalize().into()),
            HasherInner::Sha512(h) => Digest::from_sha512(h.finalize().into()),
        }
    }
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.inner {
            HasherInner::Sha256(_) => f.write_str("Hasher(sha256)"),
            HasherInner::Sha512(_) => f.write_str("Hasher(sha512)"),
        }
    }
}

impl Write for Hasher {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Whether SHA-256 runs on the processor's SHA extensions here.
///
/// The `sha2` crate selects its SHA-NI backend at run time when the CPU
/// reports the `sha`, `sse2`, `ssse3` and `sse4.1` features; this repeats the
/// same detection so tests and benches can report which path is taken.
pub fn sha256_hardware_accelerated() -> bool {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        std::arch::is_x86_feature_detected!("sha")
            && std::arch::is_x86_feature_detected!("sse2")
            && std::arch::is_x86_feature_detected!("ssse3")
            && std::arch::is_x86_feature_detected!("sse4.1")
    }
    #[cfg(target_arch = "aarch64")]
    {
        std::arch::is_aarch64_feature_detected!("sha2")
    }
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_answer() {
        assert_eq!(
            Digest::sha256(b"").to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn sha512_known_answer_and_text_form() {
        // FIPS 180-4 example "abc".
        let d = Digest::sha512(b"abc");
        assert_eq!(
            d.hex(),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
        assert_eq!(d.algorithm(), DigestAlgorithm::Sha512);
        assert_eq!(d.to_string().parse::<Digest>().unwrap(), d);
        assert_eq!(d.as_sha512().map(|b| &b[..]), Some(d.as_bytes()));
        assert_eq!(d.as_sha256(), None);
        assert_eq!(
            Digest::reader(DigestAlgorithm::Sha512, &b"abc"[..]).unwrap(),
            d
        );
        // The same prefix of bytes under another algorithm is another digest.
        let short = Digest::from_parts(DigestAlgorithm::Sha256, &d.as_bytes()[..32]).unwrap();
        assert_ne!(short, d);
        assert!(matches!(
            format!("sha512:{}", "0".repeat(64)).parse::<Digest>(),
            Err(DigestError::Length { expected: 64, .. })
        ));
    }

    #[test]
    fn parse_errors_are_specific() {
        assert_eq!("abc".parse::<Digest>(), Err(DigestError::MissingPrefix));
        assert!(matches!(
            "md5:00".parse::<Digest>(),
            Err(DigestError::UnknownAlgorithm(_))
        ));
        let upper = format!("sha256:{}", "A".repeat(64));
        assert_eq!(upper.parse::<Digest>(), Err(DigestError::NotLowercaseHex));
        assert!(matches!(
            "sha256:00".parse::<Digest>(),
            Err(DigestError::Length { .. })
        ));
    }

    #[test]
    fn reader_and_file_stream() {
        let data = vec![7u8; 300_000];
        let d = Digest::sha256_reader(&data[..]).unwrap();
        assert_eq!(d, Digest::sha256(&data));
        let dir = std::env::temp_dir().join(format!("vouch-digest-{}", std::process::id()));
        std::fs::write(&dir, &data).unwrap();
        assert_eq!(Digest::sha256_file(&dir).unwrap(), d);
        std::fs::remove_file(&dir).unwrap();
    }

    #[test]
    fn hardware_path_reported() {
        // On x86_64 machines with SHA-NI (like CI's), the fast path must be taken.
        #[cfg(target_arch = "x86_64")]
        if std::fs::read_to_string("/proc/cpuinfo")
            .map(|c| c.contains(" sha_ni"))
            .unwrap_or(false)
        {
            assert!(sha256_hardware_accelerated());
        }
        let _ = sha256_hardware_accelerated();
    }

    proptest! {
        #[test]
        fn text_round_trip(bytes in proptest::array::uniform32(any::<u8>())) {
            let d = Digest::from_sha256(bytes);
            prop_assert_eq!(d.to_string().parse::<Digest>().unwrap(), d);
        }

        #[test]
        fn parse_never_panics(s in ".{0,80}") {
            let _ = s.parse::<Digest>();
        }

        #[test]
        fn split_writes_match(data in proptest::collection::vec(any::<u8>(), 0..2000), cut in 0usize..2000) {
            let cut = cut.min(data.len());
            let mut h = Hasher::new(DigestAlgorithm::Sha256);
            h.write_all(&data[..cut]).unwrap();
            h.write_all(&data[cut..]).unwrap();
            prop_assert_eq!(h.finish(), Digest::sha256(&data));
            let mut h = Hasher::new(DigestAlgorithm::Sha512);
            h.write_all(&data[..cut]).unwrap();
            h.write_all(&data[cut..]).unwrap();
            prop_assert_eq!(h.finish(), Digest::sha512(&data));
        }

        #[test]
        fn sha512_text_round_trip(bytes in proptest::collection::vec(any::<u8>(), 64)) {
            let d = Digest::from_parts(DigestAlgorithm::Sha512, &bytes).unwrap();
            prop_assert_eq!(d.to_string().parse::<Digest>().unwrap(), d);
        }
    }
}
