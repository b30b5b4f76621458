//! vouch's private key file format, version 1.
//!
//! A file is PEM-style armor around one canonical CBOR map (RFC 8949
//! §4.2.1, as [`vouch_core::cbor`] writes and strictly reads it):
//!
//! ```text
//! -----BEGIN VOUCH PRIVATE KEY-----
//! <standard base64 with padding, 64 characters a line>
//! -----END VOUCH PRIVATE KEY-----
//! ```
//!
//! ```cddl
//! key-file = {
//!   "version":   1,
//!   "algorithm": "ed25519" / "es256",
//!   "public":    bstr,              ; SSH wire blob (vouch-core's canonical key encoding)
//!   ? "comment": tstr,
//!   ? "encryption": {
//!       "kdf":         "argon2id",  ; Argon2id, version 0x13 (RFC 9106)
//!       "memory_kib":  uint,        ; m, at most KdfParams::MAX_MEMORY_KIB
//!       "iterations":  uint,        ; t, at most KdfParams::MAX_ITERATIONS
//!       "parallelism": uint,        ; p, at most KdfParams::MAX_PARALLELISM
//!       "salt":        bstr,        ; 16 to 64 random bytes (16 written)
//!       "cipher":      "xchacha20poly1305",
//!       "nonce":       bstr .size 24,
//!     },
//!   "secret":    bstr,              ; see below
//! }
//! ```
//!
//! - `secret` without `encryption`: the 32 secret bytes, an Ed25519 seed
//!   (RFC 8032 §5.1.5) or a big-endian P-256 scalar.
//! - `secret` with `encryption`: 48 bytes, XChaCha20-Poly1305 ciphertext
//!   and tag of those 32 bytes, under the 32-byte key
//!   `Argon2id(passphrase, salt, m, t, p)`. The associated data is the
//!   canonical CBOR of the map without `secret`, so every other field
//!   (algorithm, public key, comment, KDF parameters) is authenticated: a
//!   changed byte anywhere reads as [`Error::WrongPassphrase`].
//!
//! A reader refuses anything else: another version
//! ([`Error::UnsupportedVersion`]), unknown fields, non-canonical CBOR,
//! wrong lengths, KDF costs above the limits ([`Error::KdfLimit`], so a
//! hostile file cannot demand gigabytes of memory), a public key that does
//! not match the secret. The public key is stored in the clear so tools can
//! show which key an encrypted file holds without the passphrase.

use argon2::Argon2;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::AeadInOut as _;
use chacha20poly1305::{KeyInit as _, XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use vouch_core::cbor::{Limits, from_canonical_with_limits, to_canonical};
use vouch_core::{Algorithm, KeyId, PublicKey};
use zeroize::Zeroizing;

use super::FileKey;
use crate::error::{DecodeError, Error, KdfParam, KeyFormat, Origin};
use crate::passphrase::Passphrase;

/// The armor label (`-----BEGIN VOUCH PRIVATE KEY-----`).
pub const LABEL: &str = "VOUCH PRIVATE KEY";
/// The format version this build writes and reads.
pub const VERSION: u64 = 1;

const BEGIN: &str = "-----BEGIN VOUCH PRIVATE KEY-----";
const END: &str = "-----END VOUCH PRIVATE KEY-----";
const LINE_LEN: usize = 64;
const KDF_ARGON2ID: &str = "argon2id";
const CIPHER_XCHACHA20POLY1305: &str = "xchacha20poly1305";
const SECRET_LEN: usize = 32;
const TAG_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const SALT_LEN: usize = 16;
const MIN_SALT_LEN: usize = 16;
const MAX_SALT_LEN: usize = 64;
/// A key document is a few hundred bytes; a long comment still fits.
const CBOR_LIMITS: Limits = Limits {
    max_size: 4096,
    max_depth: 4,
};

/// Argon2id cost parameters for encrypting a key file.
///
/// Reading a file enforces the same upper bounds as [`KdfParams::new`], so a
/// hostile file cannot demand more than [`KdfParams::MAX_MEMORY_KIB`] of
/// memory or more than [`KdfParams::MAX_ITERATIONS`] passes.
///
/// ```
/// use vouch_keys::KdfParams;
/// assert_eq!(KdfParams::default(), KdfParams::RECOMMENDED);
/// // Cheap parameters for tests; never for real keys.
/// let fast = KdfParams::new(64, 1, 1)?;
/// assert!(KdfParams::new(KdfParams::MAX_MEMORY_KIB + 1, 1, 1).is_err());
/// # let _ = fast;
/// # Ok::<(), vouch_keys::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

impl KdfParams {
    /// RFC 9106 §4's second recommended option: 64 MiB, 3 passes, 4 lanes.
    pub const RECOMMENDED: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 4,
    };
    /// Largest memory cost written or read: 256 MiB.
    pub const MAX_MEMORY_KIB: u32 = 256 * 1024;
    /// Largest number of passes written or read.
    pub const MAX_ITERATIONS: u32 = 16;
    /// Largest number of lanes written or read.
    pub const MAX_PARALLELISM: u32 = 16;

    /// Checked parameters: memory in KiB (at least 8 per lane, as Argon2
    /// requires), passes and lanes at least 1, all within the maximums.
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<KdfParams, Error> {
        let check = |param, value: u32, min: u32, max: u32| {
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(Error::InvalidKdfParams {
                    param,
                    value: value.into(),
                    min: min.into(),
                    max: max.into(),
                })
            }
        };
        check(KdfParam::Parallelism, parallelism, 1, Self::MAX_PARALLELISM)?;
        check(KdfParam::Iterations, iterations, 1, Self::MAX_ITERATIONS)?;
        check(
            KdfParam::MemoryKib,
            memory_kib,
            8 * parallelism,
            Self::MAX_MEMORY_KIB,
        )?;
        Ok(KdfParams {
            memory_kib,
            iterations,
            parallelism,
        })
    }

    /// Memory cost in KiB (Argon2 `m`).
    pub fn memory_kib(&self) -> u32 {
        self.memory_kib
    }

    /// Passes over memory (Argon2 `t`).
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// Lanes (Argon2 `p`).
    pub fn parallelism(&self) -> u32 {
        self.parallelism
    }

    /// Checks parameters read from a file: above a maximum is
    /// [`Error::KdfLimit`], below what Argon2 accepts is malformed.
    fn from_file(enc: &Encryption, origin: &Origin) -> Result<KdfParams, Error> {
        for (param, value, limit) in [
            (KdfParam::MemoryKib, enc.memory_kib, Self::MAX_MEMORY_KIB),
            (KdfParam::Iterations, enc.iterations, Self::MAX_ITERATIONS),
            (
                KdfParam::Parallelism,
                enc.parallelism,
                Self::MAX_PARALLELISM,
            ),
        ] {
            if value > u64::from(limit) {
                return Err(Error::KdfLimit {
                    origin: origin.clone(),
                    param,
                    value,
                    limit: limit.into(),
                });
            }
        }
        // Each value is at most its u32 limit now.
        let small = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        KdfParams::new(
            small(enc.memory_kib),
            small(enc.iterations),
            small(enc.parallelism),
        )
        .map_err(|e| match e {
            Error::InvalidKdfParams {
                param, value, min, ..
            } => Error::malformed(
                origin,
                KeyFormat::Vouch,
                DecodeError::KdfBelowMinimum { param, value, min },
            ),
            other => other,
        })
    }

    fn derive(
        &self,
        passphrase: &Passphrase,
        salt: &[u8],
        key_id: KeyId,
    ) -> Result<Zeroizing<[u8; 32]>, Error> {
        let kdf_error = |e: argon2::Error| Error::Kdf {
            key_id,
            source: Box::new(e),
        };
        let params =
            argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
                .map_err(kdf_error)?;
        let argon = Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut key = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(passphrase.as_bytes(), salt, &mut *key)
            .map_err(kdf_error)?;
        Ok(key)
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams::RECOMMENDED
    }
}

/// The `encryption` map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Encryption {
    kdf: String,
    // Read as u64 so an oversized value is reported as over the limit
    // rather than as a type error.
    memory_kib: u64,
    iterations: u64,
    parallelism: u64,
    #[serde(with = "bytes")]
    salt: Vec<u8>,
    cipher: String,
    #[serde(with = "bytes")]
    nonce: Vec<u8>,
}

/// The whole file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    version: u64,
    algorithm: Algorithm,
    #[serde(with = "bytes")]
    public: Vec<u8>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    encryption: Option<Encryption>,
    secret: SecretBytes,
}

/// The file without `secret`: what is written and, encoded, the AEAD's
/// associated data. Field names and types mirror [`Document`].
#[derive(Serialize)]
struct Header<'a> {
    version: u64,
    algorithm: Algorithm,
    #[serde(with = "bytes")]
    public: &'a [u8],
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encryption: Option<&'a Encryption>,
}

/// [`Header`] plus the secret, for writing.
#[derive(Serialize)]
struct WriteDocument<'a> {
    version: u64,
    algorithm: Algorithm,
    #[serde(with = "bytes")]
    public: &'a [u8],
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encryption: Option<&'a Encryption>,
    secret: &'a SecretBytes,
}

/// Just the version, read first so a future version is reported as such
/// rather than as unknown fields.
#[derive(Deserialize)]
struct VersionProbe {
    version: u64,
}

/// Secret (or ciphertext) bytes, zeroized on drop.
///
/// What is zeroized is vouch's copy. For an unencrypted file the CBOR
/// encoder and decoder also pass the secret through their own buffers,
/// which they do not wipe; the secret lies unencrypted in the file anyway.
/// For an encrypted file only ciphertext passes through them.
struct SecretBytes(Zeroizing<Vec<u8>>);

use vouch_core::cbor::byte_string as bytes;

impl Serialize for SecretBytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        bytes::serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for SecretBytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // The decoded buffer moves into the zeroizing wrapper uncopied.
        bytes::deserialize(d).map(|v| SecretBytes(Zeroizing::new(v)))
    }
}

/// Encodes `key`, encrypted when a passphrase is given.
pub(super) fn encode(
    key: &FileKey,
    passphrase: Option<&Passphrase>,
    kdf: KdfParams,
) -> Result<Zeroizing<String>, Error> {
    let key_id = key.key_id();
    let public = key.public_key().to_canonical_bytes();
    let comment = (!key.comment().is_empty()).then(|| key.comment());
    let algorithm = key.algorithm();
    let encode_error = |source| Error::Encode { key_id, source };
    let (encryption, secret) = match passphrase {
        None => (
            None,
            SecretBytes(Zeroizing::new(key.secret_bytes().to_vec())),
        ),
        Some(p) if p.is_empty() => return Err(Error::EmptyPassphrase { key_id }),
        Some(p) => {
            let mut salt = [0u8; SALT_LEN];
            let mut nonce = [0u8; NONCE_LEN];
            getrandom::fill(&mut salt).map_err(Error::random)?;
            getrandom::fill(&mut nonce).map_err(Error::random)?;
            let enc = Encryption {
                kdf: KDF_ARGON2ID.into(),
                memory_kib: kdf.memory_kib.into(),
                iterations: kdf.iterations.into(),
                parallelism: kdf.parallelism.into(),
                salt: salt.to_vec(),
                cipher: CIPHER_XCHACHA20POLY1305.into(),
                nonce: nonce.to_vec(),
            };
            let aad = to_canonical(&Header {
                version: VERSION,
                algorithm,
                public: &public,
                comment,
                encryption: Some(&enc),
            })
            .map_err(encode_error)?;
            let aead_key = kdf.derive(p, &salt, key_id)?;
            let cipher = XChaCha20Poly1305::new((&*aead_key).into());
            // Capacity for the tag up front: growing the buffer would leave
            // a copy of the plaintext in freed memory.
            let mut buf = Zeroizing::new(Vec::with_capacity(SECRET_LEN + TAG_LEN));
            buf.extend_from_slice(&*key.secret_bytes());
            cipher
                .encrypt_in_place(&XNonce::from(nonce), &aad, &mut *buf)
                .map_err(|_| Error::Encrypt { key_id })?;
            (Some(enc), SecretBytes(buf))
        }
    };
    let doc = WriteDocument {
        version: VERSION,
        algorithm,
        public: &public,
        comment,
        encryption: encryption.as_ref(),
        secret: &secret,
    };
    let cbor = Zeroizing::new(to_canonical(&doc).map_err(encode_error)?);
    Ok(armor(&cbor))
}

fn armor(cbor: &[u8]) -> Zeroizing<String> {
    let b64 = Zeroizing::new(STANDARD.encode(cbor));
    let lines = b64.len().div_ceil(LINE_LEN);
    let mut out = Zeroizing::new(String::with_capacity(
        BEGIN.len() + END.len() + b64.len() + lines + 2,
    ));
    out.push_str(BEGIN);
    out.push('\n');
    // Base64 is ASCII, so every 64-byte chunk is valid UTF-8.
    for chunk in b64.as_bytes().chunks(LINE_LEN) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(END);
    out.push('\n');
    out
}

/// Strips the armor: the text must be the BEGIN line, base64 lines, the END
/// line and nothing after it but whitespace.
fn dearmor(text: &str) -> Result<Zeroizing<Vec<u8>>, DecodeError> {
    let mut lines = text.trim().lines().map(str::trim);
    if lines.next() != Some(BEGIN) {
        return Err(DecodeError::Armor {
            expected: "the BEGIN VOUCH PRIVATE KEY line first",
        });
    }
    let mut body = Zeroizing::new(String::with_capacity(text.len()));
    let mut ended = false;
    for line in lines.by_ref() {
        if line == END {
            ended = true;
            break;
        }
        body.push_str(line);
    }
    if !ended {
        return Err(DecodeError::Armor {
            expected: "an END VOUCH PRIVATE KEY line",
        });
    }
    if lines.next().is_some() {
        return Err(DecodeError::Armor {
            expected: "nothing after the END line",
        });
    }
    STANDARD
        .decode(body.as_bytes())
        .map(Zeroizing::new)
        .map_err(DecodeError::Base64)
}

/// Decodes a vouch key file (`text` starts with the BEGIN line).
pub(super) fn decode(
    text: &str,
    passphrase: Option<&Passphrase>,
    origin: &Origin,
) -> Result<FileKey, Error> {
    let malformed = |e| Error::malformed(origin, KeyFormat::Vouch, e);
    let cbor = dearmor(text).map_err(malformed)?;
    let probe: VersionProbe = from_canonical_with_limits(&cbor, CBOR_LIMITS)
        .map_err(|e| malformed(DecodeError::Cbor(e)))?;
    if probe.version != VERSION {
        return Err(Error::UnsupportedVersion {
            origin: origin.clone(),
            version: probe.version,
        });
    }
    let doc: Document = from_canonical_with_limits(&cbor, CBOR_LIMITS)
        .map_err(|e| malformed(DecodeError::Cbor(e)))?;
    let public = PublicKey::from_canonical_bytes(&doc.public)
        .map_err(|e| malformed(DecodeError::PublicKey(e)))?;
    if public.algorithm() != doc.algorithm {
        return Err(malformed(DecodeError::AlgorithmMismatch {
            recorded: doc.algorithm,
            actual: public.algorithm(),
        }));
    }
    if public.fido_application().is_some() {
        return Err(Error::UnsupportedKeyType {
            origin: origin.clone(),
            format: KeyFormat::Vouch,
            key_type: public.ssh_key_type().into(),
        });
    }
    let key_id = public.key_id();
    let secret = match &doc.encryption {
        None => {
            check_len("secret", &doc.secret.0, SECRET_LEN).map_err(malformed)?;
            Zeroizing::new(doc.secret.0.to_vec())
        }
        Some(enc) => {
            // The scheme and its costs are judged before a passphrase is
            // asked for: a file demanding too much is refused either way.
            if enc.kdf != KDF_ARGON2ID || enc.cipher != CIPHER_XCHACHA20POLY1305 {
                return Err(Error::UnsupportedEncryption {
                    origin: origin.clone(),
                    format: KeyFormat::Vouch,
                    scheme: crate::error::excerpt(&format!("{} + {}", enc.kdf, enc.cipher)),
                });
            }
            let kdf = KdfParams::from_file(enc, origin)?;
            let Some(passphrase) = passphrase else {
                return Err(Error::PassphraseRequired {
                    origin: origin.clone(),
                    format: KeyFormat::Vouch,
                    key_id: Some(key_id),
                });
            };
            if !(MIN_SALT_LEN..=MAX_SALT_LEN).contains(&enc.salt.len()) {
                return Err(malformed(DecodeError::FieldLength {
                    field: "salt",
                    expected: MIN_SALT_LEN,
                    actual: enc.salt.len(),
                }));
            }
            check_len("nonce", &enc.nonce, NONCE_LEN).map_err(malformed)?;
            check_len("secret", &doc.secret.0, SECRET_LEN + TAG_LEN).map_err(malformed)?;
            let header = Header {
                version: doc.version,
                algorithm: doc.algorithm,
                public: &doc.public,
                comment: doc.comment.as_deref(),
                encryption: Some(enc),
            };
            let aad = to_canonical(&header).map_err(|e| malformed(DecodeError::Cbor(e)))?;
            let aead_key = kdf.derive(passphrase, &enc.salt, key_id)?;
            let cipher = XChaCha20Poly1305::new((&*aead_key).into());
            let nonce = XNonce::try_from(enc.nonce.as_slice()).map_err(|_| {
                malformed(DecodeError::FieldLength {
                    field: "nonce",
                    expected: NONCE_LEN,
                    actual: enc.nonce.len(),
                })
            })?;
            let mut buf = Zeroizing::new(doc.secret.0.to_vec());
            cipher
                .decrypt_in_place(&nonce, &aad, &mut *buf)
                .map_err(|_| Error::WrongPassphrase {
                    origin: origin.clone(),
                    key_id: Some(key_id),
                })?;
            buf
        }
    };
    let mut key = FileKey::from_secret_bytes(doc.algorithm, &secret)
        .ok_or_else(|| malformed(DecodeError::InvalidSecret(doc.algorithm)))?;
    if key.public_key() != &public {
        return Err(malformed(DecodeError::PublicKeyMismatch {
            recorded: key_id,
        }));
    }
    if let Some(c) = &doc.comment {
        key.set_comment(c);
    }
    Ok(key)
}

fn check_len(field: &'static str, value: &[u8], expected: usize) -> Result<(), DecodeError> {
    if value.len() == expected {
        Ok(())
    } else {
        Err(DecodeError::FieldLength {
            field,
            expected,
            actual: value.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ciborium::value::Value;

    fn fast() -> KdfParams {
        KdfParams::new(64, 1, 1).unwrap()
    }

    #[test]
    fn armor_round_trips_and_is_strict() {
        let data: Vec<u8> = (0..=255).collect();
        let text = armor(&data);
        assert!(
            text.lines()
                .all(|l| l.len() <= LINE_LEN || l.starts_with("-----"))
        );
        assert_eq!(&*dearmor(&text).unwrap(), &data);
        let trailing = format!("{}junk\n", &*text);
        assert!(matches!(dearmor(&trailing), Err(DecodeError::Armor { .. })));
        let no_end = text.replace(END, "");
        assert!(matches!(dearmor(&no_end), Err(DecodeError::Armor { .. })));
        let bad_b64 = text.replacen("AAEC", "A!EC", 1);
        assert!(matches!(dearmor(&bad_b64), Err(DecodeError::Base64(_))));
    }

    #[test]
    fn encrypted_round_trip_and_wrong_passphrase() {
        let key = FileKey::generate(Algorithm::Es256)
            .unwrap()
            .with_comment("ci");
        let pass = Passphrase::new("pw");
        let text = encode(&key, Some(&pass), fast()).unwrap();
        let back = decode(&text, Some(&pass), &Origin::Memory).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        assert_eq!(back.comment(), "ci");
        assert!(matches!(
            decode(&text, Some(&Passphrase::new("pW")), &Origin::Memory),
            Err(Error::WrongPassphrase { key_id: Some(k), .. }) if k == key.key_id()
        ));
        assert!(matches!(
            decode(&text, None, &Origin::Memory),
            Err(Error::PassphraseRequired { .. })
        ));
        assert!(matches!(
            encode(&key, Some(&Passphrase::new("")), fast()),
            Err(Error::EmptyPassphrase { .. })
        ));
    }

    /// Re-encodes a parsed document after `edit`, for tampering tests.
    fn tamper(text: &str, edit: impl FnOnce(&mut Vec<(Value, Value)>)) -> String {
        let cbor = dearmor(text).unwrap();
        let mut v: Value = vouch_core::cbor::from_canonical(&cbor).unwrap();
        let Value::Map(m) = &mut v else {
            panic!("not a map")
        };
        edit(m);
        armor(&vouch_core::cbor::to_canonical(&v).unwrap()).to_string()
    }

    fn set(map: &mut [(Value, Value)], path: &[&str], value: Value) {
        let (first, rest) = path.split_first().unwrap();
        let entry = map
            .iter_mut()
            .find(|(k, _)| k.as_text() == Some(first))
            .unwrap();
        if rest.is_empty() {
            entry.1 = value;
        } else {
            let Value::Map(inner) = &mut entry.1 else {
                panic!("not a map")
            };
            set(inner, rest, value);
        }
    }

    #[test]
    fn future_versions_are_named() {
        let key = FileKey::generate(Algorithm::Ed25519).unwrap();
        let text = encode(&key, None, fast()).unwrap();
        let v2 = tamper(&text, |m| set(m, &["version"], Value::from(2)));
        assert!(matches!(
            decode(&v2, None, &Origin::Memory),
            Err(Error::UnsupportedVersion { version: 2, .. })
        ));
    }

    #[test]
    fn hostile_kdf_costs_are_refused_before_any_work() {
        let key = FileKey::generate(Algorithm::Ed25519).unwrap();
        let pass = Passphrase::new("pw");
        let text = encode(&key, Some(&pass), fast()).unwrap();
        for (field, value, param) in [
            ("memory_kib", 4u64 << 30, KdfParam::MemoryKib),
            ("iterations", 1 << 20, KdfParam::Iterations),
            ("parallelism", 1 << 20, KdfParam::Parallelism),
        ] {
            let hostile = tamper(&text, |m| {
                set(m, &["encryption", field], Value::from(value))
            });
            match decode(&hostile, Some(&pass), &Origin::Memory) {
                Err(Error::KdfLimit {
                    param: p, value: v, ..
                }) => assert_eq!((p, v), (param, value)),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn kdf_costs_below_the_minimum_are_malformed() {
        let key = FileKey::generate(Algorithm::Ed25519).unwrap();
        let pass = Passphrase::new("pw");
        let text = encode(&key, Some(&pass), fast()).unwrap();
        let zero = tamper(&text, |m| {
            set(m, &["encryption", "iterations"], Value::from(0))
        });
        assert!(matches!(
            decode(&zero, Some(&pass), &Origin::Memory),
            Err(Error::Malformed {
                source: DecodeError::KdfBelowMinimum {
                    param: KdfParam::Iterations,
                    value: 0,
                    min: 1
                },
                ..
            })
        ));
        let salt = tamper(&text, |m| {
            set(m, &["encryption", "salt"], Value::Bytes(vec![1; 8]))
        });
        assert!(matches!(
            decode(&salt, Some(&pass), &Origin::Memory),
            Err(Error::Malformed {
                source: DecodeError::FieldLength { field: "salt", .. },
                ..
            })
        ));
    }

    #[test]
    fn every_header_field_is_authenticated() {
        let key = FileKey::generate(Algorithm::Ed25519)
            .unwrap()
            .with_comment("original");
        let pass = Passphrase::new("pw");
        let text = encode(&key, Some(&pass), fast()).unwrap();
        let edits: Vec<(&[&str], Value)> = vec![
            (&["comment"], Value::from("changed")),
            (&["encryption", "iterations"], Value::from(2)),
            (&["encryption", "salt"], Value::Bytes(vec![7; 16])),
            (&["encryption", "nonce"], Value::Bytes(vec![7; 24])),
        ];
        for (path, value) in edits {
            let changed = tamper(&text, |m| set(m, path, value));
            assert!(
                matches!(
                    decode(&changed, Some(&pass), &Origin::Memory),
                    Err(Error::WrongPassphrase { .. })
                ),
                "{path:?}"
            );
        }
        // Another valid key's public half cannot be slipped in either.
        let other = FileKey::generate(Algorithm::Ed25519).unwrap();
        let swapped = tamper(&text, |m| {
            set(
                m,
                &["public"],
                Value::Bytes(other.public_key().to_canonical_bytes()),
            )
        });
        assert!(matches!(
            decode(&swapped, Some(&pass), &Origin::Memory),
            Err(Error::WrongPassphrase { .. })
        ));
    }

    #[test]
    fn plain_files_are_checked_for_consistency() {
        let key = FileKey::generate(Algorithm::Ed25519).unwrap();
        let text = encode(&key, None, fast()).unwrap();
        let other = FileKey::generate(Algorithm::Ed25519).unwrap();
        let swapped = tamper(&text, |m| {
            set(
                m,
                &["public"],
                Value::Bytes(other.public_key().to_canonical_bytes()),
            )
        });
        assert!(matches!(
            decode(&swapped, None, &Origin::Memory),
            Err(Error::Malformed {
                source: DecodeError::PublicKeyMismatch { .. },
                ..
            })
        ));
        let p256 = FileKey::generate(Algorithm::Es256).unwrap();
        let mismatch = tamper(&text, |m| {
            set(
                m,
                &["public"],
                Value::Bytes(p256.public_key().to_canonical_bytes()),
            )
        });
        assert!(matches!(
            decode(&mismatch, None, &Origin::Memory),
            Err(Error::Malformed {
                source: DecodeError::AlgorithmMismatch { .. },
                ..
            })
        ));
        let short = tamper(&text, |m| set(m, &["secret"], Value::Bytes(vec![1; 31])));
        assert!(matches!(
            decode(&short, None, &Origin::Memory),
            Err(Error::Malformed {
                source: DecodeError::FieldLength { .. },
                ..
            })
        ));
        let extra = tamper(&text, |m| m.push((Value::from("extra"), Value::from(1))));
        assert!(matches!(
            decode(&extra, None, &Origin::Memory),
            Err(Error::Malformed {
                source: DecodeError::Cbor(_),
                ..
            })
        ));
    }

    #[test]
    fn kdf_params_are_bounded() {
        assert!(KdfParams::new(8, 1, 1).is_ok());
        assert!(matches!(
            KdfParams::new(7, 1, 1),
            Err(Error::InvalidKdfParams {
                param: KdfParam::MemoryKib,
                ..
            })
        ));
        assert!(KdfParams::new(64, 0, 1).is_err());
        assert!(KdfParams::new(64, 1, 0).is_err());
        assert!(KdfParams::new(64, 1, 9).is_err());
        assert!(KdfParams::new(64, KdfParams::MAX_ITERATIONS + 1, 1).is_err());
        let r = KdfParams::RECOMMENDED;
        assert_eq!(
            KdfParams::new(r.memory_kib(), r.iterations(), r.parallelism()).unwrap(),
            r
        );
    }
}
