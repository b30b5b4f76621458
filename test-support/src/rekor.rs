//! A Rekor v1 stand-in for Sigstore bundles made offline: one log key in
//! a trusted root, and one-entry trees (root = the leaf hash) with signed
//! checkpoints and signed entry timestamps, so a key-signed DSSE bundle
//! verifies with sigstore-verify exactly as one from the public log does
//! (vouch-sigstore's and vouch-chain's tests).

// A fixture: a key or encoding that fails is a broken test, said at once.
#![allow(clippy::expect_used)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::{EncodePublicKey as _, LineEnding};
use vouch_core::{Digest, Timestamp};

/// A Rekor v1 stand-in: one log key in a trusted root, and one-entry
/// trees (root = the leaf hash) with signed checkpoints and SETs.
pub struct Rekor {
    key: SigningKey,
}

impl Rekor {
    /// A log whose key is the P-256 scalar of 32 bytes of `seed`: the same
    /// seed, the same log, in every run.
    pub fn new(seed: u8) -> Self {
        Rekor {
            key: SigningKey::from_slice(&[seed; 32]).expect("a valid P-256 scalar"),
        }
    }

    fn spki(&self) -> Vec<u8> {
        self.key
            .verifying_key()
            .to_public_key_der()
            .expect("fixture")
            .as_bytes()
            .to_vec()
    }

    fn log_id(&self) -> Vec<u8> {
        Digest::sha256(&self.spki()).as_bytes().to_vec()
    }

    fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let sig: p256::ecdsa::Signature = self.key.sign(msg);
        sig.to_der().as_bytes().to_vec()
    }

    /// A trusted root (`trusted_root.json`) listing this log only, valid
    /// from 2026-01-01.
    pub fn trusted_root(&self) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [{
                "baseUrl": "https://rekor.test",
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": B64.encode(self.spki()),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": { "start": "2026-01-01T00:00:00Z" }
                },
                "logId": { "keyId": B64.encode(self.log_id()) }
            }],
            "certificateAuthorities": [],
            "ctlogs": [],
            "timestampAuthorities": []
        }))
        .expect("fixture")
    }

    /// A v0.3 bundle of `statement` (in-toto JSON) signed by `signer`.
    pub fn bundle(&self, statement: &[u8], signer: &SigningKey, integrated: Timestamp) -> Vec<u8> {
        let payload_type = "application/vnd.in-toto+json";
        let mut pae = format!(
            "DSSEv1 {} {} {} ",
            payload_type.len(),
            payload_type,
            statement.len()
        )
        .into_bytes();
        pae.extend_from_slice(statement);
        let sig: p256::ecdsa::Signature = signer.sign(&pae);
        let sig = sig.to_der().as_bytes().to_vec();
        let spki = signer.verifying_key().to_public_key_der().expect("fixture");
        let pem = signer
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("fixture");
        let envelope = serde_json::json!({
            "payload": B64.encode(statement),
            "payloadType": payload_type,
            "signatures": [{ "sig": B64.encode(&sig) }]
        });
        let body = serde_json::to_vec(&serde_json::json!({
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {
                "envelopeHash": {
                    "algorithm": "sha256",
                    "value": Digest::sha256(&serde_json::to_vec(&envelope).expect("fixture")).hex()
                },
                "payloadHash": { "algorithm": "sha256", "value": Digest::sha256(statement).hex() },
                "signatures": [{ "signature": B64.encode(&sig), "verifier": B64.encode(pem.as_bytes()) }]
            }
        }))
        .expect("fixture");
        let body64 = B64.encode(&body);
        let log_hex =
            Digest::from_sha256(self.log_id().try_into().expect("a 32-byte log id")).hex();
        // RFC 8785 canonical JSON of the SET payload: keys in order.
        let set_payload = format!(
            r#"{{"body":"{body64}","integratedTime":{},"logID":"{log_hex}","logIndex":0}}"#,
            integrated.unix_seconds()
        );
        let set = self.sign(set_payload.as_bytes());
        let mut leaf = vec![0u8];
        leaf.extend_from_slice(&body);
        let root = Digest::sha256(&leaf);
        let note = format!("rekor.test - 1\n1\n{}\n", B64.encode(root.as_bytes()));
        let mut hint_sig = self.log_id()[..4].to_vec();
        hint_sig.extend(self.sign(note.as_bytes()));
        let checkpoint = format!("{note}\n\u{2014} rekor.test {}\n", B64.encode(hint_sig));
        serde_json::to_vec(&serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "publicKey": { "hint": B64.encode(Digest::sha256(spki.as_bytes()).as_bytes()) },
                "tlogEntries": [{
                    "logIndex": "0",
                    "logId": { "keyId": B64.encode(self.log_id()) },
                    "kindVersion": { "kind": "dsse", "version": "0.0.1" },
                    "integratedTime": integrated.unix_seconds().to_string(),
                    "inclusionPromise": { "signedEntryTimestamp": B64.encode(set) },
                    "inclusionProof": {
                        "logIndex": "0",
                        "rootHash": B64.encode(root.as_bytes()),
                        "treeSize": "1",
                        "hashes": [],
                        "checkpoint": { "envelope": checkpoint }
                    },
                    "canonicalizedBody": body64
                }]
            },
            "dsseEnvelope": envelope
        }))
        .expect("fixture")
    }
}
