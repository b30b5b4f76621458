//! Reading an OCI image layout directory: `oci-layout`, `index.json` and
//! `blobs/sha256/<hex>`.
//!
//! A layout is untrusted input: JSON files are read up to [`MAX_MANIFEST`]
//! bytes, blob paths are built only from a parsed `sha256:` digest (so no
//! `..` or absolute path can come from a descriptor), a blob that is a
//! symbolic link is refused (it could point out of the layout), and every blob
//! read is checked against its descriptor's size and digest.
//!
//! Symbolic links: `index.json`, `oci-layout`, `blobs/`, `blobs/sha256/` and
//! every blob must be real files and directories, never links (which could
//! lead out of the layout). Each is checked with `symlink_metadata` and the
//! opened file is `fstat`ed and compared (device and inode) with what was
//! checked, so a link swapped in between the check and the open is caught.

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
    pub(crate) dir: PathBuf,
    pub(crate) index: ImageIndex,
}

impl Layout {
    /// Opens the layout in `dir`, checking `oci-layout` and parsing `index.json`.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, OciError> {
        let dir = dir.as_ref().to_path_buf();
        let marker_path = dir.join("oci-layout");
        let marker = read_bounded(&marker_path, MAX_MANIFEST, &[])?;
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
        let bytes = read_bounded(&index_path, MAX_MANIFEST, &[])?;
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
            // Vouch artifacts and their `sha256-<hex>` tag indexes, which
            // `attach` adds, are not images: a layout of one image stays
            // unambiguous after bundles are attached to it.
            None => {
                let images: Vec<&Descriptor> =
                    manifests.iter().filter(|d| !is_attachment(d)).collect();
                match images.as_slice() {
                    [only] => Ok(only),
                    other => Err(OciError::Ambiguous(other.len())),
                }
            }
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
        let blobs = self.dir.join("blobs");
        let bytes = read_bounded(&path, limit, &[blobs.clone(), blobs.join("sha256")])?;
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
    pub(crate) fn blob_path(&self, digest: &Digest) -> PathBuf {
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

/// Whether `d` is something `attach` put in `index.json`: a vouch bundle
/// artifact, or a referrers index under a `sha256-<hex>` tag.
fn is_attachment(d: &Descriptor) -> bool {
    let artifact = d
        .artifact_type()
        .as_ref()
        .is_some_and(|t| t.to_string() == crate::artifact::BUNDLE_MEDIA_TYPE);
    let tag_index = d
        .annotations()
        .as_ref()
        .and_then(|a| a.get(REF_NAME))
        .is_some_and(|name| crate::referrers::is_fallback_tag(name));
    artifact || tag_index
}

/// Refuses `path` unless it is a real directory (not a symbolic link).
pub(crate) fn check_real_dir(path: &Path) -> Result<(), OciError> {
    let meta = std::fs::symlink_metadata(path).map_err(|source| OciError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.file_type().is_dir() {
        return Err(OciError::NotRegularFile(path.to_path_buf()));
    }
    Ok(())
}

/// Reads at most `limit` bytes of `path`, failing if the file is longer.
/// `path` must be a regular file, not a symbolic link, and each of `dirs`
/// (the directories between the layout and it) a real directory; the file
/// opened must be the one checked (same device and inode).
fn read_bounded(path: &Path, limit: u64, dirs: &[PathBuf]) -> Result<Vec<u8>, OciError> {
    use std::os::unix::fs::MetadataExt as _;
    let io = |source| OciError::Io {
        path: path.to_path_buf(),
        source,
    };
    for dir in dirs {
        check_real_dir(dir)?;
    }
    let checked = std::fs::symlink_metadata(path).map_err(io)?;
    if !checked.file_type().is_file() {
        return Err(OciError::NotRegularFile(path.to_path_buf()));
    }
    let file = File::open(path).map_err(io)?;
    let opened = file.metadata().map_err(io)?;
    if opened.dev() != checked.dev() || opened.ino() != checked.ino() || !opened.is_file() {
        return Err(OciError::NotRegularFile(path.to_path_buf()));
    }
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
