//! The registry source: the bundles attached to an image in an OCI
//! registry (vouch-oci's registry client, docs/oci.md), merged into one.
//!
//! # Design
//!
//! [`BundleSource::fetch`] gets only the image digest, so the repository
//! comes from configuration: one `[[bundles]]` entry per repository,
//!
//! ```toml
//! [[bundles]]
//! registry = { repository = "registry.example.com/shop/api" }
//! [[bundles]]
//! registry = { repository = "127.0.0.1:5000/shop/api", plain-http = true }
//! ```
//!
//! and the source asks that repository for `REPO@<digest>`. Mapping the
//! pod's own image reference to its repository would need the trait to
//! carry it; a configured list is simpler and no weaker: the pod names its
//! image by digest, the bundle binds to that digest by signature, so where
//! the bytes come from is not trusted anyway. Sources are tried in order;
//! a repository without the image (404) is "nothing here", the next one
//! is tried; any other failure denies (fail closed).
//!
//! Several bundles attached to one image are merged with
//! [`Bundle::merge`], as `vouch oci fetch` does, and handed on re-encoded.
//! Every registry request runs under the gate's fetch timeout, and
//! [`crate::source::fetch_with_timeout`] bounds the whole fetch as for any
//! source.

use std::path::PathBuf;
use std::time::Duration;

use vouch_chain::Bundle;
use vouch_core::Digest;
use vouch_oci::OciError;
use vouch_oci::reference::{ImageRef, Target};
use vouch_oci::registry::{Registry, RegistryOptions, Transport};

use crate::review::clean;
use crate::source::{BundleSource, FetchError};

/// Bundles from one repository of an OCI registry.
pub struct RegistrySource {
    repository: ImageRef,
    registry: Registry,
}

impl std::fmt::Debug for RegistrySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistrySource")
            .field("repository", &self.repository.to_string())
            .finish_non_exhaustive()
    }
}

impl RegistrySource {
    /// A source reading the repository `repository` (`HOST[:PORT]/REPO`,
    /// no tag or digest), over plain HTTP when `plain_http` (loopback
    /// only), else HTTPS verified against `ca_file` or the system bundle;
    /// each request limited to `timeout`.
    ///
    /// # Errors
    ///
    /// [`OciError`] for a malformed repository, plain HTTP to another host,
    /// or an unusable CA file.
    pub fn new(
        repository: &str,
        plain_http: bool,
        ca_file: Option<PathBuf>,
        timeout: Duration,
    ) -> Result<Self, OciError> {
        let parsed = ImageRef::parse(repository)?;
        // `ImageRef` defaults a missing tag to `latest`: a repository entry
        // must name neither.
        if repository.contains('@')
            || repository
                .rsplit('/')
                .next()
                .is_some_and(|last| last.contains(':'))
        {
            return Err(OciError::BadReference {
                reference: repository.chars().take(80).collect(),
                why: "a bundle source names a repository, without tag or digest",
            });
        }
        let options = RegistryOptions {
            timeout,
            transport: if plain_http {
                Transport::PlainHttp
            } else {
                Transport::Https
            },
            basic_auth: None,
            ca_file,
            force_tag_fallback: false,
        };
        let registry = Registry::new(&parsed, options)?;
        Ok(Self {
            repository: parsed,
            registry,
        })
    }
}

impl BundleSource for RegistrySource {
    fn fetch(&self, image: &Digest) -> Result<Option<Vec<u8>>, FetchError> {
        let failed = |e: &dyn std::error::Error| FetchError::Failed {
            image: *image,
            message: clean(
                &format!("{}: {}", self.repository, vouch_core::text::error_chain(e)),
                512,
            ),
        };
        let pinned = ImageRef {
            target: Target::Digest(*image),
            ..self.repository.clone()
        };
        let found = match self.registry.fetch_bundles(&pinned) {
            Ok(found) => found,
            // The image is not in this repository: another source may have it.
            Err(OciError::Status { status: 404, .. }) => return Ok(None),
            Err(e) => return Err(failed(&e)),
        };
        if found.is_empty() {
            return Ok(None);
        }
        let mut bundles = Vec::with_capacity(found.len());
        for bytes in &found {
            bundles.push(Bundle::from_bytes(bytes).map_err(|e| FetchError::Invalid {
                image: *image,
                message: clean(&e.to_string(), 256),
            })?);
        }
        if let [_] = bundles.as_slice() {
            // One bundle: its bytes as attached (already canonical).
            return Ok(found.into_iter().next());
        }
        let merged = Bundle::merge(&bundles).map_err(|e| failed(&e))?;
        merged.to_bytes().map(Some).map_err(|e| failed(&e))
    }
}
