//! The referrers index (docs/oci.md): an image index whose descriptors are
//! the artifacts referring to one image. It is the OCI 1.1 referrers API's
//! response (`GET /v2/<name>/referrers/<digest>`) and, for registries and
//! layouts without that API, the index stored under the fallback tag
//! `sha256-<hex>`.
//!
//! Parsing is bounded ([`MAX_MANIFEST`] bytes, [`MAX_REFERRERS`] entries);
//! adding is a read-modify-write that never lists one artifact twice.

use oci_spec::image::{Descriptor, ImageIndex, ImageIndexBuilder, MediaType};
use vouch_core::Digest;

use crate::artifact::BUNDLE_MEDIA_TYPE;
use crate::layout::descriptor_digest;
use crate::{MAX_MANIFEST, OciError};

/// The most descriptors a referrers index may list. A 4 MiB index holds
/// about 20 000 minimal descriptors; 10 000 bounds the work of reading every
/// artifact of one image well below that.
pub const MAX_REFERRERS: usize = 10_000;

/// The fallback tag of the referrers of `subject`: `sha256-<hex>`.
pub fn fallback_tag(subject: &Digest) -> String {
    format!("{}-{}", subject.algorithm().name(), subject.hex())
}

/// Whether `tag` has the shape of a fallback tag (`sha256-` and 64
/// lowercase hex digits), i.e. names a referrers index and not an image.
pub fn is_fallback_tag(tag: &str) -> bool {
    tag.strip_prefix("sha256-").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// An empty referrers index.
pub fn empty() -> Result<ImageIndex, OciError> {
    ImageIndexBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageIndex)
        .manifests(Vec::new())
        .build()
        .map_err(|_| OciError::Build("referrers index"))
}

/// Parses untrusted referrers index bytes: at most [`MAX_MANIFEST`] bytes
/// and [`MAX_REFERRERS`] entries, an image index (its `mediaType`, when
/// present, must say so), every entry naming a sha256 digest.
pub fn parse(bytes: &[u8]) -> Result<ImageIndex, OciError> {
    if bytes.len() as u64 > MAX_MANIFEST {
        return Err(OciError::TooLarge {
            path: "referrers index".into(),
            limit: MAX_MANIFEST,
        });
    }
    let index: ImageIndex = serde_json::from_slice(bytes).map_err(|source| OciError::Json {
        path: "referrers index".into(),
        what: "referrers index",
        source,
    })?;
    if let Some(mt) = index.media_type()
        && mt != &MediaType::ImageIndex
    {
        return Err(OciError::MediaType(mt.to_string()));
    }
    if index.manifests().len() > MAX_REFERRERS {
        return Err(OciError::TooManyReferrers(MAX_REFERRERS));
    }
    for d in index.manifests() {
        descriptor_digest(d)?;
    }
    Ok(index)
}

/// The index's JSON bytes.
pub fn to_bytes(index: &ImageIndex) -> Result<Vec<u8>, OciError> {
    serde_json::to_vec(index).map_err(|source| OciError::Json {
        path: "referrers index".into(),
        what: "referrers index",
        source,
    })
}

/// The descriptors of vouch bundle artifacts (by `artifactType`), in index
/// order. Others (signatures, SBOMs of other tools) are left alone.
pub fn bundles(index: &ImageIndex) -> Vec<&Descriptor> {
    index
        .manifests()
        .iter()
        .filter(|d| {
            d.artifact_type()
                .as_ref()
                .is_some_and(|t| t.to_string() == BUNDLE_MEDIA_TYPE)
        })
        .collect()
}

/// Adds `descriptor` to `index` unless a descriptor of the same digest is
/// already listed; answers whether the index changed. Refuses to grow the
/// index past [`MAX_REFERRERS`], so that what is written can be read back.
pub fn add(index: &mut ImageIndex, descriptor: Descriptor) -> Result<bool, OciError> {
    let digest = descriptor_digest(&descriptor)?;
    let mut present = false;
    for d in index.manifests() {
        if descriptor_digest(d).is_ok_and(|x| x == digest) {
            present = true;
            break;
        }
    }
    if present {
        return Ok(false);
    }
    if index.manifests().len() >= MAX_REFERRERS {
        return Err(OciError::TooManyReferrers(MAX_REFERRERS));
    }
    let mut manifests = index.manifests().clone();
    manifests.push(descriptor);
    index.set_manifests(manifests);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::{bundle_media_type, oci_digest};

    fn descriptor(seed: &[u8], artifact: bool) -> Result<Descriptor, OciError> {
        let mut d = Descriptor::new(
            MediaType::ImageManifest,
            10,
            oci_digest(&Digest::sha256(seed))?,
        );
        if artifact {
            d.set_artifact_type(Some(bundle_media_type()));
        }
        Ok(d)
    }

    #[test]
    fn fallback_tag_replaces_the_colon() {
        let d = Digest::sha256(b"x");
        assert_eq!(fallback_tag(&d), d.to_string().replace(':', "-"));
        assert!(is_fallback_tag(&fallback_tag(&d)));
        assert!(!is_fallback_tag("sha256-abc"));
        assert!(!is_fallback_tag("latest"));
        assert!(!is_fallback_tag(&fallback_tag(&d).to_uppercase()));
    }

    #[test]
    fn add_is_idempotent_and_filter_keeps_only_bundles() -> Result<(), OciError> {
        let mut index = empty()?;
        assert!(add(&mut index, descriptor(b"a", true)?)?);
        assert!(!add(&mut index, descriptor(b"a", true)?)?);
        assert!(add(&mut index, descriptor(b"sig", false)?)?);
        assert!(add(&mut index, descriptor(b"b", true)?)?);
        assert_eq!(index.manifests().len(), 3);
        let back = parse(&to_bytes(&index)?)?;
        assert_eq!(back, index);
        let found: Vec<_> = bundles(&back)
            .into_iter()
            .map(descriptor_digest)
            .collect::<Result<_, _>>()?;
        assert_eq!(found, vec![Digest::sha256(b"a"), Digest::sha256(b"b")]);
        Ok(())
    }

    #[test]
    fn parse_refuses_other_documents_and_bad_digests() {
        assert!(matches!(
            parse(br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","manifests":[]}"#),
            Err(OciError::MediaType(_))
        ));
        assert!(matches!(
            parse(br#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,"digest":"sha512:00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"}]}"#),
            Err(OciError::BadDigest(_))
        ));
        assert!(matches!(parse(b"[]"), Err(OciError::Json { .. })));
    }
}
