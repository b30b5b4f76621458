//! Attaching vouch bundles to an image in an OCI image layout, and
//! collecting them back (docs/oci.md, "Finding the bundles of an image").
//!
//! Every file is written atomically: a temporary file in the same directory,
//! synced, then renamed over its name, so a reader (or a crash) sees the old
//! or the new file, never half of one. Blobs are content-addressed, so a
//! blob already present with the right bytes is not rewritten. Two
//! processes attaching to one layout at the same moment are not serialized:
//! the later `index.json` wins (no bundle blob is lost, but the earlier
//! artifact may drop out of the index); callers that attach concurrently
//! must take a lock of their own.

use std::collections::{BTreeSet, HashMap};
use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use oci_spec::image::{Descriptor, MediaType};
use vouch_core::Digest;

use crate::artifact::{Artifact, EMPTY_CONFIG, MAX_BUNDLE, parse_artifact_any};
use crate::layout::{Layout, REF_NAME, check_real_dir, descriptor_digest};
use crate::{MAX_MANIFEST, OciError, referrers};

impl Layout {
    /// Attaches `bundle` to the image `subject` describes (e.g. from
    /// [`Layout::resolve`]): writes the artifact's blobs, lists the artifact
    /// manifest in `index.json`, and adds it to the `sha256-<hex>` tag index
    /// of the subject. Attaching the same bundle twice changes nothing.
    /// Returns the artifact written.
    pub fn attach(&mut self, subject: &Descriptor, bundle: &[u8]) -> Result<Artifact, OciError> {
        let subject_digest = descriptor_digest(subject)?;
        let artifact = Artifact::build(subject, bundle)?;
        self.write_blob(EMPTY_CONFIG)?;
        self.write_blob(&artifact.layer)?;
        self.write_blob(&artifact.manifest)?;
        let descriptor = artifact.descriptor()?;

        let tag = referrers::fallback_tag(&subject_digest);
        let mut tag_index = match self.tag_index(&tag)? {
            Some(d) => referrers::parse(&self.read_blob(&d, MAX_MANIFEST)?)?,
            None => referrers::empty()?,
        };
        let tag_changed = referrers::add(&mut tag_index, descriptor.clone())?;

        let mut index = self.index.clone();
        let mut manifests = index.manifests().clone();
        let listed = manifests
            .iter()
            .any(|d| descriptor_digest(d).is_ok_and(|x| x == artifact.digest));
        if !listed {
            manifests.push(descriptor);
        }
        if tag_changed {
            let bytes = referrers::to_bytes(&tag_index)?;
            let digest = self.write_blob(&bytes)?;
            let mut d = Descriptor::new(
                MediaType::ImageIndex,
                bytes.len() as u64,
                crate::artifact::oci_digest(&digest)?,
            );
            d.set_annotations(Some(HashMap::from([(REF_NAME.to_owned(), tag.clone())])));
            manifests.retain(|m| ref_name(m) != Some(tag.as_str()));
            manifests.push(d);
        }
        if listed && !tag_changed {
            return Ok(artifact);
        }
        index.set_manifests(manifests);
        let bytes = serde_json::to_vec(&index).map_err(|source| OciError::Json {
            path: self.dir.join("index.json"),
            what: "image index",
            source,
        })?;
        if bytes.len() as u64 > MAX_MANIFEST {
            // Written, it could never be opened again.
            return Err(OciError::TooLarge {
                path: self.dir.join("index.json"),
                limit: MAX_MANIFEST,
            });
        }
        write_atomic(&self.dir, "index.json", &bytes)?;
        self.index = index;
        Ok(artifact)
    }

    /// Every vouch bundle whose artifact's subject is `subject`: those
    /// `index.json` lists and those of the `sha256-<hex>` tag index, each
    /// once, in that order. Every manifest and layer is read bounded and
    /// checked against its descriptor's digest and size. An artifact in
    /// `index.json` about another image is skipped; one in the subject's tag
    /// index about another image is an error (the index was tampered with).
    pub fn bundles_for(&self, subject: &Digest) -> Result<Vec<Vec<u8>>, OciError> {
        let mut candidates: Vec<(Descriptor, bool)> = referrers::bundles(&self.index)
            .into_iter()
            .map(|d| (d.clone(), false))
            .collect();
        if let Some(d) = self.tag_index(&referrers::fallback_tag(subject))? {
            let index = referrers::parse(&self.read_blob(&d, MAX_MANIFEST)?)?;
            candidates.extend(
                referrers::bundles(&index)
                    .into_iter()
                    .map(|d| (d.clone(), true)),
            );
        }
        let mut seen = BTreeSet::new();
        let mut bundles = Vec::new();
        for (d, from_tag_index) in candidates {
            let digest = descriptor_digest(&d)?;
            if !seen.insert(digest) {
                continue;
            }
            let manifest = parse_artifact_any(&self.read_blob(&d, MAX_MANIFEST)?)?;
            if &manifest.subject != subject {
                if from_tag_index {
                    return Err(OciError::WrongSubject {
                        expected: *subject,
                        actual: manifest.subject,
                    });
                }
                continue;
            }
            bundles.push(self.read_blob(&manifest.layer, MAX_BUNDLE)?);
        }
        Ok(bundles)
    }

    /// The descriptor in `index.json` tagged `tag`, if any.
    fn tag_index(&self, tag: &str) -> Result<Option<Descriptor>, OciError> {
        match self.resolve(Some(tag)) {
            Ok(d) => Ok(Some(d.clone())),
            Err(OciError::TagNotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Stores `bytes` as the blob of their digest (atomically; kept as is
    /// when a regular file with those bytes is already there) and returns
    /// the digest.
    fn write_blob(&self, bytes: &[u8]) -> Result<Digest, OciError> {
        let digest = Digest::sha256(bytes);
        let blobs = self.dir.join("blobs");
        let dir = blobs.join("sha256");
        for d in [&blobs, &dir] {
            if !d.exists() {
                std::fs::create_dir(d).map_err(|source| OciError::Io {
                    path: d.clone(),
                    source,
                })?;
            }
            check_real_dir(d)?;
        }
        let descriptor = Descriptor::new(
            MediaType::Other(String::new()),
            bytes.len() as u64,
            crate::artifact::oci_digest(&digest)?,
        );
        // A correct blob already present (from an earlier attach, or the
        // same bytes under another role) is kept; anything else there (a
        // corrupt file) is replaced by the rename.
        if self.read_blob(&descriptor, bytes.len() as u64).is_ok() {
            return Ok(digest);
        }
        write_atomic(&dir, &digest.hex(), bytes)?;
        debug_assert_eq!(self.blob_path(&digest), dir.join(digest.hex()));
        Ok(digest)
    }
}

/// A descriptor's `org.opencontainers.image.ref.name`, if any.
fn ref_name(d: &Descriptor) -> Option<&str> {
    d.annotations()
        .as_ref()
        .and_then(|a| a.get(REF_NAME))
        .map(String::as_str)
}

/// Writes `bytes` to `dir/name` through a synced temporary file renamed
/// over it. The temporary name is unique per process and call, and created
/// with `create_new`, so it never follows or truncates someone else's file.
fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), OciError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
    let target = dir.join(name);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OciError::Io { path, source }
    };
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io(&tmp))?;
        file.write_all(bytes).map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
        std::fs::rename(&tmp, &target).map_err(io(&target))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
