//! OpenSSH private keys (`-----BEGIN OPENSSH PRIVATE KEY-----`), through the
//! RustCrypto `ssh-key` crate.

use ssh_key::private::{EcdsaKeypair, KeypairData};
use ssh_key::{Cipher, EcdsaCurve, Kdf};
use vouch_core::{Algorithm, PublicKey};

use super::FileKey;
use crate::error::{DecodeError, Error, KdfParam, KeyFormat, Origin};
use crate::passphrase::Passphrase;

/// Most bcrypt-pbkdf rounds accepted. `ssh-keygen` writes 16 by default and
/// people raise it to 100 or a few hundred with `-a`; the bound keeps a
/// hostile file from pinning a core for hours.
pub(super) const MAX_BCRYPT_ROUNDS: u32 = 1024;

pub(super) fn decode(
    text: &str,
    passphrase: Option<&Passphrase>,
    origin: &Origin,
) -> Result<FileKey, Error> {
    let library = |e: ssh_key::Error| {
        Error::malformed(
            origin,
            KeyFormat::OpenSsh,
            DecodeError::Library {
                library: "ssh-key",
                source: Box::new(e),
            },
        )
    };
    let key = ssh_key::PrivateKey::from_openssh(text).map_err(library)?;
    let key_type = key.algorithm();
    let supported = matches!(
        key_type,
        ssh_key::Algorithm::Ed25519
            | ssh_key::Algorithm::Ecdsa {
                curve: EcdsaCurve::NistP256
            }
    );
    if !supported {
        return Err(Error::UnsupportedKeyType {
            origin: origin.clone(),
            format: KeyFormat::OpenSsh,
            key_type: key_type.as_str().to_owned(),
        });
    }
    let malformed = |e| Error::malformed(origin, KeyFormat::OpenSsh, e);
    // The public half is stored in the clear: it names the key in errors
    // and is checked against the private half below.
    let blob = key.public_key().to_bytes().map_err(library)?;
    let public =
        PublicKey::from_canonical_bytes(&blob).map_err(|e| malformed(DecodeError::PublicKey(e)))?;
    let key_id = public.key_id();
    let key = if key.is_encrypted() {
        let Some(passphrase) = passphrase else {
            return Err(Error::PassphraseRequired {
                origin: origin.clone(),
                format: KeyFormat::OpenSsh,
                key_id: Some(key_id),
            });
        };
        check_encryption(&key, origin)?;
        // OpenSSH's older ciphers are unauthenticated: a wrong passphrase
        // shows up as mismatching check integers or garbage, both reported
        // by ssh-key as an error here.
        key.decrypt(passphrase.as_bytes())
            .map_err(|_| Error::WrongPassphrase {
                origin: origin.clone(),
                key_id: Some(key_id),
            })?
    } else {
        key
    };
    let invalid = |alg| malformed(DecodeError::InvalidSecret(alg));
    let mut file_key = match key.key_data() {
        KeypairData::Ed25519(pair) => {
            FileKey::from_ed25519(ed25519_dalek::SigningKey::from(&pair.private))
                .ok_or_else(|| invalid(Algorithm::Ed25519))?
        }
        KeypairData::Ecdsa(pair @ EcdsaKeypair::NistP256 { .. }) => {
            p256::ecdsa::SigningKey::from_slice(pair.private_key_bytes())
                .ok()
                .and_then(FileKey::from_p256)
                .ok_or_else(|| invalid(Algorithm::Es256))?
        }
        // Any other shape contradicts the algorithm checked above.
        _ => {
            return Err(Error::UnsupportedKeyType {
                origin: origin.clone(),
                format: KeyFormat::OpenSsh,
                key_type: key_type.as_str().to_owned(),
            });
        }
    };
    // ssh-key checked the pair's stored public half against the clear one;
    // this checks that both are the key the secret actually derives.
    if file_key.public_key() != &public {
        return Err(malformed(DecodeError::PublicKeyMismatch {
            recorded: key_id,
        }));
    }
    file_key.set_comment(key.comment().as_str_lossy());
    Ok(file_key)
}

/// Refuses ciphers `ssh-key` cannot decrypt (so their failure is not
/// mistaken for a wrong passphrase) and KDF costs above the bound.
fn check_encryption(key: &ssh_key::PrivateKey, origin: &Origin) -> Result<(), Error> {
    let cipher = key.cipher();
    let unsupported = |scheme: String| Error::UnsupportedEncryption {
        origin: origin.clone(),
        format: KeyFormat::OpenSsh,
        scheme,
    };
    if matches!(cipher, Cipher::TdesCbc | Cipher::None) {
        return Err(unsupported(cipher.as_str().to_owned()));
    }
    match key.kdf() {
        Kdf::Bcrypt { rounds, .. } if *rounds > MAX_BCRYPT_ROUNDS => Err(Error::KdfLimit {
            origin: origin.clone(),
            param: KdfParam::BcryptRounds,
            value: u64::from(*rounds),
            limit: u64::from(MAX_BCRYPT_ROUNDS),
        }),
        Kdf::Bcrypt { .. } => Ok(()),
        _ => Err(unsupported(format!(
            "{} without bcrypt-pbkdf",
            cipher.as_str()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::sec1::ToSec1Point as _;
    use ssh_key::LineEnding::LF;
    use ssh_key::private::{EcdsaPrivateKey, Ed25519Keypair};

    fn openssh_text(data: KeypairData) -> String {
        ssh_key::PrivateKey::new(data, "made by ssh-key")
            .unwrap()
            .to_openssh(LF)
            .unwrap()
            .to_string()
    }

    #[test]
    fn keys_written_by_ssh_key_load() {
        let seed = [3u8; 32];
        let text = openssh_text(KeypairData::Ed25519(Ed25519Keypair::from_seed(&seed)));
        let key = FileKey::decode(text.as_bytes(), None).unwrap();
        let expected = FileKey::from_ed25519(ed25519_dalek::SigningKey::from_bytes(&seed)).unwrap();
        assert_eq!(key.public_key(), expected.public_key());
        assert_eq!(key.comment(), "made by ssh-key");

        let secret = p256::SecretKey::from_slice(&[5; 32]).unwrap();
        let point = secret.public_key().to_sec1_point(false);
        let pair = EcdsaKeypair::NistP256 {
            public: ssh_key::sec1::EncodedPoint::from_bytes(point.as_bytes()).unwrap(),
            private: EcdsaPrivateKey::from(secret.clone()),
        };
        let key = FileKey::decode(openssh_text(KeypairData::Ecdsa(pair)).as_bytes(), None).unwrap();
        let expected = FileKey::from_p256(p256::ecdsa::SigningKey::from(&secret)).unwrap();
        assert_eq!(key.public_key(), expected.public_key());
    }

    #[test]
    fn a_public_half_that_does_not_match_is_refused() {
        let secret = p256::SecretKey::from_slice(&[5; 32]).unwrap();
        let other = p256::SecretKey::from_slice(&[6; 32]).unwrap();
        let point = other.public_key().to_sec1_point(false);
        let pair = EcdsaKeypair::NistP256 {
            public: ssh_key::sec1::EncodedPoint::from_bytes(point.as_bytes()).unwrap(),
            private: EcdsaPrivateKey::from(secret),
        };
        let e =
            FileKey::decode(openssh_text(KeypairData::Ecdsa(pair)).as_bytes(), None).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Malformed {
                    format: KeyFormat::OpenSsh,
                    source: DecodeError::PublicKeyMismatch { .. },
                    ..
                }
            ),
            "{e:?}"
        );
    }
}
