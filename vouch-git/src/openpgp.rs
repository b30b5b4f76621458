//! OpenPGP signatures on git objects (feature `openpgp`), through the
//! pure-Rust rpgp.
//!
//! With `gpg.format=openpgp` (git's default) git hands the payload to
//! `gpg --detach-sign --armor` and stores the armored detached signature:
//! in the `gpgsig` header of a commit, at the end of a tag's message. This
//! module verifies such a signature with a transferable public key (a
//! "certificate": primary key, user ids, subkeys and their binding
//! signatures) that the roster enrolls:
//!
//! - the signature is a binary or text document signature (type 0x00 or
//!   0x01), with a creation time, made with a hash of at least 224 bits
//!   (MD5, SHA-1 and RIPEMD-160 signatures are refused: SHA-1 is broken
//!   for chosen prefixes, which is exactly what a signed git object gives
//!   an attacker);
//! - the issuer (fingerprint subpacket, or the older 8-byte key id) names
//!   the certificate's primary key or one of its subkeys;
//! - that key may sign: a subkey's binding signature (which the primary
//!   key made, and the subkey's embedded back-signature) verifies and has
//!   the signing flag; the primary key's self-signature on a user id
//!   verifies and has the signing flag; neither is revoked in the
//!   certificate;
//! - the signature verifies over the payload.
//!
//! The certificate's own expiry is not consulted: the roster's validity
//! window and revocation for the key say when it counts, judged at the
//! committer (or tagger) time, as for SSH keys. The signature's creation
//! time is reported; like every time a signer writes, it is a claim.

use std::collections::HashMap;
use std::io::Cursor;

use pgp::composed::{Deserializable, DetachedSignature, SignedPublicKey};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{Signature, SignatureType};
use pgp::ser::Serialize as _;
use pgp::types::{KeyDetails, Tag};
use vouch_core::Timestamp;

/// Largest armored signature accepted (64 KiB). An RSA-4096 signature
/// armors to about 1 KiB; the rest is room for subpackets.
pub const MAX_SIGNATURE_LEN: usize = 64 * 1024;

/// Largest certificate accepted (1 MiB, armored or binary). Certificates
/// with many third-party certifications grow; export them with
/// `gpg --export --export-options export-minimal`.
pub const MAX_CERT_LEN: usize = 1024 * 1024;

/// Largest number of subkeys considered in a certificate.
pub const MAX_SUBKEYS: usize = 64;

/// An OpenPGP v4 (40 hex digits) or v6 (64 hex digits) fingerprint, in
/// upper-case hex as `gpg --fingerprint` prints it (without spaces).
pub fn fingerprint_hex(fp: &pgp::types::Fingerprint) -> String {
    hex::encode_upper(fp.as_bytes())
}

/// A transferable public key (an OpenPGP certificate) whose self-signatures
/// were read; which of its keys may sign is decided per signature.
#[derive(Clone, Debug)]
pub struct Certificate {
    key: SignedPublicKey,
    fingerprint: String,
}

impl Certificate {
    /// Reads a certificate, armored (`gpg --armor --export`) or binary.
    pub fn parse(bytes: &[u8]) -> Result<Self, OpenPgpError> {
        if bytes.len() > MAX_CERT_LEN {
            return Err(OpenPgpError::TooLarge {
                what: "certificate",
                limit: MAX_CERT_LEN,
                actual: bytes.len(),
            });
        }
        let trimmed = trim_start(bytes);
        let key = if trimmed.starts_with(b"-----BEGIN PGP PUBLIC KEY BLOCK-----") {
            SignedPublicKey::from_armor_single(Cursor::new(trimmed)).map(|(k, _)| k)
        } else {
            SignedPublicKey::from_bytes(Cursor::new(bytes))
        }
        .map_err(|e| OpenPgpError::BadCertificate(e.to_string()))?;
        if key.public_subkeys.len() > MAX_SUBKEYS {
            return Err(OpenPgpError::TooLarge {
                what: "certificate's subkeys",
                limit: MAX_SUBKEYS,
                actual: key.public_subkeys.len(),
            });
        }
        let fingerprint = fingerprint_hex(&key.primary_key.fingerprint());
        Ok(Certificate { key, fingerprint })
    }

    /// Reads a certificate and checks that its primary key has
    /// `fingerprint` (hex, either case): how a roster entry's key bytes
    /// are bound to the fingerprint it names.
    pub fn parse_with_fingerprint(bytes: &[u8], fingerprint: &str) -> Result<Self, OpenPgpError> {
        let cert = Certificate::parse(bytes)?;
        if !cert.fingerprint.eq_ignore_ascii_case(fingerprint) {
            return Err(OpenPgpError::FingerprintMismatch {
                expected: fingerprint.to_owned(),
                found: cert.fingerprint,
            });
        }
        Ok(cert)
    }

    /// The primary key's fingerprint (upper-case hex).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The user ids, as text (lossy), for people to read.
    pub fn user_ids(&self) -> Vec<String> {
        self.key
            .details
            .users
            .iter()
            .map(|u| String::from_utf8_lossy(u.id.id()).into_owned())
            .collect()
    }

    /// The binary transferable public key (what the roster stores in CBOR).
    pub fn to_bytes(&self) -> Result<Vec<u8>, OpenPgpError> {
        self.key
            .to_bytes()
            .map_err(|e| OpenPgpError::BadCertificate(e.to_string()))
    }

    /// The armored form (what the roster shows in JSON).
    pub fn to_armored(&self) -> Result<String, OpenPgpError> {
        self.key
            .to_armored_string(Default::default())
            .map_err(|e| OpenPgpError::BadCertificate(e.to_string()))
    }

    /// Whether `sig`'s issuer is this certificate's primary key or a subkey.
    pub fn issued(&self, sig: &OpenPgpSignature) -> bool {
        let primary = &self.key.primary_key;
        sig.names(&primary.fingerprint(), &primary.legacy_key_id())
            || self
                .key
                .public_subkeys
                .iter()
                .any(|s| sig.names(&s.key.fingerprint(), &s.key.legacy_key_id()))
    }

    /// Verifies `sig` over `payload` with the key it names (see the module
    /// documentation for every check).
    pub fn verify(
        &self,
        sig: &OpenPgpSignature,
        payload: &[u8],
    ) -> Result<VerifiedOpenPgp, OpenPgpError> {
        let primary = &self.key.primary_key;
        if !self.key.details.revocation_signatures.is_empty() {
            return Err(OpenPgpError::RevokedInCertificate {
                fingerprint: self.fingerprint.clone(),
            });
        }
        let created = sig.created;
        if sig.names(&primary.fingerprint(), &primary.legacy_key_id()) {
            // The primary key signs when a self-signature on a user id (or
            // a direct-key signature) that verifies gives it the flag.
            let flagged = self.key.details.users.iter().any(|u| {
                u.signatures.iter().any(|s| {
                    s.key_flags().sign()
                        && s.verify_certification(primary, Tag::UserId, &u.id).is_ok()
                })
            }) || self
                .key
                .details
                .direct_signatures
                .iter()
                .any(|s| s.key_flags().sign() && s.verify_key(primary).is_ok());
            if !flagged {
                return Err(OpenPgpError::NotSigningKey {
                    fingerprint: self.fingerprint.clone(),
                });
            }
            sig.signature
                .verify(primary, payload)
                .map_err(|e| OpenPgpError::BadSignature(e.to_string()))?;
            return Ok(VerifiedOpenPgp {
                certificate: self.fingerprint.clone(),
                signing_key: self.fingerprint.clone(),
                created,
                hash: sig.hash,
            });
        }
        for sub in &self.key.public_subkeys {
            if !sig.names(&sub.key.fingerprint(), &sub.key.legacy_key_id()) {
                continue;
            }
            let signing_key = fingerprint_hex(&sub.key.fingerprint());
            if sub
                .signatures
                .iter()
                .any(|s| s.typ() == Some(SignatureType::SubkeyRevocation))
            {
                return Err(OpenPgpError::RevokedInCertificate {
                    fingerprint: signing_key,
                });
            }
            // A binding with the signing flag that verifies, with the
            // subkey's back-signature (rpgp checks it for signing subkeys).
            let bound = !sub.signatures.is_empty()
                && sub.signatures.iter().all(|s| s.key_flags().sign())
                && sub.verify_bindings(primary).is_ok();
            if !bound {
                return Err(OpenPgpError::NotSigningKey {
                    fingerprint: signing_key,
                });
            }
            sig.signature
                .verify(&sub.key, payload)
                .map_err(|e| OpenPgpError::BadSignature(e.to_string()))?;
            return Ok(VerifiedOpenPgp {
                certificate: self.fingerprint.clone(),
                signing_key,
                created,
                hash: sig.hash,
            });
        }
        Err(OpenPgpError::NotIssuer {
            fingerprint: self.fingerprint.clone(),
            issuer: sig.issuer(),
        })
    }
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// The hashes accepted in a document signature, and their names.
fn accepted_hash(h: HashAlgorithm) -> Option<&'static str> {
    match h {
        HashAlgorithm::Sha224 => Some("SHA224"),
        HashAlgorithm::Sha256 => Some("SHA256"),
        HashAlgorithm::Sha384 => Some("SHA384"),
        HashAlgorithm::Sha512 => Some("SHA512"),
        HashAlgorithm::Sha3_256 => Some("SHA3-256"),
        HashAlgorithm::Sha3_512 => Some("SHA3-512"),
        _ => None,
    }
}

/// A detached OpenPGP signature, read and checked for what can be checked
/// without a key (type, hash, creation time, issuer).
#[derive(Clone, Debug)]
pub struct OpenPgpSignature {
    signature: Signature,
    fingerprints: Vec<String>,
    key_ids: Vec<String>,
    created: Timestamp,
    hash: &'static str,
}

impl OpenPgpSignature {
    /// Reads an armored detached signature (`-----BEGIN PGP SIGNATURE-----`).
    pub fn from_armored(text: &[u8]) -> Result<Self, OpenPgpError> {
        if text.len() > MAX_SIGNATURE_LEN {
            return Err(OpenPgpError::TooLarge {
                what: "signature",
                limit: MAX_SIGNATURE_LEN,
                actual: text.len(),
            });
        }
        let (detached, _) = DetachedSignature::from_armor_single(Cursor::new(text))
            .map_err(|e| OpenPgpError::Malformed(e.to_string()))?;
        let signature = detached.signature;
        match signature.typ() {
            Some(SignatureType::Binary | SignatureType::Text) => {}
            other => {
                return Err(OpenPgpError::NotDocumentSignature(format!("{other:?}")));
            }
        }
        let hash = signature.hash_alg().ok_or(OpenPgpError::Malformed(
            "signature of an unknown version".into(),
        ))?;
        let hash = accepted_hash(hash).ok_or(OpenPgpError::WeakHash(hash.to_string()))?;
        let created = signature
            .created()
            .and_then(|t| Timestamp::from_unix_seconds(i64::from(t.as_secs())))
            .ok_or(OpenPgpError::Malformed("no signature creation time".into()))?;
        let fingerprints = signature
            .issuer_fingerprint()
            .into_iter()
            .map(fingerprint_hex)
            .collect();
        let key_ids: Vec<String> = signature
            .issuer_key_id()
            .into_iter()
            .map(|k| hex::encode_upper(k.as_ref()))
            .collect();
        let s = OpenPgpSignature {
            signature,
            fingerprints,
            key_ids,
            created,
            hash,
        };
        if s.fingerprints.is_empty() && s.key_ids.is_empty() {
            return Err(OpenPgpError::Malformed("no issuer".into()));
        }
        Ok(s)
    }

    /// The issuer as the signature names it: its fingerprint when it
    /// carries one (git's gpg always writes it), else its key id.
    pub fn issuer(&self) -> String {
        self.fingerprints
            .first()
            .or(self.key_ids.first())
            .cloned()
            .unwrap_or_default()
    }

    /// The issuer fingerprints the signature names (usually one).
    pub fn issuer_fingerprints(&self) -> &[String] {
        &self.fingerprints
    }

    /// The creation time the signer wrote (a claim).
    pub fn created(&self) -> Timestamp {
        self.created
    }

    /// Whether the signature names the key with this fingerprint and key
    /// id: by fingerprint when it has one (a key id alone is 64 bits and
    /// can be chosen to collide), else by key id.
    fn names(&self, fp: &pgp::types::Fingerprint, id: &pgp::types::KeyId) -> bool {
        if !self.fingerprints.is_empty() {
            let fp = fingerprint_hex(fp);
            return self.fingerprints.contains(&fp);
        }
        let id = hex::encode_upper(id.as_ref());
        self.key_ids.contains(&id)
    }
}

/// A signature that verified with an enrolled certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedOpenPgp {
    certificate: String,
    signing_key: String,
    created: Timestamp,
    hash: &'static str,
}

impl VerifiedOpenPgp {
    /// The certificate's (primary key's) fingerprint: what the roster enrolls.
    pub fn certificate(&self) -> &str {
        &self.certificate
    }

    /// The fingerprint of the key that signed (the primary or a subkey).
    pub fn signing_key(&self) -> &str {
        &self.signing_key
    }

    /// The signature's creation time (a claim).
    pub fn created(&self) -> Timestamp {
        self.created
    }

    /// The hash algorithm the signature used.
    pub fn hash(&self) -> &'static str {
        self.hash
    }
}

/// Certificates by the fingerprints and key ids of their keys, each with a
/// value of the caller's (the roster entry it came from).
#[derive(Clone, Debug, Default)]
pub struct Keyring<T> {
    certs: Vec<(Certificate, T)>,
    by_fingerprint: HashMap<String, usize>,
    by_key_id: HashMap<String, Vec<usize>>,
}

impl<T> Keyring<T> {
    /// An empty keyring.
    pub fn new() -> Self {
        Keyring {
            certs: Vec::new(),
            by_fingerprint: HashMap::new(),
            by_key_id: HashMap::new(),
        }
    }

    /// Adds a certificate: its primary key and subkeys become findable.
    pub fn insert(&mut self, cert: Certificate, value: T) {
        let n = self.certs.len();
        let primary = &cert.key.primary_key;
        let keys = std::iter::once((primary.fingerprint(), primary.legacy_key_id())).chain(
            cert.key
                .public_subkeys
                .iter()
                .map(|s| (s.key.fingerprint(), s.key.legacy_key_id())),
        );
        for (fp, id) in keys {
            self.by_fingerprint.entry(fingerprint_hex(&fp)).or_insert(n);
            self.by_key_id
                .entry(hex::encode_upper(id.as_ref()))
                .or_default()
                .push(n);
        }
        self.certs.push((cert, value));
    }

    /// The certificate that issued `sig`, with its value.
    pub fn find(&self, sig: &OpenPgpSignature) -> Option<(&Certificate, &T)> {
        let by_fp = sig
            .fingerprints
            .iter()
            .find_map(|fp| self.by_fingerprint.get(fp));
        let n = match by_fp {
            Some(&n) => Some(n),
            None if sig.fingerprints.is_empty() => sig
                .key_ids
                .iter()
                .filter_map(|id| self.by_key_id.get(id))
                .flatten()
                .copied()
                .find(|&n| self.certs[n].0.issued(sig)),
            None => None,
        }?;
        self.certs.get(n).map(|(c, v)| (c, v))
    }

    /// The number of certificates.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }
}

/// Why an OpenPGP certificate or signature was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenPgpError {
    /// Larger than its limit.
    #[error("OpenPGP {what} is {actual} bytes; the limit is {limit}")]
    TooLarge {
        /// What.
        what: &'static str,
        /// The limit.
        limit: usize,
        /// The size found.
        actual: usize,
    },
    /// The signature could not be read.
    #[error("malformed OpenPGP signature: {0}")]
    Malformed(String),
    /// Not a signature over a document (a key certification, say).
    #[error("OpenPGP signature of type {0} is not a document signature")]
    NotDocumentSignature(String),
    /// The signature's hash is weak or unknown (MD5, SHA-1, RIPEMD-160...).
    #[error("OpenPGP signature made with hash {0}, which is refused (SHA-224 or stronger needed)")]
    WeakHash(String),
    /// The certificate could not be read.
    #[error("malformed OpenPGP certificate: {0}")]
    BadCertificate(String),
    /// The certificate's primary key does not have the enrolled fingerprint.
    #[error("OpenPGP certificate has fingerprint {found}, not the enrolled {expected}")]
    FingerprintMismatch {
        /// The enrolled fingerprint.
        expected: String,
        /// The certificate's.
        found: String,
    },
    /// The key that signed may not sign (no signing flag in a binding that
    /// verifies: an encryption subkey, say).
    #[error("OpenPGP key {fingerprint} is not a signing key of its certificate")]
    NotSigningKey {
        /// The key.
        fingerprint: String,
    },
    /// The certificate revokes the key itself.
    #[error("OpenPGP key {fingerprint} is revoked in its certificate")]
    RevokedInCertificate {
        /// The key.
        fingerprint: String,
    },
    /// The signature's issuer is not a key of this certificate.
    #[error("OpenPGP signature by {issuer} is not by a key of certificate {fingerprint}")]
    NotIssuer {
        /// The certificate.
        fingerprint: String,
        /// The issuer the signature names.
        issuer: String,
    },
    /// The signature does not verify over the payload.
    #[error("OpenPGP signature does not verify: {0}")]
    BadSignature(String),
}
