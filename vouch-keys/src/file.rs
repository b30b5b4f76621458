//! File keys: an Ed25519 or P-256 private key held in memory, read from and
//! written to a file.
//!
//! Formats read ([`FileKey::load`] detects which):
//!
//! | format | armor | notes |
//! |---|---|---|
//! | vouch ([`vouch`]) | `-----BEGIN VOUCH PRIVATE KEY-----` | written by [`FileKey::save`]; optional argon2id + XChaCha20-Poly1305 |
//! | OpenSSH | `-----BEGIN OPENSSH PRIVATE KEY-----` | `ssh-ed25519`, `ecdsa-sha2-nistp256`; encrypted ones decrypted with the passphrase |
//! | PKCS#8 | `-----BEGIN PRIVATE KEY-----` or DER | as `openssl genpkey` writes; unencrypted only |
//! | SEC1 | `-----BEGIN EC PRIVATE KEY-----` or DER | P-256; unencrypted only |
//!
//! Every private key file must be readable by its owner only (no group or
//! other permission bits, as OpenSSH demands); vouch creates its files with
//! mode 0600 from the first byte on.

pub(crate) mod fs;
mod openssh;
mod pkcs;
pub mod vouch;

use std::fmt;
use std::path::Path;

use vouch_core::{Algorithm, KeyId, PublicKey, SignError, Signature};
use zeroize::Zeroizing;

use crate::error::{Error, KeyFormat, Origin};
use crate::passphrase::Passphrase;

pub use self::openssh::MAX_BCRYPT_ROUNDS;
pub use self::vouch::KdfParams;

/// Largest key file vouch reads. Real keys are under 4 KiB; the bound keeps
/// a hostile path (a huge file, a device) from costing memory.
pub const MAX_KEY_FILE_LEN: u64 = 64 * 1024;

/// How many fresh 32-byte seeds [`FileKey::generate`] tries before
/// concluding the random source is broken: a P-256 seed fails with
/// probability about 2^-32, so a second failure never happens with a working
/// generator.
const SEED_ATTEMPTS: usize = 8;

/// The private half, bound to its algorithm.
enum SigningKey {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
}

/// An Ed25519 or P-256 private key held in memory.
///
/// The secret is zeroized when the key is dropped (the ed25519-dalek and
/// p256 key types wipe themselves) and `Debug` shows only the algorithm, key
/// id and comment. It signs through [`vouch_core::Signer`] and the RustCrypto
/// [`signature`] traits; ES256 signatures are always low-S.
///
/// ```
/// use vouch_core::{Algorithm, Signer as _};
/// use vouch_keys::FileKey;
///
/// let key = FileKey::generate(Algorithm::Es256)?;
/// let sig = key.try_sign(b"release v1.0")?;
/// key.public_key().verify(b"release v1.0", &sig)?;
/// assert!(format!("{key:?}").contains(&key.key_id().to_string()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FileKey {
    secret: SigningKey,
    public: PublicKey,
    comment: String,
}

/// Whether saving may replace an existing file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overwrite {
    /// Fail with [`Error::AlreadyExists`] when the file exists (the default).
    #[default]
    Refuse,
    /// Replace the file atomically: the new key is written to a fresh 0600
    /// file beside it, then renamed over it.
    Replace,
}

/// How [`FileKey::save_with`] and [`FileKey::encode`] write a key.
///
/// ```
/// use vouch_keys::{KdfParams, Overwrite, Passphrase, SaveOptions};
/// let pass = Passphrase::new("s3cret");
/// let options = SaveOptions::new()
///     .passphrase(&pass)
///     .kdf(KdfParams::RECOMMENDED)
///     .overwrite(Overwrite::Replace);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SaveOptions<'a> {
    passphrase: Option<&'a Passphrase>,
    kdf: KdfParams,
    overwrite: Overwrite,
}

impl<'a> SaveOptions<'a> {
    /// Unencrypted, recommended KDF parameters (unused until a passphrase is
    /// set), refuse to overwrite.
    pub fn new() -> Self {
        SaveOptions::default()
    }

    /// Encrypts the secret under this passphrase.
    pub fn passphrase(mut self, passphrase: &'a Passphrase) -> Self {
        self.passphrase = Some(passphrase);
        self
    }

    /// Encrypts (when a passphrase is set) or not, from an `Option`.
    pub fn maybe_passphrase(mut self, passphrase: Option<&'a Passphrase>) -> Self {
        self.passphrase = passphrase;
        self
    }

    /// The argon2id cost (default [`KdfParams::RECOMMENDED`]).
    pub fn kdf(mut self, kdf: KdfParams) -> Self {
        self.kdf = kdf;
        self
    }

    /// Whether an existing file may be replaced.
    pub fn overwrite(mut self, overwrite: Overwrite) -> Self {
        self.overwrite = overwrite;
        self
    }
}

impl FileKey {
    /// Generates a new key from the operating system's random generator.
    pub fn generate(algorithm: Algorithm) -> Result<FileKey, Error> {
        if !matches!(algorithm, Algorithm::Ed25519 | Algorithm::Es256) {
            return Err(Error::UnsupportedAlgorithm { algorithm });
        }
        let mut seed = Zeroizing::new([0u8; 32]);
        for _ in 0..SEED_ATTEMPTS {
            getrandom::fill(&mut *seed).map_err(Error::random)?;
            // Every Ed25519 seed is a key; a P-256 seed fails only when it is
            // zero or not below the group order.
            if let Some(key) = FileKey::from_secret_bytes(algorithm, &*seed) {
                return Ok(key);
            }
        }
        Err(Error::Random { source: None })
    }

    /// Builds a key from its 32 secret bytes: an Ed25519 seed (RFC 8032) or
    /// a big-endian P-256 scalar. `None` when the bytes are not a valid key
    /// of that algorithm.
    pub(crate) fn from_secret_bytes(algorithm: Algorithm, secret: &[u8]) -> Option<FileKey> {
        match algorithm {
            Algorithm::Ed25519 => {
                let seed: &[u8; 32] = secret.try_into().ok()?;
                FileKey::from_ed25519(ed25519_dalek::SigningKey::from_bytes(seed))
            }
            Algorithm::Es256 if secret.len() == 32 => {
                FileKey::from_p256(p256::ecdsa::SigningKey::from_slice(secret).ok()?)
            }
            _ => None,
        }
    }

    /// `None` only if vouch-core refused the derived public key, which it
    /// never does for a point ed25519-dalek derived.
    pub(crate) fn from_ed25519(sk: ed25519_dalek::SigningKey) -> Option<FileKey> {
        let public = PublicKey::ed25519(&sk.verifying_key().to_bytes()).ok()?;
        Some(FileKey {
            secret: SigningKey::Ed25519(sk),
            public,
            comment: String::new(),
        })
    }

    /// `None` only if vouch-core refused the derived public key, which it
    /// never does for a point p256 derived.
    pub(crate) fn from_p256(sk: p256::ecdsa::SigningKey) -> Option<FileKey> {
        let public =
            PublicKey::p256_sec1(sk.verifying_key().to_sec1_point(false).as_bytes()).ok()?;
        Some(FileKey {
            secret: SigningKey::P256(sk),
            public,
            comment: String::new(),
        })
    }

    /// Sets a comment read from a file, cleaned as [`FileKey::with_comment`] does.
    pub(crate) fn set_comment(&mut self, comment: &str) {
        self.comment = sanitize_comment(comment);
    }

    /// The P-256 signing key, for signers that need the concrete type (the
    /// test attestation CA hands it to the X.509 certificate builder).
    pub(crate) fn p256_signing_key(&self) -> Option<&p256::ecdsa::SigningKey> {
        match &self.secret {
            SigningKey::P256(sk) => Some(sk),
            SigningKey::Ed25519(_) => None,
        }
    }

    /// The 32 secret bytes (see `from_secret_bytes`), for encoding.
    pub(crate) fn secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        match &self.secret {
            SigningKey::Ed25519(sk) => out.copy_from_slice(Zeroizing::new(sk.to_bytes()).as_ref()),
            SigningKey::P256(sk) => out.copy_from_slice(Zeroizing::new(sk.to_bytes()).as_ref()),
        }
        out
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.public.algorithm()
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The key id (equal to the OpenSSH `SHA256:` fingerprint, see [`KeyId`]).
    pub fn key_id(&self) -> KeyId {
        self.public.key_id()
    }

    /// The comment stored with the key (an OpenSSH key's comment, or what
    /// [`FileKey::with_comment`] set); empty when there is none.
    pub fn comment(&self) -> &str {
        &self.comment
    }

    /// Sets the comment. Control characters (line breaks included) become
    /// spaces so the comment stays on the public key line.
    pub fn with_comment(mut self, comment: &str) -> FileKey {
        self.comment = sanitize_comment(comment);
        self
    }

    /// The OpenSSH public key line with the comment (or, when there is none,
    /// `vouch-` and the first 16 hex digits of the key id), no newline.
    pub fn public_key_line(&self) -> String {
        let comment = if self.comment.is_empty() {
            let id = self.key_id().to_string();
            format!("vouch-{}", id.get(..16).unwrap_or(&id))
        } else {
            self.comment.clone()
        };
        format!("{} {comment}", self.public.to_openssh())
    }

    /// Reads a private key file in any supported format (see the [module
    /// docs](self)), decrypting it with `passphrase` when it is encrypted.
    ///
    /// The file must be a regular file of at most [`MAX_KEY_FILE_LEN`]
    /// bytes whose mode gives group and others no access (checked on the
    /// opened file, so a swap between check and read cannot slip through).
    /// A passphrase given for an unencrypted key is ignored.
    pub fn load(path: impl AsRef<Path>, passphrase: Option<&Passphrase>) -> Result<FileKey, Error> {
        let path = path.as_ref();
        let bytes = fs::read_private(path)?;
        decode_from(&bytes, passphrase, &Origin::File(path.to_path_buf()))
    }

    /// Decodes a private key from bytes in any supported format, as
    /// [`FileKey::load`] does for a file (e.g. a key passed through an
    /// environment variable). Errors name [`Origin::Memory`].
    pub fn decode(bytes: &[u8], passphrase: Option<&Passphrase>) -> Result<FileKey, Error> {
        decode_from(bytes, passphrase, &Origin::Memory)
    }

    /// Encodes the key in vouch's format (see [`vouch`]),
    /// encrypted when `options` has a passphrase.
    pub fn encode(&self, options: &SaveOptions<'_>) -> Result<Zeroizing<String>, Error> {
        vouch::encode(self, options.passphrase, options.kdf)
    }

    /// Writes the key to a new file in vouch's format, encrypted under
    /// `passphrase` when one is given (with [`KdfParams::RECOMMENDED`]).
    ///
    /// The file is created with mode 0600; an existing file is never
    /// replaced (see [`FileKey::save_with`] for that).
    pub fn save(
        &self,
        path: impl AsRef<Path>,
        passphrase: Option<&Passphrase>,
    ) -> Result<(), Error> {
        self.save_with(path, &SaveOptions::new().maybe_passphrase(passphrase))
    }

    /// Writes the key in vouch's format as `options` say. The file is
    /// created with mode 0600 before any byte is written.
    pub fn save_with(
        &self,
        path: impl AsRef<Path>,
        options: &SaveOptions<'_>,
    ) -> Result<(), Error> {
        let text = self.encode(options)?;
        fs::write_private(path.as_ref(), text.as_bytes(), options.overwrite)
    }

    /// Writes the public key as an OpenSSH line ([`FileKey::public_key_line`])
    /// to a new file (mode 0644; an existing file is never replaced).
    pub fn save_public(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        let line = format!("{}\n", self.public_key_line());
        fs::write_public(path.as_ref(), line.as_bytes())
    }

    fn sign_raw(&self, message: &[u8]) -> Result<Signature, SignError> {
        let backend = |e: Box<dyn std::error::Error + Send + Sync>| SignError::Backend {
            key_id: self.key_id(),
            source: e,
        };
        let (algorithm, value) = match &self.secret {
            SigningKey::Ed25519(sk) => {
                let sig: ed25519_dalek::Signature =
                    signature::Signer::try_sign(sk, message).map_err(|e| backend(Box::new(e)))?;
                (Algorithm::Ed25519, sig.to_bytes())
            }
            SigningKey::P256(sk) => {
                let sig: p256::ecdsa::Signature =
                    signature::Signer::try_sign(sk, message).map_err(|e| backend(Box::new(e)))?;
                // s and n - s both verify; vouch emits only the low one so a
                // signature has a single encoding.
                (Algorithm::Es256, sig.normalize_s().to_bytes().into())
            }
        };
        Signature::new(algorithm, &value).map_err(|e| backend(Box::new(e)))
    }
}

fn sanitize_comment(comment: &str) -> String {
    comment
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Detects the format by its armor (or a DER SEQUENCE) and decodes.
fn decode_from(
    bytes: &[u8],
    passphrase: Option<&Passphrase>,
    origin: &Origin,
) -> Result<FileKey, Error> {
    if bytes.len() as u64 > MAX_KEY_FILE_LEN {
        return Err(Error::TooLarge {
            origin: origin.clone(),
            size: bytes.len() as u64,
            limit: MAX_KEY_FILE_LEN,
        });
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return decode_binary(bytes, origin);
    };
    let trimmed = text.trim_start();
    let Some(label) = trimmed
        .lines()
        .next()
        .and_then(|l| l.trim_end().strip_prefix("-----BEGIN "))
        .and_then(|l| l.strip_suffix("-----"))
    else {
        return decode_binary(bytes, origin);
    };
    match label {
        vouch::LABEL => vouch::decode(trimmed, passphrase, origin),
        "OPENSSH PRIVATE KEY" => openssh::decode(trimmed, passphrase, origin),
        "PRIVATE KEY" => pkcs::decode_pkcs8_pem(trimmed, origin),
        "EC PRIVATE KEY" => pkcs::decode_sec1_pem(trimmed, origin),
        "ENCRYPTED PRIVATE KEY" => Err(Error::UnsupportedEncryption {
            origin: origin.clone(),
            format: KeyFormat::Pkcs8,
            scheme: "PKCS#8 PBES2".into(),
        }),
        _ => Err(Error::UnrecognizedFormat {
            origin: origin.clone(),
        }),
    }
}

fn decode_binary(bytes: &[u8], origin: &Origin) -> Result<FileKey, Error> {
    // Both PKCS#8 and SEC1 DER start with a SEQUENCE tag.
    if bytes.first() == Some(&0x30) {
        return pkcs::decode_der(bytes, origin);
    }
    Err(Error::UnrecognizedFormat {
        origin: origin.clone(),
    })
}

impl fmt::Debug for FileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileKey")
            .field("algorithm", &self.algorithm())
            .field("key_id", &self.key_id())
            .field("comment", &self.comment)
            .finish_non_exhaustive()
    }
}

/// Both private key types wipe themselves on drop; nothing else in a
/// `FileKey` is secret.
impl zeroize::ZeroizeOnDrop for FileKey {}

impl vouch_core::Signer for FileKey {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn try_sign(&self, message: &[u8]) -> Result<Signature, SignError> {
        self.sign_raw(message)
    }
}

impl signature::Signer<Signature> for FileKey {
    fn try_sign(&self, message: &[u8]) -> Result<Signature, signature::Error> {
        self.sign_raw(message)
            .map_err(signature::Error::from_source)
    }
}

impl signature::Keypair for FileKey {
    type VerifyingKey = PublicKey;

    fn verifying_key(&self) -> PublicKey {
        self.public.clone()
    }
}

/// Verifies with the key's public half ([`PublicKey::verify`]): the
/// algorithm is the key's own, Ed25519 is strict.
impl signature::Verifier<Signature> for FileKey {
    fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), signature::Error> {
        // The reason stays out of the error on purpose: signature::Error
        // must not become an oracle on why a forgery failed.
        self.public
            .verify(message, signature)
            .map_err(|_| signature::Error::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vouch_core::Signer as _;

    #[test]
    fn secret_halves_wipe_themselves() {
        fn zeroized_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        zeroized_on_drop::<ed25519_dalek::SigningKey>();
        zeroized_on_drop::<p256::ecdsa::SigningKey>();
        zeroized_on_drop::<FileKey>();
    }

    #[test]
    fn generated_keys_sign_and_verify() {
        for alg in [Algorithm::Ed25519, Algorithm::Es256] {
            let key = FileKey::generate(alg).unwrap();
            assert_eq!(key.algorithm(), alg);
            let sig = key.try_sign(b"m").unwrap();
            assert_eq!(sig.algorithm(), alg);
            key.public_key().verify(b"m", &sig).unwrap();
            assert!(key.public_key().verify(b"n", &sig).is_err());
        }
    }

    #[test]
    fn secret_bytes_round_trip() {
        for alg in [Algorithm::Ed25519, Algorithm::Es256] {
            let key = FileKey::generate(alg).unwrap();
            let again = FileKey::from_secret_bytes(alg, &*key.secret_bytes()).unwrap();
            assert_eq!(again.public_key(), key.public_key());
        }
        assert!(FileKey::from_secret_bytes(Algorithm::Es256, &[0u8; 32]).is_none());
        assert!(FileKey::from_secret_bytes(Algorithm::Es256, &[0xff; 32]).is_none());
        assert!(FileKey::from_secret_bytes(Algorithm::Ed25519, &[1; 31]).is_none());
    }

    #[test]
    fn comments_stay_on_one_line() {
        let key = FileKey::generate(Algorithm::Ed25519)
            .unwrap()
            .with_comment("alice@laptop\nssh-ed25519 AAAA evil");
        assert_eq!(key.comment(), "alice@laptop ssh-ed25519 AAAA evil");
        assert_eq!(key.public_key_line().lines().count(), 1);
        let plain = FileKey::generate(Algorithm::Ed25519).unwrap();
        assert!(
            plain
                .public_key_line()
                .ends_with(&plain.key_id().to_string()[..16])
        );
    }

    #[test]
    fn unknown_labels_are_named() {
        let e = FileKey::decode(b"-----BEGIN CERTIFICATE-----\n", None).unwrap_err();
        assert!(matches!(
            e,
            Error::UnrecognizedFormat {
                origin: Origin::Memory
            }
        ));
        let e = FileKey::decode(b"-----BEGIN RSA PRIVATE KEY-----\n", None).unwrap_err();
        assert!(matches!(e, Error::UnrecognizedFormat { .. }), "{e}");
        let e = FileKey::decode(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n", None).unwrap_err();
        assert!(matches!(e, Error::UnsupportedEncryption { .. }), "{e}");
        let e = FileKey::decode(&[0u8; 10], None).unwrap_err();
        assert!(matches!(e, Error::UnrecognizedFormat { .. }));
        let big = vec![b'a'; MAX_KEY_FILE_LEN as usize + 1];
        assert!(matches!(
            FileKey::decode(&big, None),
            Err(Error::TooLarge { .. })
        ));
    }
}
