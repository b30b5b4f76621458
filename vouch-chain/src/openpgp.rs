//! OpenPGP signatures on git objects (commits, tags), checked against the
//! roster's OpenPGP keys.
//!
//! The roster's certificates are read once per evaluation, on first use,
//! into a keyring that finds a certificate by the issuer a signature names
//! (its primary key or a subkey). A certificate whose primary key does not
//! have the fingerprint it is enrolled under is not used: a signature by
//! it fails naming the entry. The key found is then mapped to its holder
//! like any key ([`crate::attest::Attester::holder`]), at the committer's
//! or tagger's time.
//!
//! Without feature `openpgp`, an OpenPGP-signed object fails with
//! [`Reason::OpenPgpNotBuilt`]: it is never counted as signed.

use vouch_core::KeyId;

use crate::attest::Attester;
use crate::error::Reason;

/// The roster's certificates, by the keys they hold.
#[cfg(feature = "openpgp")]
pub(crate) struct Ring {
    ring: vouch_git::openpgp::Keyring<KeyId>,
    /// Entries whose certificate could not be used: fingerprint, holder, why.
    broken: Vec<(String, vouch_manifest::IdentityId, String)>,
}

#[cfg(feature = "openpgp")]
impl Ring {
    pub(crate) fn of(roster: &vouch_manifest::TrustedRoster) -> Self {
        use vouch_git::openpgp::Certificate;
        let mut ring = vouch_git::openpgp::Keyring::new();
        let mut broken = Vec::new();
        for (ident, k) in roster.openpgp_keys() {
            match Certificate::parse_with_fingerprint(
                k.certificate.as_bytes(),
                k.fingerprint.as_str(),
            ) {
                Ok(cert) => ring.insert(cert, k.key_id()),
                Err(e) => broken.push((
                    k.fingerprint.to_string(),
                    ident.id.clone(),
                    vouch_core::text::error_chain(&e),
                )),
            }
        }
        Ring { ring, broken }
    }
}

/// A verified OpenPGP signature: the roster's id for the key, and the
/// fingerprint of the key that signed (primary or subkey).
pub(crate) struct OpenPgpSigner {
    pub(crate) key_id: KeyId,
    pub(crate) signing_key: String,
}

impl Attester<'_> {
    /// Verifies the OpenPGP `signature` over `payload` of `object` (`commit
    /// <id>`, `tag <name>`) with the roster's certificate that issued it.
    #[cfg(feature = "openpgp")]
    pub(crate) fn openpgp(
        &self,
        object: &str,
        signature: &[u8],
        payload: &[u8],
    ) -> Result<OpenPgpSigner, Reason> {
        use vouch_core::text::error_chain;
        use vouch_git::openpgp::OpenPgpSignature;
        let ring = self.openpgp.get_or_init(|| Ring::of(self.roster));
        let bad = |e: &dyn std::error::Error| Reason::OpenPgpSignature {
            object: object.to_owned(),
            problem: error_chain(e),
        };
        let sig = OpenPgpSignature::from_armored(signature).map_err(|e| bad(&e))?;
        let Some((cert, key_id)) = ring.ring.find(&sig) else {
            let issuer = sig.issuer();
            if let Some((fp, identity, problem)) = ring
                .broken
                .iter()
                .find(|(fp, _, _)| sig.issuer_fingerprints().contains(fp))
            {
                return Err(Reason::OpenPgpKeyUnusable {
                    fingerprint: fp.clone(),
                    identity: identity.clone(),
                    problem: problem.clone(),
                });
            }
            return Err(Reason::UnknownOpenPgpKey {
                object: object.to_owned(),
                issuer,
            });
        };
        let verified = cert.verify(&sig, payload).map_err(|e| bad(&e))?;
        Ok(OpenPgpSigner {
            key_id: *key_id,
            signing_key: verified.signing_key().to_owned(),
        })
    }

    /// Without feature `openpgp`: the object is refused, never passed.
    #[cfg(not(feature = "openpgp"))]
    pub(crate) fn openpgp(
        &self,
        object: &str,
        _signature: &[u8],
        _payload: &[u8],
    ) -> Result<OpenPgpSigner, Reason> {
        Err(Reason::OpenPgpNotBuilt {
            object: object.to_owned(),
        })
    }
}
