//! Where bundles come from: the [`BundleSource`] trait, the directory
//! source, and the fail-closed timeout every fetch runs under.
//!
//! # The directory source
//!
//! A directory holds one bundle file per image, named by the image digest
//! with `-` for `:` (a colon is not portable in file names, nor allowed in
//! a ConfigMap key): `sha256-<64 hex>.bundle`, in the format of
//! [`Bundle::to_bytes`]. Only the image's own file is read, so a large
//! directory costs nothing per request, and a bundle meant for one image
//! is never consulted for another. A missing file is "no bundle", which
//! denies.
//!
//! # The registry source
//!
//! The bundles attached to the image in an OCI registry (OCI 1.1
//! referrers, or the `sha256-<hex>` tag index) come from
//! `crate::registry_source::RegistrySource` (feature `server`), configured
//! by `[[bundles]] registry = { repository = "HOST[:PORT]/REPO" }` entries.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use vouch_chain::Bundle;
use vouch_core::Digest;

/// The largest bundle file a source hands over (vouch-chain's own bound).
pub const MAX_BUNDLE_BYTES: usize = vouch_chain::MAX_BUNDLE;

/// Why a bundle could not be fetched. Every one denies (fail closed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// No source has a bundle for the image.
    #[error("no bundle for image {0}")]
    NotFound(Digest),
    /// The fetch did not finish within the timeout.
    #[error("fetching the bundle for image {image} timed out after {millis} ms")]
    Timeout {
        /// The image.
        image: Digest,
        /// The timeout.
        millis: u128,
    },
    /// The source failed (I/O, network).
    #[error("fetching the bundle for image {image} failed: {message}")]
    Failed {
        /// The image.
        image: Digest,
        /// What failed.
        message: String,
    },
    /// Too many fetches are still running (sources that hang): refused
    /// rather than start another thread.
    #[error("too many bundle fetches in flight (limit {0}); denying image rather than wait")]
    Busy(usize),
    /// The bytes are not a bundle.
    #[error("the bundle for image {image} is refused: {message}")]
    Invalid {
        /// The image.
        image: Digest,
        /// Why.
        message: String,
    },
}

/// Something that fetches the bundle of signed statements for an image.
///
/// Implementations block; [`fetch_with_timeout`] bounds how long the gate
/// waits. `Ok(None)` means the source has nothing for the image.
pub trait BundleSource: Send + Sync + std::fmt::Debug {
    /// The bundle's bytes for `image`, if this source has one.
    ///
    /// # Errors
    ///
    /// [`FetchError`] when the source fails.
    fn fetch(&self, image: &Digest) -> Result<Option<Vec<u8>>, FetchError>;
}

/// A directory of `sha256-<hex>.bundle` files (see the module docs).
#[derive(Debug, Clone)]
pub struct DirSource {
    dir: PathBuf,
}

impl DirSource {
    /// A source reading bundles from `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The file holding the bundle of `image`.
    pub fn path_for(&self, image: &Digest) -> PathBuf {
        self.dir.join(file_name(image))
    }
}

/// `sha256-<hex>.bundle`.
pub fn file_name(image: &Digest) -> String {
    format!("{}-{}.bundle", image.algorithm().name(), image.hex())
}

impl BundleSource for DirSource {
    fn fetch(&self, image: &Digest) -> Result<Option<Vec<u8>>, FetchError> {
        let path = self.path_for(image);
        read_bounded(&path).map_err(|e| FetchError::Failed {
            image: *image,
            message: format!("{}: {e}", path.display()),
        })
    }
}

/// Reads a file of at most [`MAX_BUNDLE_BYTES`]; `None` when it does not
/// exist. The length is checked on the open file, and the read is capped,
/// so a file growing meanwhile cannot make it unbounded.
fn read_bounded(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut bytes = Vec::new();
    file.take(MAX_BUNDLE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > MAX_BUNDLE_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {MAX_BUNDLE_BYTES} bytes"
        )));
    }
    Ok(Some(bytes))
}

/// The most fetch threads alive at once. A source that hangs keeps its
/// thread until it returns; without this bound a stuck registry plus a
/// stream of requests would grow threads without limit.
pub const MAX_FETCHES_IN_FLIGHT: usize = 64;

static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Releases one in-flight slot when the fetch thread ends, however it ends.
struct Slot;

impl Drop for Slot {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The bytes of a fetched bundle, not yet decoded, and their SHA-256.
///
/// The digest is part of the verdict cache's key, so a cache hit costs the
/// fetch and one hash, never decoding the bundle's envelopes; only a miss
/// calls [`Fetched::decode`].
#[derive(Debug, Clone)]
pub struct Fetched {
    image: Digest,
    bytes: Vec<u8>,
    digest: Digest,
}

impl Fetched {
    /// The bundle bytes `image`'s sources returned.
    pub fn new(image: Digest, bytes: Vec<u8>) -> Self {
        let digest = Digest::sha256(&bytes);
        Self {
            image,
            bytes,
            digest,
        }
    }

    /// The SHA-256 of the bytes.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Decodes the bundle (untrusted: the canonical, bounded decoding of
    /// [`Bundle::from_bytes`]).
    ///
    /// # Errors
    ///
    /// [`FetchError::Invalid`] when the bytes are not a bundle.
    pub fn decode(&self) -> Result<Bundle, FetchError> {
        Bundle::from_bytes(&self.bytes).map_err(|e| FetchError::Invalid {
            image: self.image,
            message: crate::review::clean(&e.to_string(), 256),
        })
    }
}

/// Fetches the bundle bytes of `image` from the first source that has
/// them, giving up after `timeout` in all (fail closed: the caller denies
/// on any error). The fetch runs on its own thread, so a source that hangs
/// costs that thread until it returns, never the request.
///
/// # Errors
///
/// [`FetchError`] when no source has a bundle, one fails or the time is up.
pub fn fetch_with_timeout(
    sources: &[Arc<dyn BundleSource>],
    image: &Digest,
    timeout: Duration,
) -> Result<Fetched, FetchError> {
    if IN_FLIGHT.fetch_add(1, Ordering::AcqRel) >= MAX_FETCHES_IN_FLIGHT {
        IN_FLIGHT.fetch_sub(1, Ordering::AcqRel);
        return Err(FetchError::Busy(MAX_FETCHES_IN_FLIGHT));
    }
    let slot = Slot;
    let (tx, rx) = mpsc::sync_channel(1);
    let sources = sources.to_vec();
    let wanted = *image;
    // `Builder::spawn` reports a thread that cannot start instead of
    // panicking as `thread::spawn` would.
    let spawned = std::thread::Builder::new()
        .name("vouch-gate-fetch".into())
        .spawn(move || {
            let _slot = slot;
            let mut found = Ok(None);
            for source in &sources {
                found = source.fetch(&wanted);
                if !matches!(found, Ok(None)) {
                    break;
                }
            }
            // The receiver is gone after a timeout; nothing to do then.
            let _ = tx.send(found);
        });
    if let Err(e) = spawned {
        return Err(FetchError::Failed {
            image: *image,
            message: format!("cannot start the fetch thread: {e}"),
        });
    }
    let bytes = match rx.recv_timeout(timeout) {
        Ok(Ok(Some(bytes))) => bytes,
        Ok(Ok(None)) => return Err(FetchError::NotFound(*image)),
        Ok(Err(e)) => return Err(e),
        Err(_) => {
            return Err(FetchError::Timeout {
                image: *image,
                millis: timeout.as_millis(),
            });
        }
    };
    Ok(Fetched::new(*image, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Hangs;
    impl BundleSource for Hangs {
        fn fetch(&self, _: &Digest) -> Result<Option<Vec<u8>>, FetchError> {
            std::thread::sleep(Duration::from_secs(5));
            Ok(None)
        }
    }

    #[derive(Debug)]
    struct Fails;
    impl BundleSource for Fails {
        fn fetch(&self, image: &Digest) -> Result<Option<Vec<u8>>, FetchError> {
            Err(FetchError::Failed {
                image: *image,
                message: "registry unreachable".into(),
            })
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("vouch-gate-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        dir
    }

    #[test]
    fn a_directory_source_reads_the_image_file_only() {
        let dir = temp_dir("dir-source");
        let image = Digest::sha256(b"image");
        let other = Digest::sha256(b"other");
        let bundle = Bundle::new().to_bytes().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join(file_name(&image)), &bundle).unwrap_or_else(|e| panic!("{e}"));
        assert!(file_name(&image).starts_with("sha256-"));
        let sources: Vec<Arc<dyn BundleSource>> = vec![Arc::new(DirSource::new(&dir))];
        let fetched = fetch_with_timeout(&sources, &image, Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fetched.decode(), Ok(Bundle::new()));
        assert_eq!(fetched.digest(), Digest::sha256(&bundle));
        assert_eq!(fetched.bytes(), &bundle[..]);
        assert_eq!(
            fetch_with_timeout(&sources, &other, Duration::from_secs(5)).err(),
            Some(FetchError::NotFound(other))
        );
        std::fs::write(dir.join(file_name(&other)), b"garbage").unwrap_or_else(|e| panic!("{e}"));
        let garbage = fetch_with_timeout(&sources, &other, Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(garbage.decode(), Err(FetchError::Invalid { .. })));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_hanging_or_failing_source_denies() {
        let image = Digest::sha256(b"image");
        let hangs: Vec<Arc<dyn BundleSource>> = vec![Arc::new(Hangs)];
        let started = std::time::Instant::now();
        assert!(matches!(
            fetch_with_timeout(&hangs, &image, Duration::from_millis(100)),
            Err(FetchError::Timeout { millis: 100, .. })
        ));
        assert!(started.elapsed() < Duration::from_secs(2));
        let fails: Vec<Arc<dyn BundleSource>> = vec![Arc::new(Fails)];
        assert!(matches!(
            fetch_with_timeout(&fails, &image, Duration::from_secs(1)),
            Err(FetchError::Failed { .. })
        ));
    }
}
