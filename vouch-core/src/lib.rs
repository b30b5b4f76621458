//! The vocabulary of vouch and its pure verification.
//!
//! `vouch-core` has no I/O beyond hashing a file and no hardware; its one
//! feature flag, `aws-lc-rs`, adds a second crypto provider.
//! It holds what every other vouch crate speaks:
//!
//! - [`Digest`] and [`Hasher`]: `sha256:<hex>` content digests, streamed;
//! - [`cbor`]: canonical CBOR (RFC 8949 §4.2.1) and its strict validator;
//! - [`Algorithm`], [`PublicKey`], [`KeyId`], [`Signature`], [`Evidence`]:
//!   the signature vocabulary, with verification on [`PublicKey::verify`];
//! - [`Signer`]: the one trait key backends implement;
//! - [`Timestamp`]: RFC 3339 UTC instants for validity windows and statements;
//! - [`cose`]: `COSE_Sign1` / `COSE_Sign` envelopes and [`Verified`] proofs;
//! - [`provider`]: the crypto behind verification, as plain data
//!   ([`CryptoProvider`](provider::CryptoProvider)), with Ed25519 batches
//!   ([`verify_ed25519_batch`]);
//! - [`dsse`]: DSSE v1 JSON envelopes, the in-toto / SLSA ecosystem's, over
//!   the same keys, proofs and signature-failure type as `COSE_Sign`;
//! - [`text`]: escaping strings from statements before they reach a terminal;
//! - [`fido`]: FIDO2 / WebAuthn enrollment attestation (`packed`,
//!   `fido-u2f`, `tpm`, `none`, and OpenSSH's `ssh-sk-attest-v01` file),
//!   verified against roots through [`x509`] certificate chains;
//! - [`tpm`]: TPM 2.0 key attestation (TPM2_Certify of a P-256 signing key
//!   by a trusted attestation key);
//! - [`timestamp`]: RFC 3161 timestamp tokens, proven time for a signature
//!   from a timestamp authority whose certificate chains to a trusted root.
//! - [`tlog`]: transparency-log proofs: RFC 9162 Merkle inclusion and
//!   consistency proofs, C2SP signed notes, checkpoints and witness
//!   cosignatures, and COSE Receipts.
//!
//! Verification is the hot path registries embed, so it lives here, lean.

#![forbid(unsafe_code)]

pub mod cbor;
pub mod cose;
mod digest;
pub mod dsse;
mod ed25519;
pub mod fido;
mod key;
pub mod provider;
mod sig;
mod signer;
pub mod sshsig;
pub mod text;
mod time;
pub mod timestamp;
pub mod tlog;
pub mod tpm;
mod wire;
pub mod x509;

pub use cose::{EnvelopeError, Verified, VerifiedSigner};
pub use digest::{Digest, DigestAlgorithm, DigestError, Hasher, sha256_hardware_accelerated};
pub use ed25519::{verify_ed25519_batch, verify_ed25519_batch_with};
pub use key::{Algorithm, KeyError, KeyId, PublicKey};
pub use sig::{
    AuthenticatorFlags, Evidence, FidoAssertion, STATEMENT_NAMESPACE, Signature, SshSigWrap,
    VerifyError,
};
pub use signer::{SignError, Signer};
pub use time::{Timestamp, TimestampError};

/// Every error `vouch-core` returns, for callers that want one type.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A digest could not be parsed.
    #[error(transparent)]
    Digest(#[from] DigestError),
    /// CBOR was refused.
    #[error(transparent)]
    Cbor(#[from] cbor::CborError),
    /// A key could not be parsed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A signature did not verify.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// A time could not be parsed.
    #[error(transparent)]
    Time(#[from] TimestampError),
    /// A signer failed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// An envelope was refused.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// A FIDO enrollment attestation was refused.
    #[error(transparent)]
    Attestation(#[from] fido::AttestationError),
    /// A certificate or certificate chain was refused.
    #[error(transparent)]
    Certificate(#[from] x509::CertificateError),
    /// A TPM key attestation was refused.
    #[error(transparent)]
    Tpm(#[from] tpm::TpmError),
    /// An RFC 3161 timestamp token was refused.
    #[error(transparent)]
    Timestamp(#[from] timestamp::TokenError),
    /// A transparency-log proof, note, checkpoint or receipt was refused.
    #[error(transparent)]
    Tlog(#[from] tlog::TlogError),
}
