//! The whole-chain bench fixture (see `chain.rs`), shared with the
//! memory measurement (`memory.rs`).

#![allow(dead_code, unreachable_pub)]

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::time::{Duration, Instant};

use vouch_chain::{Bundle, Policy, Target, Verifier};
use vouch_core::cose::Sign;
use vouch_core::{Algorithm, Digest, KeyId, PublicKey, SignError, Signature, Signer, Timestamp};
use vouch_manifest::tree::{EntryKind, TreeEntry, TreeManifest, TreePath};
use vouch_manifest::{
    Approval, ApprovalRole, Commit, DeployTarget, Deployment, GitObjectId, GitPerson,
    HardwareClaim, Identity, IdentityId, Image, ImagePackage, Pipeline, Predicate as _, Release,
    RoleGrant, RoleName, RootKeys, Roster, RosterKey, Signed, SourceCommit, Statement,
    TrustedRoster, peek_predicate_type,
};

/// Commits per release.
pub(crate) const COMMITS_PER_RELEASE: usize = 100;
pub(crate) const DEVELOPERS: usize = 150;
pub(crate) const MAINTAINERS: usize = 20;
pub(crate) const APPROVERS: usize = 5;
/// Identities with no part in the chain, to make the roster 200 strong.
pub(crate) const AUDITORS: usize = 200 - DEVELOPERS - MAINTAINERS - APPROVERS - 2;

/// The example policy (`examples/policy-demo.toml`), commits without
/// `user-presence` and proven by COSE attestations (what the bench measures).
pub(crate) fn policy() -> String {
    vouch_test_support::policy_with(&[
        (
            r#"signers = { roles = ["developer", "maintainer"], threshold = 1, hardware = ["user-presence"] }"#,
            r#"signers = { roles = ["developer", "maintainer"], threshold = 1 }"#,
        ),
        ("require_objects = true", "require_objects = false"),
    ])
}

/// A plain key made directly with ed25519-dalek or p256 (no key backend):
/// signing is set-up, not what is measured.
pub(crate) enum BenchKey {
    Ed25519(ed25519_dalek::SigningKey, PublicKey),
    Es256(p256::ecdsa::SigningKey, PublicKey),
}

impl BenchKey {
    /// An Ed25519 key derived from `label`.
    pub(crate) fn new(label: &str) -> Self {
        BenchKey::of(label, Algorithm::Ed25519)
    }

    /// A key of `algorithm` derived from `label`.
    pub(crate) fn of(label: &str, algorithm: Algorithm) -> Self {
        let seed = *Digest::sha256(label.as_bytes()).as_sha256().unwrap();
        match algorithm {
            Algorithm::Ed25519 => {
                let key = ed25519_dalek::SigningKey::from_bytes(&seed);
                let public = PublicKey::ed25519(&key.verifying_key().to_bytes()).unwrap();
                BenchKey::Ed25519(key, public)
            }
            Algorithm::Es256 => {
                let key = p256::ecdsa::SigningKey::from_slice(&seed).unwrap();
                let public = PublicKey::p256_sec1(&key.verifying_key().to_sec1_bytes()).unwrap();
                BenchKey::Es256(key, public)
            }
            other => panic!("no bench key for {other:?}"),
        }
    }
}

impl Signer for BenchKey {
    fn public_key(&self) -> &PublicKey {
        match self {
            BenchKey::Ed25519(_, p) | BenchKey::Es256(_, p) => p,
        }
    }

    fn try_sign(&self, message: &[u8]) -> Result<Signature, SignError> {
        Ok(match self {
            BenchKey::Ed25519(key, _) => {
                use ed25519_dalek::Signer as _;
                Signature::new(Algorithm::Ed25519, &key.sign(message).to_bytes()).unwrap()
            }
            BenchKey::Es256(key, _) => {
                let sig: p256::ecdsa::Signature =
                    p256::ecdsa::signature::Signer::sign(key, message);
                let sig = sig.normalize_s();
                Signature::new(Algorithm::Es256, &sig.to_bytes()).unwrap()
            }
        })
    }
}

pub(crate) fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub(crate) fn id(s: &str) -> IdentityId {
    s.parse().unwrap()
}

pub(crate) fn role(s: &str) -> RoleName {
    s.parse().unwrap()
}

pub(crate) fn commit_id(i: usize) -> GitObjectId {
    Digest::sha256(format!("commit {i}").as_bytes()).hex()[..40]
        .parse()
        .unwrap()
}

pub(crate) fn sign<P: vouch_manifest::Predicate>(predicate: P, signers: &[&BenchKey]) -> Signed<P> {
    let mut s = Signed::sign(&Statement::from_predicate(predicate).unwrap(), signers[0]).unwrap();
    for k in &signers[1..] {
        s.cosign(*k).unwrap();
    }
    s
}

/// A person or workload with one key.
pub(crate) struct Member {
    id: IdentityId,
    key: BenchKey,
}

impl Member {
    pub(crate) fn new(who: String) -> Self {
        Member::with(who, Algorithm::Ed25519)
    }

    pub(crate) fn with(who: String, algorithm: Algorithm) -> Self {
        let key = BenchKey::of(&who, algorithm);
        Member { id: id(&who), key }
    }
}

/// A bundle file and everything needed to evaluate it and its floor.
pub(crate) struct Fixture {
    /// The bundle file.
    pub(crate) bytes: Vec<u8>,
    /// Signatures verified on the global thread pool (every core).
    pub(crate) verifier: Verifier,
    /// The same, on the calling thread only.
    pub(crate) verifier_one: Verifier,
    pub(crate) target: Target,
    pub(crate) now: Timestamp,
    /// Every signature in the bundle: key, to-be-signed bytes, signature.
    pub(crate) floor: Vec<(PublicKey, Vec<u8>, Signature)>,
    /// The roster file (its one version is the pin).
    pub(crate) roster_file: Vec<u8>,
    /// The policy text.
    pub(crate) policy: String,
    /// The digest of the roster's one version (the pin).
    pub(crate) roster_pin: Digest,
    /// The image the deployment runs.
    pub(crate) image: Digest,
}

/// The time [`fixture`] is verified at; its statements are made in the
/// days before.
pub(crate) const NOW: &str = "2026-11-25T12:00:00Z";

pub(crate) fn fixture(commits: usize) -> Fixture {
    fixture_with(commits, Algorithm::Ed25519)
}

/// The fixture with the developers' (commit) keys of `commit_keys`.
pub(crate) fn fixture_with(commits: usize, commit_keys: Algorithm) -> Fixture {
    fixture_at(commits, commit_keys, t(NOW))
}

/// The fixture verified at `now`: every time in it (key validity, commit,
/// release, build and deployment times, the roster's expiry) moved by
/// `now - NOW`, for a verifier that reads the clock (the gate bench).
/// Keys are derived from labels, so only the times differ from
/// [`fixture_with`]'s.
pub(crate) fn fixture_at(commits: usize, commit_keys: Algorithm, now: Timestamp) -> Fixture {
    let shift = now.unix_seconds() - t(NOW).unix_seconds();
    let t = |s: &str| t(s).plus_seconds(shift);
    assert_eq!(commits % COMMITS_PER_RELEASE, 0);
    let releases = commits / COMMITS_PER_RELEASE;
    let people = |n: usize, what: &str| -> Vec<Member> {
        (0..n)
            .map(|i| Member::new(format!("person:{what}-{i:03}@example.com")))
            .collect()
    };
    let developers: Vec<Member> = (0..DEVELOPERS)
        .map(|i| Member::with(format!("person:dev-{i:03}@example.com"), commit_keys))
        .collect();
    let maintainers = people(MAINTAINERS, "maintainer");
    let approvers = people(APPROVERS, "approver");
    let auditors = people(AUDITORS, "auditor");
    let builder = Member::new("workload:ci/build".into());
    let deployer = Member::new("workload:ci/deploy".into());
    let root = BenchKey::new("root");

    // The roster (trusted once, outside the measurement).
    let from = t("2026-01-01T00:00:00Z");
    let identity = |m: &Member, hardware: Vec<HardwareClaim>| {
        let mut key = RosterKey::new(m.key.public_key().clone(), from);
        key.hardware = hardware;
        Identity {
            id: m.id.clone(),
            display_name: m.id.name().to_owned(),
            openpgp_keys: Vec::new(),
            proofs: Vec::new(),
            keys: vec![key],
        }
    };
    let mut identities = Vec::new();
    let mut roles = BTreeMap::new();
    for (name, group) in [
        ("developer", &developers),
        ("maintainer", &maintainers),
        ("approver", &approvers),
        ("auditor", &auditors),
    ] {
        identities.extend(group.iter().map(|m| identity(m, Vec::new())));
        roles.insert(
            role(name),
            group
                .iter()
                .map(|m| RoleGrant::new(m.id.clone(), from))
                .collect(),
        );
    }
    identities.push(identity(&builder, vec![HardwareClaim::TpmResident]));
    identities.push(identity(&deployer, Vec::new()));
    roles.insert(
        role("builder"),
        vec![RoleGrant::new(builder.id.clone(), from)],
    );
    roles.insert(
        role("deployer"),
        vec![RoleGrant::new(deployer.id.clone(), from)],
    );
    assert_eq!(identities.len(), 200);
    let roster = Roster {
        name: "bench.example.com".into(),
        version: 1,
        expires: t("2027-06-01T00:00:00Z"),
        root: RootKeys {
            keys: vec![root.public_key().clone()],
            threshold: 1,
        },
        identities,
        roles,
        authenticators: Default::default(),
        tpm: Default::default(),
        witnesses: Default::default(),
        ci: Default::default(),
    };
    let roster = sign(roster, &[&root]);
    let roster_file = vouch_manifest::RosterChain::new(vec![roster.clone()])
        .to_bytes()
        .unwrap();
    let roster_pin = roster.digest();
    let roster = TrustedRoster::from_pinned(&roster, &roster_pin).unwrap();

    let contents = TreeManifest::from_entries(vec![TreeEntry {
        path: TreePath::new("src/lib.rs").unwrap(),
        kind: EntryKind::File {
            size: 14,
            digest: Digest::sha256(b"pub fn f() {}\n"),
            executable: false,
        },
    }])
    .unwrap();

    let mut bundle = Bundle::new();
    let mut packages = Vec::new();
    let mut heads = Vec::new();
    let commit_time = t("2026-11-01T09:00:00Z");
    for r in 0..releases {
        let ids: Vec<GitObjectId> = (r * COMMITS_PER_RELEASE..(r + 1) * COMMITS_PER_RELEASE)
            .map(commit_id)
            .collect();
        for (n, cid) in ids.iter().enumerate() {
            let i = r * COMMITS_PER_RELEASE + n;
            let dev = &developers[i % DEVELOPERS];
            let who = GitPerson {
                name: dev.id.name().to_owned(),
                email: dev.id.name().to_owned(),
                time: commit_time.plus_seconds(i as i64),
            };
            let commit = Commit {
                repository: "https://git.example.com/monorepo.git".into(),
                commit_id: cid.clone(),
                tree_id: commit_id(i + 1_000_000),
                parents: n
                    .checked_sub(1)
                    .map(|p| ids[p].clone())
                    .into_iter()
                    .collect(),
                author: who.clone(),
                committer: who,
                signer: dev.id.clone(),
            };
            bundle.add_envelope(sign(commit, &[&dev.key]).to_bytes().unwrap());
        }
        heads.push(ids[COMMITS_PER_RELEASE - 1].clone());
        let release = Release {
            package: format!("pkg-{r:03}"),
            version: format!("1.0.{r}"),
            purl: None,
            contents: contents.clone(),
            dependencies: Vec::new(),
            commits: ids
                .into_iter()
                .map(vouch_manifest::CertifiedCommit::from)
                .collect::<Vec<_>>(),
            released_at: t("2026-11-10T12:00:00Z"),
            previous: None,
            archive: None,
            tag: None,
        };
        let certifiers = [
            &maintainers[(2 * r) % MAINTAINERS].key,
            &maintainers[(2 * r + 1) % MAINTAINERS].key,
        ];
        let release = sign(release, &certifiers);
        packages.push(ImagePackage {
            name: release.unverified().predicate().package.clone(),
            version: release.unverified().predicate().version.clone(),
            release: release.digest(),
        });
        bundle.add_envelope(release.to_bytes().unwrap());
    }

    let image_digest = Digest::sha256(b"OCI manifest of the monorepo image");
    let image = Image {
        name: "registry.example.com/monorepo/app".into(),
        image: image_digest,
        config: Digest::sha256(b"config"),
        layers: vec![Digest::sha256(b"layer")],
        packages,
        source_commits: heads
            .into_iter()
            .map(|commit| SourceCommit {
                repository: "https://git.example.com/monorepo.git".into(),
                commit,
            })
            .collect(),
        builder: builder.id.clone(),
        invocation_id: "build-1".into(),
        started_at: t("2026-11-20T08:00:00Z"),
        finished_at: t("2026-11-20T08:30:00Z"),
        platforms: Vec::new(),
    };
    bundle.add_envelope(sign(image, &[&builder.key]).to_bytes().unwrap());

    let deployment = Deployment {
        environment: "production".into(),
        target: DeployTarget {
            cluster: "eu-1".into(),
            namespace: "app".into(),
            service: "app".into(),
        },
        image: image_digest,
        team: "platform".into(),
        deployer: deployer.id.clone(),
        pipeline: Pipeline {
            run_id: "deploy-1".into(),
            url: "https://ci.example.com/deploy/1".into(),
        },
        triggered_by: developers[0].id.clone(),
        authorized_by: vec![approvers[0].id.clone()],
        time: t("2026-11-24T10:00:00Z"),
        ci_token: None,
    };
    let deployment = sign(deployment, &[&deployer.key]);
    bundle.add_envelope(deployment.to_bytes().unwrap());
    for (who, role) in [
        (&developers[0], ApprovalRole::Trigger),
        (&approvers[0], ApprovalRole::Authorize),
    ] {
        let approval = Approval {
            statement: deployment.digest(),
            role,
            identity: who.id.clone(),
            time: t("2026-11-24T10:05:00Z"),
        };
        bundle.add_envelope(sign(approval, &[&who.key]).to_bytes().unwrap());
    }

    // The floor: every signature of the bundle, with its key parsed and its
    // to-be-signed bytes built in advance.
    let keys: HashMap<KeyId, PublicKey> = roster
        .roster()
        .identities
        .iter()
        .flat_map(|i| i.keys.iter().map(|k| (k.key.key_id(), k.key.clone())))
        .collect();
    let mut floor = Vec::new();
    for bytes in bundle.envelopes() {
        let envelope = Sign::from_bytes(bytes).unwrap();
        let (ok, failed) = envelope.verify_each(|k| keys.get(k));
        assert!(failed.is_empty());
        for (index, signer) in ok.unwrap().signers().iter().enumerate() {
            floor.push((
                keys[&signer.key_id()].clone(),
                envelope.to_be_signed(index).unwrap(),
                signer.signature().clone(),
            ));
        }
    }

    let fixture = Fixture {
        bytes: bundle.to_bytes().unwrap(),
        verifier: Verifier::new(Policy::from_toml(&policy()).unwrap(), roster.clone()),
        verifier_one: Verifier::new(Policy::from_toml(&policy()).unwrap(), roster)
            .with_threads(vouch_chain::Threads::One),
        target: Target::Deployment(deployment.digest()),
        now,
        floor,
        roster_file,
        policy: policy(),
        roster_pin,
        image: image_digest,
    };
    let verdict = fixture.evaluate();
    assert!(verdict.passed(), "{}", verdict.render_text());
    assert_eq!(verdict.failures().len(), 0);
    eprintln!(
        "chain/{commits}: {} envelopes, {} signatures, bundle of {} bytes",
        bundle.envelopes().len(),
        fixture.floor.len(),
        fixture.bytes.len()
    );
    fixture
}

impl Fixture {
    /// What a deploy gate does with a bundle file.
    pub(crate) fn evaluate(&self) -> vouch_chain::Verdict {
        let bundle = Bundle::from_bytes(black_box(&self.bytes)).unwrap();
        self.verifier.verify(&bundle, &self.target, self.now)
    }

    /// The same on one thread.
    pub(crate) fn evaluate_one_thread(&self) -> vouch_chain::Verdict {
        let bundle = Bundle::from_bytes(black_box(&self.bytes)).unwrap();
        self.verifier_one.verify(&bundle, &self.target, self.now)
    }

    /// Every signature, one by one, and nothing else.
    pub(crate) fn floor(&self) {
        for (key, tbs, sig) in &self.floor {
            key.verify(black_box(tbs), black_box(sig)).unwrap();
        }
    }

    /// Prints the best of `runs` interleaved timings of [`Fixture::evaluate`]
    /// and [`Fixture::floor`] and their ratio: on a shared machine the
    /// minimum of interleaved runs is steadier than two separate means.
    pub(crate) fn print_ratio(&self, commits: usize, runs: usize) {
        let mut eval = Duration::MAX;
        let mut one = Duration::MAX;
        let mut floor = Duration::MAX;
        for _ in 0..runs {
            let start = Instant::now();
            black_box(self.evaluate());
            eval = eval.min(start.elapsed());
            let start = Instant::now();
            black_box(self.evaluate_one_thread());
            one = one.min(start.elapsed());
            let start = Instant::now();
            self.floor();
            floor = floor.min(start.elapsed());
        }
        eprintln!(
            "chain/{commits}: best of {runs} interleaved: floor (one thread) {floor:.1?}; \
             evaluate on one thread {one:.1?} ({:.3} x floor), on {} threads {eval:.1?} ({:.3} x floor)",
            one.as_secs_f64() / floor.as_secs_f64(),
            rayon::current_num_threads(),
            eval.as_secs_f64() / floor.as_secs_f64()
        );
    }

    /// The decoding an evaluation cannot avoid, verifying nothing: the
    /// bundle file, then each envelope and the typed statement in it.
    pub(crate) fn decode(&self) -> usize {
        let bundle = Bundle::from_bytes(black_box(&self.bytes)).unwrap();
        let mut decoded = 0;
        for bytes in bundle.envelopes() {
            let envelope = Sign::from_bytes(bytes).unwrap();
            let ty = peek_predicate_type(envelope.unverified_payload())
                .unwrap()
                .unwrap()
                .to_owned();
            decoded += match ty.as_str() {
                Commit::PREDICATE_TYPE => decoded_len(Signed::<Commit>::from_envelope(envelope)),
                Release::PREDICATE_TYPE => decoded_len(Signed::<Release>::from_envelope(envelope)),
                Image::PREDICATE_TYPE => decoded_len(Signed::<Image>::from_envelope(envelope)),
                Deployment::PREDICATE_TYPE => {
                    decoded_len(Signed::<Deployment>::from_envelope(envelope))
                }
                Approval::PREDICATE_TYPE => {
                    decoded_len(Signed::<Approval>::from_envelope(envelope))
                }
                other => panic!("unexpected predicate type {other}"),
            };
        }
        decoded
    }
}

pub(crate) fn decoded_len<P: vouch_manifest::Predicate>(
    s: Result<Signed<P>, vouch_manifest::ManifestError>,
) -> usize {
    black_box(s.unwrap()).envelope().signature_count()
}
