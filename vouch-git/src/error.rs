//! The error type of vouch-git.

use crate::allowed_signers::{AllowedSignersError, SignerRefusal};
use crate::commit::GitError;
use crate::sshkeygen::{MessageError, Revoked, RevokedKeysError, VerifyError};

/// Any error of vouch-git: each module's own error, wrapped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A commit object was refused ([`crate::commit`]).
    #[error(transparent)]
    Git(#[from] GitError),
    /// A tag object was refused ([`crate::tag`]).
    #[error(transparent)]
    Tag(#[from] crate::tag::TagError),
    /// An OpenPGP certificate or signature was refused.
    #[cfg(feature = "openpgp")]
    #[error(transparent)]
    OpenPgp(#[from] crate::openpgp::OpenPgpError),
    /// An allowed signers file (or a time in one) could not be read.
    #[error(transparent)]
    AllowedSigners(#[from] AllowedSignersError),
    /// An allowed signers file does not let a key sign.
    #[error(transparent)]
    SignerRefusal(#[from] SignerRefusal),
    /// A revoked keys file could not be read.
    #[error(transparent)]
    RevokedKeys(#[from] RevokedKeysError),
    /// The `ssh-keygen -Y verify` procedure refused a signature.
    #[error(transparent)]
    Verify(#[from] VerifyError),
}

impl From<MessageError> for Error {
    fn from(e: MessageError) -> Self {
        Error::Verify(e.into())
    }
}

impl From<Revoked> for Error {
    fn from(e: Revoked) -> Self {
        Error::Verify(e.into())
    }
}
