//! Git for vouch: commit objects, OpenSSH trust files and the
//! `ssh-keygen -Y` verification procedure.
//!
//! - [`commit`]: parsing a git commit object, recomputing its id (SHA-1
//!   with collision detection, or SHA-256), checking its SSH signature and
//!   finding the roster identity that held the key
//!   ([`commit::verify_commit`]);
//! - [`tag`]: annotated tag objects, their id and the signature at the
//!   end of their message (SSH, or OpenPGP with feature `openpgp`);
//! - [`signature`]: which program made a git signature;
//! - `openpgp` (feature `openpgp`): OpenPGP certificates and detached
//!   signatures, through rpgp;
//! - [`allowed_signers`]: OpenSSH allowed signers files
//!   (`gpg.ssh.allowedSignersFile`);
//! - [`sshkeygen`]: the `ssh-keygen -Y verify | check-novalidate |
//!   find-principals` procedure that `vouch-git-ssh` exposes to git,
//!   including revoked keys files (`-r`).
//!
//! [`Error`] gathers the errors of all three for a caller that wants one
//! type.

pub mod allowed_signers;
pub mod commit;
mod error;
#[cfg(feature = "openpgp")]
pub mod openpgp;
pub mod signature;
pub mod sshkeygen;
pub mod tag;

pub use error::Error;
