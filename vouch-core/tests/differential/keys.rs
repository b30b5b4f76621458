//! Keys for the differential tests, made from the generator, with the raw
//! signature arithmetic the mutations need (S + ℓ, n − s). Key ids and SSH
//! blobs are computed here, independently of vouch.

use sha2::Digest as _;
use vouch_core::PublicKey;

use super::Rng;

/// ℓ, the Ed25519 group order, little-endian.
pub const ED25519_L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// n, the P-256 group order, big-endian.
pub const P256_N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// The encoding of the Ed25519 identity point (y = 1): a public key of
/// small order, for which R = identity, S = 0 passes the cofactorless
/// equation for every message.
pub const ED25519_IDENTITY: [u8; 32] = {
    let mut p = [0u8; 32];
    p[0] = 1;
    p
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Ed25519,
    P256,
}

#[derive(Clone)]
pub enum Secret {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
    /// The identity point: no secret, the "signature" is forged.
    SmallOrder,
}

#[derive(Clone)]
pub struct Key {
    pub kind: Kind,
    pub secret: Secret,
}

impl Key {
    pub fn random(rng: &mut Rng, kind: Kind) -> Key {
        let secret = match kind {
            Kind::Ed25519 => Secret::Ed25519(ed25519_dalek::SigningKey::from_bytes(&rng.array32())),
            Kind::P256 => loop {
                if let Ok(k) = p256::ecdsa::SigningKey::from_slice(&rng.array32()) {
                    break Secret::P256(k);
                }
            },
        };
        Key { kind, secret }
    }

    pub fn small_order() -> Key {
        Key {
            kind: Kind::Ed25519,
            secret: Secret::SmallOrder,
        }
    }

    pub fn is_small_order(&self) -> bool {
        matches!(self.secret, Secret::SmallOrder)
    }

    /// The public point: 32 bytes (Ed25519) or 65, uncompressed (P-256).
    pub fn point(&self) -> Vec<u8> {
        match &self.secret {
            Secret::Ed25519(k) => k.verifying_key().to_bytes().to_vec(),
            Secret::P256(k) => k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            Secret::SmallOrder => ED25519_IDENTITY.to_vec(),
        }
    }

    /// A signature over `msg`: R ‖ S, or r ‖ s with low s (as vouch signs).
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        match &self.secret {
            Secret::Ed25519(k) => {
                use ed25519_dalek::Signer as _;
                k.sign(msg).to_bytes()
            }
            Secret::P256(k) => {
                let s: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(k, msg);
                let mut out = [0u8; 64];
                out.copy_from_slice(&s.normalize_s().to_bytes());
                out
            }
            Secret::SmallOrder => {
                let mut out = [0u8; 64];
                out[..32].copy_from_slice(&ED25519_IDENTITY);
                out
            }
        }
    }

    /// The SSH wire-format public key blob.
    pub fn ssh_blob(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self.kind {
            Kind::Ed25519 => {
                ssh_string(&mut out, b"ssh-ed25519");
            }
            Kind::P256 => {
                ssh_string(&mut out, b"ecdsa-sha2-nistp256");
                ssh_string(&mut out, b"nistp256");
            }
        }
        ssh_string(&mut out, &self.point());
        out
    }

    /// vouch's key id, computed independently: SHA-256 of the SSH blob.
    pub fn key_id(&self) -> [u8; 32] {
        sha2::Sha256::digest(self.ssh_blob()).into()
    }

    /// The vouch key; `None` where vouch refuses the key itself.
    pub fn vouch(&self) -> Option<PublicKey> {
        match self.kind {
            Kind::Ed25519 => PublicKey::ed25519(&self.point()).ok(),
            Kind::P256 => PublicKey::p256_sec1(&self.point()).ok(),
        }
    }
}

/// Appends an SSH `string`: uint32 length, then the bytes.
pub fn ssh_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// `S + k·ℓ` of an Ed25519 signature (little-endian), `None` past 2²⁵⁶.
pub fn s_plus_l(sig: &[u8; 64], k: u32) -> Option<[u8; 64]> {
    let mut out = *sig;
    for _ in 0..k {
        let mut carry = 0u16;
        for i in 0..32 {
            let v = u16::from(out[32 + i]) + u16::from(ED25519_L[i]) + carry;
            out[32 + i] = v as u8;
            carry = v >> 8;
        }
        if carry != 0 {
            return None;
        }
    }
    Some(out)
}

/// `S ≥ ℓ` for the S half of an Ed25519 signature.
pub fn s_not_reduced(sig: &[u8]) -> bool {
    sig.len() == 64 && !sig[32..].iter().rev().lt(ED25519_L.iter().rev())
}

/// `n − s` of an r ‖ s P-256 signature (big-endian).
pub fn p256_negate_s(sig: &[u8; 64]) -> [u8; 64] {
    let mut out = *sig;
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let v = i16::from(P256_N[i]) - i16::from(sig[32 + i]) - borrow;
        borrow = i16::from(v < 0);
        out[32 + i] = (v + if v < 0 { 256 } else { 0 }) as u8;
    }
    out
}

/// `s > n/2` for a 32-byte big-endian s.
pub fn p256_high_s(s: &[u8]) -> bool {
    // n/2, rounded down.
    let mut half = [0u8; 32];
    let mut rem = 0u16;
    for i in 0..32 {
        let v = (rem << 8) | u16::from(P256_N[i]);
        half[i] = (v / 2) as u8;
        rem = v % 2;
    }
    s.len() == 32 && s > &half[..]
}
