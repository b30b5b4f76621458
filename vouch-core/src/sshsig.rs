//! SSHSIG: OpenSSH's detached signatures (`ssh-keygen -Y sign`), the format
//! git writes for `gpg.format=ssh` commit and tag signatures.
//!
//! The container (OpenSSH `PROTOCOL.sshsig`), every field in the SSH wire
//! encoding (RFC 4251 §5):
//!
//! ```text
//! byte[6]  "SSHSIG"
//! uint32   version (1)
//! string   public key (the SSH key blob; vouch's canonical key encoding)
//! string   namespace ("git", "file", ...)
//! string   reserved (empty)
//! string   hash algorithm ("sha256" or "sha512")
//! string   signature (an SSH signature blob)
//! ```
//!
//! The signature covers
//! `"SSHSIG" || string(namespace) || string("") || string(hash_algorithm) || string(H(message))`
//! (the magic is not length-prefixed). Text form: the blob in base64, lines of
//! 70 characters, between `-----BEGIN SSH SIGNATURE-----` and
//! `-----END SSH SIGNATURE-----`.
//!
//! Signature blobs by key type:
//!
//! | key | signature blob |
//! |---|---|
//! | `ssh-ed25519` | string("ssh-ed25519") string(R ‖ S) |
//! | `ecdsa-sha2-nistp256` | string("ecdsa-sha2-nistp256") string(mpint r ‖ mpint s) |
//! | `sk-ssh-ed25519@openssh.com` | string(type) string(R ‖ S) byte flags uint32 counter |
//! | `sk-ecdsa-sha2-nistp256@openssh.com` | string(type) string(mpint r ‖ mpint s) byte flags uint32 counter |
//! | same key, WebAuthn | string("webauthn-sk-ecdsa-sha2-nistp256@openssh.com") string(mpint r ‖ mpint s) byte flags uint32 counter string(origin) string(clientDataJSON) string(extensions) |
//!
//! Security-key signatures become a [`Signature`] carrying
//! [`Evidence::Fido`], whose signed bytes
//! (`SHA256(application) || flags || counter || SHA256(T)`) are exactly what
//! the authenticator signed; for WebAuthn signatures the authenticator signed
//! the hash of `clientDataJSON`, whose challenge must be `base64url(T)`.
//!
//! How a signature is checked is fixed by the key in the container, never by
//! the type string of the signature blob: a blob whose type disagrees with
//! the key is refused before any arithmetic. Parsing is strict (version 1,
//! empty reserved field, minimal mpints, no trailing bytes anywhere), so a
//! parsed signature re-encodes to exactly the bytes it was read from.
//!
//! ```
//! use vouch_core::{Algorithm, PublicKey, Signature, SignError, Signer};
//! use vouch_core::sshsig::{self, HashAlgorithm, SshSig};
//!
//! // Any `Signer` works; here a bare Ed25519 key.
//! struct Key(ed25519_dalek::SigningKey, PublicKey);
//! impl Signer for Key {
//!     fn public_key(&self) -> &PublicKey { &self.1 }
//!     fn try_sign(&self, m: &[u8]) -> Result<Signature, SignError> {
//!         use ed25519_dalek::Signer as _;
//!         Ok(Signature::new(Algorithm::Ed25519, &self.0.sign(m).to_bytes()).unwrap())
//!     }
//! }
//! let sk = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
//! let key = Key(sk.clone(), PublicKey::ed25519(&sk.verifying_key().to_bytes())?);
//!
//! let armored = sshsig::sign(&key, "git", b"tree 4b82...\n", HashAlgorithm::Sha512)?;
//! assert!(armored.starts_with("-----BEGIN SSH SIGNATURE-----\n"));
//!
//! let verified = SshSig::parse(armored.as_bytes())?.verify("git", b"tree 4b82...\n")?;
//! assert_eq!(verified.public_key(), key.public_key());
//! assert!(SshSig::parse(armored.as_bytes())?.verify("file", b"tree 4b82...\n").is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::Digest as _;

use crate::key::{Algorithm, KeyError, KeyId, PublicKey};
use crate::sig::{AuthenticatorFlags, Evidence, FidoAssertion, Signature, VerifyError};
use crate::signer::{SignError, Signer};
use crate::wire::{Reader, put_string, put_u32};

/// The 6-byte magic that starts every SSHSIG blob and signed message.
pub const MAGIC: &[u8; 6] = b"SSHSIG";
/// The only SSHSIG version there is.
pub const VERSION: u32 = 1;
/// The first line of an armored SSHSIG.
pub const BEGIN_LINE: &str = "-----BEGIN SSH SIGNATURE-----";
/// The last line of an armored SSHSIG.
pub const END_LINE: &str = "-----END SSH SIGNATURE-----";
/// Largest armored signature accepted. Real ones are under 1 KiB (a WebAuthn
/// signature with its client data under 2 KiB).
pub const MAX_ARMORED_LEN: usize = 64 * 1024;
/// Largest binary SSHSIG blob accepted.
pub const MAX_BLOB_LEN: usize = 48 * 1024;
/// Longest namespace accepted (OpenSSH sets none; real ones are a word).
pub const MAX_NAMESPACE_LEN: usize = 256;
/// Base64 characters per armor line, as `ssh-keygen` writes them.
const ARMOR_WIDTH: usize = 70;
/// The signature type of WebAuthn assertions by `sk-ecdsa` keys.
pub const WEBAUTHN_SK_ECDSA: &str = "webauthn-sk-ecdsa-sha2-nistp256@openssh.com";

/// Authenticator data flag AT (attested credential data): never in an assertion.
const FLAG_AT: u8 = 0x40;
/// Authenticator data flag ED (extension data present).
const FLAG_ED: u8 = 0x80;

/// The hash SSHSIG applies to the message before signing (serialized by
/// its name, `sha256` or `sha512`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-512, what `ssh-keygen` uses unless told otherwise.
    #[default]
    Sha512,
}

impl HashAlgorithm {
    /// The name written in the SSHSIG (`sha256`, `sha512`).
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "sha256",
            HashAlgorithm::Sha512 => "sha512",
        }
    }

    /// The algorithm with this exact (case-sensitive) name.
    pub fn from_name(name: &[u8]) -> Option<Self> {
        match name {
            b"sha256" => Some(HashAlgorithm::Sha256),
            b"sha512" => Some(HashAlgorithm::Sha512),
            _ => None,
        }
    }

    /// A streaming hasher of messages for this algorithm.
    pub fn hasher(self) -> MessageHasher {
        MessageHasher::new(self)
    }

    /// The hash of `message`.
    pub fn digest(self, message: &[u8]) -> Vec<u8> {
        let mut h = self.hasher();
        h.update(message);
        h.finalize()
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Hashes a message piece by piece (for a message read from a stream),
/// to be checked with [`SshSig::verify_hashed`]. It is also an
/// [`std::io::Write`], so `std::io::copy` can feed it.
#[derive(Clone, Debug)]
pub struct MessageHasher(HasherState);

#[derive(Clone, Debug)]
enum HasherState {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl MessageHasher {
    /// A hasher for `algorithm`.
    pub fn new(algorithm: HashAlgorithm) -> Self {
        MessageHasher(match algorithm {
            HashAlgorithm::Sha256 => HasherState::Sha256(sha2::Sha256::new()),
            HashAlgorithm::Sha512 => HasherState::Sha512(sha2::Sha512::new()),
        })
    }

    /// The algorithm this hasher computes.
    pub fn algorithm(&self) -> HashAlgorithm {
        match self.0 {
            HasherState::Sha256(_) => HashAlgorithm::Sha256,
            HasherState::Sha512(_) => HashAlgorithm::Sha512,
        }
    }

    /// Feeds more of the message.
    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.0 {
            HasherState::Sha256(h) => h.update(bytes),
            HasherState::Sha512(h) => h.update(bytes),
        }
    }

    fn finalize(self) -> Vec<u8> {
        match self.0 {
            HasherState::Sha256(h) => h.finalize().to_vec(),
            HasherState::Sha512(h) => h.finalize().to_vec(),
        }
    }
}

impl std::io::Write for MessageHasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What a WebAuthn assertion adds to a security-key signature: the
/// browser's origin and the client data whose hash the authenticator signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebAuthnClientData {
    origin: String,
    client_data_json: Vec<u8>,
}

impl WebAuthnClientData {
    /// The origin the browser reported (e.g. `https://www.example.org`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The `clientDataJSON` bytes, the message the authenticator's signature covers.
    pub fn client_data_json(&self) -> &[u8] {
        &self.client_data_json
    }

    /// Checks that the client data is an assertion (`webauthn.get`) over
    /// `signed` from this origin, the way OpenSSH does: the JSON must begin
    /// with exactly `{"type":"webauthn.get","challenge":"<base64url(signed)>","origin":"<origin>"`;
    /// what follows is not interpreted.
    fn check(&self, signed: &[u8]) -> Result<(), SshSigError> {
        let mut prefix = Vec::with_capacity(64 + signed.len() * 4 / 3 + self.origin.len());
        prefix.extend_from_slice(b"{\"type\":\"webauthn.get\",\"challenge\":\"");
        prefix.extend_from_slice(URL_SAFE_NO_PAD.encode(signed).as_bytes());
        prefix.extend_from_slice(b"\",\"origin\":\"");
        prefix.extend_from_slice(self.origin.as_bytes());
        prefix.push(b'"');
        if self.client_data_json.starts_with(&prefix) {
            Ok(())
        } else {
            Err(SshSigError::WebAuthn(
                "clientDataJSON is not a webauthn.get assertion over this message from this origin",
            ))
        }
    }
}

/// A parsed SSHSIG: the signer's key, the namespace, the hash algorithm and
/// the signature. Parsing checks the structure only; [`SshSig::verify`]
/// checks the signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshSig {
    public_key: PublicKey,
    namespace: String,
    hash: HashAlgorithm,
    signature: Signature,
    webauthn: Option<WebAuthnClientData>,
}

/// A signature that verified: proof that `public_key` signed the message in
/// `namespace`. Only [`SshSig::verify`] and [`SshSig::verify_hashed`] make one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSshSig {
    public_key: PublicKey,
    namespace: String,
    hash: HashAlgorithm,
    signature: Signature,
    webauthn: Option<WebAuthnClientData>,
}

impl VerifiedSshSig {
    /// The key that signed.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The key id of the key that signed (equal to its `SHA256:` fingerprint).
    pub fn key_id(&self) -> KeyId {
        self.public_key.key_id()
    }

    /// The namespace the signature was made for.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The hash algorithm the signature used.
    pub fn hash_algorithm(&self) -> HashAlgorithm {
        self.hash
    }

    /// The signature, with [`Evidence::Fido`] when a security key made it.
    ///
    /// For an `sk-` signature the signed bytes are the SSHSIG signed data
    /// (see [`SshSig::signed_data`]); for a WebAuthn one they are the
    /// client data ([`VerifiedSshSig::webauthn`]).
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The authenticator data (flags, counter) when a security key signed.
    pub fn fido(&self) -> Option<&FidoAssertion> {
        match self.signature.evidence() {
            Some(Evidence::Fido(a)) => Some(a),
            None => None,
        }
    }

    /// The WebAuthn client data, when the security key signed through a browser.
    pub fn webauthn(&self) -> Option<&WebAuthnClientData> {
        self.webauthn.as_ref()
    }
}

/// Signs `message` in `namespace` and returns the armored SSHSIG, byte for
/// byte what `ssh-keygen -Y sign` writes for the same key and signature.
///
/// A signer whose signatures carry [`Evidence::Fido`] must have an `sk-`
/// key (a [`PublicKey`] with a FIDO application); its flags and counter are
/// written into the signature blob.
pub fn sign(
    signer: &dyn Signer,
    namespace: &str,
    message: &[u8],
    hash: HashAlgorithm,
) -> Result<String, SshSigError> {
    Ok(SshSig::sign(signer, namespace, message, hash)?.to_armored())
}

/// Parses `signature` (armored or binary) and verifies it over `message` in
/// `namespace`: [`SshSig::parse`] then [`SshSig::verify`].
pub fn verify(
    signature: &[u8],
    namespace: &str,
    message: &[u8],
) -> Result<VerifiedSshSig, SshSigError> {
    SshSig::parse(signature)?.verify(namespace, message)
}

/// The bytes an SSHSIG signature covers, from the hash of the message.
/// `T` of PROTOCOL.sshsig, what the key signs:
/// `"SSHSIG" || string(namespace) || string("") || string(hash) || string(message_hash)`.
pub fn signed_data(namespace: &str, hash: HashAlgorithm, message_hash: &[u8]) -> Vec<u8> {
    let mut t = Vec::with_capacity(6 + 16 + namespace.len() + 6 + message_hash.len());
    t.extend_from_slice(MAGIC);
    put_string(&mut t, namespace.as_bytes());
    put_string(&mut t, b"");
    put_string(&mut t, hash.name().as_bytes());
    put_string(&mut t, message_hash);
    t
}

fn check_namespace(namespace: &[u8]) -> Result<&str, SshSigError> {
    if namespace.len() > MAX_NAMESPACE_LEN {
        return Err(SshSigError::NamespaceTooLong {
            len: namespace.len(),
            max: MAX_NAMESPACE_LEN,
        });
    }
    if namespace.is_empty() || namespace.contains(&0) {
        return Err(SshSigError::Namespace);
    }
    std::str::from_utf8(namespace).map_err(|_| SshSigError::Namespace)
}

impl SshSig {
    /// Parses an SSHSIG, armored (`-----BEGIN SSH SIGNATURE-----`) or binary
    /// (starting with the `SSHSIG` magic).
    pub fn parse(bytes: &[u8]) -> Result<Self, SshSigError> {
        if bytes.starts_with(b"-----BEGIN") {
            SshSig::from_armored(bytes)
        } else if bytes.starts_with(MAGIC) {
            SshSig::from_bytes(bytes)
        } else {
            Err(SshSigError::NotSshSig)
        }
    }

    /// Parses an armored SSHSIG. Lines may end in LF or CRLF; only
    /// whitespace may follow the END line.
    pub fn from_armored(text: &[u8]) -> Result<Self, SshSigError> {
        if text.len() > MAX_ARMORED_LEN {
            return Err(SshSigError::TooLarge {
                limit: MAX_ARMORED_LEN,
                actual: text.len(),
            });
        }
        let text = std::str::from_utf8(text).map_err(|_| SshSigError::Armor("not ASCII text"))?;
        let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        if lines.next() != Some(BEGIN_LINE) {
            return Err(SshSigError::Armor(
                "missing -----BEGIN SSH SIGNATURE----- line",
            ));
        }
        let mut b64 = String::with_capacity(text.len());
        let mut ended = false;
        for line in lines.by_ref() {
            if line == END_LINE {
                ended = true;
                break;
            }
            if !line
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
            {
                return Err(SshSigError::Armor(
                    "a line between BEGIN and END is not base64",
                ));
            }
            b64.push_str(line);
        }
        if !ended {
            return Err(SshSigError::Armor(
                "missing -----END SSH SIGNATURE----- line",
            ));
        }
        if lines.any(|l| !l.trim().is_empty()) {
            return Err(SshSigError::Armor("text after the END line"));
        }
        let blob = STANDARD.decode(b64).map_err(|_| SshSigError::Base64)?;
        SshSig::from_bytes(&blob)
    }

    /// Parses a binary SSHSIG blob.
    pub fn from_bytes(blob: &[u8]) -> Result<Self, SshSigError> {
        if blob.len() > MAX_BLOB_LEN {
            return Err(SshSigError::TooLarge {
                limit: MAX_BLOB_LEN,
                actual: blob.len(),
            });
        }
        let mut r = Reader::new(blob);
        if r.take(MAGIC.len()) != Some(&MAGIC[..]) {
            return Err(SshSigError::NotSshSig);
        }
        let version = r.u32().ok_or(SshSigError::Truncated("version"))?;
        if version != VERSION {
            return Err(SshSigError::Version(version));
        }
        let key_blob = r.string().ok_or(SshSigError::Truncated("public key"))?;
        let namespace = r.string().ok_or(SshSigError::Truncated("namespace"))?;
        let reserved = r.string().ok_or(SshSigError::Truncated("reserved"))?;
        let hash = r.string().ok_or(SshSigError::Truncated("hash algorithm"))?;
        let sig_blob = r.string().ok_or(SshSigError::Truncated("signature"))?;
        if !r.is_empty() {
            return Err(SshSigError::TrailingData {
                field: "signature",
                count: r.remaining(),
            });
        }
        let public_key = PublicKey::from_canonical_bytes(key_blob).map_err(SshSigError::Key)?;
        let namespace = check_namespace(namespace)?.to_owned();
        if !reserved.is_empty() {
            return Err(SshSigError::Reserved(reserved.len()));
        }
        let hash = HashAlgorithm::from_name(hash).ok_or_else(|| {
            SshSigError::HashAlgorithm(String::from_utf8_lossy(hash).chars().take(40).collect())
        })?;
        let (signature, webauthn) = parse_signature_blob(&public_key, sig_blob)?;
        Ok(SshSig {
            public_key,
            namespace,
            hash,
            signature,
            webauthn,
        })
    }

    /// Signs `message` in `namespace` with `signer` (see [`sign`], which
    /// returns the armored text). The new signature is verified before it
    /// is returned, so a faulty signer cannot produce an invalid SSHSIG.
    pub fn sign(
        signer: &dyn Signer,
        namespace: &str,
        message: &[u8],
        hash: HashAlgorithm,
    ) -> Result<Self, SshSigError> {
        let mut h = hash.hasher();
        h.update(message);
        SshSig::sign_hashed(signer, namespace, h)
    }

    /// Signs the message fed to `hasher` (for a message read from a
    /// stream), with the hasher's algorithm, as [`SshSig::sign`] does.
    pub fn sign_hashed(
        signer: &dyn Signer,
        namespace: &str,
        hasher: MessageHasher,
    ) -> Result<Self, SshSigError> {
        let namespace = check_namespace(namespace.as_bytes())?.to_owned();
        let public_key = signer.public_key().clone();
        let hash = hasher.algorithm();
        let t = signed_data(&namespace, hash, &hasher.finalize());
        let signature = signer.try_sign(&t)?;
        let unencodable = |problem| SshSigError::Unencodable {
            key_id: public_key.key_id(),
            problem,
        };
        match (public_key.fido_application(), signature.evidence()) {
            (None, None) => {}
            (None, Some(_)) => {
                return Err(unencodable(
                    "the signature carries authenticator data but the key is not an sk- key",
                ));
            }
            (Some(_), None) => {
                return Err(unencodable(
                    "the key is an sk- key but the signature carries no authenticator data",
                ));
            }
            (Some(_), Some(Evidence::Fido(a))) if !a.extensions.is_empty() => {
                return Err(unencodable(
                    "FIDO extension outputs have no place in an sk- signature",
                ));
            }
            (Some(_), Some(Evidence::Fido(a))) if a.sshsig.is_some() => {
                return Err(unencodable(
                    "the signature is over an SSHSIG wrapper already (a statement signature)",
                ));
            }
            (Some(_), Some(Evidence::Fido(_))) => {}
        }
        public_key
            .verify(&t, &signature)
            .map_err(SshSigError::Verify)?;
        Ok(SshSig {
            public_key,
            namespace,
            hash,
            signature,
            webauthn: None,
        })
    }

    /// The binary SSHSIG blob.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(MAGIC);
        put_u32(&mut out, VERSION);
        put_string(&mut out, &self.public_key.to_canonical_bytes());
        put_string(&mut out, self.namespace.as_bytes());
        put_string(&mut out, b"");
        put_string(&mut out, self.hash.name().as_bytes());
        put_string(&mut out, &self.signature_blob());
        out
    }

    /// The armored SSHSIG, as `ssh-keygen` writes it (70-column base64,
    /// LF line ends, a final LF).
    pub fn to_armored(&self) -> String {
        let b64 = STANDARD.encode(self.to_bytes());
        let mut out = String::with_capacity(b64.len() + b64.len() / ARMOR_WIDTH + 64);
        out.push_str(BEGIN_LINE);
        out.push('\n');
        for chunk in b64.as_bytes().chunks(ARMOR_WIDTH) {
            // Base64 output is ASCII, so every chunk is valid UTF-8.
            out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            out.push('\n');
        }
        out.push_str(END_LINE);
        out.push('\n');
        out
    }

    /// The key that claims to have signed (not yet verified).
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The namespace the signature claims.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The hash algorithm applied to the message.
    pub fn hash_algorithm(&self) -> HashAlgorithm {
        self.hash
    }

    /// The signature (with [`Evidence::Fido`] for security keys), not yet verified.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The WebAuthn client data, for a WebAuthn security-key signature.
    pub fn webauthn(&self) -> Option<&WebAuthnClientData> {
        self.webauthn.as_ref()
    }

    /// The bytes this SSHSIG's signature covers for `message`: `T` in
    /// `PROTOCOL.sshsig`.
    pub fn signed_data(&self, message: &[u8]) -> Vec<u8> {
        signed_data(&self.namespace, self.hash, &self.hash.digest(message))
    }

    /// A hasher for the message, for [`SshSig::verify_hashed`].
    pub fn message_hasher(&self) -> MessageHasher {
        self.hash.hasher()
    }

    /// Verifies the signature over `message`, which must have been signed
    /// in `namespace` (required: a signature for another purpose never
    /// passes).
    pub fn verify(&self, namespace: &str, message: &[u8]) -> Result<VerifiedSshSig, SshSigError> {
        let mut h = self.message_hasher();
        h.update(message);
        self.verify_hashed(namespace, h)
    }

    /// Verifies the signature over the message fed to `hasher` (made by
    /// [`SshSig::message_hasher`]), signed in `namespace`.
    pub fn verify_hashed(
        &self,
        namespace: &str,
        hasher: MessageHasher,
    ) -> Result<VerifiedSshSig, SshSigError> {
        check_namespace(namespace.as_bytes())?;
        if namespace != self.namespace {
            return Err(SshSigError::NamespaceMismatch {
                expected: namespace.to_owned(),
                found: self.namespace.clone(),
            });
        }
        if hasher.algorithm() != self.hash {
            return Err(SshSigError::HashMismatch {
                expected: self.hash,
                given: hasher.algorithm(),
            });
        }
        let t = signed_data(&self.namespace, self.hash, &hasher.finalize());
        match &self.webauthn {
            None => self.public_key.verify(&t, &self.signature),
            Some(w) => {
                w.check(&t)?;
                self.public_key.verify(&w.client_data_json, &self.signature)
            }
        }
        .map_err(SshSigError::Verify)?;
        Ok(VerifiedSshSig {
            public_key: self.public_key.clone(),
            namespace: self.namespace.clone(),
            hash: self.hash,
            signature: self.signature.clone(),
            webauthn: self.webauthn.clone(),
        })
    }

    /// The SSH signature blob (the last field of the container).
    fn signature_blob(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        let sig_type = if self.webauthn.is_some() {
            WEBAUTHN_SK_ECDSA
        } else {
            self.public_key.ssh_key_type()
        };
        put_string(&mut out, sig_type.as_bytes());
        let value = self.signature.value();
        match self.public_key.algorithm() {
            Algorithm::Ed25519 => put_string(&mut out, value),
            Algorithm::Es256 => {
                let (r, s) = value.split_at(value.len() / 2);
                let mut inner = Vec::with_capacity(74);
                put_mpint(&mut inner, r);
                put_mpint(&mut inner, s);
                put_string(&mut out, &inner);
            }
        }
        if let Some(Evidence::Fido(a)) = self.signature.evidence() {
            out.push(a.flags.0);
            put_u32(&mut out, a.counter);
            if let Some(w) = &self.webauthn {
                put_string(&mut out, w.origin.as_bytes());
                put_string(&mut out, &w.client_data_json);
                put_string(&mut out, &a.extensions);
            }
        }
        out
    }
}

/// Reads the SSH signature blob for `key`. The key decides how the blob is
/// read; the blob's own type string must agree with it.
fn parse_signature_blob(
    key: &PublicKey,
    blob: &[u8],
) -> Result<(Signature, Option<WebAuthnClientData>), SshSigError> {
    let key_type = key.ssh_key_type();
    let malformed = |problem| SshSigError::SignatureBlob { key_type, problem };
    let mut r = Reader::new(blob);
    let sig_type = r.string().ok_or(malformed("truncated signature type"))?;
    let webauthn = if sig_type == key_type.as_bytes() {
        false
    } else if key.fido_application().is_some()
        && key.algorithm() == Algorithm::Es256
        && sig_type == WEBAUTHN_SK_ECDSA.as_bytes()
    {
        true
    } else {
        return Err(SshSigError::SignatureType {
            key_id: key.key_id(),
            key_type,
            signature_type: String::from_utf8_lossy(sig_type).chars().take(64).collect(),
        });
    };
    let raw = r.string().ok_or(malformed("truncated signature value"))?;
    let value = match key.algorithm() {
        Algorithm::Ed25519 => {
            if raw.len() != 64 {
                return Err(malformed("an Ed25519 signature must be 64 bytes"));
            }
            raw.to_vec()
        }
        Algorithm::Es256 => {
            let mut m = Reader::new(raw);
            let r_int = m.string().ok_or(malformed("truncated mpint r"))?;
            let s_int = m.string().ok_or(malformed("truncated mpint s"))?;
            if !m.is_empty() {
                return Err(malformed("trailing bytes after mpint s"));
            }
            let mut rs = Vec::with_capacity(64);
            rs.extend_from_slice(&scalar_from_mpint(r_int).ok_or(malformed(
                "r is not a minimal positive mpint of at most 32 bytes",
            ))?);
            rs.extend_from_slice(&scalar_from_mpint(s_int).ok_or(malformed(
                "s is not a minimal positive mpint of at most 32 bytes",
            ))?);
            rs
        }
    };
    let signature = Signature::new(key.algorithm(), &value).map_err(SshSigError::Verify)?;
    let Some(application) = key.fido_application() else {
        if !r.is_empty() {
            return Err(SshSigError::TrailingData {
                field: "signature blob",
                count: r.remaining(),
            });
        }
        return Ok((signature, None));
    };
    let flags = r.byte().ok_or(malformed("truncated authenticator flags"))?;
    let counter = r.u32().ok_or(malformed("truncated signature counter"))?;
    let mut assertion = FidoAssertion::new(application, AuthenticatorFlags(flags), counter);
    let client = if webauthn {
        let origin = r.string().ok_or(malformed("truncated WebAuthn origin"))?;
        let client_data_json = r
            .string()
            .ok_or(malformed("truncated WebAuthn client data"))?;
        let extensions = r
            .string()
            .ok_or(malformed("truncated WebAuthn extensions"))?;
        let origin = std::str::from_utf8(origin)
            .ok()
            .filter(|o| !o.contains('"'))
            .ok_or(SshSigError::WebAuthn(
                "origin is not UTF-8 or contains a quote",
            ))?;
        if flags & FLAG_AT != 0 {
            return Err(SshSigError::WebAuthn(
                "attested credential data flag set in an assertion",
            ));
        }
        if (flags & FLAG_ED != 0) == extensions.is_empty() {
            return Err(SshSigError::WebAuthn(
                "extension data flag disagrees with the extensions field",
            ));
        }
        assertion = assertion.with_extensions(extensions.to_vec());
        Some(WebAuthnClientData {
            origin: origin.to_owned(),
            client_data_json: client_data_json.to_vec(),
        })
    } else {
        None
    };
    if !r.is_empty() {
        return Err(SshSigError::TrailingData {
            field: "signature blob",
            count: r.remaining(),
        });
    }
    Ok((signature.with_evidence(Evidence::Fido(assertion)), client))
}

/// A positive SSH mpint (RFC 4251 §5) as a 32-byte big-endian scalar. The
/// encoding must be minimal: no needless leading zero, no sign bit set.
fn scalar_from_mpint(m: &[u8]) -> Option<[u8; 32]> {
    let digits = match m {
        [] => return None,
        [0, rest @ ..] => {
            // A leading zero is only allowed to clear the sign bit.
            if rest.first().is_none_or(|b| b & 0x80 == 0) {
                return None;
            }
            rest
        }
        [first, ..] if first & 0x80 != 0 => return None,
        _ => m,
    };
    if digits.len() > 32 {
        return None;
    }
    let mut out = [0u8; 32];
    out[32 - digits.len()..].copy_from_slice(digits);
    Some(out)
}

/// Appends a big-endian unsigned integer as a minimal positive SSH mpint.
fn put_mpint(out: &mut Vec<u8>, be: &[u8]) {
    let start = be.iter().position(|&b| b != 0).unwrap_or(be.len());
    let digits = &be[start..];
    if digits.first().is_some_and(|b| b & 0x80 != 0) {
        let mut padded = Vec::with_capacity(digits.len() + 1);
        padded.push(0);
        padded.extend_from_slice(digits);
        put_string(out, &padded);
    } else {
        put_string(out, digits);
    }
}

/// Why an SSHSIG could not be parsed, verified or made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SshSigError {
    /// The input is larger than the limit.
    #[error("SSH signature is {actual} bytes; the limit is {limit}")]
    TooLarge {
        /// The limit ([`MAX_ARMORED_LEN`] or [`MAX_BLOB_LEN`]).
        limit: usize,
        /// The size found.
        actual: usize,
    },
    /// Neither the armor line nor the `SSHSIG` magic.
    #[error("not an SSH signature (expected -----BEGIN SSH SIGNATURE----- or the SSHSIG magic)")]
    NotSshSig,
    /// The armor is malformed.
    #[error("malformed SSH signature armor: {0}")]
    Armor(&'static str),
    /// The armored body is not canonical padded base64.
    #[error("SSH signature armor holds invalid base64")]
    Base64,
    /// A version other than 1.
    #[error("SSHSIG version {0} is not supported (only version 1)")]
    Version(u32),
    /// The blob ends inside a field.
    #[error("SSHSIG is truncated in its {0} field")]
    Truncated(&'static str),
    /// Bytes follow the last field.
    #[error("SSHSIG has {count} trailing bytes after its {field}")]
    TrailingData {
        /// The field after which the bytes were found.
        field: &'static str,
        /// How many.
        count: usize,
    },
    /// The public key is malformed or of a type vouch does not support
    /// (RSA, P-384, post-quantum hybrids, certificates).
    #[error("SSHSIG public key refused")]
    Key(#[source] KeyError),
    /// The namespace is empty, not UTF-8 or contains NUL.
    #[error("SSHSIG namespace is empty, not UTF-8 or contains NUL")]
    Namespace,
    /// The namespace is longer than [`MAX_NAMESPACE_LEN`].
    #[error("SSHSIG namespace of {len} bytes exceeds the limit of {max} bytes")]
    NamespaceTooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The reserved field is not empty.
    #[error("SSHSIG reserved field must be empty, found {0} bytes")]
    Reserved(usize),
    /// A hash algorithm other than `sha256` and `sha512`.
    #[error("SSHSIG hash algorithm {0:?} is not supported (sha256 or sha512)")]
    HashAlgorithm(String),
    /// The signature blob's type disagrees with the key (algorithm confusion refused).
    #[error("key {key_id} is {key_type} but its signature is of type {signature_type:?}")]
    SignatureType {
        /// The key.
        key_id: KeyId,
        /// The key's SSH type.
        key_type: &'static str,
        /// The type the signature blob names.
        signature_type: String,
    },
    /// The signature blob is malformed.
    #[error("malformed {key_type} signature blob: {problem}")]
    SignatureBlob {
        /// The key's SSH type.
        key_type: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// A WebAuthn signature's client data or flags are refused.
    #[error("WebAuthn security-key signature refused: {0}")]
    WebAuthn(&'static str),
    /// The signature was made for another namespace.
    #[error("SSH signature namespace is {found:?}, expected {expected:?}")]
    NamespaceMismatch {
        /// The namespace required.
        expected: String,
        /// The namespace in the signature.
        found: String,
    },
    /// The message was hashed with another algorithm than the signature uses.
    #[error("message hashed with {given} but the SSH signature uses {expected}")]
    HashMismatch {
        /// The signature's algorithm.
        expected: HashAlgorithm,
        /// The hasher's algorithm.
        given: HashAlgorithm,
    },
    /// The signature does not verify (or its value is malformed).
    #[error("SSH signature does not verify")]
    Verify(#[source] VerifyError),
    /// The signer failed.
    #[error("signing failed")]
    Sign(#[from] SignError),
    /// The signer's signature cannot be written in SSH format for its key.
    #[error("signature by key {key_id} cannot be written as an SSH signature: {problem}")]
    Unencodable {
        /// The signer's key.
        key_id: KeyId,
        /// Why.
        problem: &'static str,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mpint_round_trip_and_strictness() {
        for be in [[0u8; 32], [0xff; 32], {
            let mut a = [0u8; 32];
            a[31] = 1;
            a
        }] {
            let mut out = Vec::new();
            put_mpint(&mut out, &be);
            let mut r = Reader::new(&out);
            let m = r.string().unwrap();
            if be == [0u8; 32] {
                assert!(m.is_empty());
                assert_eq!(scalar_from_mpint(m), None);
            } else {
                assert_eq!(scalar_from_mpint(m), Some(be));
            }
        }
        assert_eq!(scalar_from_mpint(&[0, 0x7f]), None, "non-minimal");
        assert_eq!(scalar_from_mpint(&[0x80]), None, "negative");
        assert_eq!(scalar_from_mpint(&[0]), None, "zero with a sign byte");
        assert_eq!(scalar_from_mpint(&[1; 33]), None, "too long");
        assert!(scalar_from_mpint(&[0, 0x80]).is_some());
    }
}
