//! OCI images for vouch: reading an OCI image layout (and, to come, vouch
//! bundles as OCI 1.1 artifacts and their referrers; see docs/oci.md).
//!
//! The public API is synchronous. Everything read from a layout is untrusted:
//! every read is size-bounded and every blob is checked against its digest.

mod error;
pub mod image;
pub mod layout;

pub use error::OciError;

/// The largest manifest, index or `oci-layout` file read (4 MiB, as the OCI
/// distribution spec suggests for manifests).
pub const MAX_MANIFEST: u64 = 4 * 1024 * 1024;
