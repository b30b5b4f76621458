//! Things that sign for vouch: file keys, FIDO2 security keys through
//! OpenSSH (feature `fido`), TPM 2.0 resident keys (feature `tpm`), and a
//! software authenticator.
//!
//! - [`FileKey`]: an Ed25519 or P-256 private key in memory, loaded from
//!   vouch's own format (optionally passphrase-encrypted, see
//!   [`file::vouch`]), OpenSSH, PKCS#8 or SEC1 files, and saved in vouch's
//!   format with mode 0600. It implements [`vouch_core::Signer`] and the
//!   RustCrypto [`signature`] traits.
//! - [`KeyRef`]: a key reference string (`file:PATH`) that opens the right
//!   backend as a `Box<dyn vouch_core::Signer>`.
//! - [`softfido::SoftAuthenticator`]: a software FIDO authenticator that
//!   produces the exact security-key signature format, for tests and demos
//!   (key reference `soft-fido:PATH`), and with a
//!   [`softfido::TestAttestationCa`] its `packed` enrollment attestation.
//! - `fido::FidoKey` (feature `fido`): a credential on a FIDO2 security
//!   key, made and used through `ssh-keygen` (key reference `fido:STUB`).
//! - `tpm::TpmKey` (feature `tpm`, needs libtss2 at build time): a
//!   non-exportable P-256 key in a TPM 2.0, with its TPM2_Certify
//!   attestation (key reference `tpm:STUB`, the TPM named by
//!   `VOUCH_TPM_TCTI` or `TPM2TOOLS_TCTI`).
//! - [`Passphrase`]: a zeroized passphrase; the library never prompts.
//! - [`Error`]: the crate's one error type.
//!
//! ```
//! use vouch_core::{Algorithm, cose::Sign1};
//! use vouch_keys::{FileKey, KeyRef, Passphrase};
//!
//! let dir = std::env::temp_dir().join(format!("vouch-keys-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("release.key");
//! # let _ = std::fs::remove_file(&path);
//!
//! let key = FileKey::generate(Algorithm::Ed25519)?;
//! key.save(&path, None)?; // mode 0600
//!
//! let signer = KeyRef::file(&path).open(None)?;
//! let envelope = Sign1::sign(&*signer, "text/plain", b"v1.0.0")?;
//! let verified = envelope.verify(key.public_key())?;
//! assert_eq!(verified.value(), b"v1.0.0");
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

mod error;
#[cfg(feature = "fido")]
pub mod fido;
pub mod file;
mod keyref;
mod passphrase;
pub mod softfido;
#[cfg(feature = "tpm")]
pub mod tpm;

pub use error::{DecodeError, Error, KdfParam, KeyFormat, Origin};
pub use file::{FileKey, KdfParams, MAX_KEY_FILE_LEN, Overwrite, SaveOptions};
pub use keyref::KeyRef;
pub use passphrase::Passphrase;
