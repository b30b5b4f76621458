//! Key references: the strings that say which key signs (`file:PATH`,
//! `soft-fido:PATH`, `fido:STUB`, `tpm:STUB`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{Error, excerpt};
use crate::file::FileKey;
use crate::passphrase::Passphrase;

/// A parsed key reference: which backend, and which key in it.
///
/// The scheme before the first `:` chooses the backend (ASCII
/// case-insensitive); the rest is the backend's own name for the key.
/// `file:` takes the rest literally as a path (relative to the working
/// directory; no `~` expansion). `tpm:` and `fido:` are refused with
/// [`Error::BackendNotBuilt`] in a build without their feature.
///
/// ```
/// use vouch_keys::{Error, KeyRef};
/// let r: KeyRef = "file:keys/release.key".parse()?;
/// assert_eq!(r.to_string(), "file:keys/release.key");
/// # #[cfg(not(feature = "tpm"))]
/// assert!(matches!("tpm:0x81000001".parse::<KeyRef>(), Err(Error::BackendNotBuilt { scheme: "tpm", .. })));
/// assert!(matches!("s3://bucket/key".parse::<KeyRef>(), Err(Error::UnknownScheme { .. })));
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyRef {
    /// A private key file, in any format [`FileKey::load`] reads.
    File(PathBuf),
    /// A private key file used as a software FIDO authenticator for the
    /// `ssh:` application, touched on every signature (`soft-fido:PATH`),
    /// its counter kept in `PATH.counter`.
    /// For tests and demos: see [`crate::softfido`].
    SoftFido(PathBuf),
    /// A credential on a FIDO2 security key: the stub ssh-keygen wrote
    /// (`fido:PATH`, its public key at `PATH.pub`), signing through
    /// ssh-keygen (feature `fido`; see [`crate::fido`]).
    #[cfg(feature = "fido")]
    Fido(PathBuf),
    /// A key resident in a TPM 2.0: its stub file (`tpm:PATH`), used
    /// through the TPM that `VOUCH_TPM_TCTI` (or `TPM2TOOLS_TCTI`) names
    /// (feature `tpm`; see [`crate::tpm`]).
    #[cfg(feature = "tpm")]
    Tpm(PathBuf),
}

impl KeyRef {
    /// A reference to a key file.
    pub fn file(path: impl Into<PathBuf>) -> KeyRef {
        KeyRef::File(path.into())
    }

    /// The backend's scheme (`file`).
    pub fn scheme(&self) -> &'static str {
        match self {
            KeyRef::File(_) => "file",
            KeyRef::SoftFido(_) => "soft-fido",
            #[cfg(feature = "fido")]
            KeyRef::Fido(_) => "fido",
            #[cfg(feature = "tpm")]
            KeyRef::Tpm(_) => "tpm",
        }
    }

    /// The file's path, for a `file:` reference.
    pub fn path(&self) -> Option<&Path> {
        match self {
            KeyRef::File(p) | KeyRef::SoftFido(p) => Some(p),
            #[cfg(feature = "fido")]
            KeyRef::Fido(p) => Some(p),
            #[cfg(feature = "tpm")]
            KeyRef::Tpm(p) => Some(p),
        }
    }

    /// Opens the key as a signer. `passphrase` decrypts an encrypted file
    /// key; backends that need none ignore it.
    pub fn open(
        &self,
        passphrase: Option<&Passphrase>,
    ) -> Result<Box<dyn vouch_core::Signer + Send + Sync>, Error> {
        #[cfg(feature = "fido")]
        if let KeyRef::Fido(path) = self {
            return Ok(Box::new(crate::fido::FidoKey::open(
                path,
                crate::fido::FidoOptions::default(),
                std::sync::Arc::new(crate::fido::Silent),
            )?));
        }
        self.open_file(passphrase)
    }

    /// Like [`KeyRef::open`], a security key (`fido:`) used with `options`
    /// and asking `callbacks` for touches and its PIN.
    #[cfg(feature = "fido")]
    pub fn open_with_fido(
        &self,
        passphrase: Option<&Passphrase>,
        options: crate::fido::FidoOptions,
        callbacks: std::sync::Arc<dyn crate::fido::FidoCallbacks>,
    ) -> Result<Box<dyn vouch_core::Signer + Send + Sync>, Error> {
        match self {
            KeyRef::Fido(path) => Ok(Box::new(crate::fido::FidoKey::open(
                path, options, callbacks,
            )?)),
            _ => self.open_file(passphrase),
        }
    }

    /// Opens every backend but a security key with its callbacks.
    fn open_file(
        &self,
        passphrase: Option<&Passphrase>,
    ) -> Result<Box<dyn vouch_core::Signer + Send + Sync>, Error> {
        match self {
            KeyRef::File(path) => Ok(Box::new(FileKey::load(path, passphrase)?)),
            KeyRef::SoftFido(path) => Ok(Box::new(crate::softfido::SoftAuthenticator::open(
                path,
                passphrase,
                "ssh:",
                crate::softfido::Presence::Touch,
            )?)),
            #[cfg(feature = "fido")]
            KeyRef::Fido(path) => Ok(Box::new(crate::fido::FidoKey::open(
                path,
                crate::fido::FidoOptions::default(),
                std::sync::Arc::new(crate::fido::Silent),
            )?)),
            #[cfg(feature = "tpm")]
            KeyRef::Tpm(path) => {
                let tcti = crate::tpm::tcti_from_env()
                    .ok_or_else(|| Error::TpmTctiMissing { stub: path.clone() })?;
                Ok(Box::new(crate::tpm::TpmKey::open(path, &tcti)?))
            }
        }
    }
}

impl FromStr for KeyRef {
    type Err = Error;

    fn from_str(s: &str) -> Result<KeyRef, Error> {
        let unknown = |scheme: &str| Error::UnknownScheme {
            scheme: excerpt(scheme),
            reference: excerpt(s),
        };
        let Some((scheme, rest)) = s.split_once(':') else {
            return Err(unknown(""));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "file" if rest.is_empty() => Err(Error::MissingKeyPath {
                reference: excerpt(s),
            }),
            "file" => Ok(KeyRef::File(PathBuf::from(rest))),
            "soft-fido" if rest.is_empty() => Err(Error::MissingKeyPath {
                reference: excerpt(s),
            }),
            "soft-fido" => Ok(KeyRef::SoftFido(PathBuf::from(rest))),
            #[cfg(feature = "tpm")]
            "tpm" if rest.is_empty() => Err(Error::MissingKeyPath {
                reference: excerpt(s),
            }),
            #[cfg(feature = "tpm")]
            "tpm" => Ok(KeyRef::Tpm(PathBuf::from(rest))),
            #[cfg(not(feature = "tpm"))]
            "tpm" => Err(Error::BackendNotBuilt {
                scheme: "tpm",
                feature: "tpm",
            }),
            #[cfg(feature = "fido")]
            "fido" if rest.is_empty() => Err(Error::MissingKeyPath {
                reference: excerpt(s),
            }),
            #[cfg(feature = "fido")]
            "fido" => Ok(KeyRef::Fido(PathBuf::from(rest))),
            #[cfg(not(feature = "fido"))]
            "fido" => Err(Error::BackendNotBuilt {
                scheme: "fido",
                feature: "fido",
            }),
            _ => Err(unknown(scheme)),
        }
    }
}

impl fmt::Display for KeyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyRef::File(p) => write!(f, "file:{}", p.display()),
            KeyRef::SoftFido(p) => write!(f, "soft-fido:{}", p.display()),
            #[cfg(feature = "fido")]
            KeyRef::Fido(p) => write!(f, "fido:{}", p.display()),
            #[cfg(feature = "tpm")]
            KeyRef::Tpm(p) => write!(f, "tpm:{}", p.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays() {
        let r: KeyRef = "file:/etc/vouch/ci.key".parse().unwrap();
        assert_eq!(r, KeyRef::file("/etc/vouch/ci.key"));
        assert_eq!(r.scheme(), "file");
        assert_eq!(r.path(), Some(Path::new("/etc/vouch/ci.key")));
        assert_eq!(r.to_string().parse::<KeyRef>().unwrap(), r);
        // Only the first colon separates the scheme.
        let sf: KeyRef = "soft-fido:k".parse().unwrap();
        assert_eq!(sf, KeyRef::SoftFido("k".into()));
        assert_eq!(sf.to_string(), "soft-fido:k");
        let c: KeyRef = "FILE:a:b".parse().unwrap();
        assert_eq!(c, KeyRef::file("a:b"));
        assert_eq!(c.to_string(), "file:a:b");
    }

    #[test]
    fn refusals_are_specific() {
        assert!(matches!(
            "file:".parse::<KeyRef>(),
            Err(Error::MissingKeyPath { .. })
        ));
        #[cfg(not(feature = "fido"))]
        assert!(matches!(
            "fido:key.stub".parse::<KeyRef>(),
            Err(Error::BackendNotBuilt { scheme: "fido", .. })
        ));
        #[cfg(feature = "fido")]
        {
            let r: KeyRef = "fido:key.stub".parse().unwrap();
            assert_eq!(r, KeyRef::Fido("key.stub".into()));
            assert_eq!(r.to_string(), "fido:key.stub");
            assert!(matches!(
                "fido:".parse::<KeyRef>(),
                Err(Error::MissingKeyPath { .. })
            ));
        }
        #[cfg(not(feature = "tpm"))]
        {
            assert!(matches!(
                "Tpm:0x81000001".parse::<KeyRef>(),
                Err(Error::BackendNotBuilt { scheme: "tpm", .. })
            ));
            let e = "tpm:1".parse::<KeyRef>().unwrap_err().to_string();
            assert!(e.contains("not built"), "{e}");
        }
        #[cfg(feature = "tpm")]
        {
            let r: KeyRef = "Tpm:keys/ci.tpm".parse().unwrap();
            assert_eq!(r, KeyRef::Tpm("keys/ci.tpm".into()));
            assert_eq!(r.scheme(), "tpm");
            assert_eq!(r.to_string(), "tpm:keys/ci.tpm");
            assert!(matches!(
                "tpm:".parse::<KeyRef>(),
                Err(Error::MissingKeyPath { .. })
            ));
        }
        match "/home/me/key".parse::<KeyRef>() {
            Err(Error::UnknownScheme { scheme, reference }) => {
                assert_eq!(scheme, "");
                assert_eq!(reference, "/home/me/key");
            }
            other => panic!("{other:?}"),
        }
        match "pkcs11:token=x".parse::<KeyRef>() {
            Err(e @ Error::UnknownScheme { .. }) => {
                assert!(e.to_string().contains("\"pkcs11\""), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }
}
