//! What an image is, read from a layout: its manifest digest (the image's
//! identity), its config digest and its layer digests in order; or, for an
//! image index (a multi-platform image), the index digest and each of its
//! platform manifests.
//!
//! The config and layer digests are taken from the manifest, whose own bytes
//! were checked against the manifest digest: naming them needs no config or
//! layer blob, so an image whose layers were never pulled still describes
//! itself exactly.

use oci_spec::image::{Descriptor, ImageIndex, ImageManifest, MediaType};
use vouch_core::Digest;

use crate::layout::{Layout, descriptor_digest};
use crate::{MAX_MANIFEST, OciError};

/// One image manifest: the digest naming it, its config and its layers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The sha256 of the manifest's bytes.
    pub digest: Digest,
    /// The config blob's digest.
    pub config: Digest,
    /// The layer digests, in order (base layer first).
    pub layers: Vec<Digest>,
}

/// One platform manifest of an image index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformManifest {
    /// `os/architecture[/variant]` from the index's descriptor, if it names a
    /// platform (an index may list manifests without one).
    pub platform: Option<String>,
    /// The manifest itself.
    pub manifest: Manifest,
}

/// An image: a single manifest, or an index of platform manifests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Image {
    /// A single-platform image.
    Manifest(Manifest),
    /// A multi-platform image: the index and its manifests, in index order.
    Index {
        /// The sha256 of the index's bytes: the image's identity.
        digest: Digest,
        /// Each manifest the index lists.
        manifests: Vec<PlatformManifest>,
    },
}

impl Image {
    /// The digest naming the image: the manifest's, or the index's.
    pub fn digest(&self) -> Digest {
        match self {
            Image::Manifest(m) => m.digest,
            Image::Index { digest, .. } => *digest,
        }
    }

    /// Reads the image `descriptor` names in `layout` (a descriptor of its
    /// `index.json`, e.g. from [`Layout::resolve`]). An index's entries must
    /// be image manifests: an index of indexes is refused, so reading is one
    /// level deep and bounded by the index's size.
    pub fn read(layout: &Layout, descriptor: &Descriptor) -> Result<Self, OciError> {
        match descriptor.media_type() {
            MediaType::ImageManifest => read_manifest(layout, descriptor).map(Image::Manifest),
            MediaType::ImageIndex => {
                let digest = descriptor_digest(descriptor)?;
                let bytes = layout.read_blob(descriptor, MAX_MANIFEST)?;
                let index: ImageIndex =
                    serde_json::from_slice(&bytes).map_err(|source| OciError::Json {
                        path: digest.to_string().into(),
                        what: "image index",
                        source,
                    })?;
                let manifests = index
                    .manifests()
                    .iter()
                    .map(|d| {
                        if d.media_type() != &MediaType::ImageManifest {
                            return Err(OciError::MediaType(d.media_type().to_string()));
                        }
                        Ok(PlatformManifest {
                            platform: d.platform().as_ref().map(|p| {
                                let mut s = format!("{}/{}", p.os(), p.architecture());
                                if let Some(v) = p.variant() {
                                    s.push('/');
                                    s.push_str(v);
                                }
                                s
                            }),
                            manifest: read_manifest(layout, d)?,
                        })
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Image::Index { digest, manifests })
            }
            other => Err(OciError::MediaType(other.to_string())),
        }
    }
}

/// Reads and parses the image manifest `descriptor` names.
fn read_manifest(layout: &Layout, descriptor: &Descriptor) -> Result<Manifest, OciError> {
    let digest = descriptor_digest(descriptor)?;
    let bytes = layout.read_blob(descriptor, MAX_MANIFEST)?;
    let manifest = parse_manifest(&bytes).map_err(|source| OciError::Json {
        path: digest.to_string().into(),
        what: "image manifest",
        source,
    })?;
    // The manifest's own mediaType, when present, must agree with the
    // descriptor's: otherwise the same bytes could be read as two things.
    if let Some(mt) = manifest.media_type()
        && mt != &MediaType::ImageManifest
    {
        return Err(OciError::MediaType(mt.to_string()));
    }
    Ok(Manifest {
        digest,
        config: descriptor_digest(manifest.config())?,
        layers: manifest
            .layers()
            .iter()
            .map(descriptor_digest)
            .collect::<Result<_, _>>()?,
    })
}

/// Parses an image manifest from bytes.
pub fn parse_manifest(bytes: &[u8]) -> Result<ImageManifest, serde_json::Error> {
    serde_json::from_slice(bytes)
}
