//! Reading an OCI image layout directory: `oci-layout`, `index.json` and
//! `blobs/sha256/<hex>`.
//!
//! A layout is untrusted input: JSON files are read up to [`MAX_MANIFEST`]
//! bytes, blob paths are built only from a parsed `sha256:` digest (so no
//! `..` or absolute path can come from a descriptor), a blob that is a
//! symbolic link is refused (it could point out of the layout), and every blob
//! read is checked against its descriptor's size and digest.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use oci_spec::image::{Descriptor, ImageIndex};
use vouch_core::{Digest, DigestAlgorithm};

use crate::image::Image;
use crate::{MAX_MANIFEST, OciError};

/// The annotation that names a manifest's tag in `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// An opened OCI image layout: its directory and its parsed `index.json`.
#[derive(Debug)]
pub struct Layout {
    dir: PathBuf,
    index: ImageIndex,
}

impl Layout {
    /// Opens the layout in `dir`, checking `oci-layout` and parsing `index.json`.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, OciError> {
        let dir = dir.as_ref().to_path_buf();
        let marker_path = dir.join("oci-layout");
        let marker = read_bounded(&marker_path, MAX_MANIFEST)?;
        let marker: serde_json::Value =
            serde_json::from_slice(&marker).map_err(|source| OciError::Json {
                path: marker_path.clone(),
                what: "oci-layout file",
                source,
            })?;
        let version = marker
            .get("imageLayoutVersion")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        if version != "1.0.0" {
            return Err(OciError::LayoutVersion(version.to_owned()));
        }
        let index_path = dir.join("index.json");
        let bytes = read_bounded(&index_path, MAX_MANIFEST)?;
        let index = parse_index(&bytes).map_err(|source| OciError::Json {
            path: index_path,
            what: "image index",
            source,
        })?;
        Ok(Self { dir, index })
    }

    /// The parsed `index.json`.
    pub fn index(&self) -> &ImageIndex {
        &self.index
    }

    /// The descriptor named by `tag` (its `org.opencontainers.image.ref.name`
    /// annotation), or with no tag the only descriptor of `index.json`.
    pub fn resolve(&self, tag: Option<&str>) -> Result<&Descriptor, OciError> {
        let manifests = self.index.manifests();
        match tag {
            Some(tag) => manifests
                .iter()
                .find(|d| {
                    d.annotations()
                        .as_ref()
                        .and_then(|a| a.get(REF_NAME))
                        .is_some_and(|name| name == tag)
                })
                .ok_or_else(|| OciError::TagNotFound(tag.to_owned())),
            None => match manifests.as_slice() {
                [only] => Ok(only),
                other => Err(OciError::Ambiguous(other.len())),
            },
        }
    }

    /// The image `tag` names (or the only one): see [`Image::read`].
    pub fn image(&self, tag: Option<&str>) -> Result<Image, OciError> {
        Image::read(self, self.resolve(tag)?)
    }

    /// Reads the blob `descriptor` names, refusing more than `limit` bytes, a
    /// size other than the descriptor's, or bytes of another digest.
    pub fn read_blob(&self, descriptor: &Descriptor, limit: u64) -> Result<Vec<u8>, OciError> {
        let digest = descriptor_digest(descriptor)?;
        let path = self.blob_path(&digest);
        if descriptor.size() > limit {
            return Err(OciError::TooLarge { path, limit });
        }
        let meta = std::fs::symlink_metadata(&path).map_err(|source| OciError::Io {
            path: path.clone(),
            source,
        })?;
        if !meta.file_type().is_file() {
            return Err(OciError::NotRegularFile(path));
        }
        let bytes = read_bounded(&path, limit)?;
        let actual_len = bytes.len() as u64;
        if actual_len != descriptor.size() {
            return Err(OciError::SizeMismatch {
                digest,
                expected: descriptor.size(),
                actual: actual_len,
            });
        }
        let actual = Digest::sha256(&bytes);
        if actual != digest {
            return Err(OciError::DigestMismatch {
                expected: digest,
                actual,
            });
        }
        Ok(bytes)
    }

    /// `blobs/sha256/<hex>`: built from a parsed digest only, never from a
    /// descriptor's text, so it cannot leave the layout by `..` or `/`.
    fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.dir.join("blobs").join("sha256").join(digest.hex())
    }
}

/// Splits `DIR[:TAG]` as skopeo's `oci:` transport does: the text after the
/// last `:` is a tag when it is non-empty and holds no `/` (so `./a:b/c` is a
/// directory); otherwise the whole text is the directory.
pub fn split_ref(reference: &str) -> (&Path, Option<&str>) {
    match reference.rsplit_once(':') {
        Some((dir, tag)) if !dir.is_empty() && !tag.is_empty() && !tag.contains('/') => {
            (Path::new(dir), Some(tag))
        }
        _ => (Path::new(reference), None),
    }
}

/// Parses an image index (`index.json`, or a referrers index) from bytes.
pub fn parse_index(bytes: &[u8]) -> Result<ImageIndex, serde_json::Error> {
    serde_json::from_slice(bytes)
}

/// The `sha256:` digest of a descriptor as a vouch digest.
pub fn descriptor_digest(descriptor: &Descriptor) -> Result<Digest, OciError> {
    let text = descriptor.digest().to_string();
    let hex = text
        .strip_prefix("sha256:")
        .ok_or_else(|| OciError::BadDigest(text.clone()))?;
    Digest::from_hex(DigestAlgorithm::Sha256, hex).map_err(|_| OciError::BadDigest(text.clone()))
}

/// Reads at most `limit` bytes of `path`, failing if the file is longer.
fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, OciError> {
    let io = |source| OciError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    // One byte past the limit tells an oversize file from one exactly at it.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(OciError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_ref_takes_a_tag_only_after_the_last_colon_without_slash() {
        assert_eq!(split_ref("L:t"), (Path::new("L"), Some("t")));
        assert_eq!(split_ref("/a/L:v1.0"), (Path::new("/a/L"), Some("v1.0")));
        assert_eq!(split_ref("L"), (Path::new("L"), None));
        assert_eq!(split_ref("./a:b/c"), (Path::new("./a:b/c"), None));
        assert_eq!(split_ref("L:"), (Path::new("L:"), None));
        assert_eq!(split_ref(":t"), (Path::new(":t"), None));
    }
}
