//! Annotated git tag objects and their signatures.
//!
//! A tag object is the text `git cat-file tag <name>` prints (its id hashes
//! it behind the `tag <length>\0` prefix):
//!
//! ```text
//! object 1f6d4a7e0c1b2a3d4e5f60718293a4b5c6d7e8f9
//! type commit
//! tag v1.0.0
//! tagger Alice <alice@example.com> 1764000000 +0100
//!
//! Release 1.0.0
//! -----BEGIN SSH SIGNATURE-----
//! U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAg...
//! -----END SSH SIGNATURE-----
//! ```
//!
//! `git tag -s` appends the armored signature to the message, SSH
//! (`gpg.format=ssh`, namespace `git`) or OpenPGP. [`TagObject::parse`]
//! splits it off exactly as git's `parse_signature` (gpg-interface.c)
//! does: the signature starts at the *last* line that begins with an armor
//! line git knows, and the payload is everything before it, less a
//! `gpgsig`/`gpgsig-sha256` header (the signature over the object in the
//! repository's other hash, when both are kept).

use vouch_core::sshsig::{SshSig, SshSigError, VerifiedSshSig};
use vouch_manifest::GitObjectId;

use crate::commit::{
    GitError, Ident, ObjectFormat, SIGNATURE_NAMESPACE, hash_object, object_id_field, split_headers,
};
use crate::signature::SignatureFormat;

/// Largest tag object accepted (1 MiB): a tag is a few headers, a message
/// and a signature.
pub const MAX_TAG_LEN: usize = 1024 * 1024;

/// Largest tag name accepted, in bytes (git refs are far shorter).
pub const MAX_TAG_NAME_LEN: usize = 1024;

/// A parsed annotated tag: its id (recomputed from the bytes), headers,
/// message, and the signature split from the signed payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagObject {
    format: ObjectFormat,
    id: GitObjectId,
    object: GitObjectId,
    kind: String,
    name: String,
    tagger: Option<Ident>,
    message: Vec<u8>,
    signature: Option<Vec<u8>>,
    payload: Vec<u8>,
}

impl TagObject {
    /// Parses a tag object (the bytes `git cat-file tag` prints) of a
    /// repository in `format`.
    ///
    /// The headers must start with `object`, `type` and `tag`, in that
    /// order, then an optional `tagger`, as git's fsck requires; other
    /// headers may follow.
    pub fn parse(raw: &[u8], format: ObjectFormat) -> Result<Self, TagError> {
        if raw.len() > MAX_TAG_LEN {
            return Err(TagError::TooLarge {
                limit: MAX_TAG_LEN,
                actual: raw.len(),
            });
        }
        let id = hash_object("tag", raw, format).map_err(|e| match e {
            GitError::Sha1Collision { hash } => TagError::Sha1Collision { hash },
            _ => TagError::Malformed {
                problem: "object id could not be formed",
                line: 0,
            },
        })?;
        let (headers, message) = split_headers(raw).map_err(TagError::from_commit)?;
        let header = |n: usize, name: &[u8], problem: &'static str| {
            headers
                .get(n)
                .filter(|h| h.name == name)
                .map(|h| h.value)
                .ok_or(TagError::Malformed {
                    problem,
                    line: n + 1,
                })
        };
        let object = object_id_field(
            header(0, b"object", "the first header is not object")?,
            format,
            1,
            "object is not an object id of this format",
        )
        .map_err(TagError::from_commit)?;
        let kind = header(1, b"type", "the second header is not type")?;
        let kind = match kind {
            b"commit" | b"tree" | b"blob" | b"tag" => String::from_utf8_lossy(kind).into_owned(),
            _ => {
                return Err(TagError::Malformed {
                    problem: "type is not commit, tree, blob or tag",
                    line: 2,
                });
            }
        };
        let name = header(2, b"tag", "the third header is not tag")?;
        if name.is_empty() || name.len() > MAX_TAG_NAME_LEN {
            return Err(TagError::Malformed {
                problem: "tag name is empty or too long",
                line: 3,
            });
        }
        let name = std::str::from_utf8(name)
            .map_err(|_| TagError::Malformed {
                problem: "tag name is not UTF-8",
                line: 3,
            })?
            .to_owned();
        let tagger = match headers.get(3) {
            Some(h) if h.name == b"tagger" => {
                Some(Ident::parse("tagger", h.value).map_err(TagError::from_commit)?)
            }
            _ => None,
        };
        let mut compat_signatures = 0;
        for (n, h) in headers.iter().enumerate().skip(3) {
            if matches!(h.name, b"object" | b"type" | b"tag") || (n > 3 && h.name == b"tagger") {
                return Err(TagError::Malformed {
                    problem: "object, type, tag or tagger header out of place",
                    line: n + 1,
                });
            }
            if h.name.starts_with(b"gpgsig") {
                compat_signatures += 1;
            }
        }
        // git removes only one such header from the payload: two would
        // leave the payload ambiguous between versions of git.
        if compat_signatures > 1 {
            return Err(TagError::Malformed {
                problem: "more than one gpgsig header",
                line: 0,
            });
        }
        let (payload, signature) = split_signature(raw);
        let body_start = raw.len() - message.len();
        let message_end = if signature.is_some() {
            // The signature starts within the message (git would also find
            // one in the headers: refuse that, no tagger writes it).
            let sig_start = raw.len() - signature.as_ref().map_or(0, Vec::len);
            if sig_start < body_start {
                return Err(TagError::Malformed {
                    problem: "signature armor inside the headers",
                    line: 0,
                });
            }
            sig_start
        } else {
            raw.len()
        };
        Ok(TagObject {
            format,
            id,
            object,
            kind,
            name,
            tagger,
            message: raw[body_start..message_end].to_vec(),
            signature,
            payload,
        })
    }

    /// The object format the tag was parsed as.
    pub fn format(&self) -> ObjectFormat {
        self.format
    }

    /// The tag object's id, computed from its bytes.
    pub fn id(&self) -> &GitObjectId {
        &self.id
    }

    /// The object tagged.
    pub fn object(&self) -> &GitObjectId {
        &self.object
    }

    /// The type of the object tagged (`commit`, `tree`, `blob`, `tag`).
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The tag's name (`v1.0.0`; the ref is `refs/tags/<name>`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tagger line (absent in some very old tags).
    pub fn tagger(&self) -> Option<&Ident> {
        self.tagger.as_ref()
    }

    /// The message, without the signature.
    pub fn message(&self) -> &[u8] {
        &self.message
    }

    /// The armored signature at the end of the message; `None` when unsigned.
    pub fn signature(&self) -> Option<&[u8]> {
        self.signature.as_deref()
    }

    /// The signature's format, when signed.
    pub fn signature_format(&self) -> Option<SignatureFormat> {
        self.signature.as_deref().and_then(SignatureFormat::of)
    }

    /// The bytes the signature covers, exactly as git computes them.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Verifies the tag's SSH signature over the payload in namespace
    /// `git`, without consulting a roster.
    pub fn verify_ssh_signature(&self) -> Result<VerifiedSshSig, TagError> {
        let signature = self.signed_as(SignatureFormat::Ssh)?;
        SshSig::from_armored(signature)
            .and_then(|s| s.verify(SIGNATURE_NAMESPACE, &self.payload))
            .map_err(|source| TagError::BadSignature {
                tag: self.name.clone(),
                source,
            })
    }

    /// Verifies the tag's OpenPGP signature over the payload with the
    /// certificate in `keyring` that issued it.
    #[cfg(feature = "openpgp")]
    pub fn verify_openpgp_signature<'k, T>(
        &self,
        keyring: &'k crate::openpgp::Keyring<T>,
    ) -> Result<(crate::openpgp::VerifiedOpenPgp, &'k T), TagError> {
        let signature = self.signed_as(SignatureFormat::OpenPgp)?;
        let bad = |source| TagError::BadOpenPgp {
            tag: self.name.clone(),
            source,
        };
        let sig = crate::openpgp::OpenPgpSignature::from_armored(signature).map_err(bad)?;
        let (cert, value) = keyring
            .find(&sig)
            .ok_or_else(|| TagError::UnknownOpenPgpKey {
                tag: self.name.clone(),
                issuer: sig.issuer(),
            })?;
        let verified = cert.verify(&sig, &self.payload).map_err(bad)?;
        Ok((verified, value))
    }

    fn signed_as(&self, wanted: SignatureFormat) -> Result<&[u8], TagError> {
        let signature = self
            .signature
            .as_deref()
            .ok_or_else(|| TagError::Unsigned(self.name.clone()))?;
        match SignatureFormat::of(signature) {
            Some(f) if f == wanted => Ok(signature),
            found => Err(TagError::WrongFormat {
                tag: self.name.clone(),
                wanted: wanted.name(),
                found: found.map_or("an unknown format", SignatureFormat::name),
            }),
        }
    }
}

/// Git's `parse_signature` for tags: the payload (the object up to its
/// last armor line, less one `gpgsig*` header) and the signature.
fn split_signature(raw: &[u8]) -> (Vec<u8>, Option<Vec<u8>>) {
    // `parse_signed_buffer`: the start of the last line that begins with
    // an armor line.
    let mut start = None;
    let mut pos = 0;
    while pos < raw.len() {
        if SignatureFormat::of(&raw[pos..]).is_some() {
            start = Some(pos);
        }
        pos = raw[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(raw.len(), |nl| pos + nl + 1);
    }
    let Some(start) = start else {
        return (raw.to_vec(), None);
    };
    (remove_signature(&raw[..start]), Some(raw[start..].to_vec()))
}

/// Git's `remove_signature`: drops the last `gpgsig*` header and its
/// continuation lines from the headers of `buf`.
fn remove_signature(buf: &[u8]) -> Vec<u8> {
    let (mut sig_start, mut sig_end) = (None, 0);
    let mut in_signature = false;
    let mut pos = 0;
    while pos < buf.len() {
        let mut next = buf[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(buf.len(), |nl| pos + nl + 1);
        let line = &buf[pos..next];
        if in_signature && line.first() == Some(&b' ') {
            sig_end = next;
        } else if line.starts_with(b"gpgsig") {
            in_signature = true;
            sig_start = Some(pos);
            sig_end = next;
        } else {
            if line.first() == Some(&b'\n') {
                next = buf.len();
            }
            in_signature = false;
        }
        pos = next;
    }
    match sig_start {
        Some(s) => [&buf[..s], &buf[sig_end..]].concat(),
        None => buf.to_vec(),
    }
}

/// Why a tag object was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TagError {
    /// The object is larger than [`MAX_TAG_LEN`].
    #[error("tag object is {actual} bytes; the limit is {limit}")]
    TooLarge {
        /// The limit.
        limit: usize,
        /// The size found.
        actual: usize,
    },
    /// The object's structure is not a tag's.
    #[error("malformed tag object (header line {line}): {problem}")]
    Malformed {
        /// What is wrong.
        problem: &'static str,
        /// The 1-based header line (0 when not about one line).
        line: usize,
    },
    /// The `tagger` line is malformed.
    #[error("malformed tagger line: {problem}")]
    MalformedTagger {
        /// What is wrong.
        problem: &'static str,
    },
    /// SHA-1 collision detection fired.
    #[error("tag object is part of a SHA-1 collision attack (hash {hash})")]
    Sha1Collision {
        /// The (attacked) SHA-1 of the object.
        hash: String,
    },
    /// The tag carries no signature.
    #[error("tag {0} is not signed")]
    Unsigned(String),
    /// The signature is not of the format asked for.
    #[error("tag {tag} is signed with {found}, not {wanted}")]
    WrongFormat {
        /// The tag name.
        tag: String,
        /// The format asked for.
        wanted: &'static str,
        /// The format found.
        found: &'static str,
    },
    /// The SSH signature is malformed or does not verify.
    #[error("tag {tag}: bad SSH signature")]
    BadSignature {
        /// The tag name.
        tag: String,
        /// Why.
        #[source]
        source: SshSigError,
    },
    /// The OpenPGP signature is malformed or does not verify.
    #[cfg(feature = "openpgp")]
    #[error("tag {tag}: bad OpenPGP signature")]
    BadOpenPgp {
        /// The tag name.
        tag: String,
        /// Why.
        #[source]
        source: crate::openpgp::OpenPgpError,
    },
    /// No enrolled OpenPGP certificate issued the signature.
    #[error("tag {tag} is signed by OpenPGP key {issuer}, which is not enrolled")]
    UnknownOpenPgpKey {
        /// The tag name.
        tag: String,
        /// The issuer fingerprint (or key id) the signature names.
        issuer: String,
    },
}

impl TagError {
    /// The tag form of an error from the shared header parsing.
    fn from_commit(e: GitError) -> Self {
        match e {
            GitError::Malformed { problem, line } => TagError::Malformed { problem, line },
            GitError::MalformedIdent { problem, .. } => TagError::MalformedTagger { problem },
            GitError::Sha1Collision { hash } => TagError::Sha1Collision { hash },
            _ => TagError::Malformed {
                problem: "unreadable header",
                line: 0,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const UNSIGNED: &[u8] = b"object 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
type commit\n\
tag v1.0\n\
tagger T Agger <tagger@example.com> 1112911993 +0200\n\
\n\
Release 1.0\n";

    const SIG: &[u8] = b"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n";

    proptest! {
        #[test]
        fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = TagObject::parse(&bytes, ObjectFormat::Sha1);
            let _ = TagObject::parse(&bytes, ObjectFormat::Sha256);
            let (payload, sig) = split_signature(&bytes);
            prop_assert!(payload.len() + sig.map_or(0, |s| s.len()) <= bytes.len());
        }

        #[test]
        fn parser_never_panics_on_mutated_tags(
            edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
            cut in any::<usize>(),
        ) {
            let mut b = [UNSIGNED, SIG].concat();
            for (pos, val) in edits {
                let n = b.len();
                b[pos % n] = val;
            }
            let b = &b[..=cut % b.len()];
            if let Ok(t) = TagObject::parse(b, ObjectFormat::Sha1) {
                prop_assert!(t.verify_ssh_signature().is_err());
            }
        }

        /// Payload and signature put back together are the object (no
        /// compat header): the split loses and invents nothing.
        #[test]
        fn split_then_join_is_the_object(msg in "[ -~\n]{0,80}", signed in any::<bool>()) {
            // A signature starts a line: the message before it ends with one.
            let msg = format!("{msg}\n");
            let raw = [UNSIGNED, msg.as_bytes(), if signed { SIG } else { b"" }].concat();
            if let Ok(t) = TagObject::parse(&raw, ObjectFormat::Sha1) {
                let joined = [t.payload(), t.signature().unwrap_or_default()].concat();
                prop_assert_eq!(joined, raw.clone());
                if signed {
                    prop_assert_eq!(t.signature(), Some(SIG));
                }
            }
        }
    }

    #[test]
    fn parses_a_signed_tag() {
        let raw = [UNSIGNED, SIG].concat();
        let t = TagObject::parse(&raw, ObjectFormat::Sha1).unwrap();
        assert_eq!(
            t.object().as_str(),
            "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        );
        assert_eq!(t.kind(), "commit");
        assert_eq!(t.name(), "v1.0");
        assert_eq!(t.tagger().unwrap().email, "tagger@example.com");
        assert_eq!(t.message(), b"Release 1.0\n");
        assert_eq!(t.payload(), UNSIGNED);
        assert_eq!(t.signature(), Some(SIG));
        assert_eq!(t.signature_format(), Some(SignatureFormat::Ssh));
        assert!(matches!(
            t.verify_ssh_signature(),
            Err(TagError::BadSignature { .. })
        ));
        // The id is git's: `printf ... | git hash-object -t tag --stdin`.
        assert_eq!(
            t.id(),
            &hash_object("tag", &raw, ObjectFormat::Sha1).unwrap()
        );
        assert_ne!(
            t.id(),
            &hash_object("commit", &raw, ObjectFormat::Sha1).unwrap()
        );
        let unsigned = TagObject::parse(UNSIGNED, ObjectFormat::Sha1).unwrap();
        assert!(matches!(
            unsigned.verify_ssh_signature(),
            Err(TagError::Unsigned(_))
        ));
    }

    #[test]
    fn the_last_armor_line_starts_the_signature() {
        // A message quoting an armor line: git takes the last one.
        let raw = [UNSIGNED, b"-----BEGIN PGP SIGNATURE-----\nquoted\n", SIG].concat();
        let t = TagObject::parse(&raw, ObjectFormat::Sha1).unwrap();
        assert_eq!(t.signature(), Some(SIG));
        assert!(t.message().ends_with(b"quoted\n"));
    }

    #[test]
    fn a_compat_signature_header_leaves_the_payload() {
        let text = String::from_utf8(UNSIGNED.to_vec()).unwrap();
        let with = text.replace("\n\nRelease", "\ngpgsig-sha256 other\n more\n\nRelease");
        let raw = [with.as_bytes(), SIG].concat();
        let t = TagObject::parse(&raw, ObjectFormat::Sha1).unwrap();
        assert_eq!(t.payload(), UNSIGNED);
        let twice = text.replace("\n\nRelease", "\ngpgsig a\ngpgsig-sha256 b\n\nRelease");
        assert!(TagObject::parse(twice.as_bytes(), ObjectFormat::Sha1).is_err());
    }

    #[test]
    fn structural_refusals() {
        let text = String::from_utf8(UNSIGNED.to_vec()).unwrap();
        for (bad, what) in [
            (text.replacen("object", "objekt", 1), "object"),
            (text.replace("type commit", "type branch"), "type"),
            (text.replace("tag v1.0\n", ""), "no tag"),
            (text.replace("tag v1.0", "tag "), "empty name"),
            (text.replace("+0200", "+2"), "zone"),
            (
                text.replace("\n\nRelease", "\ntype commit\n\nRelease"),
                "second type",
            ),
            (
                text.replace("\n\nRelease", "\ntagger T <t@x> 1 +0000\n\nRelease"),
                "second tagger",
            ),
            (text.replace("\n\nRelease 1.0\n", "\nx"), "no final newline"),
        ] {
            assert!(
                TagObject::parse(bad.as_bytes(), ObjectFormat::Sha1).is_err(),
                "{what}"
            );
        }
        assert!(TagObject::parse(UNSIGNED, ObjectFormat::Sha256).is_err());
        let big = vec![b'a'; MAX_TAG_LEN + 1];
        assert!(matches!(
            TagObject::parse(&big, ObjectFormat::Sha1),
            Err(TagError::TooLarge { .. })
        ));
        // Old tags have no tagger.
        let old = text.replace("tagger T Agger <tagger@example.com> 1112911993 +0200\n", "");
        assert!(
            TagObject::parse(old.as_bytes(), ObjectFormat::Sha1)
                .unwrap()
                .tagger()
                .is_none()
        );
    }
}
