//! A vouch bundle as an OCI 1.1 artifact (docs/oci.md): an image manifest
//! whose `artifactType` and single layer are
//! `application/vnd.vouch.bundle.v1+cbor`, whose config is the empty
//! descriptor (`{}`), and whose `subject` is the image it is about.
//!
//! The bundle is opaque bytes here (this crate does not depend on
//! vouch-chain): nothing in the artifact's manifest is trusted, the
//! statements inside the bundle are signed and bind to the image by digest.
//! Reading a manifest therefore only checks its shape and its subject, so
//! that a reader never fetches a layer it would not use.

use oci_spec::image::{Descriptor, ImageManifest, ImageManifestBuilder, MediaType};
use vouch_core::Digest;

use crate::layout::descriptor_digest;
use crate::{MAX_MANIFEST, OciError};

/// The `artifactType` of a vouch bundle artifact, and its layer's media type.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.vouch.bundle.v1+cbor";

/// The empty config blob every artifact names (the OCI 1.1 empty descriptor).
pub const EMPTY_CONFIG: &[u8] = b"{}";

/// The digest of [`EMPTY_CONFIG`].
pub const EMPTY_CONFIG_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

/// The largest bundle layer read or written (256 MiB, vouch-chain's
/// `MAX_BUNDLE`).
pub const MAX_BUNDLE: u64 = 256 * 1024 * 1024;

/// The artifact's media type as oci-spec spells it.
pub fn bundle_media_type() -> MediaType {
    MediaType::Other(BUNDLE_MEDIA_TYPE.to_owned())
}

/// A vouch bundle artifact ready to store: its manifest's bytes and digest,
/// and the layer (the bundle itself). The config blob is always
/// [`EMPTY_CONFIG`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// The artifact manifest's JSON bytes: the bytes its digest names.
    pub manifest: Vec<u8>,
    /// The sha256 of [`Artifact::manifest`].
    pub digest: Digest,
    /// The bundle bytes (the single layer).
    pub layer: Vec<u8>,
}

impl Artifact {
    /// Builds the artifact carrying `bundle` about the image `subject`
    /// describes. Only the subject's media type, digest and size are kept
    /// (a layout's `ref.name` annotation is no part of the image).
    pub fn build(subject: &Descriptor, bundle: &[u8]) -> Result<Self, OciError> {
        let size = bundle.len() as u64;
        if size > MAX_BUNDLE {
            return Err(OciError::TooLarge {
                path: "bundle".into(),
                limit: MAX_BUNDLE,
            });
        }
        let subject_digest = descriptor_digest(subject)?;
        match subject.media_type() {
            MediaType::ImageManifest | MediaType::ImageIndex => {}
            other => return Err(OciError::MediaType(other.to_string())),
        }
        let subject = Descriptor::new(
            subject.media_type().clone(),
            subject.size(),
            oci_digest(&subject_digest)?,
        );
        let layer = Descriptor::new(
            bundle_media_type(),
            size,
            oci_digest(&Digest::sha256(bundle))?,
        );
        let manifest = ImageManifestBuilder::default()
            .schema_version(2u32)
            .media_type(MediaType::ImageManifest)
            .artifact_type(bundle_media_type())
            .config(empty_config()?)
            .layers(vec![layer])
            .subject(subject)
            .build()
            .map_err(|_| OciError::Build("artifact manifest"))?;
        let manifest = serde_json::to_vec(&manifest).map_err(|source| OciError::Json {
            path: "artifact manifest".into(),
            what: "artifact manifest",
            source,
        })?;
        Ok(Self {
            digest: Digest::sha256(&manifest),
            manifest,
            layer: bundle.to_vec(),
        })
    }

    /// The descriptor of this artifact's manifest, as a referrers index or
    /// `index.json` lists it (with its `artifactType`).
    pub fn descriptor(&self) -> Result<Descriptor, OciError> {
        let mut d = Descriptor::new(
            MediaType::ImageManifest,
            self.manifest.len() as u64,
            oci_digest(&self.digest)?,
        );
        d.set_artifact_type(Some(bundle_media_type()));
        Ok(d)
    }
}

/// The parts of a checked artifact manifest a reader uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactManifest {
    /// The bundle layer's descriptor (media type checked; its digest and
    /// size are what the layer's bytes must match).
    pub layer: Descriptor,
    /// The subject's digest.
    pub subject: Digest,
}

/// Parses untrusted artifact manifest bytes and checks that they are a vouch
/// bundle artifact about `subject`: at most [`MAX_MANIFEST`] bytes, an image
/// manifest with the vouch `artifactType`, the empty config, exactly one
/// layer of the vouch media type, and a subject naming `subject`.
pub fn parse_artifact(bytes: &[u8], subject: &Digest) -> Result<ArtifactManifest, OciError> {
    let parsed = parse_artifact_any(bytes)?;
    if &parsed.subject != subject {
        return Err(OciError::WrongSubject {
            expected: *subject,
            actual: parsed.subject,
        });
    }
    Ok(parsed)
}

/// [`parse_artifact`] without the subject check: for a reader that wants to
/// know which image an artifact is about before deciding to use it.
pub fn parse_artifact_any(bytes: &[u8]) -> Result<ArtifactManifest, OciError> {
    if bytes.len() as u64 > MAX_MANIFEST {
        return Err(OciError::TooLarge {
            path: "artifact manifest".into(),
            limit: MAX_MANIFEST,
        });
    }
    let manifest: ImageManifest =
        serde_json::from_slice(bytes).map_err(|source| OciError::Json {
            path: "artifact manifest".into(),
            what: "artifact manifest",
            source,
        })?;
    if let Some(mt) = manifest.media_type()
        && mt != &MediaType::ImageManifest
    {
        return Err(OciError::MediaType(mt.to_string()));
    }
    match manifest.artifact_type() {
        Some(t) if t.to_string() == BUNDLE_MEDIA_TYPE => {}
        other => {
            return Err(OciError::NotABundle(
                other.as_ref().map(ToString::to_string).unwrap_or_default(),
            ));
        }
    }
    let config = manifest.config();
    if config.media_type() != &MediaType::EmptyJSON {
        return Err(OciError::MediaType(config.media_type().to_string()));
    }
    let layer = match manifest.layers().as_slice() {
        [only] => only.clone(),
        other => return Err(OciError::LayerCount(other.len())),
    };
    if layer.media_type().to_string() != BUNDLE_MEDIA_TYPE {
        return Err(OciError::MediaType(layer.media_type().to_string()));
    }
    // The layer's digest must be one this crate can check before use.
    descriptor_digest(&layer)?;
    if layer.size() > MAX_BUNDLE {
        return Err(OciError::TooLarge {
            path: "bundle layer".into(),
            limit: MAX_BUNDLE,
        });
    }
    let subject = manifest
        .subject()
        .as_ref()
        .ok_or(OciError::NoSubject)
        .and_then(descriptor_digest)?;
    Ok(ArtifactManifest { layer, subject })
}

/// The empty config descriptor.
pub fn empty_config() -> Result<Descriptor, OciError> {
    Ok(Descriptor::new(
        MediaType::EmptyJSON,
        EMPTY_CONFIG.len() as u64,
        oci_digest(&Digest::sha256(EMPTY_CONFIG))?,
    ))
}

/// A vouch digest as oci-spec's digest type. Only sha256 digests are
/// stored in OCI descriptors by this crate; another algorithm is refused.
pub fn oci_digest(digest: &Digest) -> Result<oci_spec::image::Digest, OciError> {
    if digest.algorithm() != vouch_core::DigestAlgorithm::Sha256 {
        return Err(OciError::BadDigest(digest.to_string()));
    }
    <oci_spec::image::Sha256Digest as std::str::FromStr>::from_str(&digest.hex())
        .map(Into::into)
        .map_err(|_| OciError::BadDigest(digest.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject() -> Descriptor {
        Descriptor::new(
            MediaType::ImageManifest,
            123,
            oci_digest(&Digest::sha256(b"image")).unwrap_or_else(|e| unreachable!("{e}")),
        )
    }

    #[test]
    fn empty_config_digest_is_the_sha256_of_braces() {
        assert_eq!(
            Digest::sha256(EMPTY_CONFIG).to_string(),
            EMPTY_CONFIG_DIGEST
        );
        assert_eq!(
            empty_config()
                .map(|d| d.digest().to_string())
                .ok()
                .as_deref(),
            Some(EMPTY_CONFIG_DIGEST)
        );
    }

    #[test]
    fn built_artifact_reads_back_with_its_layer_and_subject() -> Result<(), OciError> {
        let a = Artifact::build(&subject(), b"bundle bytes")?;
        assert_eq!(a.digest, Digest::sha256(&a.manifest));
        let m = parse_artifact(&a.manifest, &Digest::sha256(b"image"))?;
        assert_eq!(m.layer.size(), 12);
        assert_eq!(
            descriptor_digest(&m.layer)?,
            Digest::sha256(b"bundle bytes")
        );
        let json: serde_json::Value =
            serde_json::from_slice(&a.manifest).map_err(|source| OciError::Json {
                path: "t".into(),
                what: "t",
                source,
            })?;
        assert_eq!(json["artifactType"], BUNDLE_MEDIA_TYPE);
        assert_eq!(
            json["config"]["mediaType"],
            "application/vnd.oci.empty.v1+json"
        );
        assert_eq!(json["subject"]["size"], 123);
        assert_eq!(a.descriptor()?.size(), a.manifest.len() as u64);
        Ok(())
    }

    #[test]
    fn another_subject_is_refused() -> Result<(), OciError> {
        let a = Artifact::build(&subject(), b"b")?;
        let err = parse_artifact(&a.manifest, &Digest::sha256(b"other"));
        assert!(matches!(err, Err(OciError::WrongSubject { .. })), "{err:?}");
        Ok(())
    }

    fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> Result<Vec<u8>, OciError> {
        let a = Artifact::build(&subject(), b"b")?;
        let mut v: serde_json::Value =
            serde_json::from_slice(&a.manifest).map_err(|source| OciError::Json {
                path: "t".into(),
                what: "t",
                source,
            })?;
        edit(&mut v);
        Ok(v.to_string().into_bytes())
    }

    #[test]
    fn wrong_shapes_are_refused() -> Result<(), OciError> {
        let image = Digest::sha256(b"image");
        let wrong_type = edited(|v| v["artifactType"] = "application/x-other".into())?;
        assert!(matches!(
            parse_artifact(&wrong_type, &image),
            Err(OciError::NotABundle(_))
        ));
        let no_type = edited(|v| {
            v.as_object_mut().map(|o| o.remove("artifactType"));
        })?;
        assert!(matches!(
            parse_artifact(&no_type, &image),
            Err(OciError::NotABundle(_))
        ));
        let two = edited(|v| {
            let l = v["layers"][0].clone();
            v["layers"] = serde_json::Value::Array(vec![l.clone(), l]);
        })?;
        assert!(matches!(
            parse_artifact(&two, &image),
            Err(OciError::LayerCount(2))
        ));
        let none = edited(|v| v["layers"] = serde_json::Value::Array(vec![]))?;
        assert!(matches!(
            parse_artifact(&none, &image),
            Err(OciError::LayerCount(0))
        ));
        let layer_type = edited(|v| v["layers"][0]["mediaType"] = "application/x".into())?;
        assert!(matches!(
            parse_artifact(&layer_type, &image),
            Err(OciError::MediaType(_))
        ));
        let no_subject = edited(|v| {
            v.as_object_mut().map(|o| o.remove("subject"));
        })?;
        assert!(matches!(
            parse_artifact(&no_subject, &image),
            Err(OciError::NoSubject)
        ));
        let huge = edited(|v| v["layers"][0]["size"] = (MAX_BUNDLE + 1).into())?;
        assert!(matches!(
            parse_artifact(&huge, &image),
            Err(OciError::TooLarge { .. })
        ));
        let big = vec![b' '; usize::try_from(MAX_MANIFEST).unwrap_or(usize::MAX) + 1];
        assert!(matches!(
            parse_artifact(&big, &image),
            Err(OciError::TooLarge { .. })
        ));
        Ok(())
    }
}
