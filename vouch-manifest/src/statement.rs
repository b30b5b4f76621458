//! The in-toto compatible statement: subjects, a predicate type and a predicate.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use vouch_core::cbor::{self, Limits};
use vouch_core::{Digest, DigestAlgorithm};

use crate::error::ManifestError;
use crate::ids::GitObjectId;

/// The `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";

/// A predicate: the typed claim a statement makes about its subjects.
///
/// Each predicate has a type URI in the vouch namespace and its own
/// validation. Field names are camelCase in both JSON and CBOR, as in-toto
/// predicates usually are.
pub trait Predicate: Serialize + DeserializeOwned + Clone + fmt::Debug {
    /// The `predicateType` URI.
    const PREDICATE_TYPE: &'static str;

    /// Checks rules serde cannot express (non-empty lists, ordering).
    fn check(&self) -> Result<(), ManifestError> {
        Ok(())
    }

    /// The subjects a statement of this predicate names by default.
    fn default_subjects(&self) -> Vec<Subject>;

    /// What every subject's digest must be: the digest of the thing this
    /// predicate describes (documented on each predicate), with a phrase
    /// naming it for errors. `None` for predicates whose subject is free
    /// (a verification summary names whatever resource it verified).
    ///
    /// Checked whenever a statement is made or decoded, so no caller can
    /// forget it: a signature over a statement binds to that thing only.
    fn subject_binding(&self) -> Option<(SubjectDigest, &'static str)>;

    /// A second digest set a subject may carry instead of
    /// [`subject_binding`](Predicate::subject_binding)'s, when the predicate
    /// itself names a second form of the thing (a release made from an
    /// archive names the archive's digests beside its contents root).
    fn alternate_binding(&self) -> Option<SubjectDigest> {
        None
    }
}

/// What a statement is about: a name and a digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// A name for the artifact (file name, image reference, purl, commit URL).
    pub name: String,
    /// Its digest(s).
    pub digest: SubjectDigest,
}

impl Subject {
    /// A subject with a SHA-256 digest.
    pub fn sha256(name: impl Into<String>, digest: Digest) -> Self {
        Subject {
            name: name.into(),
            digest: SubjectDigest::sha256(digest),
        }
    }

    /// A subject naming an archive by its SHA-256 and SHA-512 digests, as
    /// registries state them (Cargo and pip by SHA-256, npm by SHA-512).
    pub fn archive(name: impl Into<String>, sha256: Digest, sha512: Digest) -> Self {
        Subject {
            name: name.into(),
            digest: SubjectDigest {
                sha256: Some(sha256),
                sha512: Some(sha512),
                git_commit: None,
            },
        }
    }

    /// A subject naming a git commit.
    pub fn git_commit(name: impl Into<String>, id: GitObjectId) -> Self {
        Subject {
            name: name.into(),
            digest: SubjectDigest::git_commit(id),
        }
    }
}

/// An in-toto DigestSet restricted to the algorithms vouch reads:
/// `{"sha256": "<hex>"}`, `{"sha512": "<hex>"}` and `{"gitCommit": "<hex>"}`
/// (several at once name one artifact several ways).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SubjectDigest {
    /// SHA-256 of the artifact.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "hex_sha256")]
    pub sha256: Option<Digest>,
    /// SHA-512 of the artifact (npm states archives by it). Absent from
    /// every statement made before it existed, which therefore encode to the
    /// same bytes.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "hex_sha512")]
    pub sha512: Option<Digest>,
    /// A git commit id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<GitObjectId>,
}

impl SubjectDigest {
    /// A digest set of one SHA-256 digest.
    pub fn sha256(d: Digest) -> Self {
        SubjectDigest {
            sha256: Some(d),
            sha512: None,
            git_commit: None,
        }
    }

    /// A digest set of one git commit id.
    pub fn git_commit(id: GitObjectId) -> Self {
        SubjectDigest {
            sha256: None,
            sha512: None,
            git_commit: Some(id),
        }
    }

    /// Whether `d` (SHA-256 or SHA-512) is one of this set's digests.
    pub fn contains(&self, d: &Digest) -> bool {
        self.sha256.as_ref() == Some(d) || self.sha512.as_ref() == Some(d)
    }

    /// Whether the set holds no digest at all.
    pub fn is_empty(&self) -> bool {
        self.sha256.is_none() && self.sha512.is_none() && self.git_commit.is_none()
    }
}

impl fmt::Display for SubjectDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        for d in [&self.sha256, &self.sha512].into_iter().flatten() {
            write!(f, "{sep}{d}")?;
            sep = ", ";
        }
        if let Some(c) = &self.git_commit {
            write!(f, "{sep}gitCommit:{c}")?;
        }
        Ok(())
    }
}

/// in-toto writes digests as bare hex under the algorithm's name.
fn serialize_hex<S: serde::Serializer>(d: &Option<Digest>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&d.hex()),
        None => s.serialize_none(),
    }
}

fn deserialize_hex<'de, D: serde::Deserializer<'de>>(
    algorithm: DigestAlgorithm,
    d: D,
) -> Result<Option<Digest>, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    Digest::from_hex(algorithm, &text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

mod hex_sha256 {
    pub(super) use super::serialize_hex as serialize;
    use super::*;
    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Digest>, D::Error> {
        deserialize_hex(DigestAlgorithm::Sha256, d)
    }
}

mod hex_sha512 {
    pub(super) use super::serialize_hex as serialize;
    use super::*;
    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Digest>, D::Error> {
        deserialize_hex(DigestAlgorithm::Sha512, d)
    }
}

/// A statement: subjects and a typed predicate (in-toto Statement v1).
///
/// The JSON form is exactly in-toto's (`_type`, `subject`, `predicateType`,
/// `predicate`), so in-toto tools read it unchanged; the CBOR form has the
/// same fields in canonical CBOR and is what vouch signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement<P> {
    subjects: Vec<Subject>,
    predicate: P,
}

#[derive(Serialize)]
struct WireOut<'a, P> {
    #[serde(rename = "_type")]
    ty: &'static str,
    subject: &'a [Subject],
    #[serde(rename = "predicateType")]
    predicate_type: &'static str,
    predicate: &'a P,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireIn<P> {
    #[serde(rename = "_type")]
    ty: String,
    subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    predicate_type: String,
    predicate: P,
}

impl<P: Predicate> Statement<P> {
    /// A statement about `subjects`; refuses an empty list and an invalid predicate.
    pub fn new(subjects: Vec<Subject>, predicate: P) -> Result<Self, ManifestError> {
        if subjects.is_empty() {
            return Err(ManifestError::EmptySubjects);
        }
        if let Some(s) = subjects.iter().find(|s| s.digest.is_empty()) {
            return Err(ManifestError::EmptySubjectDigest(s.name.clone()));
        }
        predicate.check()?;
        let alternate = predicate.alternate_binding();
        if let Some((expected, what)) = predicate.subject_binding()
            && let Some(s) = subjects
                .iter()
                .find(|s| s.digest != expected && alternate.as_ref() != Some(&s.digest))
        {
            return Err(ManifestError::SubjectBinding {
                predicate: P::PREDICATE_TYPE,
                what,
                expected: expected.to_string(),
                subject: s.name.chars().take(200).collect(),
            });
        }
        Ok(Statement {
            subjects,
            predicate,
        })
    }

    /// A statement about the predicate's default subjects.
    pub fn from_predicate(predicate: P) -> Result<Self, ManifestError> {
        Statement::new(predicate.default_subjects(), predicate)
    }

    /// The subjects.
    pub fn subjects(&self) -> &[Subject] {
        &self.subjects
    }

    /// The predicate.
    pub fn predicate(&self) -> &P {
        &self.predicate
    }

    /// The predicate type URI.
    pub fn predicate_type(&self) -> &'static str {
        P::PREDICATE_TYPE
    }

    fn wire(&self) -> WireOut<'_, P> {
        WireOut {
            ty: STATEMENT_TYPE,
            subject: &self.subjects,
            predicate_type: P::PREDICATE_TYPE,
            predicate: &self.predicate,
        }
    }

    fn from_wire(w: WireIn<P>) -> Result<Self, ManifestError> {
        if w.ty != STATEMENT_TYPE {
            return Err(ManifestError::StatementType(w.ty));
        }
        if w.predicate_type != P::PREDICATE_TYPE {
            return Err(ManifestError::PredicateTypeMismatch {
                expected: P::PREDICATE_TYPE,
                found: w.predicate_type,
            });
        }
        Statement::new(w.subject, w.predicate)
    }

    /// The canonical CBOR bytes: what vouch signs and stores.
    pub fn to_canonical_bytes(&self) -> Result<Vec<u8>, ManifestError> {
        Ok(cbor::to_canonical(&self.wire())?)
    }

    /// Decodes canonical CBOR (one validation pass, one typed decode).
    ///
    /// The bytes must follow the document profile
    /// ([`Strictness::Document`](vouch_core::cbor::Strictness::Document)), so
    /// a statement that decodes re-encodes to exactly these bytes.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Self, ManifestError> {
        // The validation pass also finds the predicate type, so the wrong
        // type is named before decoding a predicate of another shape.
        let (predicate_type, byte_strings) = cbor::validate_map_text_field_seen(
            bytes,
            "predicateType",
            cbor::Strictness::Document,
            Limits::DEFAULT,
        )?;
        match predicate_type {
            Some(t) if t != P::PREDICATE_TYPE => {
                return Err(ManifestError::PredicateTypeMismatch {
                    expected: P::PREDICATE_TYPE,
                    found: t.to_owned(),
                });
            }
            _ => {}
        }
        let statement = Statement::from_wire(cbor::decode_validated(bytes, Limits::DEFAULT)?)?;
        // The typed decoder accepts a byte string where a text string is
        // meant (an enum tag, a field name inside a predicate): such bytes
        // decode to a statement whose canonical form is other bytes, so one
        // statement would have two digests. Only the canonical form counts;
        // bytes with no byte string at all cannot hide one, and most
        // statements have none, so the hot path re-encodes only rosters.
        if byte_strings && statement.to_canonical_bytes()? != bytes {
            return Err(ManifestError::NotCanonical);
        }
        Ok(statement)
    }

    /// The in-toto JSON form.
    pub fn to_json(&self) -> Result<Vec<u8>, ManifestError> {
        Ok(serde_json::to_vec(&self.wire())?)
    }

    /// Reads the in-toto JSON form.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ManifestError> {
        if bytes.len() > Limits::DEFAULT.max_size {
            return Err(vouch_core::cbor::CborError::TooLarge {
                size: bytes.len(),
                limit: Limits::DEFAULT.max_size,
            }
            .into());
        }
        Statement::from_wire(serde_json::from_slice(bytes)?)
    }
}

/// Reads the `predicateType` of a canonical statement without decoding it.
pub fn peek_predicate_type(bytes: &[u8]) -> Result<Option<&str>, ManifestError> {
    Ok(cbor::map_text_field(
        bytes,
        "predicateType",
        Limits::DEFAULT,
    )?)
}
