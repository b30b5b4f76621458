//! The one interface every key backend implements.

use crate::key::{Algorithm, KeyId, PublicKey};
use crate::sig::Signature;

/// Something that signs: a file key, a TPM key, a FIDO authenticator.
///
/// Synchronous on purpose: a FIDO touch or a TPM command simply blocks.
/// Backends live in `vouch-keys` (or their own crates); envelopes in this
/// crate need nothing but this trait. A backend also implements the
/// RustCrypto `signature` traits for its raw signature type where that makes
/// sense; this trait adds what vouch needs on top: the key id, and evidence
/// attached to the signature.
pub trait Signer {
    /// The public half of the signing key.
    fn public_key(&self) -> &PublicKey;

    /// The key id of [`Signer::public_key`].
    fn key_id(&self) -> KeyId {
        self.public_key().key_id()
    }

    /// The algorithm the key signs with (fixed by the key).
    fn algorithm(&self) -> Algorithm {
        self.public_key().algorithm()
    }

    /// Signs `message`. ECDSA signers produce low-S values; hardware signers
    /// attach their [`Evidence`](crate::Evidence).
    fn try_sign(&self, message: &[u8]) -> Result<Signature, SignError>;
}

impl<S: Signer + ?Sized> Signer for &S {
    fn public_key(&self) -> &PublicKey {
        (**self).public_key()
    }
    fn key_id(&self) -> KeyId {
        (**self).key_id()
    }
    fn algorithm(&self) -> Algorithm {
        (**self).algorithm()
    }
    fn try_sign(&self, message: &[u8]) -> Result<Signature, SignError> {
        (**self).try_sign(message)
    }
}

impl<S: Signer + ?Sized> Signer for Box<S> {
    fn public_key(&self) -> &PublicKey {
        (**self).public_key()
    }
    fn key_id(&self) -> KeyId {
        (**self).key_id()
    }
    fn algorithm(&self) -> Algorithm {
        (**self).algorithm()
    }
    fn try_sign(&self, message: &[u8]) -> Result<Signature, SignError> {
        (**self).try_sign(message)
    }
}

/// Why a signer could not sign.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The person declined or did not confirm in time (no touch, wrong PIN).
    #[error("signing with key {0} was cancelled or not confirmed")]
    Cancelled(KeyId),
    /// The backend failed (device error, I/O, library error).
    #[error("signing with key {key_id} failed")]
    Backend {
        /// The key that was asked to sign.
        key_id: KeyId,
        /// The backend's own error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}
