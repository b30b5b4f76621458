//! Structure-aware inputs: `arbitrary` descriptions of COSE_Sign envelopes
//! and of whole bundles, assembled into bytes (signed with the fixed keys)
//! so that the fuzzer reaches the checks past the first decode.

use arbitrary::{Arbitrary, Unstructured};
use ciborium::Value;
use vouch_chain::{Bundle, Target};
use vouch_core::cbor;
use vouch_core::cose::Sign;
use vouch_core::{Digest, Signer, Timestamp};
use vouch_manifest::{
    Approval, ApprovalRole, Commit, DeployTarget, Deployment, GitPerson, IdentityId, Image,
    ImagePackage, Pipeline, Release, SourceCommit,
};

use crate::{Key, commit_id, fixture, keys, sign, t};

/// A CBOR value of bounded depth.
#[derive(Debug, Clone)]
pub struct ArbValue(pub Value);

fn arb_value(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<Value> {
    let max = if depth == 0 { 5 } else { 7 };
    Ok(match u.int_in_range(0..=max)? {
        0 => Value::Integer(i64::arbitrary(u)?.into()),
        1 => Value::Bytes(Vec::<u8>::arbitrary(u)?),
        2 => Value::Text(String::arbitrary(u)?),
        3 => Value::Bool(bool::arbitrary(u)?),
        4 => Value::Null,
        5 => Value::Integer(u64::arbitrary(u)?.into()),
        6 => {
            let n = u.int_in_range(0..=4)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(arb_value(u, depth - 1)?);
            }
            Value::Array(v)
        }
        _ => {
            let n = u.int_in_range(0..=4)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push((arb_value(u, 0)?, arb_value(u, depth - 1)?));
            }
            Value::Map(v)
        }
    })
}

impl<'a> Arbitrary<'a> for ArbValue {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(ArbValue(arb_value(u, 3)?))
    }
}

/// A header map entry: a small integer label (so the known ones, 1 alg,
/// 3 content type, 4 kid, 394 receipts and -65537 evidence, come up) or text.
#[derive(Debug, Clone, Arbitrary)]
pub enum ArbLabel {
    /// One of the labels vouch reads.
    Known(u8),
    /// Any integer.
    Int(i64),
    /// A text label.
    Text(String),
}

impl ArbLabel {
    fn value(&self) -> Value {
        match self {
            ArbLabel::Known(n) => {
                let known: [i64; 6] = [1, 3, 4, 394, -65537, 2];
                Value::Integer(known[usize::from(*n) % known.len()].into())
            }
            ArbLabel::Int(i) => Value::Integer((*i).into()),
            ArbLabel::Text(s) => Value::Text(s.clone()),
        }
    }
}

/// How a signature's algorithm header is written.
#[derive(Debug, Clone, Arbitrary)]
pub enum ArbAlg {
    /// The key's own algorithm (EdDSA -8 or ES256 -7).
    Right,
    /// Another COSE algorithm id.
    Other(i64),
    /// Left out.
    Absent,
}

/// How a signature's key id is written.
#[derive(Debug, Clone, Arbitrary)]
pub enum ArbKid {
    /// The key's vouch key id.
    Right,
    /// Another fixed key's id.
    OtherKey(u8),
    /// Any bytes.
    Bytes(Vec<u8>),
    /// Left out.
    Absent,
}

/// What happens to the signature value once made.
#[derive(Debug, Clone, Arbitrary)]
pub enum ArbSigValue {
    /// Left as made.
    Valid,
    /// One bit flipped.
    Flip(u16, u8),
    /// Cut short.
    Truncate(u16),
    /// Replaced by any bytes.
    Bytes(Vec<u8>),
}

/// One signature of a COSE_Sign.
#[derive(Debug, Clone, Arbitrary)]
pub struct ArbSignature {
    /// Which fixed key signs.
    pub key: u8,
    /// Its alg header.
    pub alg: ArbAlg,
    /// Its kid header.
    pub kid: ArbKid,
    /// More protected header entries.
    pub protected: Vec<(ArbLabel, ArbValue)>,
    /// Unprotected header entries.
    pub unprotected: Vec<(ArbLabel, ArbValue)>,
    /// The signature value.
    pub value: ArbSigValue,
}

/// A COSE_Sign envelope, from its parts.
#[derive(Debug, Clone, Arbitrary)]
pub struct ArbSign {
    /// The content type (text; `None` leaves it out).
    pub content_type: Option<String>,
    /// Use vouch's statement content type instead.
    pub statement_type: bool,
    /// More body protected header entries.
    pub protected: Vec<(ArbLabel, ArbValue)>,
    /// Body unprotected header entries.
    pub unprotected: Vec<(ArbLabel, ArbValue)>,
    /// The payload (`None`: detached, nil).
    pub payload: Option<Vec<u8>>,
    /// The signatures.
    pub signatures: Vec<ArbSignature>,
    /// Leave out the tag 98.
    pub untagged: bool,
}

fn map(entries: Vec<(Value, Value)>) -> Value {
    Value::Map(entries)
}

fn entries(extra: &[(ArbLabel, ArbValue)]) -> Vec<(Value, Value)> {
    extra
        .iter()
        .map(|(l, v)| (l.value(), v.0.clone()))
        .collect()
}

/// The canonical encoding of `v`, or the plain one when it has no
/// canonical form (a repeated key, say): such an envelope is refused,
/// which is worth checking too.
fn encode(v: Value) -> Vec<u8> {
    if let Ok(b) = cbor::value_to_canonical(v.clone()) {
        return b;
    }
    let mut out = Vec::new();
    let _ = ciborium::into_writer(&v, &mut out);
    out
}

fn sign_value(s: &ArbSignature, protected: Vec<u8>, signature: Vec<u8>) -> Value {
    Value::Array(vec![
        Value::Bytes(protected),
        map(entries(&s.unprotected)),
        Value::Bytes(signature),
    ])
}

impl ArbSign {
    fn body_protected(&self) -> Vec<u8> {
        let mut e = Vec::new();
        let ct = if self.statement_type {
            Some(vouch_manifest::STATEMENT_CONTENT_TYPE.to_owned())
        } else {
            self.content_type.clone()
        };
        if let Some(ct) = ct {
            e.push((Value::Integer(3.into()), Value::Text(ct)));
        }
        e.extend(entries(&self.protected));
        if e.is_empty() {
            return Vec::new();
        }
        encode(map(e))
    }

    fn sig_protected(s: &ArbSignature) -> Vec<u8> {
        let ks = keys();
        let key = &ks[usize::from(s.key) % ks.len()];
        let mut e = Vec::new();
        match &s.alg {
            ArbAlg::Right => {
                let alg = key.public_key().algorithm().cose_id();
                e.push((Value::Integer(1.into()), Value::Integer(alg.into())));
            }
            ArbAlg::Other(a) => e.push((Value::Integer(1.into()), Value::Integer((*a).into()))),
            ArbAlg::Absent => {}
        }
        let kid = match &s.kid {
            ArbKid::Right => Some(key.key_id().as_bytes().to_vec()),
            ArbKid::OtherKey(i) => {
                Some(ks[usize::from(*i) % ks.len()].key_id().as_bytes().to_vec())
            }
            ArbKid::Bytes(b) => Some(b.clone()),
            ArbKid::Absent => None,
        };
        if let Some(kid) = kid {
            e.push((Value::Integer(4.into()), Value::Bytes(kid)));
        }
        e.extend(entries(&s.protected));
        encode(map(e))
    }

    fn assemble(&self, signatures: &[Vec<u8>]) -> Vec<u8> {
        let sigs = self
            .signatures
            .iter()
            .zip(signatures)
            .map(|(s, v)| sign_value(s, ArbSign::sig_protected(s), v.clone()))
            .collect();
        let body = Value::Array(vec![
            Value::Bytes(self.body_protected()),
            map(entries(&self.unprotected)),
            match &self.payload {
                Some(p) => Value::Bytes(p.clone()),
                None => Value::Null,
            },
            Value::Array(sigs),
        ]);
        if self.untagged {
            encode(body)
        } else {
            encode(Value::Tag(98, Box::new(body)))
        }
    }

    /// The envelope's bytes: assembled once with empty signatures, so that
    /// vouch computes each signature's to-be-signed bytes, then signed.
    pub fn to_bytes(&self) -> Vec<u8> {
        let empty = vec![Vec::new(); self.signatures.len()];
        let draft = self.assemble(&empty);
        let Ok(decoded) = Sign::from_bytes(&draft) else {
            return draft;
        };
        let ks = keys();
        let values: Vec<Vec<u8>> = self
            .signatures
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let key = &ks[usize::from(s.key) % ks.len()];
                let mut v = decoded
                    .to_be_signed(i)
                    .and_then(|tbs| key.try_sign(&tbs).ok())
                    .map(|sig| sig.value().to_vec())
                    .unwrap_or_default();
                match &s.value {
                    ArbSigValue::Valid => {}
                    ArbSigValue::Flip(at, bit) => {
                        if !v.is_empty() {
                            let n = v.len();
                            v[usize::from(*at) % n] ^= 1 << (bit % 8);
                        }
                    }
                    ArbSigValue::Truncate(n) => v.truncate(usize::from(*n) % (v.len() + 1)),
                    ArbSigValue::Bytes(b) => v.clone_from(b),
                }
                v
            })
            .collect();
        self.assemble(&values)
    }
}

/// A statement of the chain, with its references given as small indices
/// into the fixture's members and into statements made before it.
#[derive(Debug, Clone, Arbitrary)]
pub enum ArbStatement {
    /// A commit attestation.
    Commit {
        /// Who signs (a member index; past the members, an unknown key).
        signer: u8,
        /// The identity named as signer.
        identity: u8,
        /// The commit id (one of a few).
        commit: u8,
        /// Its parents.
        parents: Vec<u8>,
        /// Seconds after 2026-11-01.
        time: i32,
    },
    /// A release.
    Release {
        /// Who certify.
        certifiers: Vec<u8>,
        /// Its commits.
        commits: Vec<u8>,
        /// Package name: "app" when true.
        app: bool,
        /// The previous release (an earlier release).
        previous: Option<u8>,
        /// Seconds after 2026-11-01.
        time: i32,
    },
    /// An image.
    Image {
        /// Who signs.
        signer: u8,
        /// The builder named.
        builder: u8,
        /// Its packages (earlier releases).
        packages: Vec<u8>,
        /// Its source commits.
        commits: Vec<u8>,
        /// Seconds after 2026-11-01 (start, duration).
        time: (i32, u16),
        /// The fixture's image digest, or one of its own.
        fixture_digest: bool,
    },
    /// A deployment.
    Deployment {
        /// Who signs.
        signer: u8,
        /// The deployer named.
        deployer: u8,
        /// The trigger named.
        triggered_by: u8,
        /// The authorizers named.
        authorized_by: Vec<u8>,
        /// The image (an earlier image; none: the fixture's).
        image: Option<u8>,
        /// "production" when true.
        production: bool,
        /// Seconds after 2026-11-01.
        time: i32,
    },
    /// An approval.
    Approval {
        /// Who signs.
        signer: u8,
        /// The identity named.
        identity: u8,
        /// What it approves (an earlier deployment; none: the fixture's).
        statement: Option<u8>,
        /// Authorize when true, trigger otherwise.
        authorize: bool,
        /// Seconds after 2026-11-01.
        time: i32,
    },
    /// One of the fixture's envelopes as it is.
    Fixture(u8),
    /// One of the fixture's envelopes with a byte changed.
    Mutated(u8, u16, u8),
    /// A COSE_Sign from its parts.
    Envelope(ArbSign),
}

/// A bundle: statements, then the target and time to verify at.
#[derive(Debug, Clone, Arbitrary)]
pub struct ArbChain {
    /// The statements, in order (references point backwards).
    pub statements: Vec<ArbStatement>,
    /// Commit objects (any bytes).
    pub commit_objects: Vec<Vec<u8>>,
    /// Timestamp tokens: (statement index, token bytes).
    pub timestamps: Vec<(u8, Vec<u8>)>,
    /// Which target: see [`ArbChain::build`].
    pub target: u8,
    /// Minutes from the fixture's time.
    pub now: i16,
}

fn base(off: i32) -> Timestamp {
    t("2026-11-01T00:00:00Z").plus_seconds(i64::from(off))
}

/// The chain's bundle, its target and the time to verify at.
pub struct Built {
    /// The bundle.
    pub bundle: Bundle,
    /// The target.
    pub target: Target,
    /// The time.
    pub now: Timestamp,
}

impl ArbChain {
    /// Signs every statement and gathers them in a bundle.
    pub fn build(&self) -> Built {
        let f = fixture();
        let stranger = Key::of("a stranger", vouch_core::Algorithm::Ed25519);
        let key = |i: u8| -> &Key {
            f.members
                .get(usize::from(i) % (f.members.len() + 2))
                .map(|m| &m.key)
                .unwrap_or(if i.is_multiple_of(2) {
                    &f.root
                } else {
                    &stranger
                })
        };
        let unknown: IdentityId = "person:nobody@example.com".parse().expect("valid");
        let ident = |i: u8| -> IdentityId {
            f.members
                .get(usize::from(i) % (f.members.len() + 1))
                .map(|m| m.id.clone())
                .unwrap_or_else(|| unknown.clone())
        };
        let cid = |i: u8| commit_id(usize::from(i % 4));
        let mut releases: Vec<Digest> = Vec::new();
        let mut images: Vec<Digest> = vec![f.image];
        let mut deployments: Vec<Digest> = vec![f.deployment];
        let mut bundle = Bundle::new();
        let mut envelopes: Vec<Vec<u8>> = Vec::new();
        let pick = |list: &[Digest], i: u8| list[usize::from(i) % list.len()];
        for s in self.statements.iter().take(24) {
            let bytes = match s {
                ArbStatement::Commit {
                    signer,
                    identity,
                    commit,
                    parents,
                    time,
                } => {
                    let who = ident(*identity);
                    let person = GitPerson {
                        name: who.name().to_owned(),
                        email: who.name().to_owned(),
                        time: base(*time),
                    };
                    let c = Commit {
                        repository: "https://git.example.com/app.git".into(),
                        commit_id: cid(*commit),
                        tree_id: commit_id(1000 + usize::from(*commit % 4)),
                        parents: parents.iter().take(3).map(|p| cid(*p)).collect(),
                        author: person.clone(),
                        committer: person,
                        signer: who,
                    };
                    sign(c, &[key(*signer)]).and_then(|s| s.to_bytes().ok())
                }
                ArbStatement::Release {
                    certifiers,
                    commits,
                    app,
                    previous,
                    time,
                } => {
                    let signers: Vec<&Key> = certifiers.iter().take(4).map(|i| key(*i)).collect();
                    let r = Release {
                        package: if *app { "app".into() } else { "lib".into() },
                        version: "1.0.0".into(),
                        purl: None,
                        contents: vouch_manifest::tree::TreeManifest::from_entries(Vec::new())
                            .expect("an empty manifest"),
                        dependencies: Vec::new(),
                        commits: commits.iter().take(4).map(|c| cid(*c).into()).collect(),
                        released_at: base(*time),
                        previous: previous
                            .filter(|_| !releases.is_empty())
                            .map(|p| pick(&releases, p)),
                        archive: None,
                        tag: None,
                    };
                    let signed = sign(r, &signers);
                    if let Some(s) = &signed {
                        releases.push(s.digest());
                    }
                    signed.and_then(|s| s.to_bytes().ok())
                }
                ArbStatement::Image {
                    signer,
                    builder,
                    packages,
                    commits,
                    time,
                    fixture_digest,
                } => {
                    let digest = if *fixture_digest {
                        f.image
                    } else {
                        Digest::sha256(&images.len().to_le_bytes())
                    };
                    let i = Image {
                        name: "registry.example.com/app".into(),
                        image: digest,
                        config: Digest::sha256(b"config"),
                        layers: vec![Digest::sha256(b"layer")],
                        packages: if releases.is_empty() {
                            Vec::new()
                        } else {
                            packages
                                .iter()
                                .take(3)
                                .map(|p| ImagePackage {
                                    name: "app".into(),
                                    version: "1.0.0".into(),
                                    release: pick(&releases, *p),
                                })
                                .collect()
                        },
                        source_commits: commits
                            .iter()
                            .take(3)
                            .map(|c| SourceCommit {
                                repository: "https://git.example.com/app.git".into(),
                                commit: cid(*c),
                            })
                            .collect(),
                        builder: ident(*builder),
                        invocation_id: "build-1".into(),
                        started_at: base(time.0),
                        finished_at: base(time.0).plus_seconds(i64::from(time.1)),
                        platforms: Vec::new(),
                    };
                    images.push(digest);
                    sign(i, &[key(*signer)]).and_then(|s| s.to_bytes().ok())
                }
                ArbStatement::Deployment {
                    signer,
                    deployer,
                    triggered_by,
                    authorized_by,
                    image,
                    production,
                    time,
                } => {
                    let d = Deployment {
                        environment: if *production {
                            "production".into()
                        } else {
                            "staging".into()
                        },
                        target: DeployTarget {
                            cluster: "eu-1".into(),
                            namespace: "app".into(),
                            service: "app".into(),
                        },
                        image: image.map_or(f.image, |i| pick(&images, i)),
                        team: "platform".into(),
                        deployer: ident(*deployer),
                        pipeline: Pipeline {
                            run_id: "deploy-1".into(),
                            url: "https://ci.example.com/deploy/1".into(),
                        },
                        triggered_by: ident(*triggered_by),
                        authorized_by: authorized_by.iter().take(3).map(|a| ident(*a)).collect(),
                        time: base(*time),
                        ci_token: None,
                    };
                    let signed = sign(d, &[key(*signer)]);
                    if let Some(s) = &signed {
                        deployments.push(s.digest());
                    }
                    signed.and_then(|s| s.to_bytes().ok())
                }
                ArbStatement::Approval {
                    signer,
                    identity,
                    statement,
                    authorize,
                    time,
                } => {
                    let a = Approval {
                        statement: statement.map_or(f.deployment, |s| pick(&deployments, s)),
                        role: if *authorize {
                            ApprovalRole::Authorize
                        } else {
                            ApprovalRole::Trigger
                        },
                        identity: ident(*identity),
                        time: base(*time),
                    };
                    sign(a, &[key(*signer)]).and_then(|s| s.to_bytes().ok())
                }
                ArbStatement::Fixture(i) => {
                    Some(f.envelopes[usize::from(*i) % f.envelopes.len()].clone())
                }
                ArbStatement::Mutated(i, at, x) => {
                    let mut e = f.envelopes[usize::from(*i) % f.envelopes.len()].clone();
                    let n = e.len();
                    e[usize::from(*at) % n] ^= x;
                    Some(e)
                }
                ArbStatement::Envelope(parts) => Some(parts.to_bytes()),
            };
            if let Some(b) = bytes {
                envelopes.push(b.clone());
                bundle.add_envelope(b);
            }
        }
        for c in self.commit_objects.iter().take(4) {
            bundle.add_commit_object(c.clone());
        }
        for (i, token) in self.timestamps.iter().take(4) {
            if !envelopes.is_empty() {
                let e = &envelopes[usize::from(*i) % envelopes.len()];
                let _ = bundle.add_timestamp(e, token.clone());
            }
        }
        let target = match self.target % 4 {
            0 => Target::Deployment(*deployments.last().expect("never empty")),
            1 => Target::Image(*images.last().expect("never empty")),
            2 => Target::Any(pick(&deployments, self.target / 4)),
            _ => Target::Deployment(f.deployment),
        };
        Built {
            bundle,
            target,
            now: crate::now().plus_seconds(i64::from(self.now) * 60),
        }
    }
}
