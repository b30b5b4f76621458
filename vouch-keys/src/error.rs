//! The one error type of vouch-keys, and the small types its variants carry.

use std::fmt;
use std::path::{Path, PathBuf};

use vouch_core::{Algorithm, KeyId, Timestamp};

/// Where the bytes of a key came from: a file, or a caller's buffer.
///
/// Decoding errors name it, so a message points at the file to fix even when
/// the failure happened deep inside a parser.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// A key file on disk.
    File(PathBuf),
    /// Bytes handed to [`FileKey::decode`](crate::FileKey::decode), e.g. from
    /// an environment variable or a secret store.
    Memory,
}

impl Origin {
    /// The file's path, when the key came from a file.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Origin::File(p) => Some(p),
            Origin::Memory => None,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(p) => write!(f, "{}", p.display()),
            Origin::Memory => f.write_str("in-memory key"),
        }
    }
}

/// The private key formats vouch reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyFormat {
    /// vouch's own format (`-----BEGIN VOUCH PRIVATE KEY-----`), see
    /// [`FileKey::encode`](crate::FileKey::encode).
    Vouch,
    /// OpenSSH's private key format (`-----BEGIN OPENSSH PRIVATE KEY-----`).
    OpenSsh,
    /// PKCS#8 (`-----BEGIN PRIVATE KEY-----`, or DER), as OpenSSL writes it.
    Pkcs8,
    /// SEC1 `ECPrivateKey` (`-----BEGIN EC PRIVATE KEY-----`, or DER).
    Sec1,
}

impl fmt::Display for KeyFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyFormat::Vouch => "vouch",
            KeyFormat::OpenSsh => "OpenSSH",
            KeyFormat::Pkcs8 => "PKCS#8",
            KeyFormat::Sec1 => "SEC1",
        })
    }
}

/// A cost parameter of a password-based key derivation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KdfParam {
    /// Argon2id memory, in KiB.
    MemoryKib,
    /// Argon2id passes over memory (`t`).
    Iterations,
    /// Argon2id lanes (`p`).
    Parallelism,
    /// OpenSSH bcrypt-pbkdf rounds.
    BcryptRounds,
}

impl fmt::Display for KdfParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KdfParam::MemoryKib => "argon2id memory (KiB)",
            KdfParam::Iterations => "argon2id iterations",
            KdfParam::Parallelism => "argon2id parallelism",
            KdfParam::BcryptRounds => "bcrypt-pbkdf rounds",
        })
    }
}

/// Why the bytes of a key in a known format could not be decoded: the
/// detail under [`Error::Malformed`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The PEM-style armor is broken: a missing or misplaced BEGIN or END
    /// line, or text after the END line.
    #[error("broken armor: expected {expected}")]
    Armor {
        /// What was expected where the text went wrong.
        expected: &'static str,
    },
    /// The armored body is not base64.
    #[error("armored body is not valid base64")]
    Base64(#[source] base64::DecodeError),
    /// The vouch document is not acceptable canonical CBOR, or lacks a field.
    #[error("key document is not the expected canonical CBOR")]
    Cbor(#[source] vouch_core::cbor::CborError),
    /// A byte field has the wrong length.
    #[error("field {field} must be {expected} bytes, found {actual}")]
    FieldLength {
        /// The field.
        field: &'static str,
        /// Length the format requires (the smallest allowed, for ranges).
        expected: usize,
        /// Length found.
        actual: usize,
    },
    /// The recorded public key cannot be parsed.
    #[error("recorded public key is invalid")]
    PublicKey(#[source] vouch_core::KeyError),
    /// The recorded algorithm differs from the public key's.
    #[error("file says {recorded} but its public key is {actual}")]
    AlgorithmMismatch {
        /// Algorithm written in the file.
        recorded: Algorithm,
        /// Algorithm of the recorded public key.
        actual: Algorithm,
    },
    /// Key-derivation parameters below what Argon2 accepts.
    #[error("{param} of {value} is below the minimum of {min}")]
    KdfBelowMinimum {
        /// The parameter.
        param: KdfParam,
        /// The value in the file.
        value: u64,
        /// The smallest value accepted.
        min: u64,
    },
    /// The secret is not a valid key (zero or out-of-range P-256 scalar).
    #[error("secret is not a valid {0} private key")]
    InvalidSecret(Algorithm),
    /// The private key does not belong to the public key stored beside it.
    #[error("private key does not match the public key {recorded} stored with it")]
    PublicKeyMismatch {
        /// Key id of the recorded public key.
        recorded: KeyId,
    },
    /// The decoding library (ssh-key, pkcs8, sec1) refused the bytes.
    #[error("{library} refused the key")]
    Library {
        /// Which library.
        library: &'static str,
        /// Its error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Every error vouch-keys returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A security key operation through ssh-keygen failed.
    #[error("cannot {what} with the security key: {detail}")]
    Fido {
        /// What was being done.
        what: &'static str,
        /// Why it failed.
        detail: String,
    },
    /// A TPM operation failed (the TCTI, the TPM's response code, or what
    /// it returned).
    #[error("cannot {what} with the TPM: {detail}")]
    Tpm {
        /// What was being done.
        what: &'static str,
        /// Why it failed (never key material: the TPM keeps that).
        detail: String,
    },
    /// A TPM key stub that cannot be used.
    #[error("{}: not a usable TPM key stub: {reason}", path.display())]
    InvalidTpmStub {
        /// The stub file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A `tpm:` key reference was opened with no TCTI in the environment.
    #[error(
        "key reference tpm:{}: no TPM named; set VOUCH_TPM_TCTI (or TPM2TOOLS_TCTI), \
         e.g. device:/dev/tpmrm0 or swtpm:host=127.0.0.1,port=2321",
        stub.display()
    )]
    TpmTctiMissing {
        /// The stub the reference names.
        stub: PathBuf,
    },
    /// A file operation failed.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What was being done (`open`, `read`, `write`, ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The target file exists and overwriting was not asked for.
    #[error(
        "{} already exists; refusing to overwrite it (pass Overwrite::Replace to replace it)",
        path.display()
    )]
    AlreadyExists {
        /// The file.
        path: PathBuf,
    },
    /// A private key file is accessible to group or others.
    #[error(
        "private key file {} has mode {mode:04o}, so group or others can access it; \
         refusing to use it (run `chmod 600` on it)",
        path.display()
    )]
    InsecurePermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A private key file belongs to another user than the one running.
    #[error(
        "private key file {} belongs to uid {owner}, not to the effective uid {euid}; \
         refusing to use it",
        path.display()
    )]
    ForeignOwner {
        /// The file.
        path: PathBuf,
        /// Its owner's uid.
        owner: u32,
        /// The effective uid of this process.
        euid: u32,
    },
    /// The path is a directory, device or other non-regular file.
    #[error("{} is not a regular file", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// A key file ([`crate::MAX_KEY_FILE_LEN`]), or a file kept beside a
    /// key (a TPM stub, a FIDO side file or counter, a test CA's
    /// certificate), is larger than vouch reads of it.
    #[error("{origin} is {size} bytes, more than the {limit} bytes vouch reads of it")]
    TooLarge {
        /// Where the key came from.
        origin: Origin,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The TPM's EK certificate (NV index 0x01c00002) declares more bytes
    /// than vouch reads of one.
    #[error("the TPM's EK certificate is {size} bytes, more than the {limit} bytes vouch reads")]
    EkCertificateTooLarge {
        /// The length its DER header declares.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The bytes are in none of the formats vouch reads.
    #[error(
        "{origin} is not a private key vouch reads \
         (vouch, OpenSSH, PKCS#8 or SEC1, Ed25519 or P-256)"
    )]
    UnrecognizedFormat {
        /// Where the key came from.
        origin: Origin,
    },
    /// The key is in a known format but its content is broken.
    #[error("{origin}: malformed {format} private key")]
    Malformed {
        /// Where the key came from.
        origin: Origin,
        /// The format it claims to be.
        format: KeyFormat,
        /// What is wrong.
        #[source]
        source: DecodeError,
    },
    /// A vouch key file of a version this build does not read.
    #[error(
        "{origin}: vouch key file version {version} is not supported (this build reads version 1)"
    )]
    UnsupportedVersion {
        /// Where the key came from.
        origin: Origin,
        /// The version in the file.
        version: u64,
    },
    /// A key of a type that file keys do not support (RSA, P-384, FIDO handles...).
    #[error(
        "{origin}: {format} key of type {key_type} is not supported \
         (file keys are Ed25519 or P-256; security keys use a fido: reference)"
    )]
    UnsupportedKeyType {
        /// Where the key came from.
        origin: Origin,
        /// The format it is in.
        format: KeyFormat,
        /// The key type as the format names it.
        key_type: String,
    },
    /// The key is encrypted and no passphrase was given.
    #[error("{origin}: the {format} private key is encrypted; a passphrase is needed")]
    PassphraseRequired {
        /// Where the key came from.
        origin: Origin,
        /// The format it is in.
        format: KeyFormat,
        /// The key's id, when its public half is stored in the clear.
        key_id: Option<KeyId>,
    },
    /// The passphrase does not decrypt the key (or the encrypted part was altered).
    #[error("{origin}: wrong passphrase{}", key_id.map(|k| format!(" for key {k}")).unwrap_or_default())]
    WrongPassphrase {
        /// Where the key came from.
        origin: Origin,
        /// The key's id, when its public half is stored in the clear.
        key_id: Option<KeyId>,
    },
    /// The key is encrypted with a scheme vouch does not implement.
    #[error(
        "{origin}: {format} key encrypted with {scheme}, which vouch does not decrypt; \
         convert it (e.g. `ssh-keygen -p`) or decrypt it with the tool that made it"
    )]
    UnsupportedEncryption {
        /// Where the key came from.
        origin: Origin,
        /// The format it is in.
        format: KeyFormat,
        /// The encryption scheme named in the file.
        scheme: String,
    },
    /// A key file demands more key-derivation work than vouch allows, so a
    /// hostile file cannot exhaust memory or time.
    #[error("{origin}: {param} of {value} exceeds the limit of {limit}")]
    KdfLimit {
        /// Where the key came from.
        origin: Origin,
        /// The parameter.
        param: KdfParam,
        /// The value in the file.
        value: u64,
        /// The largest value accepted.
        limit: u64,
    },
    /// Key-derivation parameters outside the range vouch writes and reads.
    #[error("{param} must be between {min} and {max}, got {value}")]
    InvalidKdfParams {
        /// The parameter.
        param: KdfParam,
        /// The value given.
        value: u64,
        /// Smallest accepted.
        min: u64,
        /// Largest accepted.
        max: u64,
    },
    /// The key derivation function failed (for example, out of memory).
    #[error("deriving the encryption key for key {key_id} failed")]
    Kdf {
        /// The key being encrypted or decrypted.
        key_id: KeyId,
        /// The KDF's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Encrypting with an empty passphrase was asked for.
    #[error(
        "refusing to encrypt key {key_id} with an empty passphrase (save it unencrypted instead)"
    )]
    EmptyPassphrase {
        /// The key.
        key_id: KeyId,
    },
    /// Encrypting the secret failed.
    #[error("encrypting key {key_id} failed")]
    Encrypt {
        /// The key.
        key_id: KeyId,
    },
    /// The key could not be encoded.
    #[error("encoding key {key_id} failed")]
    Encode {
        /// The key.
        key_id: KeyId,
        /// The encoder's error.
        #[source]
        source: vouch_core::cbor::CborError,
    },
    /// The system's random number generator failed, or kept producing seeds
    /// that are not valid keys.
    #[error("the system random number generator failed")]
    Random {
        /// The generator's error, when it reported one.
        #[source]
        source: Option<getrandom::Error>,
    },
    /// File keys cannot be made for this algorithm.
    #[error("file keys do not support algorithm {algorithm}")]
    UnsupportedAlgorithm {
        /// The algorithm asked for.
        algorithm: Algorithm,
    },
    /// A key reference names a scheme vouch does not know.
    #[error(
        "unknown key reference scheme {scheme:?} in {reference:?} (expected file:PATH, soft-fido:PATH, fido:STUB or tpm:STUB)"
    )]
    UnknownScheme {
        /// The scheme (text before the first `:`; empty when there is none).
        scheme: String,
        /// The whole reference.
        reference: String,
    },
    /// A key reference names a backend that this build does not include.
    #[error(
        "key reference scheme {scheme}: needs the `{feature}` backend, which is not built yet \
         (it comes with its issue and the `{feature}` feature of vouch-keys)"
    )]
    BackendNotBuilt {
        /// The scheme.
        scheme: &'static str,
        /// The cargo feature that will provide it.
        feature: &'static str,
    },
    /// A key reference without the path its scheme needs.
    #[error("key reference {reference:?} names no file (expected SCHEME:PATH)")]
    MissingKeyPath {
        /// The whole reference.
        reference: String,
    },
    /// A FIDO application string that no credential can be scoped to.
    #[error("invalid FIDO application {application:?}")]
    InvalidApplication {
        /// The application given.
        application: String,
        /// Why it was refused.
        #[source]
        source: vouch_core::KeyError,
    },
    /// A test attestation CA name that cannot go into a certificate subject.
    #[error("invalid test attestation CA name {name:?}: {reason}")]
    InvalidCaName {
        /// The name given (truncated).
        name: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A certificate validity window that X.509 (as vouch writes it) cannot express.
    #[error("cannot make a certificate valid for {years} years from {not_before}: {reason}")]
    InvalidValidity {
        /// The first instant asked for.
        not_before: Timestamp,
        /// The length asked for.
        years: u32,
        /// Why it cannot be written.
        reason: &'static str,
    },
    /// Building, signing or encoding a certificate failed.
    #[error("cannot build the {what} certificate")]
    Certificate {
        /// Which certificate (`test attestation CA`, `attestation`).
        what: &'static str,
        /// The X.509 library's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Signing an attestation statement failed.
    #[error("signing the attestation statement failed")]
    AttestationSignature {
        /// The signer's error.
        #[source]
        source: signature::Error,
    },
    /// A saved test attestation CA that cannot be used.
    #[error("{}: not a usable test attestation CA: {reason}", path.display())]
    InvalidTestCa {
        /// The key or certificate file at fault.
        path: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl Error {
    pub(crate) fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.to_path_buf();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    pub(crate) fn malformed(origin: &Origin, format: KeyFormat, source: DecodeError) -> Error {
        Error::Malformed {
            origin: origin.clone(),
            format,
            source,
        }
    }

    pub(crate) fn random(source: getrandom::Error) -> Error {
        Error::Random {
            source: Some(source),
        }
    }
}

/// Truncates text taken from input before it goes into an error message.
pub(crate) fn excerpt(s: &str) -> String {
    const MAX: usize = 200;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        s.chars().take(MAX).chain("…".chars()).collect()
    }
}
