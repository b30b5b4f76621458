//! One module per command group; each handler parses its inputs, calls the
//! libraries and prints the result.

use std::path::{Path, PathBuf};

use clap::Args;
use vouch_core::Signer;

use crate::exit::CliError;

/// `vouch attest ...` and `vouch cosign`.
pub(crate) mod attest;
/// `vouch bundle ...`.
pub(crate) mod bundle;
/// `vouch digest` and `vouch manifest tree`.
pub(crate) mod digest;
/// `vouch dsse ...`.
pub(crate) mod dsse;
/// `vouch envelope ...`.
pub(crate) mod envelope;
/// `vouch gate serve`.
pub(crate) mod gate;
/// `vouch key ...`.
pub(crate) mod key;
/// `vouch log ...`, and the `--log` of `vouch attest`.
pub(crate) mod log;
/// `vouch oci attach` and `vouch oci fetch`.
pub(crate) mod oci;
/// `vouch package verify`, and the archives of `vouch attest release --archive`.
pub(crate) mod package;
/// `vouch roster ...`.
pub(crate) mod roster;
/// `vouch sigstore ...` (verifying needs the cargo feature `sigstore`).
pub(crate) mod sigstore;
/// Trusting a roster file: pins and the trusted roster state.
pub(crate) mod trust;
/// `vouch verify`.
pub(crate) mod verify;

/// The passphrase of an encrypted key: never a flag value, so it stays out
/// of shell history and process listings.
#[derive(Args, Debug, Clone)]
pub(crate) struct PassphraseArgs {
    /// Read the key's passphrase from the first line of FILE (without it,
    /// the environment variable VOUCH_PASSPHRASE is used when set).
    #[arg(long, value_name = "FILE")]
    pub(crate) passphrase_file: Option<PathBuf>,
}

impl PassphraseArgs {
    /// The passphrase file, if given.
    pub(crate) fn file(&self) -> Option<&Path> {
        self.passphrase_file.as_deref()
    }
}

/// The key a command signs with.
#[derive(Args, Debug, Clone)]
pub(crate) struct SignerArgs {
    /// The signing key: file:PATH, soft-fido:PATH (a file key acting as a
    /// software FIDO authenticator, for tests and demos), or a bare PATH
    /// (meaning file:PATH).
    #[arg(long, value_name = "KEYREF")]
    pub(crate) key: String,
    /// How to unlock the key.
    #[command(flatten)]
    pub(crate) passphrase: PassphraseArgs,
}

impl SignerArgs {
    /// Opens the signer.
    pub(crate) fn open(&self) -> Result<Box<dyn Signer + Send + Sync>, CliError> {
        crate::io::open_signer(&self.key, self.passphrase.file())
    }
}
