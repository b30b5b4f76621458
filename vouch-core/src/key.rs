//! Algorithms, public keys and key ids.
//!
//! A [`PublicKey`] is bound to its [`Algorithm`]: the algorithm is a property
//! of the key, never of a header or a signature, so nothing an attacker
//! writes next to a signature can change how a key is used.
//!
//! The canonical encoding of a public key is its SSH wire-format blob
//! (RFC 4253 §6.6, RFC 5656 §3.1, OpenSSH PROTOCOL.u2f for security keys).
//! That choice makes a [`KeyId`] (SHA-256 of the canonical encoding) equal to
//! the `SHA256:` fingerprint `ssh-keygen -l` prints for the same key, so a
//! person can match a roster entry against their git signing key by eye.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use spki::{DecodePublicKey as _, EncodePublicKey as _};

use crate::digest::Digest;
use crate::wire::{Reader, put_string};

/// A signature algorithm. Each key supports exactly one.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Algorithm {
    /// Ed25519 (RFC 8032), verified with the cofactored equation and strict
    /// encodings (see [`provider`](crate::provider)).
    Ed25519,
    /// ECDSA on NIST P-256 with SHA-256 (COSE `ES256`).
    Es256,
}

impl Algorithm {
    /// Short lowercase name (`ed25519`, `es256`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Ed25519 => "ed25519",
            Algorithm::Es256 => "es256",
        }
    }

    /// The COSE algorithm identifier vouch writes (`EdDSA` = -8, `ES256` = -7).
    pub fn cose_id(self) -> i64 {
        match self {
            Algorithm::Ed25519 => -8,
            Algorithm::Es256 => -7,
        }
    }

    /// Maps a COSE algorithm identifier to an algorithm. `EdDSA` (-8) and the
    /// fully specified `Ed25519` (-19, RFC 9864) both name Ed25519 here
    /// because the key (an OKP key on Ed25519) fixes the curve.
    pub fn from_cose_id(id: i64) -> Option<Self> {
        match id {
            -8 | -19 => Some(Algorithm::Ed25519),
            -7 => Some(Algorithm::Es256),
            _ => None,
        }
    }

    /// Length in bytes of a signature value of this algorithm.
    pub fn signature_len(self) -> usize {
        match self {
            Algorithm::Ed25519 | Algorithm::Es256 => 64,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        match s.to_ascii_lowercase().as_str() {
            "ed25519" => Ok(Algorithm::Ed25519),
            "es256" | "p256" | "p-256" | "ecdsa-p256" => Ok(Algorithm::Es256),
            _ => Err(KeyError::UnknownAlgorithm(s.chars().take(40).collect())),
        }
    }
}

/// The identifier of a public key: SHA-256 of its canonical encoding, shown as hex.
///
/// ```
/// use vouch_core::PublicKey;
/// let key = PublicKey::from_openssh(
///     "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFOG6kY7Rf4UtCFvPwKgo/BztXck2xC4a2WyA34XtIwZ alice",
/// ).unwrap();
/// let id = key.key_id();
/// assert_eq!(id.ssh_fingerprint(), "SHA256:L3k/oJubblSY0lB9Ulsl7emDMnRPKm/8udf2ccwk560");
/// assert_eq!(id.to_string().parse::<vouch_core::KeyId>().unwrap(), id);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; 32]);

impl KeyId {
    /// Wraps 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        KeyId(bytes)
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Reads a key id from a 32-byte slice.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, KeyError> {
        bytes
            .try_into()
            .map(KeyId)
            .map_err(|_| KeyError::KeyIdLength(bytes.len()))
    }

    /// The OpenSSH spelling of the same hash: `SHA256:` and unpadded base64.
    pub fn ssh_fingerprint(&self) -> String {
        format!("SHA256:{}", STANDARD_NO_PAD.encode(self.0))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl FromStr for KeyId {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        if s.len() != 64
            || !s
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(KeyError::KeyIdText);
        }
        let raw = hex::decode(s).map_err(|_| KeyError::KeyIdText)?;
        KeyId::from_slice(&raw)
    }
}

impl serde::Serialize for KeyId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for KeyId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The canonical bytes of a validated key: a provider takes them as they are.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Material {
    /// A canonical encoding of an Ed25519 point that is not of small order.
    Ed25519([u8; 32]),
    /// An uncompressed SEC1 point on P-256 (`04 || x || y`).
    P256([u8; 65]),
}

/// A public key: Ed25519 or P-256, optionally bound to a FIDO application.
///
/// A key with a FIDO application (an OpenSSH `sk-` key) only accepts
/// signatures that carry [`Evidence::Fido`](crate::Evidence::Fido) for that
/// application, because such a key can only ever sign authenticator data.
///
/// Parse it from any of the formats other tools write: OpenSSH public key
/// lines, PEM SubjectPublicKeyInfo, COSE_Key, or the canonical SSH blob.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    material: Material,
    application: Option<String>,
    // Derived from the two fields above, kept because every verified
    // signature reports it and hashing the blob each time shows in profiles.
    key_id: KeyId,
}

const SSH_ED25519: &str = "ssh-ed25519";
const SSH_P256: &str = "ecdsa-sha2-nistp256";
const SSH_SK_ED25519: &str = "sk-ssh-ed25519@openssh.com";
const SSH_SK_P256: &str = "sk-ecdsa-sha2-nistp256@openssh.com";
const NISTP256: &str = "nistp256";
impl PublicKey {
    /// The longest FIDO application string a key may be bound to, in
    /// bytes: they are short (`ssh:`, an RP id), and OpenSSH's are bounded
    /// the same.
    pub const MAX_FIDO_APPLICATION_LEN: usize = 255;

    /// An Ed25519 key from its 32-byte encoding (RFC 8032 §5.1.5).
    pub fn ed25519(bytes: &[u8]) -> Result<Self, KeyError> {
        let raw: [u8; 32] = bytes
            .try_into()
            .map_err(|_| KeyError::Ed25519Length(bytes.len()))?;
        if !crate::ed25519::public_key_is_canonical(&raw) {
            return Err(KeyError::InvalidPoint(Algorithm::Ed25519));
        }
        if !crate::ed25519::public_key_has_large_order(&raw) {
            return Err(KeyError::SmallOrder);
        }
        Ok(PublicKey::from_material(Material::Ed25519(raw), None))
    }

    /// A P-256 key from a SEC1 point (compressed or uncompressed), stored
    /// uncompressed.
    pub fn p256_sec1(bytes: &[u8]) -> Result<Self, KeyError> {
        let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes)
            .map_err(|_| KeyError::InvalidPoint(Algorithm::Es256))?;
        let point = key.to_sec1_point(false);
        let raw: [u8; 65] = point
            .as_bytes()
            .try_into()
            .map_err(|_| KeyError::InvalidPoint(Algorithm::Es256))?;
        Ok(PublicKey::from_material(Material::P256(raw), None))
    }

    /// Binds this key to a FIDO application (as OpenSSH `sk-` keys are).
    pub fn with_fido_application(self, application: &str) -> Result<Self, KeyError> {
        if application.len() > Self::MAX_FIDO_APPLICATION_LEN {
            return Err(KeyError::ApplicationTooLong {
                len: application.len(),
                max: Self::MAX_FIDO_APPLICATION_LEN,
            });
        }
        if application.is_empty() {
            return Err(KeyError::Application);
        }
        Ok(PublicKey::from_material(
            self.material,
            Some(application.to_owned()),
        ))
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        match self.material {
            Material::Ed25519(_) => Algorithm::Ed25519,
            Material::P256(_) => Algorithm::Es256,
        }
    }

    /// The FIDO application this key is bound to, if it is a security key.
    pub fn fido_application(&self) -> Option<&str> {
        self.application.as_deref()
    }

    /// The key's point: 32 bytes for Ed25519, an uncompressed SEC1 point for P-256.
    pub fn point_bytes(&self) -> Vec<u8> {
        self.point().to_vec()
    }

    /// The key's point as a borrowed slice (what [`point_bytes`](PublicKey::point_bytes) copies).
    pub fn point(&self) -> &[u8] {
        match &self.material {
            Material::Ed25519(k) => k,
            Material::P256(k) => k,
        }
    }

    pub(crate) fn material(&self) -> &Material {
        &self.material
    }

    /// The OpenSSH key type name (`ssh-ed25519`, `ecdsa-sha2-nistp256`, or an `sk-` type).
    pub fn ssh_key_type(&self) -> &'static str {
        match (&self.material, self.application.is_some()) {
            (Material::Ed25519(_), false) => SSH_ED25519,
            (Material::P256(_), false) => SSH_P256,
            (Material::Ed25519(_), true) => SSH_SK_ED25519,
            (Material::P256(_), true) => SSH_SK_P256,
        }
    }

    /// The canonical encoding: the SSH wire-format public key blob.
    pub fn to_canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        put_string(&mut out, self.ssh_key_type().as_bytes());
        if matches!(self.material, Material::P256(_)) {
            put_string(&mut out, NISTP256.as_bytes());
        }
        put_string(&mut out, self.point());
        if let Some(app) = &self.application {
            put_string(&mut out, app.as_bytes());
        }
        out
    }

    /// Parses the canonical encoding (an SSH public key blob).
    pub fn from_canonical_bytes(blob: &[u8]) -> Result<Self, KeyError> {
        let mut r = Reader::new(blob);
        let kind = r.string().ok_or(KeyError::SshBlob)?;
        let (is_p256, is_sk) = match kind {
            k if k == SSH_ED25519.as_bytes() => (false, false),
            k if k == SSH_P256.as_bytes() => (true, false),
            k if k == SSH_SK_ED25519.as_bytes() => (false, true),
            k if k == SSH_SK_P256.as_bytes() => (true, true),
            other => {
                return Err(KeyError::UnsupportedSshKeyType(
                    String::from_utf8_lossy(other).chars().take(64).collect(),
                ));
            }
        };
        if is_p256 && r.string().ok_or(KeyError::SshBlob)? != NISTP256.as_bytes() {
            return Err(KeyError::SshBlob);
        }
        let point = r.string().ok_or(KeyError::SshBlob)?;
        let key = if is_p256 {
            // The SSH form is always the uncompressed point.
            if point.first() != Some(&0x04) {
                return Err(KeyError::SshBlob);
            }
            PublicKey::p256_sec1(point)?
        } else {
            PublicKey::ed25519(point)?
        };
        let key = if is_sk {
            let app = r.string().ok_or(KeyError::SshBlob)?;
            let app = std::str::from_utf8(app).map_err(|_| KeyError::Application)?;
            key.with_fido_application(app)?
        } else {
            key
        };
        if !r.is_empty() {
            return Err(KeyError::SshBlob);
        }
        Ok(key)
    }

    /// The key id: SHA-256 of the canonical encoding.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    fn from_material(material: Material, application: Option<String>) -> Self {
        let mut key = PublicKey {
            material,
            application,
            key_id: KeyId([0; 32]),
        };
        let d = Digest::sha256(&key.to_canonical_bytes());
        key.key_id.0.copy_from_slice(d.as_bytes());
        key
    }

    /// Parses an OpenSSH public key line: `type base64 [comment]`.
    pub fn from_openssh(line: &str) -> Result<Self, KeyError> {
        let mut parts = line.split_ascii_whitespace();
        let kind = parts.next().ok_or(KeyError::OpenSshLine)?;
        let b64 = parts.next().ok_or(KeyError::OpenSshLine)?;
        if b64.len() > 4096 {
            return Err(KeyError::OpenSshLine);
        }
        let blob = STANDARD.decode(b64).map_err(|_| KeyError::OpenSshLine)?;
        let key = PublicKey::from_canonical_bytes(&blob)?;
        if key.ssh_key_type() != kind {
            return Err(KeyError::OpenSshTypeMismatch {
                line: kind.chars().take(64).collect(),
                blob: key.ssh_key_type(),
            });
        }
        Ok(key)
    }

    /// Writes the OpenSSH public key line (without a comment).
    pub fn to_openssh(&self) -> String {
        format!(
            "{} {}",
            self.ssh_key_type(),
            STANDARD.encode(self.to_canonical_bytes())
        )
    }

    /// Parses a DER SubjectPublicKeyInfo (RFC 5280 / RFC 8410 / RFC 5480).
    /// The Ed25519 key is checked as [`PublicKey::ed25519`] checks it.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_der(der) {
            return PublicKey::ed25519(k.as_bytes());
        }
        p256::ecdsa::VerifyingKey::from_public_key_der(der)
            .map_err(|_| KeyError::Spki)
            .and_then(|k| PublicKey::p256_sec1(k.to_sec1_point(false).as_bytes()))
    }

    /// Parses a PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`).
    /// The Ed25519 key is checked as [`PublicKey::ed25519`] checks it.
    pub fn from_spki_pem(pem: &str) -> Result<Self, KeyError> {
        if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_pem(pem) {
            return PublicKey::ed25519(k.as_bytes());
        }
        p256::ecdsa::VerifyingKey::from_public_key_pem(pem)
            .map_err(|_| KeyError::Spki)
            .and_then(|k| PublicKey::p256_sec1(k.to_sec1_point(false).as_bytes()))
    }

    /// Writes a PEM SubjectPublicKeyInfo. A FIDO application binding has no
    /// place in SPKI and is not written.
    pub fn to_spki_pem(&self) -> Result<String, KeyError> {
        let le = spki::der::pem::LineEnding::LF;
        // The stored bytes were validated when the key was parsed; decoding
        // them again for the SPKI encoder cannot fail.
        match &self.material {
            Material::Ed25519(k) => ed25519_dalek::VerifyingKey::from_bytes(k)
                .map_err(|_| KeyError::Spki)?
                .to_public_key_pem(le),
            Material::P256(k) => p256::ecdsa::VerifyingKey::from_sec1_bytes(k)
                .map_err(|_| KeyError::Spki)?
                .to_public_key_pem(le),
        }
        .map_err(|_| KeyError::Spki)
    }

    /// Parses a COSE_Key (RFC 9052 §7, RFC 9053 §7): OKP/Ed25519 or EC2/P-256.
    /// When the key names an algorithm, it must be the one the curve implies.
    pub fn from_cose_key(bytes: &[u8]) -> Result<Self, KeyError> {
        use coset::{CborSerializable, KeyType, Label, RegisteredLabelWithPrivate, iana};
        crate::cbor::validate(
            bytes,
            crate::cbor::Strictness::WellFormed,
            crate::cbor::Limits {
                max_size: 4096,
                max_depth: 8,
            },
        )
        .map_err(|_| KeyError::CoseKey)?;
        let key = coset::CoseKey::from_slice(bytes).map_err(|_| KeyError::CoseKey)?;
        let param = |label: i64| {
            key.params
                .iter()
                .find(|(l, _)| *l == Label::Int(label))
                .map(|(_, v)| v)
        };
        let bytes_param = |label: i64| {
            param(label)
                .and_then(|v| v.as_bytes())
                .map(|b| b.as_slice())
        };
        let crv = param(-1)
            .and_then(|v| v.as_integer())
            .and_then(|i| i64::try_from(i).ok());
        let pk = match key.kty {
            KeyType::Assigned(iana::KeyType::OKP) => {
                if crv != Some(iana::EllipticCurve::Ed25519 as i64) {
                    return Err(KeyError::CoseKeyCurve);
                }
                PublicKey::ed25519(bytes_param(-2).ok_or(KeyError::CoseKey)?)?
            }
            KeyType::Assigned(iana::KeyType::EC2) => {
                if crv != Some(iana::EllipticCurve::P_256 as i64) {
                    return Err(KeyError::CoseKeyCurve);
                }
                let x = bytes_param(-2).ok_or(KeyError::CoseKey)?;
                if x.len() != 32 {
                    return Err(KeyError::CoseKey);
                }
                let mut sec1 = Vec::with_capacity(65);
                match param(-3) {
                    Some(v) if v.as_bytes().is_some() => {
                        let y = v.as_bytes().map(|b| b.as_slice()).unwrap_or_default();
                        if y.len() != 32 {
                            return Err(KeyError::CoseKey);
                        }
                        sec1.push(0x04);
                        sec1.extend_from_slice(x);
                        sec1.extend_from_slice(y);
                    }
                    Some(v) if v.as_bool().is_some() => {
                        sec1.push(if v.as_bool() == Some(true) {
                            0x03
                        } else {
                            0x02
                        });
                        sec1.extend_from_slice(x);
                    }
                    _ => return Err(KeyError::CoseKey),
                }
                PublicKey::p256_sec1(&sec1)?
            }
            _ => return Err(KeyError::CoseKeyType),
        };
        if let Some(alg) = &key.alg {
            let id = match alg {
                RegisteredLabelWithPrivate::Assigned(a) => *a as i64,
                RegisteredLabelWithPrivate::PrivateUse(i) => *i,
                RegisteredLabelWithPrivate::Text(_) => return Err(KeyError::CoseKeyAlgorithm),
            };
            if Algorithm::from_cose_id(id) != Some(pk.algorithm()) {
                return Err(KeyError::CoseKeyAlgorithm);
            }
        }
        Ok(pk)
    }

    /// Writes the key as a canonical-CBOR COSE_Key with its algorithm.
    pub fn to_cose_key(&self) -> Vec<u8> {
        use ciborium::value::{Integer, Value};
        let int = |i: i64| Value::Integer(Integer::from(i));
        let mut m = vec![(int(3), int(self.algorithm().cose_id()))];
        match &self.material {
            Material::Ed25519(k) => {
                m.push((int(1), int(1)));
                m.push((int(-1), int(6)));
                m.push((int(-2), Value::Bytes(k.to_vec())));
            }
            Material::P256(b) => {
                m.push((int(1), int(2)));
                m.push((int(-1), int(1)));
                m.push((int(-2), Value::Bytes(b[1..33].to_vec())));
                m.push((int(-3), Value::Bytes(b[33..65].to_vec())));
            }
        }
        // A map of small integer keys and byte strings always has a canonical form.
        crate::cbor::value_to_canonical(Value::Map(m)).unwrap_or_default()
    }

    /// Parses a key in whichever format it is written: an OpenSSH line, PEM
    /// SubjectPublicKeyInfo, DER SubjectPublicKeyInfo or a COSE_Key.
    pub fn parse_any(bytes: &[u8]) -> Result<Self, KeyError> {
        if let Ok(text) = std::str::from_utf8(bytes) {
            let t = text.trim();
            if t.starts_with("-----BEGIN") {
                return PublicKey::from_spki_pem(t);
            }
            if t.starts_with("ssh-") || t.starts_with("ecdsa-") || t.starts_with("sk-") {
                return PublicKey::from_openssh(t);
            }
        }
        if bytes.first() == Some(&0x30)
            && let Ok(k) = PublicKey::from_spki_der(bytes)
        {
            return Ok(k);
        }
        PublicKey::from_cose_key(bytes).map_err(|_| KeyError::UnrecognizedFormat)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("algorithm", &self.algorithm())
            .field("key_id", &self.key_id())
            .field("fido_application", &self.application)
            .finish()
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_openssh())
    }
}

/// In human-readable formats (JSON, TOML) a key is its OpenSSH line; in CBOR
/// it is the canonical blob as a byte string.
impl serde::Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.to_openssh())
        } else {
            s.serialize_bytes(&self.to_canonical_bytes())
        }
    }
}

impl<'de> serde::Deserialize<'de> for PublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = PublicKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an OpenSSH public key line or an SSH public key blob")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PublicKey, E> {
                PublicKey::from_openssh(v).map_err(E::custom)
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<PublicKey, E> {
                PublicKey::from_canonical_bytes(v).map_err(E::custom)
            }
        }
        if d.is_human_readable() {
            d.deserialize_str(V)
        } else {
            d.deserialize_byte_buf(V)
        }
    }
}

/// Why a key (or key id, or algorithm name) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The algorithm name is not one vouch knows.
    #[error("unknown algorithm {0:?} (expected ed25519 or es256)")]
    UnknownAlgorithm(String),
    /// An Ed25519 key must be 32 bytes.
    #[error("Ed25519 public key must be 32 bytes, got {0}")]
    Ed25519Length(usize),
    /// The bytes are not a valid point on the key's curve, or (Ed25519) not
    /// its canonical encoding.
    #[error("{0} public key is not a valid curve point")]
    InvalidPoint(Algorithm),
    /// An Ed25519 key of small order: under cofactored verification it
    /// would verify any message, so it is never a key.
    #[error("ed25519 public key is a point of small order")]
    SmallOrder,
    /// A key id must be 32 bytes.
    #[error("key id must be 32 bytes, got {0}")]
    KeyIdLength(usize),
    /// A key id's text form must be 64 lowercase hex digits.
    #[error("key id must be 64 lowercase hex digits")]
    KeyIdText,
    /// The SSH key blob is malformed.
    #[error("malformed SSH public key blob")]
    SshBlob,
    /// The SSH key type is not supported.
    #[error(
        "unsupported SSH key type {0:?} (vouch supports ed25519 and ecdsa-sha2-nistp256, plain or sk-)"
    )]
    UnsupportedSshKeyType(String),
    /// The OpenSSH line is not `type base64 [comment]`.
    #[error("malformed OpenSSH public key line")]
    OpenSshLine,
    /// The type word of an OpenSSH line disagrees with the blob.
    #[error("OpenSSH line says {line:?} but the key blob is {blob}")]
    OpenSshTypeMismatch {
        /// Type word on the line.
        line: String,
        /// Type inside the blob.
        blob: &'static str,
    },
    /// The FIDO application string is empty or not UTF-8.
    #[error("invalid FIDO application string")]
    Application,
    /// The FIDO application string is longer than
    /// [`PublicKey::MAX_FIDO_APPLICATION_LEN`].
    #[error("FIDO application string of {len} bytes exceeds the limit of {max} bytes")]
    ApplicationTooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not an Ed25519 or P-256 SubjectPublicKeyInfo.
    #[error("not an Ed25519 or P-256 SubjectPublicKeyInfo")]
    Spki,
    /// Malformed COSE_Key.
    #[error("malformed COSE_Key")]
    CoseKey,
    /// COSE_Key of a type other than OKP or EC2.
    #[error("COSE_Key type is not OKP or EC2")]
    CoseKeyType,
    /// COSE_Key on a curve other than Ed25519 or P-256.
    #[error("COSE_Key curve is not Ed25519 or P-256")]
    CoseKeyCurve,
    /// COSE_Key names an algorithm its curve does not support.
    #[error("COSE_Key algorithm does not match its curve")]
    CoseKeyAlgorithm,
    /// None of the supported public key formats matched.
    #[error(
        "unrecognized public key format (expected an OpenSSH line, PEM or DER SubjectPublicKeyInfo, or a COSE_Key)"
    )]
    UnrecognizedFormat,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LINE: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFOG6kY7Rf4UtCFvPwKgo/BztXck2xC4a2WyA34XtIwZ";

    #[test]
    fn every_format_round_trips() {
        let k = PublicKey::from_openssh(LINE).unwrap();
        assert_eq!(k.to_openssh(), LINE);
        assert_eq!(
            PublicKey::from_spki_pem(&k.to_spki_pem().unwrap()).unwrap(),
            k
        );
        assert_eq!(PublicKey::from_cose_key(&k.to_cose_key()).unwrap(), k);
        assert_eq!(
            PublicKey::from_canonical_bytes(&k.to_canonical_bytes()).unwrap(),
            k
        );
        assert_eq!(
            PublicKey::parse_any(k.to_spki_pem().unwrap().as_bytes()).unwrap(),
            k
        );
        assert_eq!(PublicKey::parse_any(&k.to_cose_key()).unwrap(), k);
        assert_eq!(PublicKey::parse_any(LINE.as_bytes()).unwrap(), k);

        let sk = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let p = PublicKey::p256_sec1(sk.verifying_key().to_sec1_point(true).as_bytes()).unwrap();
        assert_eq!(PublicKey::from_openssh(&p.to_openssh()).unwrap(), p);
        assert_eq!(PublicKey::from_cose_key(&p.to_cose_key()).unwrap(), p);
        assert_eq!(
            PublicKey::from_spki_pem(&p.to_spki_pem().unwrap()).unwrap(),
            p
        );
        let fido = p.clone().with_fido_application("ssh:").unwrap();
        assert_ne!(fido.key_id(), p.key_id());
        assert_eq!(PublicKey::from_openssh(&fido.to_openssh()).unwrap(), fido);
    }

    #[test]
    fn type_word_must_match() {
        let b64 = LINE.split(' ').nth(1).unwrap();
        assert!(matches!(
            PublicKey::from_openssh(&format!("ecdsa-sha2-nistp256 {b64}")),
            Err(KeyError::OpenSshTypeMismatch { .. })
        ));
    }

    #[test]
    fn cose_key_algorithm_is_bound() {
        let k = PublicKey::from_openssh(LINE).unwrap();
        let mut cose = k.to_cose_key();
        // Map key 3 (alg) = -8 is encoded 0x03 0x27; claim ES256 (0x26) instead.
        let pos = cose.windows(2).position(|w| w == [0x03, 0x27]).unwrap();
        cose[pos + 1] = 0x26;
        assert_eq!(
            PublicKey::from_cose_key(&cose),
            Err(KeyError::CoseKeyAlgorithm)
        );
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = PublicKey::from_canonical_bytes(&bytes);
            let _ = PublicKey::from_cose_key(&bytes);
            let _ = PublicKey::from_spki_der(&bytes);
            let _ = PublicKey::parse_any(&bytes);
        }

        #[test]
        fn text_parsers_never_panic(s in ".{0,200}") {
            let _ = PublicKey::from_openssh(&s);
            let _ = PublicKey::from_spki_pem(&s);
            let _ = s.parse::<KeyId>();
            let _ = s.parse::<Algorithm>();
        }

        #[test]
        fn ed25519_blob_round_trip(seed in proptest::array::uniform32(any::<u8>())) {
            let sk = ed25519_dalek::SigningKey::from_bytes(&seed);
            let k = PublicKey::ed25519(&sk.verifying_key().to_bytes()).unwrap();
            prop_assert_eq!(PublicKey::from_canonical_bytes(&k.to_canonical_bytes()).unwrap(), k.clone());
            prop_assert_eq!(PublicKey::from_openssh(&k.to_openssh()).unwrap(), k);
        }
    }
}
