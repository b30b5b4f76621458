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
pub const MAX_BCRYPT_ROUNDS: u32 = 1024;

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
    let key = match ssh_key::PrivateKey::from_openssh(text) {
        Ok(key) => key,
        Err(e) => {
            // ssh-key 0.7.0-rc.12 refuses a P-256 scalar whose mpint is
            // shorter than 32 bytes, which OpenSSH writes for one key in
            // 256 (a leading zero byte is dropped): read those here.
            return match short_scalar_p256(text) {
                Some((file_key, comment)) => {
                    let mut file_key = file_key;
                    file_key.set_comment(&comment);
                    Ok(file_key)
                }
                None => Err(library(e)),
            };
        }
    };
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
        // The cipher and the KDF's cost are judged before a passphrase is
        // asked for: a file demanding too much is refused either way.
        check_encryption(&key, origin)?;
        let Some(passphrase) = passphrase else {
            return Err(Error::PassphraseRequired {
                origin: origin.clone(),
                format: KeyFormat::OpenSsh,
                key_id: Some(key_id),
            });
        };
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

/// An unencrypted OpenSSH P-256 key whose private scalar is a short mpint
/// (PROTOCOL.key: `openssh-key-v1`, cipher and KDF `none`, one key; the
/// private section `checkint checkint "ecdsa-sha2-nistp256" "nistp256" Q d
/// comment padding`), with its public point checked against the scalar.
/// `None` for anything else, so the caller reports ssh-key's own error.
fn short_scalar_p256(text: &str) -> Option<(FileKey, String)> {
    use base64::Engine as _;
    let body: String = text
        .lines()
        .map(str::trim)
        .skip_while(|l| *l != "-----BEGIN OPENSSH PRIVATE KEY-----")
        .skip(1)
        .take_while(|l| *l != "-----END OPENSSH PRIVATE KEY-----")
        .collect();
    let blob = base64::engine::general_purpose::STANDARD
        .decode(body)
        .ok()?;
    let mut r = Wire(blob.strip_prefix(b"openssh-key-v1\0")?);
    if r.string()? != b"none" || r.string()? != b"none" || !r.string()?.is_empty() {
        return None;
    }
    if r.u32()? != 1 {
        return None;
    }
    let _public = r.string()?;
    let mut p = Wire(r.string()?);
    if !r.0.is_empty() || p.u32()? != p.u32()? {
        return None;
    }
    if p.string()? != b"ecdsa-sha2-nistp256" || p.string()? != b"nistp256" {
        return None;
    }
    let point = p.string()?.to_vec();
    let d = p.string()?;
    // A positive mpint: at most one leading zero, which marks the high bit.
    let d = match d {
        [0, rest @ ..] if rest.first().is_some_and(|b| b & 0x80 != 0) => rest,
        [first, ..] if first & 0x80 == 0 && *first != 0 => d,
        _ => return None,
    };
    if d.len() > 32 {
        return None;
    }
    let mut scalar = [0u8; 32];
    scalar[32 - d.len()..].copy_from_slice(d);
    let comment = String::from_utf8_lossy(p.string()?).into_owned();
    let signing = p256::ecdsa::SigningKey::from_slice(&scalar).ok()?;
    if signing.verifying_key().to_sec1_point(false).as_bytes() != point.as_slice() {
        return None;
    }
    Some((FileKey::from_p256(signing)?, comment))
}

/// SSH wire reading (RFC 4251 `uint32` and `string`).
struct Wire<'a>(&'a [u8]);

impl<'a> Wire<'a> {
    fn u32(&mut self) -> Option<u32> {
        let (head, rest) = self.0.split_first_chunk::<4>()?;
        self.0 = rest;
        Some(u32::from_be_bytes(*head))
    }

    fn string(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.u32()?).ok()?;
        let s = self.0.get(..n)?;
        self.0 = self.0.get(n..)?;
        Some(s)
    }
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

    /// A throwaway key `ssh-keygen -t ecdsa` wrote with a 31-byte scalar
    /// (one key in 256 has one), which ssh-key 0.7.0-rc.12 refuses.
    const SHORT_SCALAR: &str = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAaAAAABNlY2RzYS\n1zaGEyLW5pc3RwMjU2AAAACG5pc3RwMjU2AAAAQQSsHsJtBG+3z8lXrBu6xR9YS4aKFKPW\nnUFKPMvLT/HfEVmtPt7vkpcABmG9+LXQZ8QYnB8Tefrxj0KXQcUauoDOAAAAoKCcraugnK\n2rAAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKwewm0Eb7fPyVes\nG7rFH1hLhooUo9adQUo8y8tP8d8RWa0+3u+SlwAGYb34tdBnxBicHxN5+vGPQpdBxRq6gM\n4AAAAfZeSWlLkUdNZIRHI/da6mLA5fSACQfhqqEwp6/I4aAwAAAAdyb290QHZtAQI=\n-----END OPENSSH PRIVATE KEY-----\n";
    const SHORT_SCALAR_PUB: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKwewm0Eb7fPyVesG7rFH1hLhooUo9adQUo8y8tP8d8RWa0+3u+SlwAGYb34tdBnxBicHxN5+vGPQpdBxRq6gM4= root@vm";

    #[test]
    fn a_p256_key_with_a_short_scalar_loads() {
        let key = FileKey::decode(SHORT_SCALAR.as_bytes(), None).unwrap();
        assert_eq!(
            key.public_key(),
            &PublicKey::from_openssh(SHORT_SCALAR_PUB).unwrap()
        );
        // A corrupted copy is still refused.
        let bad = SHORT_SCALAR.replacen("AAAAfZeS", "AAAAfZeT", 1);
        assert!(FileKey::decode(bad.as_bytes(), None).is_err());
    }
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
