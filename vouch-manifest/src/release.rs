//! The release statement: a signed SBOM.
//!
//! Maintainers certify what went into a release: its files (a content
//! manifest), its dependencies with their digests, and the commits in it.
//! Component lists can be imported from CycloneDX (1.5 and later) and SPDX
//! 2.3 JSON documents, so existing SBOM generators feed vouch.

use serde::{Deserialize, Serialize};
use vouch_core::{Digest, DigestAlgorithm, Timestamp};

use crate::error::ManifestError;
use crate::ids::GitObjectId;
use crate::statement::{Predicate, Subject, SubjectDigest};
use crate::tree::TreeManifest;

/// A dependency of a release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Dependency {
    /// Package name.
    pub name: String,
    /// Version, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Package URL, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// SHA-256 of the dependency's artifact, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
}

/// The archive a release was made from (`vouch attest release --archive`),
/// named by the digests registries state: a `.crate`'s SHA-256 is
/// Cargo.lock's `checksum`, pip pins by SHA-256, npm's `integrity` is the
/// SHA-512. The release's [`contents`](Release::contents) are the archive's
/// files, so whoever holds the archive can check both.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReleaseArchive {
    /// The archive's file name (`shop-api-1.4.0.crate`).
    pub name: String,
    /// The archive format, which decides the top-level directory stripped
    /// from its paths (`crate`, `sdist`, `npm`, `wheel`, `zip`, `tar`).
    pub format: String,
    /// SHA-256 of the archive file.
    pub sha256: Digest,
    /// SHA-512 of the archive file.
    pub sha512: Digest,
}

impl ReleaseArchive {
    /// The longest archive name accepted, in bytes.
    pub const MAX_NAME: usize = 255;

    /// The subject digest set that names the archive.
    pub fn subject_digest(&self) -> SubjectDigest {
        SubjectDigest {
            sha256: Some(self.sha256),
            sha512: Some(self.sha512),
            git_commit: None,
        }
    }
}

/// A release: package, version, contents, dependencies and certified commits.
///
/// The predicate as JSON (`predicateType` `https://vouch.dev/attestation/release/v1`):
///
/// ```
/// let predicate: vouch_manifest::Release = serde_json::from_str(r#"
/// {
///   "commits": ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
///   "contents": {
///     "entries": [{
///       "kind": {
///         "digest": "sha256:16c2fca9e371936458d01576b4ca311c22d166a45539ccbc9104823d0b10db47",
///         "executable": false, "size": 14, "type": "file"
///       },
///       "path": "lib.rs"
///     }],
///     "root": "sha256:5c0560fb8afd4098772c243f33ee51040a34478b0b2adb3a0e44298f1c25e9bc"
///   },
///   "dependencies": [{
///     "digest": "sha256:8b917c4b6163bc82ef4aff025c6f5f4d54205232c4595f39b7b43008256a6cb7",
///     "name": "serde", "purl": "pkg:cargo/serde@1.0.228", "version": "1.0.228"
///   }],
///   "package": "shop-api",
///   "purl": "pkg:cargo/shop-api@1.4.0",
///   "releasedAt": "2026-11-02T09:00:00Z",
///   "version": "1.4.0"
/// }
/// "#).unwrap();
/// # let _ = predicate;
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Release {
    /// Package name.
    pub package: String,
    /// Version.
    pub version: String,
    /// Package URL, e.g. `pkg:cargo/shop-api@1.4.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// The content manifest of the released files.
    pub contents: TreeManifest,
    /// Dependencies.
    pub dependencies: Vec<Dependency>,
    /// The commits certified into this release, each with the repository
    /// it lives in when the release names it.
    pub commits: Vec<CertifiedCommit>,
    /// When the maintainers cut the release (the time their keys must be valid at).
    pub released_at: Timestamp,
    /// The statement digest of the package's previous release, whose
    /// certified commits bound this release's history: every parent of a
    /// commit certified here must be certified here, by the previous
    /// release, or be exempt by policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Digest>,
    /// The archive the release was made from, when it was; its digests may
    /// then name the statement's subjects instead of the contents root.
    /// Absent from directory releases, which encode as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive: Option<ReleaseArchive>,
    /// The annotated git tag the release was cut from (`git tag -s`):
    /// policy may require the tag object in the bundle, pointing at the
    /// release's head commit and signed by a certifier. Absent, the
    /// release encodes as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<ReleaseTag>,
}

impl Release {
    /// The ids of the certified commits, in order.
    pub fn commit_ids(&self) -> impl ExactSizeIterator<Item = &GitObjectId> + '_ {
        self.commits.iter().map(|c| &c.commit)
    }
}

/// One commit certified into a release, and the repository it lives in.
///
/// Encoded as the bare commit id when no repository is named (the form
/// every release had before repositories were named, so those statements
/// decode and re-encode to the same bytes), else as a map:
///
/// ```
/// use vouch_manifest::CertifiedCommit;
/// let bare: CertifiedCommit = serde_json::from_str(r#""aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa""#).unwrap();
/// assert_eq!(bare.repository, None);
/// let named: CertifiedCommit = serde_json::from_str(r#"
///   {"commit": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "repository": "https://git.example.com/shop.git"}
/// "#).unwrap();
/// assert_eq!(named.commit, bare.commit);
/// assert_eq!(named.repository.as_deref(), Some("https://git.example.com/shop.git"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CertifiedCommit {
    /// The commit id.
    pub commit: GitObjectId,
    /// The repository URL, when the release names it (never empty).
    pub repository: Option<String>,
}

impl CertifiedCommit {
    /// A commit of a named repository.
    pub fn in_repository(commit: GitObjectId, repository: impl Into<String>) -> Self {
        CertifiedCommit {
            commit,
            repository: Some(repository.into()),
        }
    }
}

impl From<GitObjectId> for CertifiedCommit {
    /// A bare commit id (no repository named).
    fn from(commit: GitObjectId) -> Self {
        CertifiedCommit {
            commit,
            repository: None,
        }
    }
}

impl PartialEq<GitObjectId> for CertifiedCommit {
    fn eq(&self, other: &GitObjectId) -> bool {
        self.commit == *other
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NamedCommit {
    commit: GitObjectId,
    repository: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum CommitForm {
    Bare(GitObjectId),
    Named(NamedCommit),
}

impl Serialize for CertifiedCommit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.repository {
            None => self.commit.serialize(s),
            Some(repository) => NamedCommit {
                commit: self.commit.clone(),
                repository: repository.clone(),
            }
            .serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for CertifiedCommit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match CommitForm::deserialize(d)? {
            CommitForm::Bare(commit) => commit.into(),
            CommitForm::Named(n) => {
                if n.repository.is_empty() {
                    return Err(serde::de::Error::custom(
                        "a certified commit's repository is empty",
                    ));
                }
                CertifiedCommit {
                    commit: n.commit,
                    repository: Some(n.repository),
                }
            }
        })
    }
}

/// A release's git tag: its name and the id of its tag object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReleaseTag {
    /// The tag name (`v1.4.0`; the ref is `refs/tags/<name>`).
    pub name: String,
    /// The tag object's id (what `git rev-parse <name>` prints for an
    /// annotated tag): it covers the name, the tagged commit and the
    /// signature.
    pub object: GitObjectId,
}

/// Longest release tag name accepted, in bytes.
pub const MAX_TAG_NAME: usize = 1024;

impl Predicate for Release {
    const PREDICATE_TYPE: &'static str = "https://vouch.dev/attestation/release/v1";

    fn check(&self) -> Result<(), ManifestError> {
        let invalid = |field, problem| ManifestError::InvalidPredicate {
            predicate: "release",
            field,
            problem,
        };
        if self.package.is_empty() {
            return Err(invalid("package", "is empty"));
        }
        if self.version.is_empty() {
            return Err(invalid("version", "is empty"));
        }
        if let Some(a) = &self.archive {
            if a.name.is_empty() || a.name.len() > ReleaseArchive::MAX_NAME {
                return Err(invalid("archive.name", "is empty or longer than 255 bytes"));
            }
            if a.format.is_empty() || a.format.len() > 16 {
                return Err(invalid(
                    "archive.format",
                    "is empty or longer than 16 bytes",
                ));
            }
            if a.sha256.algorithm() != DigestAlgorithm::Sha256 {
                return Err(invalid("archive.sha256", "is not a SHA-256 digest"));
            }
            if a.sha512.algorithm() != DigestAlgorithm::Sha512 {
                return Err(invalid("archive.sha512", "is not a SHA-512 digest"));
            }
        }
        if let Some(t) = &self.tag
            && (t.name.is_empty()
                || t.name.len() > MAX_TAG_NAME
                || t.name.chars().any(|c| c.is_control() || c == ' '))
        {
            return Err(invalid(
                "tag.name",
                "is empty, too long, or holds a space or control character",
            ));
        }
        let mut seen = std::collections::HashSet::with_capacity(self.commits.len());
        if !self.commits.iter().all(|c| seen.insert(&c.commit)) {
            return Err(invalid("commits", "lists a commit twice"));
        }
        Ok(())
    }

    fn default_subjects(&self) -> Vec<Subject> {
        let name = self
            .purl
            .clone()
            .unwrap_or_else(|| format!("{}@{}", self.package, self.version));
        let contents = Subject::sha256(name, self.contents.root());
        match &self.archive {
            // The archive first: it is what registries and lock files name.
            Some(a) => vec![
                Subject::archive(a.name.clone(), a.sha256, a.sha512),
                contents,
            ],
            None => vec![contents],
        }
    }

    /// A release statement's subject is the root digest of its content
    /// manifest, or, for a release made from an archive, the archive's
    /// SHA-256 and SHA-512 (see [`Predicate::alternate_binding`]).
    fn subject_binding(&self) -> Option<(SubjectDigest, &'static str)> {
        Some((
            SubjectDigest::sha256(self.contents.root()),
            "contents root digest (or its archive's digests)",
        ))
    }

    fn alternate_binding(&self) -> Option<SubjectDigest> {
        self.archive.as_ref().map(ReleaseArchive::subject_digest)
    }
}

/// Why an SBOM document could not be imported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SbomError {
    /// Not JSON, or not the expected shape.
    #[error("SBOM is not valid JSON of the expected shape")]
    Json(#[from] serde_json::Error),
    /// The document is larger than [`MAX_SBOM`].
    #[error("SBOM of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// CycloneDX components nest deeper than [`MAX_COMPONENT_DEPTH`]
    /// levels (a top-level component is level 1): refused, not cut, so
    /// that no dependency is silently left out of a release.
    #[error("component {name:?} nests deeper than {max} levels of components")]
    ComponentsTooDeep {
        /// The first component found too deep.
        name: String,
        /// The limit.
        max: usize,
    },
    /// Not a CycloneDX document (bomFormat).
    #[error("not a CycloneDX document (bomFormat {0:?})")]
    NotCycloneDx(String),
    /// A CycloneDX version older than 1.5.
    #[error("CycloneDX specVersion {0:?} is not supported (1.5 or later)")]
    CycloneDxVersion(String),
    /// Not an SPDX 2.3 document.
    #[error("SPDX version {0:?} is not supported (SPDX-2.3)")]
    SpdxVersion(String),
    /// The document is neither CycloneDX (`bomFormat`) nor SPDX (`spdxVersion`).
    #[error("not an SBOM vouch reads: neither a CycloneDX bomFormat nor an SPDX spdxVersion field")]
    UnknownFormat,
    /// A component's SHA-256 is not 64 hex digits.
    #[error("component {name:?} has an invalid SHA-256 value")]
    BadHash {
        /// The component.
        name: String,
    },
}

/// The largest SBOM document read, in bytes (a release of ten thousand
/// components is a few MB).
pub const MAX_SBOM: usize = 64 << 20;
/// The deepest CycloneDX components nest, in levels (a top-level component
/// is level 1); serde_json bounds the parse itself at 128 levels.
pub const MAX_COMPONENT_DEPTH: usize = 32;

fn too_large(json: &[u8]) -> SbomError {
    SbomError::TooLarge {
        len: json.len(),
        max: MAX_SBOM,
    }
}

fn sha256_hex(name: &str, hex: &str) -> Result<Digest, SbomError> {
    Digest::from_hex(DigestAlgorithm::Sha256, &hex.to_ascii_lowercase()).map_err(|_| {
        SbomError::BadHash {
            name: name.to_owned(),
        }
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CdxDoc {
    bom_format: String,
    spec_version: String,
    #[serde(default)]
    components: Vec<CdxComponent>,
}

#[derive(Deserialize)]
struct CdxComponent {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    purl: Option<String>,
    #[serde(default)]
    hashes: Vec<CdxHash>,
    #[serde(default)]
    components: Vec<CdxComponent>,
}

#[derive(Deserialize)]
struct CdxHash {
    alg: String,
    content: String,
}

fn walk_cdx(c: &CdxComponent, depth: usize, out: &mut Vec<Dependency>) -> Result<(), SbomError> {
    let digest = match c.hashes.iter().find(|h| h.alg == "SHA-256") {
        Some(h) => Some(sha256_hex(&c.name, &h.content)?),
        None => None,
    };
    out.push(Dependency {
        name: c.name.clone(),
        version: c.version.clone(),
        purl: c.purl.clone(),
        digest,
    });
    if let Some(sub) = c.components.first()
        && depth >= MAX_COMPONENT_DEPTH
    {
        return Err(SbomError::ComponentsTooDeep {
            name: sub.name.chars().take(80).collect(),
            max: MAX_COMPONENT_DEPTH,
        });
    }
    for sub in &c.components {
        walk_cdx(sub, depth + 1, out)?;
    }
    Ok(())
}

/// Reads the component list of a CycloneDX 1.5+ JSON document (nested
/// components included, the `metadata.component` itself excluded).
pub fn dependencies_from_cyclonedx(json: &[u8]) -> Result<Vec<Dependency>, SbomError> {
    if json.len() > MAX_SBOM {
        return Err(too_large(json));
    }
    let doc: CdxDoc = serde_json::from_slice(json)?;
    if doc.bom_format != "CycloneDX" {
        return Err(SbomError::NotCycloneDx(doc.bom_format));
    }
    let minor = doc
        .spec_version
        .strip_prefix("1.")
        .and_then(|m| m.parse::<u32>().ok());
    if !matches!(minor, Some(m) if m >= 5) {
        return Err(SbomError::CycloneDxVersion(doc.spec_version));
    }
    let mut out = Vec::new();
    for c in &doc.components {
        walk_cdx(c, 1, &mut out)?;
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxDoc {
    spdx_version: String,
    #[serde(default)]
    document_describes: Vec<String>,
    #[serde(default)]
    packages: Vec<SpdxPackage>,
    #[serde(default)]
    relationships: Vec<SpdxRelationship>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    #[serde(default)]
    version_info: Option<String>,
    #[serde(default)]
    external_refs: Vec<SpdxRef>,
    #[serde(default)]
    checksums: Vec<SpdxChecksum>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxRef {
    reference_type: String,
    reference_locator: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxChecksum {
    algorithm: String,
    checksum_value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxRelationship {
    spdx_element_id: String,
    relationship_type: String,
    related_spdx_element: String,
}

/// Reads the packages of an SPDX 2.3 JSON document as dependencies,
/// excluding the package(s) the document describes (the release itself).
pub fn dependencies_from_spdx(json: &[u8]) -> Result<Vec<Dependency>, SbomError> {
    if json.len() > MAX_SBOM {
        return Err(too_large(json));
    }
    let doc: SpdxDoc = serde_json::from_slice(json)?;
    if doc.spdx_version != "SPDX-2.3" {
        return Err(SbomError::SpdxVersion(doc.spdx_version));
    }
    let mut described: std::collections::HashSet<&str> =
        doc.document_describes.iter().map(String::as_str).collect();
    for r in &doc.relationships {
        if r.spdx_element_id == "SPDXRef-DOCUMENT" && r.relationship_type == "DESCRIBES" {
            described.insert(&r.related_spdx_element);
        }
    }
    let mut out = Vec::new();
    for p in doc
        .packages
        .iter()
        .filter(|p| !described.contains(p.spdx_id.as_str()))
    {
        let purl = p
            .external_refs
            .iter()
            .find(|r| r.reference_type == "purl")
            .map(|r| r.reference_locator.clone());
        let digest = match p.checksums.iter().find(|c| c.algorithm == "SHA256") {
            Some(c) => Some(sha256_hex(&p.name, &c.checksum_value)?),
            None => None,
        };
        out.push(Dependency {
            name: p.name.clone(),
            version: p.version_info.clone(),
            purl,
            digest,
        });
    }
    Ok(out)
}

/// The SBOM formats [`dependencies_from_sbom`] recognizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SbomFormat {
    /// CycloneDX JSON (1.5 or later).
    CycloneDx,
    /// SPDX 2.3 JSON.
    Spdx,
}

impl std::fmt::Display for SbomFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SbomFormat::CycloneDx => "CycloneDX",
            SbomFormat::Spdx => "SPDX",
        })
    }
}

/// Only the fields that tell the formats apart.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SbomProbe {
    #[serde(default)]
    bom_format: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    spdx_version: Option<serde::de::IgnoredAny>,
}

/// Reads the dependencies of a CycloneDX or SPDX JSON document, whichever it
/// is: a top-level `bomFormat` field means CycloneDX
/// ([`dependencies_from_cyclonedx`]), an `spdxVersion` field SPDX
/// ([`dependencies_from_spdx`]). Returns the format found with the list.
///
/// ```
/// use vouch_manifest::{SbomFormat, dependencies_from_sbom};
/// let cdx = br#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"name": "serde"}]}"#;
/// let (format, deps) = dependencies_from_sbom(cdx).unwrap();
/// assert_eq!(format, SbomFormat::CycloneDx);
/// assert_eq!(deps[0].name, "serde");
/// assert!(dependencies_from_sbom(br#"{"name": "x"}"#).is_err());
/// ```
pub fn dependencies_from_sbom(json: &[u8]) -> Result<(SbomFormat, Vec<Dependency>), SbomError> {
    if json.len() > MAX_SBOM {
        return Err(too_large(json));
    }
    let probe: SbomProbe = serde_json::from_slice(json)?;
    match (probe.bom_format.is_some(), probe.spdx_version.is_some()) {
        (true, false) => Ok((SbomFormat::CycloneDx, dependencies_from_cyclonedx(json)?)),
        (false, true) => Ok((SbomFormat::Spdx, dependencies_from_spdx(json)?)),
        _ => Err(SbomError::UnknownFormat),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CDX: &str = r#"{
      "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
      "metadata": {"component": {"type": "application", "name": "shop-api", "version": "1.4.0"}},
      "components": [
        {"type": "library", "name": "serde", "version": "1.0.228", "purl": "pkg:cargo/serde@1.0.228",
         "hashes": [{"alg": "SHA-256", "content": "9A6B4D2E2F6C1B0A9A6B4D2E2F6C1B0A9A6B4D2E2F6C1B0A9A6B4D2E2F6C1B0A"}],
         "components": [{"type": "library", "name": "serde_derive", "version": "1.0.228"}]},
        {"type": "library", "name": "libc"}
      ]}"#;

    const SPDX: &str = r#"{
      "spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "shop-api",
      "documentDescribes": ["SPDXRef-root"],
      "packages": [
        {"SPDXID": "SPDXRef-root", "name": "shop-api", "versionInfo": "1.4.0"},
        {"SPDXID": "SPDXRef-serde", "name": "serde", "versionInfo": "1.0.228",
         "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:cargo/serde@1.0.228"}],
         "checksums": [{"algorithm": "SHA256", "checksumValue": "9a6b4d2e2f6c1b0a9a6b4d2e2f6c1b0a9a6b4d2e2f6c1b0a9a6b4d2e2f6c1b0a"}]},
        {"SPDXID": "SPDXRef-libc", "name": "libc"}
      ],
      "relationships": [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-root"}]
    }"#;

    fn release_with(commits: Vec<CertifiedCommit>) -> Release {
        Release {
            package: "shop-api".into(),
            version: "1.4.0".into(),
            purl: None,
            contents: TreeManifest::from_entries(Vec::new()).unwrap(),
            dependencies: Vec::new(),
            commits,
            released_at: "2026-11-02T09:00:00Z".parse().unwrap(),
            previous: None,
            archive: None,
            tag: None,
        }
    }

    /// A bare commit id entry is the encoding releases had before entries
    /// named repositories: the same CBOR text string, re-encoded unchanged.
    #[test]
    fn bare_commit_entries_keep_their_bytes() {
        let id: GitObjectId = "a".repeat(40).parse().unwrap();
        let release = release_with(vec![id.clone().into()]);
        let bytes = vouch_core::cbor::to_canonical(&release).unwrap();
        // "commits": [ text(40) "aaaa..." ]
        let mut expected = vec![0x67];
        expected.extend_from_slice(b"commits");
        expected.extend_from_slice(&[0x81, 0x78, 0x28]);
        expected.extend_from_slice("a".repeat(40).as_bytes());
        assert!(
            bytes
                .windows(expected.len())
                .any(|w| w == expected.as_slice())
        );
        let back: Release = vouch_core::cbor::from_canonical(&bytes).unwrap();
        assert_eq!(back.commits, [CertifiedCommit::from(id.clone())]);
        assert_eq!(vouch_core::cbor::to_canonical(&back).unwrap(), bytes);

        let named = release_with(vec![CertifiedCommit::in_repository(
            id,
            "https://git.example.com/shop.git",
        )]);
        let bytes = vouch_core::cbor::to_canonical(&named).unwrap();
        let back: Release = vouch_core::cbor::from_canonical(&bytes).unwrap();
        assert_eq!(back, named);
        assert_eq!(vouch_core::cbor::to_canonical(&back).unwrap(), bytes);
    }

    #[test]
    fn named_commit_entries_are_strict() {
        let id = "b".repeat(40);
        let ok = format!(r#"{{"commit": "{id}", "repository": "r"}}"#);
        assert!(serde_json::from_str::<CertifiedCommit>(&ok).is_ok());
        for bad in [
            format!(r#"{{"commit": "{id}", "repository": ""}}"#),
            format!(r#"{{"commit": "{id}"}}"#),
            format!(r#"{{"commit": "{id}", "repository": "r", "x": 1}}"#),
            r#""nothex""#.to_owned(),
            "7".to_owned(),
        ] {
            assert!(
                serde_json::from_str::<CertifiedCommit>(&bad).is_err(),
                "{bad}"
            );
        }
        let dup = release_with(vec![
            CertifiedCommit::from(id.parse::<GitObjectId>().unwrap()),
            CertifiedCommit::in_repository(id.parse().unwrap(), "r"),
        ]);
        assert!(dup.check().is_err());
    }

    proptest::proptest! {
        #[test]
        fn certified_commits_round_trip(
            hex in "[0-9a-f]{40}",
            repo in proptest::option::of("[ -~]{1,40}"),
        ) {
            let c = CertifiedCommit { commit: hex.parse().unwrap(), repository: repo };
            let bytes = vouch_core::cbor::to_canonical(&c).unwrap();
            let back: CertifiedCommit = vouch_core::cbor::from_canonical(&bytes).unwrap();
            proptest::prop_assert_eq!(&back, &c);
            proptest::prop_assert_eq!(vouch_core::cbor::to_canonical(&back).unwrap(), bytes);
            let json = serde_json::to_vec(&c).unwrap();
            proptest::prop_assert_eq!(serde_json::from_slice::<CertifiedCommit>(&json).unwrap(), c);
        }
    }

    #[test]
    fn cyclonedx_components() {
        let deps = dependencies_from_cyclonedx(CDX.as_bytes()).unwrap();
        let names: Vec<_> = deps.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["serde", "serde_derive", "libc"]);
        assert_eq!(deps[0].purl.as_deref(), Some("pkg:cargo/serde@1.0.228"));
        assert_eq!(
            deps[0].digest.unwrap().hex(),
            "9a6b4d2e2f6c1b0a9a6b4d2e2f6c1b0a9a6b4d2e2f6c1b0a9a6b4d2e2f6c1b0a"
        );
        assert!(matches!(
            dependencies_from_cyclonedx(CDX.replace("1.5", "1.4").as_bytes()),
            Err(SbomError::CycloneDxVersion(_))
        ));
        assert!(matches!(
            dependencies_from_cyclonedx(b"{"),
            Err(SbomError::Json(_))
        ));
    }

    #[test]
    fn sbom_format_is_detected() {
        let (f, deps) = dependencies_from_sbom(CDX.as_bytes()).unwrap();
        assert_eq!((f, deps.len()), (SbomFormat::CycloneDx, 3));
        let (f, deps) = dependencies_from_sbom(SPDX.as_bytes()).unwrap();
        assert_eq!((f, deps.len()), (SbomFormat::Spdx, 2));
        assert!(matches!(
            dependencies_from_sbom(br#"{"bomFormat": "CycloneDX", "spdxVersion": "SPDX-2.3"}"#),
            Err(SbomError::UnknownFormat)
        ));
        assert!(matches!(
            dependencies_from_sbom(b"{"),
            Err(SbomError::Json(_))
        ));
    }

    #[test]
    fn spdx_packages() {
        let deps = dependencies_from_spdx(SPDX.as_bytes()).unwrap();
        let names: Vec<_> = deps.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["serde", "libc"]);
        assert_eq!(deps[0].version.as_deref(), Some("1.0.228"));
        assert!(deps[0].digest.is_some());
        assert!(matches!(
            dependencies_from_spdx(SPDX.replace("SPDX-2.3", "SPDX-2.2").as_bytes()),
            Err(SbomError::SpdxVersion(_))
        ));
        let bad = SPDX.replace(
            "9a6b4d2e2f6c1b0a9a6b4d2e2f6c1b0a9a6b4d2e2f6c1b0a9a6b4d2e2f6c1b0a",
            "xyz",
        );
        assert!(matches!(
            dependencies_from_spdx(bad.as_bytes()),
            Err(SbomError::BadHash { .. })
        ));
    }
}
