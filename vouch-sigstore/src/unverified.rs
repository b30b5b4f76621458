//! What a bundle says before it is verified: who claims to have signed it
//! and what its DSSE envelope carries. A verifier reads these to decide
//! which identity to expect (a certificate's SAN and issuer, a key's hint)
//! and what the signed statement is about; nothing here is trusted until
//! [`verify`](crate::verify) accepts the bundle with that expectation.

use sigstore_verify::types::SignatureContent;
use sigstore_verify::types::bundle::VerificationMaterialContent;

use crate::bundle::Bundle;

/// The signer a bundle claims, unverified.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClaimedSigner {
    /// A Fulcio certificate naming this SAN and OIDC issuer (`None` when
    /// the certificate does not parse or lacks one).
    Certificate {
        /// The subject alternative name (an email address or a URI).
        san: Option<String>,
        /// The OIDC issuer extension.
        issuer: Option<String>,
    },
    /// A key, named by the bundle's hint: by Sigstore's convention (cosign,
    /// sigstore-go) the base64 SHA-256 of the key's DER
    /// `SubjectPublicKeyInfo`, though the hint is the signer's free text.
    Key {
        /// The hint as written (empty when absent).
        hint: String,
    },
}

impl Bundle {
    /// Who the bundle claims signed it. Unverified: use it to choose the
    /// [`Expectation`](crate::Expectation), never as the answer.
    pub fn claimed_signer(&self) -> ClaimedSigner {
        let inner = self.inner();
        match &inner.verification_material.content {
            VerificationMaterialContent::PublicKey(k) => ClaimedSigner::Key {
                hint: k.hint.clone(),
            },
            _ => {
                let info = inner
                    .signing_certificate()
                    .and_then(|c| sigstore_verify::crypto::parse_certificate_info(c).ok());
                ClaimedSigner::Certificate {
                    san: info
                        .as_ref()
                        .and_then(|i| i.identity.as_ref())
                        .map(|s| s.as_str().to_owned()),
                    issuer: info.and_then(|i| i.issuer),
                }
            }
        }
    }

    /// The DSSE envelope's payload type and payload, unverified, when the
    /// bundle signs one: a verifier reads the statement's subjects from it
    /// to learn which artifact to verify the bundle against.
    pub fn unverified_dsse(&self) -> Option<(&str, &[u8])> {
        match &self.inner().content {
            SignatureContent::DsseEnvelope(e) => {
                Some((e.payload_type.as_str(), e.payload.as_bytes()))
            }
            _ => None,
        }
    }
}
