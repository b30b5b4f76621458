//! A TPM-resident signing key in its own swtpm, for the tests of crates
//! that cannot turn on vouch-keys' `tpm` feature themselves (a verifier
//! crate's dev-dependencies cannot): the feature `tpm` of this crate, on
//! under `cargo test --workspace --all-features`, makes [`TpmSigner::start`]
//! return one. Without it, `start` reports a `SKIP:` line (a failure under
//! `CI=true`) and returns `None`, so a test needs no `cfg` of its own.

#[cfg(feature = "tpm")]
use crate::tpm::{Swtpm, SwtpmCa};

/// A TPM key in a manufactured swtpm (with an EK certificate by its own
/// local CA), with what enrolling it needs.
pub struct TpmSigner {
    #[cfg(feature = "tpm")]
    key: vouch_keys::tpm::TpmKey,
    #[cfg(feature = "tpm")]
    ca: SwtpmCa,
    #[cfg(feature = "tpm")]
    swtpm: Swtpm,
    #[cfg(not(feature = "tpm"))]
    never: std::convert::Infallible,
}

impl std::fmt::Debug for TpmSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TpmSigner").finish_non_exhaustive()
    }
}

#[cfg(feature = "tpm")]
impl TpmSigner {
    /// A new key in a new manufactured swtpm; `None` after a `SKIP:` line
    /// when swtpm is missing.
    ///
    /// # Panics
    ///
    /// As [`Swtpm::start_manufactured`], and when the key cannot be made.
    #[allow(clippy::panic)]
    pub fn start(untested: &str) -> Option<TpmSigner> {
        let ca = SwtpmCa::new();
        let swtpm = Swtpm::start_manufactured(untested, &ca)?;
        let key = vouch_keys::tpm::TpmKey::generate(&swtpm.dir().join("key"), swtpm.tcti())
            .unwrap_or_else(|e| panic!("making a TPM key in swtpm: {e}"));
        Some(TpmSigner { key, ca, swtpm })
    }

    /// The key, to sign with.
    pub fn signer(&self) -> &(dyn vouch_core::Signer + Send + Sync) {
        &self.key
    }

    /// Its public key.
    pub fn public_key(&self) -> &vouch_core::PublicKey {
        self.key.public_key()
    }

    /// Its TPM2_Certify, as a roster key records it.
    ///
    /// # Panics
    ///
    /// When the TPM's structures do not parse (a bug).
    #[allow(clippy::panic)]
    pub fn certification(&self) -> vouch_manifest::TpmKeyAttestation {
        let a = self.key.attestation_record();
        let certify =
            vouch_core::tpm::KeyAttestation::new(a.attest, a.signature, a.ak_public, a.key_public)
                .unwrap_or_else(|e| panic!("the TPM's certification: {e}"))
                .to_bytes();
        vouch_manifest::TpmKeyAttestation { certify }
    }

    /// The attestation key's public area.
    pub fn ak_public(&self) -> Vec<u8> {
        self.key.attestation_record().ak_public
    }

    /// The root certificate (DER) of the local CA that issued this TPM's
    /// EK certificate.
    ///
    /// # Panics
    ///
    /// When the CA's files are unreadable.
    #[allow(clippy::panic)]
    pub fn ek_root(&self) -> Vec<u8> {
        pem_der(&self.ca.root_pem())
    }

    /// Enrolls the AK for `identity` under the EK certificate, as an
    /// enroller does: the roster must already trust [`TpmSigner::ek_root`]
    /// (in `trust`); the challenge is answered by this TPM.
    ///
    /// # Panics
    ///
    /// When any step fails.
    #[allow(clippy::panic)]
    pub fn enroll_endorsed(
        &self,
        trust: &vouch_manifest::TpmTrust,
        identity: vouch_manifest::IdentityId,
        label: &str,
    ) -> vouch_manifest::TrustedAk {
        let ek = vouch_keys::tpm::endorsement_certificate(self.swtpm.tcti())
            .unwrap_or_else(|e| panic!("reading the EK certificate: {e}"));
        let intermediate = pem_der(&self.ca.intermediate_pem());
        let now = vouch_core::Timestamp::now();
        let (challenge, pending) = vouch_manifest::tpm::endorsement::challenge(
            &self.ak_public(),
            &ek,
            &[intermediate],
            trust,
            now,
        )
        .unwrap_or_else(|e| panic!("making the challenge: {e}"));
        let answer = self
            .key
            .activate_credential(&challenge.id_object, &challenge.encrypted_secret)
            .unwrap_or_else(|e| panic!("activating the credential: {e}"));
        pending
            .complete(&answer, identity, label.to_owned(), now)
            .unwrap_or_else(|e| panic!("completing the enrollment: {e}"))
    }
}

#[cfg(feature = "tpm")]
#[allow(clippy::panic)]
fn pem_der(path: &std::path::Path) -> Vec<u8> {
    let pem =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    vouch_core::x509::TrustAnchor::from_pem(&pem)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .der()
        .to_vec()
}

#[cfg(not(feature = "tpm"))]
impl TpmSigner {
    /// Without this crate's `tpm` feature: a `SKIP:` line (a failure under
    /// `CI=true`) and `None`.
    ///
    /// # Panics
    ///
    /// Under `CI=true`.
    #[allow(clippy::panic)]
    pub fn start(untested: &str) -> Option<TpmSigner> {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "vouch-test-support was built without its tpm feature (cargo test --all-features); CI=true forbids skipping {untested}"
            );
        }
        eprintln!(
            "SKIP: vouch-test-support built without its tpm feature (cargo test --all-features); {untested} not tested"
        );
        None
    }

    /// Without the feature no value exists; these exist so that tests
    /// compile either way.
    pub fn signer(&self) -> &(dyn vouch_core::Signer + Send + Sync) {
        match self.never {}
    }

    /// See the feature's documentation.
    pub fn public_key(&self) -> &vouch_core::PublicKey {
        match self.never {}
    }

    /// See the feature's documentation.
    pub fn certification(&self) -> vouch_manifest::TpmKeyAttestation {
        match self.never {}
    }

    /// See the feature's documentation.
    pub fn ak_public(&self) -> Vec<u8> {
        match self.never {}
    }

    /// See the feature's documentation.
    pub fn ek_root(&self) -> Vec<u8> {
        match self.never {}
    }

    /// See the feature's documentation.
    pub fn enroll_endorsed(
        &self,
        _trust: &vouch_manifest::TpmTrust,
        _identity: vouch_manifest::IdentityId,
        _label: &str,
    ) -> vouch_manifest::TrustedAk {
        match self.never {}
    }
}
