//! PKCS#8 (`-----BEGIN PRIVATE KEY-----`) and SEC1 (`-----BEGIN EC PRIVATE
//! KEY-----`) private keys, as OpenSSL and older OpenSSH write them.

use pkcs8::der::pem::PemLabel as _;
use pkcs8::{ObjectIdentifier, PrivateKeyInfoRef, SecretDocument};
use ssh_key::sec1::{EcParameters, EcPrivateKey};
use vouch_core::Algorithm;

use super::FileKey;
use crate::error::{DecodeError, Error, KeyFormat, Origin};

const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

/// Names for the key types people most often try, for error messages.
fn oid_name(oid: ObjectIdentifier) -> String {
    let known = [
        ("1.2.840.113549.1.1.1", "RSA"),
        ("1.3.101.110", "X25519"),
        ("1.3.101.111", "X448"),
        ("1.3.101.113", "Ed448"),
        ("1.3.132.0.34", "ECDSA P-384"),
        ("1.3.132.0.35", "ECDSA P-521"),
        ("1.3.132.0.10", "ECDSA secp256k1"),
        ("1.2.840.10040.4.1", "DSA"),
    ];
    let text = oid.to_string();
    known
        .iter()
        .find(|(o, _)| *o == text)
        .map(|(_, name)| format!("{name} ({text})"))
        .unwrap_or_else(|| format!("OID {text}"))
}

fn library(
    origin: &Origin,
    format: KeyFormat,
    e: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    Error::malformed(
        origin,
        format,
        DecodeError::Library {
            library: match format {
                KeyFormat::Sec1 => "sec1",
                _ => "pkcs8",
            },
            source: Box::new(e),
        },
    )
}

fn unsupported(origin: &Origin, format: KeyFormat, key_type: String) -> Error {
    Error::UnsupportedKeyType {
        origin: origin.clone(),
        format,
        key_type,
    }
}

fn invalid(origin: &Origin, format: KeyFormat, algorithm: Algorithm) -> Error {
    Error::malformed(origin, format, DecodeError::InvalidSecret(algorithm))
}

pub(super) fn decode_pkcs8_pem(text: &str, origin: &Origin) -> Result<FileKey, Error> {
    let (label, doc) =
        SecretDocument::from_pem(text).map_err(|e| library(origin, KeyFormat::Pkcs8, e))?;
    PrivateKeyInfoRef::validate_pem_label(label)
        .map_err(|e| library(origin, KeyFormat::Pkcs8, e))?;
    decode_pkcs8_der(doc.as_bytes(), origin)
}

fn decode_pkcs8_der(der: &[u8], origin: &Origin) -> Result<FileKey, Error> {
    let format = KeyFormat::Pkcs8;
    let info = PrivateKeyInfoRef::try_from(der).map_err(|e| library(origin, format, e))?;
    let oid = info.algorithm.oid;
    if oid == ED25519 {
        // Also checks an embedded public key (PKCS#8 v2) against the secret.
        let sk =
            ed25519_dalek::SigningKey::try_from(info).map_err(|e| library(origin, format, e))?;
        return FileKey::from_ed25519(sk)
            .ok_or_else(|| invalid(origin, format, Algorithm::Ed25519));
    }
    if oid != EC_PUBLIC_KEY {
        return Err(unsupported(origin, format, oid_name(oid)));
    }
    let curve = info
        .algorithm
        .parameters_oid()
        .map_err(|e| library(origin, format, e))?;
    if curve != P256 {
        return Err(unsupported(origin, format, oid_name(curve)));
    }
    let sk = p256::ecdsa::SigningKey::try_from(info).map_err(|e| library(origin, format, e))?;
    FileKey::from_p256(sk).ok_or_else(|| invalid(origin, format, Algorithm::Es256))
}

pub(super) fn decode_sec1_pem(text: &str, origin: &Origin) -> Result<FileKey, Error> {
    let format = KeyFormat::Sec1;
    // OpenSSL's legacy encryption adds RFC 1421 headers inside the armor.
    if text.lines().take(3).any(|l| l.starts_with("Proc-Type:")) {
        let scheme = text
            .lines()
            .take(4)
            .find_map(|l| l.strip_prefix("DEK-Info:"))
            .and_then(|v| v.split(',').next())
            .map(|c| crate::error::excerpt(c.trim()))
            .unwrap_or_else(|| "an unnamed cipher".to_owned());
        return Err(Error::UnsupportedEncryption {
            origin: origin.clone(),
            format,
            scheme: format!("legacy OpenSSL PEM encryption ({scheme})"),
        });
    }
    let (label, doc) = SecretDocument::from_pem(text).map_err(|e| library(origin, format, e))?;
    EcPrivateKey::validate_pem_label(label).map_err(|e| library(origin, format, e))?;
    decode_sec1_der(doc.as_bytes(), origin)
}

fn decode_sec1_der(der: &[u8], origin: &Origin) -> Result<FileKey, Error> {
    let format = KeyFormat::Sec1;
    let parsed = EcPrivateKey::try_from(der).map_err(|e| library(origin, format, e))?;
    match parsed.parameters {
        Some(EcParameters::NamedCurve(curve)) if curve != P256 => {
            return Err(unsupported(origin, format, oid_name(curve)));
        }
        // Without parameters the curve is implied by context; only P-256
        // keys have a 32-byte scalar among the curves one meets.
        None if parsed.private_key.len() != 32 => {
            return Err(unsupported(
                origin,
                format,
                "EC key without a named curve".into(),
            ));
        }
        _ => {}
    }
    // Also checks an embedded public key against the secret.
    let secret = p256::SecretKey::from_sec1_der(der).map_err(|e| library(origin, format, e))?;
    FileKey::from_p256(p256::ecdsa::SigningKey::from(&secret))
        .ok_or_else(|| invalid(origin, format, Algorithm::Es256))
}

/// DER without armor: PKCS#8 first, then SEC1.
pub(super) fn decode_der(der: &[u8], origin: &Origin) -> Result<FileKey, Error> {
    if PrivateKeyInfoRef::try_from(der).is_ok() {
        return decode_pkcs8_der(der, origin);
    }
    if EcPrivateKey::try_from(der).is_ok() {
        return decode_sec1_der(der, origin);
    }
    Err(Error::UnrecognizedFormat {
        origin: origin.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pkcs8::EncodePrivateKey as _;
    use pkcs8::LineEnding::LF;

    #[test]
    fn pkcs8_and_sec1_keys_made_by_rustcrypto_load() {
        let ed = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let expected = FileKey::from_ed25519(ed.clone()).unwrap();
        let pem = ed.to_pkcs8_pem(LF).unwrap();
        let key = FileKey::decode(pem.as_bytes(), None).unwrap();
        assert_eq!(key.public_key(), expected.public_key());
        let der = ed.to_pkcs8_der().unwrap();
        let key = FileKey::decode(der.as_bytes(), None).unwrap();
        assert_eq!(key.public_key(), expected.public_key());

        let secret = p256::SecretKey::from_slice(&[9; 32]).unwrap();
        let expected = FileKey::from_p256(p256::ecdsa::SigningKey::from(&secret)).unwrap();
        for text in [
            secret.to_pkcs8_pem(LF).unwrap(),
            secret.to_sec1_pem(LF).unwrap(),
        ] {
            let key = FileKey::decode(text.as_bytes(), None).unwrap();
            assert_eq!(key.public_key(), expected.public_key());
        }
        for der in [
            secret.to_pkcs8_der().unwrap().as_bytes().to_vec(),
            secret.to_sec1_der().unwrap().to_vec(),
        ] {
            let key = FileKey::decode(&der, None).unwrap();
            assert_eq!(key.public_key(), expected.public_key());
        }
    }

    #[test]
    fn legacy_encrypted_sec1_names_its_cipher() {
        let text = "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
                    DEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\n\nAAAA\n\
                    -----END EC PRIVATE KEY-----\n";
        match FileKey::decode(text.as_bytes(), None) {
            Err(Error::UnsupportedEncryption { scheme, .. }) => {
                assert!(scheme.contains("AES-256-CBC"), "{scheme}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn oids_are_named() {
        assert_eq!(
            oid_name(ObjectIdentifier::new_unwrap("1.3.132.0.34")),
            "ECDSA P-384 (1.3.132.0.34)"
        );
        assert_eq!(
            oid_name(ObjectIdentifier::new_unwrap("1.2.3.4")),
            "OID 1.2.3.4"
        );
    }
}
