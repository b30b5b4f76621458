//! OpenPGP keys enrolled on roster identities.
//!
//! Most signed commits on GitHub and GitLab are OpenPGP-signed
//! (`gpg.format=openpgp`, git's default), and the forge signs the merges
//! made in its web interface with its own OpenPGP key. The roster enrolls
//! such keys beside the identities' vouch keys: the certificate (a
//! transferable public key) and its primary key's fingerprint, with a
//! validity window and revocation exactly like a [`crate::RosterKey`].
//!
//! The manifest crate does not read OpenPGP packets: vouch-git (feature
//! `openpgp`) parses the certificate and checks, whenever it is used, that
//! its primary key has the enrolled fingerprint.
//!
//! In CBOR the certificate is its binary form; in JSON it is the armored
//! text `gpg --armor --export` prints (RFC 9580 §6.2: base64 of the binary
//! form, with the CRC-24 checksum line), so one roster has one encoding.

use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use vouch_core::{Digest, KeyId, Timestamp};

use crate::roster::{Grandfathered, Revocation};

/// Largest certificate a roster entry holds (1 MiB, binary).
pub const MAX_CERT_LEN: usize = 1024 * 1024;

/// An OpenPGP key fingerprint: 40 (v4) or 64 (v6) upper-case hex digits,
/// as `gpg --with-colons --fingerprint` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpenPgpFingerprint(String);

impl OpenPgpFingerprint {
    /// The fingerprint in `text`: 40 or 64 hex digits, spaces ignored, any
    /// case (stored in upper case).
    pub fn parse(text: &str) -> Result<Self, OpenPgpKeyError> {
        let hex: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if !matches!(hex.len(), 40 | 64) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(OpenPgpKeyError::BadFingerprint(
                text.chars().take(80).collect(),
            ));
        }
        Ok(OpenPgpFingerprint(hex))
    }

    /// The upper-case hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id vouch gives the key in traces and reasons (and in
    /// [`crate::TrustedRoster`]'s lookups): SHA-256 over a label and the
    /// fingerprint, so it never equals the id of a vouch key.
    pub fn key_id(&self) -> KeyId {
        let d = Digest::sha256(format!("vouch openpgp key\0{}", self.0).as_bytes());
        let mut id = [0u8; 32];
        for (o, i) in id.iter_mut().zip(d.as_bytes()) {
            *o = *i;
        }
        KeyId::from_bytes(id)
    }
}

impl fmt::Display for OpenPgpFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for OpenPgpFingerprint {
    type Err = OpenPgpKeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OpenPgpFingerprint::parse(s)
    }
}

impl Serialize for OpenPgpFingerprint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for OpenPgpFingerprint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let fp = OpenPgpFingerprint::parse(&text).map_err(serde::de::Error::custom)?;
        // One encoding: the stored form is the canonical one.
        if fp.0 != text {
            return Err(serde::de::Error::custom(
                "OpenPGP fingerprint must be upper-case hex without spaces",
            ));
        }
        Ok(fp)
    }
}

/// A certificate's bytes: binary in CBOR, armored text in JSON.
#[derive(Clone, PartialEq, Eq)]
pub struct OpenPgpCertBytes(Vec<u8>);

impl fmt::Debug for OpenPgpCertBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OpenPgpCertBytes({} bytes)", self.0.len())
    }
}

const BEGIN: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
const END: &str = "-----END PGP PUBLIC KEY BLOCK-----";

/// RFC 9580 §6.1's CRC-24.
fn crc24(data: &[u8]) -> u32 {
    let mut crc: u32 = 0x00B7_04CE;
    for &b in data {
        crc ^= u32::from(b) << 16;
        for _ in 0..8 {
            crc <<= 1;
            if crc & 0x0100_0000 != 0 {
                crc ^= 0x0186_4CFB;
            }
        }
    }
    crc & 0x00FF_FFFF
}

impl OpenPgpCertBytes {
    /// The binary certificate, bounded by [`MAX_CERT_LEN`].
    pub fn from_binary(bytes: Vec<u8>) -> Result<Self, OpenPgpKeyError> {
        if bytes.is_empty() || bytes.len() > MAX_CERT_LEN {
            return Err(OpenPgpKeyError::Size(bytes.len()));
        }
        Ok(OpenPgpCertBytes(bytes))
    }

    /// Reads an armored public key block (`gpg --armor --export`): armor
    /// headers are skipped, the checksum line checked when present.
    pub fn from_armored(text: &str) -> Result<Self, OpenPgpKeyError> {
        if text.len() > 2 * MAX_CERT_LEN {
            return Err(OpenPgpKeyError::Size(text.len()));
        }
        let bad = |why: &'static str| OpenPgpKeyError::Armor(why);
        let mut lines = text.lines().map(str::trim_end);
        lines
            .by_ref()
            .find(|l| *l == BEGIN)
            .ok_or(bad("no BEGIN PGP PUBLIC KEY BLOCK line"))?;
        // Armor headers (`Comment: ...`) up to the first empty line.
        let mut body = String::new();
        let mut in_headers = true;
        let mut checksum = None;
        let mut ended = false;
        for l in lines {
            if l == END {
                ended = true;
                break;
            }
            if in_headers {
                if l.is_empty() {
                    in_headers = false;
                } else if !l.contains(": ") {
                    // No header block at all: this is already the body.
                    in_headers = false;
                    body.push_str(l);
                }
                continue;
            }
            if let Some(c) = l.strip_prefix('=') {
                checksum = Some(c.to_owned());
            } else if checksum.is_none() {
                body.push_str(l);
            } else {
                return Err(bad("text after the checksum line"));
            }
        }
        if !ended {
            return Err(bad("no END PGP PUBLIC KEY BLOCK line"));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|_| bad("body is not base64"))?;
        if let Some(c) = checksum {
            let c = base64::engine::general_purpose::STANDARD
                .decode(c.as_bytes())
                .map_err(|_| bad("checksum is not base64"))?;
            let want = crc24(&bytes).to_be_bytes();
            if c != want[1..] {
                return Err(bad("checksum does not match"));
            }
        }
        OpenPgpCertBytes::from_binary(bytes)
    }

    /// Reads either form: armored text when it starts with the armor
    /// line, else binary.
    pub fn parse(bytes: &[u8]) -> Result<Self, OpenPgpKeyError> {
        let start = bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(bytes.len());
        if bytes[start..].starts_with(BEGIN.as_bytes()) {
            let text =
                std::str::from_utf8(bytes).map_err(|_| OpenPgpKeyError::Armor("not UTF-8"))?;
            OpenPgpCertBytes::from_armored(text)
        } else {
            OpenPgpCertBytes::from_binary(bytes.to_vec())
        }
    }

    /// The binary certificate.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The armored form: the armor lines, base64 in lines of 64, and the
    /// checksum line (deterministic, so JSON has one form too).
    pub fn to_armored(&self) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&self.0);
        let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 100);
        out.push_str(BEGIN);
        out.push_str("\n\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(chunk));
            out.push('\n');
        }
        out.push('=');
        out.push_str(
            &base64::engine::general_purpose::STANDARD.encode(&crc24(&self.0).to_be_bytes()[1..]),
        );
        out.push('\n');
        out.push_str(END);
        out.push('\n');
        out
    }
}

impl Serialize for OpenPgpCertBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.to_armored())
        } else {
            vouch_core::cbor::byte_string::serialize(&self.0, s)
        }
    }
}

impl<'de> Deserialize<'de> for OpenPgpCertBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let text = String::deserialize(d)?;
            OpenPgpCertBytes::from_armored(&text).map_err(serde::de::Error::custom)
        } else {
            let bytes = vouch_core::cbor::byte_string::deserialize(d)?;
            OpenPgpCertBytes::from_binary(bytes).map_err(serde::de::Error::custom)
        }
    }
}

/// An OpenPGP key of an identity, with its validity window, like a
/// [`crate::RosterKey`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OpenPgpKey {
    /// The certificate's primary key fingerprint: what signatures are
    /// matched against (through the certificate's subkeys too).
    pub fingerprint: OpenPgpFingerprint,
    /// The transferable public key.
    pub certificate: OpenPgpCertBytes,
    /// Valid from this time on.
    pub valid_from: Timestamp,
    /// Valid until this time (exclusive), if bounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Timestamp>,
    /// Revocation, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Revocation>,
    /// What this key signed that stays valid after it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grandfathered: Option<Grandfathered>,
}

impl OpenPgpKey {
    /// A key valid from `valid_from` with no end and no revocation.
    pub fn new(
        fingerprint: OpenPgpFingerprint,
        certificate: OpenPgpCertBytes,
        valid_from: Timestamp,
    ) -> Self {
        OpenPgpKey {
            fingerprint,
            certificate,
            valid_from,
            valid_until: None,
            revoked: None,
            grandfathered: None,
        }
    }

    /// The id vouch gives this key ([`OpenPgpFingerprint::key_id`]).
    pub fn key_id(&self) -> KeyId {
        self.fingerprint.key_id()
    }

    /// When the key stopped signing (its revocation or the end of its
    /// window, whichever is first), and why, if it has an end.
    pub fn end(&self) -> Option<(Timestamp, String)> {
        crate::roster::end_of(self)
    }
}

/// Why an OpenPGP roster entry could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenPgpKeyError {
    /// Not 40 or 64 hex digits.
    #[error("{0:?} is not an OpenPGP fingerprint (40 or 64 hex digits)")]
    BadFingerprint(String),
    /// Empty or larger than [`MAX_CERT_LEN`].
    #[error("OpenPGP certificate of {0} bytes (1 to {MAX_CERT_LEN} accepted)")]
    Size(usize),
    /// The armored text is not a public key block.
    #[error("OpenPGP armor: {0}")]
    Armor(&'static str),
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn crc24_matches_rfc() {
        // RFC 9580's initial value over no data.
        assert_eq!(crc24(b""), 0x00B7_04CE);
        // gpg's armor of these three bytes ends "=" + base64 of the CRC.
        assert_eq!(crc24(b"abc"), 0x00BA_1C7B);
    }

    #[test]
    fn fingerprints() {
        let fp = OpenPgpFingerprint::parse("5de3 e050 9c47 ea3c f04a  42d3 4aee 6b2b 6ab0 2e9b")
            .unwrap();
        assert_eq!(fp.as_str(), "5DE3E0509C47EA3CF04A42D34AEE6B2B6AB02E9B");
        assert!(OpenPgpFingerprint::parse("5DE3").is_err());
        assert!(OpenPgpFingerprint::parse(&"G".repeat(40)).is_err());
        let lower: Result<OpenPgpFingerprint, _> =
            serde_json::from_str("\"5de3e0509c47ea3cf04a42d34aee6b2b6ab02e9b\"");
        assert!(lower.is_err(), "one encoding");
        assert_ne!(
            fp.key_id(),
            OpenPgpFingerprint::parse(&"0".repeat(40)).unwrap().key_id()
        );
    }

    #[test]
    fn armor_refusals() {
        let good = OpenPgpCertBytes::from_binary(vec![0x99, 1, 2, 3])
            .unwrap()
            .to_armored();
        assert!(OpenPgpCertBytes::from_armored(&good).is_ok());
        let bad_crc = good.replace('=', "=A");
        assert!(OpenPgpCertBytes::from_armored(&bad_crc).is_err());
        assert!(OpenPgpCertBytes::from_armored(&good.replace(END, "")).is_err());
        assert!(OpenPgpCertBytes::from_armored("hello").is_err());
        assert!(OpenPgpCertBytes::from_binary(Vec::new()).is_err());
        assert!(OpenPgpCertBytes::from_binary(vec![0; MAX_CERT_LEN + 1]).is_err());
        // Armor headers are skipped.
        let with_header = good.replacen("\n\n", "\nComment: made by gpg\n\n", 1);
        assert_eq!(
            OpenPgpCertBytes::from_armored(&with_header).unwrap(),
            OpenPgpCertBytes::from_armored(&good).unwrap()
        );
    }

    proptest! {
        #[test]
        fn armor_round_trips(bytes in proptest::collection::vec(any::<u8>(), 1..300)) {
            let c = OpenPgpCertBytes::from_binary(bytes.clone()).unwrap();
            let again = OpenPgpCertBytes::from_armored(&c.to_armored()).unwrap();
            prop_assert_eq!(again.as_bytes(), &bytes[..]);
            prop_assert_eq!(OpenPgpCertBytes::parse(c.to_armored().as_bytes()).unwrap(), c);
        }

        #[test]
        fn armor_reader_never_panics(text in "[ -~\n]{0,300}") {
            let _ = OpenPgpCertBytes::from_armored(&format!("{BEGIN}\n{text}"));
        }
    }
}
