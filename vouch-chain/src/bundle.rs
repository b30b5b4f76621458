//! Bundles: the signed statements handed to a verifier, in one file or a directory.

use std::path::Path;

use serde::{Deserialize, Serialize};
use vouch_core::cbor::{self, Limits};

use crate::error::ChainError;

/// The bundle file's version.
const BUNDLE_VERSION: u64 = 1;
/// Largest bundle file read (a bundle of 5 000 commits is a few MB).
pub const MAX_BUNDLE: usize = 256 << 20;
/// Most envelopes or commit objects in one bundle.
pub const MAX_ITEMS: usize = 1_000_000;

/// Signed statements (COSE_Sign envelopes, each exactly as signed) and raw
/// git commit objects, gathered for one verification.
///
/// On disk a bundle is canonical CBOR:
/// `{"commits": [bstr...], "envelopes": [bstr...], "version": 1}`, each
/// envelope kept as its own byte string so its bytes are never re-encoded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bundle {
    envelopes: Vec<Vec<u8>>,
    commits: Vec<Vec<u8>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    version: u64,
    envelopes: Vec<Bytes>,
    commits: Vec<Bytes>,
}

/// A byte string in CBOR (serde would otherwise write an array of integers).
#[derive(Clone)]
struct Bytes(Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        vouch_core::cbor::byte_string::serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Read as a byte buffer of any length (envelopes of a release with
        // a hundred commits are routinely longer than ciborium's 4 KiB
        // scratch buffer for borrowed bytes).
        vouch_core::cbor::byte_string::deserialize(d).map(Bytes)
    }
}

impl Bundle {
    /// An empty bundle.
    pub fn new() -> Self {
        Bundle::default()
    }

    /// Adds an envelope (the bytes of a signed statement).
    pub fn add_envelope(&mut self, bytes: Vec<u8>) {
        self.envelopes.push(bytes);
    }

    /// Adds a raw git commit object (the bytes git hashes, without the header).
    pub fn add_commit_object(&mut self, bytes: Vec<u8>) {
        self.commits.push(bytes);
    }

    /// The envelopes.
    pub fn envelopes(&self) -> &[Vec<u8>] {
        &self.envelopes
    }

    /// The raw git commit objects.
    pub fn commit_objects(&self) -> &[Vec<u8>] {
        &self.commits
    }

    /// Encodes the bundle file.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ChainError> {
        let wire = Wire {
            version: BUNDLE_VERSION,
            envelopes: self.envelopes.iter().cloned().map(Bytes).collect(),
            commits: self.commits.iter().cloned().map(Bytes).collect(),
        };
        Ok(cbor::to_canonical(&wire)?)
    }

    /// Decodes a bundle file (canonical CBOR, bounded in size and count).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ChainError> {
        let wire: Wire = cbor::from_canonical_with_limits(
            bytes,
            Limits {
                max_size: MAX_BUNDLE,
                max_depth: 8,
            },
        )?;
        if wire.version != BUNDLE_VERSION {
            return Err(ChainError::BundleVersion(wire.version));
        }
        if wire.envelopes.len() + wire.commits.len() > MAX_ITEMS {
            return Err(ChainError::BundleTooLarge);
        }
        Ok(Bundle {
            envelopes: wire.envelopes.into_iter().map(|b| b.0).collect(),
            commits: wire.commits.into_iter().map(|b| b.0).collect(),
        })
    }

    /// Reads a bundle from a file, or from a directory of envelope files
    /// (every regular file whose first bytes are a COSE_Sign tag; files
    /// ending in `.commit` are raw git commit objects), in name order.
    pub fn read(path: &Path) -> Result<Self, ChainError> {
        let io = |source| ChainError::Io {
            path: path.display().to_string(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        if meta.is_file() {
            if meta.len() > MAX_BUNDLE as u64 {
                return Err(ChainError::BundleTooLarge);
            }
            return Bundle::from_bytes(&std::fs::read(path).map_err(io)?);
        }
        let mut names: Vec<_> = std::fs::read_dir(path)
            .map_err(io)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(io)?;
        names.sort_by_key(|e| e.file_name());
        let mut bundle = Bundle::new();
        let mut total = 0u64;
        for e in names {
            let p = e.path();
            let io = |source| ChainError::Io {
                path: p.display().to_string(),
                source,
            };
            if !e.file_type().map_err(io)?.is_file() {
                continue;
            }
            total += e.metadata().map_err(io)?.len();
            if total > MAX_BUNDLE as u64
                || bundle.envelopes.len() + bundle.commits.len() >= MAX_ITEMS
            {
                return Err(ChainError::BundleTooLarge);
            }
            let bytes = std::fs::read(&p).map_err(io)?;
            if p.extension().is_some_and(|x| x == "commit") {
                bundle.add_commit_object(bytes);
            } else if bytes.starts_with(&[0xd8, 0x62]) {
                bundle.add_envelope(bytes);
            }
        }
        Ok(bundle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trip() {
        let mut b = Bundle::new();
        b.add_envelope(vec![0xd8, 0x62, 1, 2]);
        b.add_commit_object(b"tree 00\n".to_vec());
        let bytes = b.to_bytes().unwrap();
        assert_eq!(Bundle::from_bytes(&bytes).unwrap(), b);
    }

    proptest! {
        #[test]
        fn decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(b) = Bundle::from_bytes(&bytes) {
                prop_assert_eq!(b.to_bytes().unwrap(), bytes);
            }
        }

        #[test]
        fn encode_decode(envs in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..50), 0..5)) {
            let mut b = Bundle::new();
            for e in envs { b.add_envelope(e); }
            prop_assert_eq!(Bundle::from_bytes(&b.to_bytes().unwrap()).unwrap(), b);
        }
    }
}
