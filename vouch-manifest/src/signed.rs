//! Signed statements: canonical CBOR statements in a COSE_Sign envelope.

use vouch_core::cose::{Sign, SignatureFailure};
use vouch_core::{Digest, KeyId, PublicKey, Signer, Verified};

use crate::error::ManifestError;
use crate::statement::{Predicate, Statement};

/// The protected content type of every vouch statement envelope.
pub const STATEMENT_CONTENT_TYPE: &str = "application/vnd.vouch.statement+cbor";

/// A statement with one or more signatures over its canonical bytes.
///
/// The envelope is a `COSE_Sign` (see [`vouch_core::cose`] for why): the
/// statement bytes appear once and each signer adds an independent
/// signature. The bytes that were signed are the bytes kept; verification
/// never re-serializes the statement. The statement is decoded on load so it
/// can be indexed, but nothing in it is trusted until [`Signed::verify`]
/// (or [`Signed::verify_each`]) returns a [`Verified`] proof.
///
/// ```
/// # use vouch_manifest::{Approval, ApprovalRole, Signed, Statement};
/// # use vouch_core::{Digest, Signer};
/// # fn demo(alice: &dyn Signer) -> Result<(), Box<dyn std::error::Error>> {
/// let approval = Approval {
///     statement: Digest::sha256(b"deployment statement bytes"),
///     role: ApprovalRole::Authorize,
///     identity: "person:erin@example.com".parse()?,
///     time: "2026-11-25T10:00:00Z".parse()?,
/// };
/// let signed = Signed::sign(&Statement::from_predicate(approval)?, alice)?;
/// let bytes = signed.to_bytes()?;
/// let back = Signed::<Approval>::from_bytes(&bytes)?;
/// let keys = [alice.public_key().clone()];
/// let verified = back.verify(|k| keys.iter().find(|p| p.key_id() == *k))?;
/// assert_eq!(verified.value().predicate().role, ApprovalRole::Authorize);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Signed<P> {
    envelope: Sign,
    statement: Statement<P>,
    digest: Digest,
}

impl<P: Predicate> Signed<P> {
    /// Signs a statement.
    pub fn sign<S: Signer + ?Sized>(
        statement: &Statement<P>,
        signer: &S,
    ) -> Result<Self, ManifestError> {
        let payload = statement.to_canonical_bytes()?;
        let digest = Digest::sha256(&payload);
        let mut envelope = Sign::new(STATEMENT_CONTENT_TYPE, payload)?;
        envelope.add_signature(signer)?;
        Ok(Signed {
            envelope,
            statement: statement.clone(),
            digest,
        })
    }

    /// Adds another signature (a second maintainer, an approver); existing
    /// signatures are untouched.
    pub fn cosign<S: Signer + ?Sized>(&mut self, signer: &S) -> Result<(), ManifestError> {
        Ok(self.envelope.add_signature(signer)?)
    }

    /// Decodes an envelope and the statement in it (not yet verified).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ManifestError> {
        Signed::from_envelope(Sign::from_bytes(bytes)?)
    }

    /// Wraps an already decoded envelope.
    pub fn from_envelope(envelope: Sign) -> Result<Self, ManifestError> {
        match Signed::from_envelope_or_other_type(envelope)? {
            Ok(signed) => Ok(signed),
            Err((_, found)) => Err(ManifestError::PredicateTypeMismatch {
                expected: P::PREDICATE_TYPE,
                found,
            }),
        }
    }

    /// Like [`Signed::from_envelope`], but a statement of another predicate
    /// type hands the envelope back with the type it names, instead of an
    /// error.
    ///
    /// For a caller that sorts envelopes by type (a bundle holds commits,
    /// releases, images...): the statement bytes are validated once and
    /// the type read in that same pass, so trying the most common type
    /// first and dispatching on the returned type decodes each statement
    /// without a separate [`peek_predicate_type`](crate::peek_predicate_type)
    /// pass. Every other failure (content type, canonical form, schema) is
    /// the error `from_envelope` returns.
    ///
    /// ```
    /// # use vouch_manifest::{Approval, ApprovalRole, Commit, Predicate, Signed, Statement};
    /// # use vouch_core::{Digest, Signer};
    /// # fn demo(alice: &dyn Signer) -> Result<(), Box<dyn std::error::Error>> {
    /// # let approval = Approval {
    /// #     statement: Digest::sha256(b"deployment statement bytes"),
    /// #     role: ApprovalRole::Authorize,
    /// #     identity: "person:erin@example.com".parse()?,
    /// #     time: "2026-11-25T10:00:00Z".parse()?,
    /// # };
    /// # let envelope = Signed::sign(&Statement::from_predicate(approval)?, alice)?.envelope().clone();
    /// // `envelope` holds an approval, not a commit.
    /// let Err((envelope, ty)) = Signed::<Commit>::from_envelope_or_other_type(envelope)? else {
    ///     unreachable!()
    /// };
    /// assert_eq!(ty, Approval::PREDICATE_TYPE);
    /// let approval = Signed::<Approval>::from_envelope(envelope)?;
    /// assert_eq!(approval.unverified().predicate().role, ApprovalRole::Authorize);
    /// # Ok(()) }
    /// ```
    #[allow(clippy::type_complexity)]
    pub fn from_envelope_or_other_type(
        envelope: Sign,
    ) -> Result<Result<Self, (Sign, String)>, ManifestError> {
        if envelope.content_type() != Some(STATEMENT_CONTENT_TYPE) {
            return Err(ManifestError::ContentType(
                envelope.content_type().map(str::to_owned),
            ));
        }
        let payload = envelope.unverified_payload();
        let statement = match Statement::from_canonical_bytes(payload) {
            Ok(statement) => statement,
            Err(ManifestError::PredicateTypeMismatch { found, .. }) => {
                return Ok(Err((envelope, found)));
            }
            Err(e) => return Err(e),
        };
        let digest = Digest::sha256(payload);
        Ok(Ok(Signed {
            envelope,
            statement,
            digest,
        }))
    }

    /// Encodes the envelope.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ManifestError> {
        Ok(self.envelope.to_bytes()?)
    }

    /// SHA-256 of the canonical statement bytes: the name other statements
    /// use for this one. Signatures do not change it.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// The statement, *not yet verified*: for indexing and display only.
    pub fn unverified(&self) -> &Statement<P> {
        &self.statement
    }

    /// The envelope.
    pub fn envelope(&self) -> &Sign {
        &self.envelope
    }

    /// The key ids the signatures claim (protected, but not yet verified).
    pub fn signature_key_ids(&self) -> Vec<Option<KeyId>> {
        self.envelope.signature_key_ids()
    }

    /// Verifies every signature; see [`Sign::verify_each`].
    pub fn verify_each<'k>(
        &self,
        lookup: impl Fn(&KeyId) -> Option<&'k PublicKey>,
    ) -> (Option<Verified<&Statement<P>>>, Vec<SignatureFailure>) {
        let (ok, failed) = self.envelope.verify_each(lookup);
        (ok.map(|v| v.map(|_| &self.statement)), failed)
    }

    /// Verifies that every signature is valid by a known key; see [`Sign::verify`].
    pub fn verify<'k>(
        &self,
        lookup: impl Fn(&KeyId) -> Option<&'k PublicKey>,
    ) -> Result<Verified<&Statement<P>>, ManifestError> {
        Ok(self.envelope.verify(lookup)?.map(|_| &self.statement))
    }
}
