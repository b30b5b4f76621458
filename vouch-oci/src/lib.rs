//! OCI images for vouch: reading an OCI image layout, vouch bundles as OCI
//! 1.1 artifacts, their referrers index, and attaching and fetching bundles
//! in a layout (see docs/oci.md).
//!
//! The public API is synchronous. Everything read from a layout is untrusted:
//! every read is size-bounded and every blob is checked against its digest.

pub mod artifact;
mod error;
pub mod image;
pub mod layout;
mod layout_write;
pub mod reference;
pub mod referrers;
#[cfg(feature = "registry")]
pub mod registry;

pub use error::OciError;

/// The largest manifest, index or `oci-layout` file read (4 MiB, as the OCI
/// distribution spec suggests for manifests).
pub const MAX_MANIFEST: u64 = 4 * 1024 * 1024;
