//! The scenario world: a signed roster, everyone's keys, the example policy,
//! and a realistic chain of statements (commits → release → image →
//! deployment + approvals) that each test bends in one place.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use vouch_chain::{Bundle, Failure, Policy, Reason, Target, TraceNode, Verdict, Verifier};
use vouch_core::{
    Algorithm, AuthenticatorFlags, Digest, Evidence, FidoAssertion, PublicKey, SignError,
    Signature, Signer, Timestamp,
};
use vouch_keys::FileKey;
use vouch_manifest::tree::{TreeManifest, TreeOptions};
use vouch_manifest::{
    Approval, ApprovalRole, Commit, DeployTarget, Deployment, GitObjectId, GitPerson,
    HardwareClaim, Identity, IdentityId, IdentityProof, Image, ImagePackage, Pipeline, Release,
    RoleGrant, RoleName, RootKeys, Roster, RosterKey, Signed, SourceCommit, Statement,
    TrustedRoster,
};

pub(crate) const ALICE: &str = "person:alice@example.com";
pub(crate) const BOB: &str = "person:bob@example.com";
pub(crate) const CAROL: &str = "person:carol@example.com";
pub(crate) const DAVE: &str = "person:dave@example.com";
pub(crate) const ERIN: &str = "person:erin@example.com";
/// A security officer, added to the roster only by the tests that need one.
pub(crate) const FRANK: &str = "person:frank@example.com";
pub(crate) const BUILD: &str = "workload:ci/build";
pub(crate) const DEPLOY: &str = "workload:ci/deploy";

/// The commit the example policy lists as legacy history.
pub(crate) const LEGACY_COMMIT: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

// The timeline of the story.
pub(crate) const KEYS_FROM: &str = "2026-01-01T00:00:00Z";
pub(crate) const ALICE_COMMIT_AT: &str = "2026-11-01T09:00:00Z";
pub(crate) const BOB_COMMIT_AT: &str = "2026-11-02T10:00:00Z";
pub(crate) const RELEASED_AT: &str = "2026-11-10T12:00:00Z";
pub(crate) const BUILD_STARTED_AT: &str = "2026-11-20T08:00:00Z";
pub(crate) const BUILD_FINISHED_AT: &str = "2026-11-20T08:30:00Z";
pub(crate) const DEPLOYED_AT: &str = "2026-11-24T10:00:00Z";
pub(crate) const TRIGGERED_AT: &str = "2026-11-24T10:01:00Z";
pub(crate) const AUTHORIZED_AT: &str = "2026-11-24T10:05:00Z";
pub(crate) const NOW: &str = "2026-11-25T12:00:00Z";

/// When roster v1 expires: long after the story.
pub(crate) const ROSTER_EXPIRES: &str = "2027-06-01T00:00:00Z";

/// Grants of a role to `who`, from the start of the story on.
pub(crate) fn grants(who: &[&str]) -> Vec<RoleGrant> {
    who.iter()
        .map(|w| RoleGrant::new(id(w), t(KEYS_FROM)))
        .collect()
}

/// Grants `role` to `who` from `from` on (adding the role when missing).
pub(crate) fn grant(roster: &mut Roster, r: &str, who: &str, from: &str) {
    roster
        .roles
        .entry(role(r))
        .or_default()
        .push(RoleGrant::new(id(who), t(from)));
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

/// A made-up but well-formed SHA-1 git object id, distinct per name.
pub(crate) fn commit_id(name: &str) -> GitObjectId {
    Digest::sha256(name.as_bytes()).hex()[..40].parse().unwrap()
}

/// A software FIDO authenticator: an Ed25519 `sk-` key bound to the `ssh:`
/// application that signs authenticator data (flags, counter, message hash)
/// exactly as a security key does, and attaches the assertion as evidence.
pub(crate) struct SoftFido {
    key: ed25519_dalek::SigningKey,
    public: PublicKey,
    flags: u8,
    counter: AtomicU32,
    /// What each signature adds to the counter (1, or 0 for none).
    step: u32,
}

impl SoftFido {
    /// A touched authenticator (UP set), key derived from `seed_name`.
    pub(crate) fn new(seed_name: &str) -> Self {
        let seed = *Digest::sha256(seed_name.as_bytes()).as_sha256().unwrap();
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let public = PublicKey::ed25519(&key.verifying_key().to_bytes())
            .unwrap()
            .with_fido_application("ssh:")
            .unwrap();
        SoftFido {
            key,
            public,
            flags: AuthenticatorFlags::USER_PRESENT,
            counter: AtomicU32::new(1),
            step: 1,
        }
    }

    /// The same key, its counter starting at `counter` (a cloned
    /// authenticator, or one without a counter when 0 is kept).
    pub(crate) fn with_counter(&self, counter: u32, step: u32) -> Self {
        SoftFido {
            key: self.key.clone(),
            public: self.public.clone(),
            flags: self.flags,
            counter: AtomicU32::new(counter),
            step,
        }
    }

    /// The same key, signing with other authenticator flags (e.g. 0: nobody touched it).
    pub(crate) fn with_flags(&self, flags: u8) -> Self {
        SoftFido {
            key: self.key.clone(),
            public: self.public.clone(),
            flags,
            counter: AtomicU32::new(self.counter.load(Ordering::Relaxed)),
            step: self.step,
        }
    }
}

impl Signer for SoftFido {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn try_sign(&self, message: &[u8]) -> Result<Signature, SignError> {
        use ed25519_dalek::Signer as _;
        let counter = self.counter.fetch_add(self.step, Ordering::Relaxed);
        let assertion = FidoAssertion::new("ssh:", AuthenticatorFlags(self.flags), counter);
        let value = self.key.sign(&assertion.signed_data(message)).to_bytes();
        let signature =
            Signature::new(Algorithm::Ed25519, &value).map_err(|e| SignError::Backend {
                key_id: self.key_id(),
                source: Box::new(e),
            })?;
        Ok(signature.with_evidence(Evidence::Fido(assertion)))
    }
}

/// Everyone's keys. Which of them the roster lists is up to each scenario.
pub(crate) struct World {
    /// Root keys of roster v1 (threshold 2 of 3).
    pub(crate) roots: Vec<FileKey>,
    /// Alice's commit key (a FIDO key, touched).
    pub(crate) alice: SoftFido,
    /// Alice's FIDO key, signing without user presence.
    pub(crate) alice_untouched: SoftFido,
    /// The key that supersedes Alice's FIDO key (only in rosters that say so).
    pub(crate) alice_new: FileKey,
    pub(crate) bob: SoftFido,
    pub(crate) carol: FileKey,
    /// A second key of Carol's (only in rosters that say so).
    pub(crate) carol2: FileKey,
    pub(crate) dave: FileKey,
    pub(crate) erin: FileKey,
    pub(crate) frank: FileKey,
    pub(crate) build: FileKey,
    pub(crate) deploy: FileKey,
    /// Nobody the roster knows.
    pub(crate) mallory: FileKey,
    /// The deploy gate's own key, for verification summaries.
    pub(crate) verifier: FileKey,
}

fn ed() -> FileKey {
    FileKey::generate(Algorithm::Ed25519).unwrap()
}

fn p256() -> FileKey {
    FileKey::generate(Algorithm::Es256).unwrap()
}

/// The release's content manifest, built once from a small directory tree.
pub(crate) fn contents() -> TreeManifest {
    static CONTENTS: OnceLock<TreeManifest> = OnceLock::new();
    CONTENTS
        .get_or_init(|| {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "vouch-chain-scenario-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("src")).unwrap();
            std::fs::write(
                dir.join("Cargo.toml"),
                "[package]\nname = \"shop-api\"\nversion = \"1.4.0\"\n",
            )
            .unwrap();
            std::fs::write(
                dir.join("src/main.rs"),
                "fn main() { println!(\"shop\"); }\n",
            )
            .unwrap();
            std::fs::write(dir.join("README.md"), "The shop's API.\n").unwrap();
            let options = TreeOptions {
                threads: Some(1),
                ..TreeOptions::default()
            };
            let manifest = TreeManifest::build(&dir, &options).unwrap();
            std::fs::remove_dir_all(&dir).unwrap();
            manifest
        })
        .clone()
}

/// The example policy's demo profile, read from `examples/policy-demo.toml`
/// (the scenarios' security keys are software authenticators).
pub(crate) fn example_policy() -> Policy {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/policy-demo.toml");
    Policy::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn person(who: &str, display: &str, keys: Vec<RosterKey>) -> Identity {
    Identity {
        id: id(who),
        display_name: display.into(),
        openpgp_keys: Vec::new(),
        proofs: vec![IdentityProof::Email {
            address: who.trim_start_matches("person:").into(),
        }],
        keys,
    }
}

fn workload(who: &str, display: &str, keys: Vec<RosterKey>) -> Identity {
    Identity {
        id: id(who),
        display_name: display.into(),
        openpgp_keys: Vec::new(),
        proofs: vec![IdentityProof::Oidc {
            issuer: "https://ci.example.com".into(),
            subject: who.trim_start_matches("workload:").into(),
        }],
        keys,
    }
}

impl World {
    pub(crate) fn new() -> Self {
        let alice = SoftFido::new("alice's security key");
        let alice_untouched = alice.with_flags(0);
        World {
            roots: (0..3).map(|_| ed()).collect(),
            alice,
            alice_untouched,
            alice_new: ed(),
            bob: SoftFido::new("bob's security key"),
            carol: ed(),
            carol2: p256(),
            dave: p256(),
            erin: ed(),
            frank: ed(),
            build: p256(),
            deploy: ed(),
            mallory: ed(),
            verifier: ed(),
        }
    }

    fn key(&self, k: &PublicKey) -> RosterKey {
        RosterKey::new(k.clone(), t(KEYS_FROM))
    }

    /// Roster v1: root keys 2 of 3; developers alice and bob, maintainers
    /// carol and dave, approver erin; workloads ci/build (builder, key
    /// attested TPM-resident) and ci/deploy (deployer).
    pub(crate) fn roster(&self) -> Roster {
        let fido = |k: &PublicKey| {
            let mut rk = self.key(k);
            rk.hardware = vec![HardwareClaim::FidoAuthenticator];
            rk
        };
        let alice = fido(self.alice.public_key());
        let bob = fido(self.bob.public_key());
        let mut build = self.key(self.build.public_key());
        build.hardware = vec![HardwareClaim::TpmResident];
        let mut roles = BTreeMap::new();
        roles.insert(role("developer"), grants(&[ALICE, BOB]));
        roles.insert(role("maintainer"), grants(&[CAROL, DAVE]));
        roles.insert(role("approver"), grants(&[ERIN]));
        roles.insert(role("builder"), grants(&[BUILD]));
        roles.insert(role("deployer"), grants(&[DEPLOY]));
        Roster {
            name: "example.com".into(),
            version: 1,
            expires: t(ROSTER_EXPIRES),
            root: RootKeys {
                keys: self.roots.iter().map(|k| k.public_key().clone()).collect(),
                threshold: 2,
            },
            identities: vec![
                person(ALICE, "Alice", vec![alice]),
                person(BOB, "Bob", vec![bob]),
                person(CAROL, "Carol", vec![self.key(self.carol.public_key())]),
                person(DAVE, "Dave", vec![self.key(self.dave.public_key())]),
                person(ERIN, "Erin", vec![self.key(self.erin.public_key())]),
                workload(BUILD, "CI build", vec![build]),
                workload(
                    DEPLOY,
                    "CI deploy",
                    vec![self.key(self.deploy.public_key())],
                ),
            ],
            roles,
            authenticators: Default::default(),
            tpm: Default::default(),
            witnesses: Default::default(),
            ci: Default::default(),
        }
    }

    /// Adds Frank, holding the `security` role.
    pub(crate) fn add_frank(&self, roster: &mut Roster) {
        roster.identities.push(person(
            FRANK,
            "Frank",
            vec![self.key(self.frank.public_key())],
        ));
        roster.roles.insert(role("security"), grants(&[FRANK]));
    }

    /// Gives Alice her new key from `at` on, revoking the FIDO key at `at` for `reason`.
    pub(crate) fn rotate_alice(
        &self,
        roster: &mut Roster,
        at: &str,
        reason: vouch_manifest::RevocationReason,
    ) {
        key_mut(roster, ALICE, self.alice.public_key()).revoked =
            Some(vouch_manifest::Revocation { at: t(at), reason });
        let mut new = RosterKey::new(self.alice_new.public_key().clone(), t(at));
        new.hardware = Vec::new();
        identity_mut(roster, ALICE).keys.push(new);
    }

    /// Signs a roster statement with `roots`, round-tripped through bytes.
    pub(crate) fn sign_roster(&self, roster: Roster, roots: &[&FileKey]) -> Signed<Roster> {
        sign_all(&Statement::from_predicate(roster).unwrap(), roots)
    }

    /// Signs `roster` with two of its three root keys and trusts it by pin.
    pub(crate) fn trust(&self, roster: Roster) -> TrustedRoster {
        let signed = self.sign_roster(roster, &[&self.roots[0], &self.roots[2]]);
        TrustedRoster::from_pinned(&signed, &signed.digest()).unwrap()
    }

    /// The happy-path scenario of this world.
    pub(crate) fn scenario(&self) -> Scenario<'_> {
        Scenario::new(self)
    }
}

pub(crate) fn identity_mut<'r>(roster: &'r mut Roster, who: &str) -> &'r mut Identity {
    let who = id(who);
    roster.identities.iter_mut().find(|i| i.id == who).unwrap()
}

pub(crate) fn key_mut<'r>(roster: &'r mut Roster, who: &str, key: &PublicKey) -> &'r mut RosterKey {
    identity_mut(roster, who)
        .keys
        .iter_mut()
        .find(|k| k.key == *key)
        .unwrap()
}

/// Signs with every signer in turn (the first signs, the rest co-sign),
/// then round-trips the envelope through bytes, as a verifier receives it.
pub(crate) fn sign_all<P: vouch_manifest::Predicate, S: Signer + ?Sized>(
    statement: &Statement<P>,
    signers: &[&S],
) -> Signed<P> {
    let (first, rest) = signers.split_first().expect("at least one signer");
    let mut signed = Signed::sign(statement, *first).unwrap();
    for s in rest {
        signed.cosign(*s).unwrap();
    }
    Signed::from_bytes(&signed.to_bytes().unwrap()).unwrap()
}

/// One commit attestation and who signs it.
pub(crate) struct CommitPlan<'w> {
    pub(crate) commit: Commit,
    pub(crate) signers: Vec<&'w dyn Signer>,
}

/// One approval statement: what it says and who actually signs it.
pub(crate) struct ApprovalPlan<'w> {
    pub(crate) role: ApprovalRole,
    /// The identity the approval names (`Approval::identity`).
    pub(crate) identity: IdentityId,
    pub(crate) time: Timestamp,
    pub(crate) signers: Vec<&'w dyn Signer>,
}

/// A chain to build: every predicate and every signer, editable by a test.
pub(crate) struct Scenario<'w> {
    pub(crate) world: &'w World,
    pub(crate) roster: Roster,
    pub(crate) policy: Policy,
    pub(crate) now: Timestamp,
    pub(crate) commits: Vec<CommitPlan<'w>>,
    /// The release; its `commits` are what the maintainers certify.
    pub(crate) release: Release,
    pub(crate) release_signers: Vec<&'w dyn Signer>,
    /// The image. `build` puts the shop-api package, pointing at the
    /// release statement's digest, in front of whatever `packages` holds.
    pub(crate) image: Image,
    pub(crate) image_signers: Vec<&'w dyn Signer>,
    pub(crate) deployment: Deployment,
    pub(crate) deployment_signers: Vec<&'w dyn Signer>,
    /// Approvals of the deployment (they name its digest).
    pub(crate) approvals: Vec<ApprovalPlan<'w>>,
    /// Leave the release's package out of the image.
    pub(crate) omit_release_package: bool,
    /// The name and version the image gives the release's package
    /// (default: the release's own).
    pub(crate) package_as: Option<(String, String)>,
    /// Sign the image statement with this subject digest instead of the
    /// image digest its predicate describes (an attack on subject binding).
    pub(crate) image_subject: Option<Digest>,
    /// More envelopes and raw commit objects for the bundle.
    pub(crate) extra_envelopes: Vec<Vec<u8>>,
    pub(crate) extra_objects: Vec<Vec<u8>>,
}

/// What a scenario built.
pub(crate) struct Built {
    pub(crate) bundle: Bundle,
    pub(crate) deployment: Digest,
    pub(crate) release: Digest,
    pub(crate) image: Digest,
    pub(crate) commits: Vec<Digest>,
}

fn git_person(name: &str, email: &str, at: &str) -> GitPerson {
    GitPerson {
        name: name.into(),
        email: email.into(),
        time: t(at),
    }
}

pub(crate) const REPOSITORY: &str = "https://git.example.com/shop.git";

/// A commit attestation's predicate: commit `name` by `who` at `at`.
pub(crate) fn commit(name: &str, parent: Option<&str>, who: &str, at: &str) -> Commit {
    let display = who
        .trim_start_matches("person:")
        .split('@')
        .next()
        .unwrap()
        .to_owned();
    let email = who.trim_start_matches("person:");
    Commit {
        repository: REPOSITORY.into(),
        commit_id: commit_id(name),
        tree_id: commit_id(&format!("tree of {name}")),
        parents: parent.map(commit_id).into_iter().collect(),
        author: git_person(&display, email, at),
        committer: git_person(&display, email, at),
        signer: id(who),
    }
}

/// The ids of the happy path's two commits.
pub(crate) fn alice_commit() -> GitObjectId {
    commit_id("alice: add the checkout endpoint")
}

pub(crate) fn bob_commit() -> GitObjectId {
    commit_id("bob: validate cart totals")
}

pub(crate) fn image_digest() -> Digest {
    Digest::sha256(b"OCI manifest of registry.example.com/shop/api:1.4.0")
}

impl<'w> Scenario<'w> {
    fn new(w: &'w World) -> Self {
        let commits = vec![
            CommitPlan {
                commit: commit(
                    "alice: add the checkout endpoint",
                    None,
                    ALICE,
                    ALICE_COMMIT_AT,
                ),
                signers: vec![&w.alice],
            },
            CommitPlan {
                commit: commit(
                    "bob: validate cart totals",
                    Some("alice: add the checkout endpoint"),
                    BOB,
                    BOB_COMMIT_AT,
                ),
                signers: vec![&w.bob],
            },
        ];
        let release = Release {
            package: "shop-api".into(),
            version: "1.4.0".into(),
            purl: Some("pkg:cargo/shop-api@1.4.0".into()),
            contents: contents(),
            dependencies: vec![vouch_manifest::Dependency {
                name: "serde".into(),
                version: Some("1.0.228".into()),
                purl: Some("pkg:cargo/serde@1.0.228".into()),
                digest: Some(Digest::sha256(b"serde-1.0.228.crate")),
            }],
            commits: commits
                .iter()
                .map(|c| c.commit.commit_id.clone().into())
                .collect(),
            released_at: t(RELEASED_AT),
            previous: None,
            archive: None,
            tag: None,
        };
        let image = Image {
            name: "registry.example.com/shop/api".into(),
            image: image_digest(),
            config: Digest::sha256(b"OCI config"),
            layers: vec![Digest::sha256(b"base layer"), Digest::sha256(b"app layer")],
            packages: Vec::new(),
            source_commits: commits
                .iter()
                .map(|c| SourceCommit {
                    repository: REPOSITORY.into(),
                    commit: c.commit.commit_id.clone(),
                })
                .collect(),
            builder: id(BUILD),
            invocation_id: "build-4711".into(),
            started_at: t(BUILD_STARTED_AT),
            finished_at: t(BUILD_FINISHED_AT),
            platforms: Vec::new(),
        };
        let deployment = Deployment {
            environment: "production".into(),
            target: DeployTarget {
                cluster: "eu-1".into(),
                namespace: "shop".into(),
                service: "api".into(),
            },
            image: image_digest(),
            team: "shop".into(),
            deployer: id(DEPLOY),
            pipeline: Pipeline {
                run_id: "deploy-815".into(),
                url: "https://ci.example.com/shop/deploy/815".into(),
            },
            triggered_by: id(ALICE),
            authorized_by: vec![id(ERIN)],
            time: t(DEPLOYED_AT),
            ci_token: None,
        };
        let approvals = vec![
            ApprovalPlan {
                role: ApprovalRole::Trigger,
                identity: id(ALICE),
                time: t(TRIGGERED_AT),
                signers: vec![&w.alice],
            },
            ApprovalPlan {
                role: ApprovalRole::Authorize,
                identity: id(ERIN),
                time: t(AUTHORIZED_AT),
                signers: vec![&w.erin],
            },
        ];
        // The suite proves commits with attestations alone, so that each
        // rule can be bent on its own; the example policy requires the git
        // objects, which `soundness.rs` tests separately.
        let mut policy = example_policy();
        if let Some(c) = policy.commit.as_mut() {
            c.require_objects = false;
        }
        Scenario {
            world: w,
            roster: w.roster(),
            policy,
            now: t(NOW),
            commits,
            release,
            release_signers: vec![&w.carol, &w.dave],
            image,
            image_signers: vec![&w.build],
            deployment,
            deployment_signers: vec![&w.deploy],
            approvals,
            omit_release_package: false,
            package_as: None,
            image_subject: None,
            extra_envelopes: Vec::new(),
            extra_objects: Vec::new(),
        }
    }

    /// Replaces Alice's commit attestation by the raw commit object `oid`
    /// (in the release, the image and as Bob's parent); the object itself
    /// goes into `extra_objects`.
    pub(crate) fn use_object_for_alice(&mut self, oid: &GitObjectId, raw: Vec<u8>) {
        let alice = alice_commit();
        self.commits.retain(|c| c.commit.commit_id != alice);
        for c in &mut self.commits {
            for p in c.commit.parents.iter_mut().filter(|p| **p == alice) {
                *p = oid.clone();
            }
        }
        for c in self.release.commits.iter_mut().filter(|c| **c == alice) {
            *c = vouch_manifest::CertifiedCommit::from(oid.clone());
        }
        self.image.source_commits.retain(|c| c.commit != alice);
        self.image.source_commits.push(SourceCommit {
            repository: REPOSITORY.into(),
            commit: oid.clone(),
        });
        self.extra_objects.push(raw);
    }

    /// Adds a commit attestation (and its commit to the release and the image).
    pub(crate) fn add_commit(&mut self, plan: CommitPlan<'w>) {
        self.release
            .commits
            .push(vouch_manifest::CertifiedCommit::from(
                plan.commit.commit_id.clone(),
            ));
        self.image.source_commits.push(SourceCommit {
            repository: REPOSITORY.into(),
            commit: plan.commit.commit_id.clone(),
        });
        self.commits.push(plan);
    }

    /// Signs every statement and gathers them in a bundle (round-tripped
    /// through its file encoding).
    pub(crate) fn build(&self) -> Built {
        let mut bundle = Bundle::new();
        let mut commits = Vec::new();
        for c in &self.commits {
            let s = sign_all(
                &Statement::from_predicate(c.commit.clone()).unwrap(),
                &c.signers,
            );
            commits.push(s.digest());
            bundle.add_envelope(s.to_bytes().unwrap());
        }
        let release = sign_all(
            &Statement::from_predicate(self.release.clone()).unwrap(),
            &self.release_signers,
        );
        bundle.add_envelope(release.to_bytes().unwrap());

        let mut image = self.image.clone();
        if !self.omit_release_package {
            let (name, version) = self
                .package_as
                .clone()
                .unwrap_or_else(|| (self.release.package.clone(), self.release.version.clone()));
            image.packages.insert(
                0,
                ImagePackage {
                    name,
                    version,
                    release: release.digest(),
                },
            );
        }
        match self.image_subject {
            None => {
                let image_signed = sign_all(
                    &Statement::from_predicate(image).unwrap(),
                    &self.image_signers,
                );
                bundle.add_envelope(image_signed.to_bytes().unwrap());
            }
            Some(subject) => {
                bundle.add_envelope(unbound_statement(&image, subject, &self.image_signers))
            }
        }

        let deployment = sign_all(
            &Statement::from_predicate(self.deployment.clone()).unwrap(),
            &self.deployment_signers,
        );
        bundle.add_envelope(deployment.to_bytes().unwrap());

        for a in &self.approvals {
            let approval = Approval {
                statement: deployment.digest(),
                role: a.role,
                identity: a.identity.clone(),
                time: a.time,
            };
            let s = sign_all(&Statement::from_predicate(approval).unwrap(), &a.signers);
            bundle.add_envelope(s.to_bytes().unwrap());
        }

        for e in &self.extra_envelopes {
            bundle.add_envelope(e.clone());
        }
        for o in &self.extra_objects {
            bundle.add_commit_object(o.clone());
        }
        let bundle = Bundle::from_bytes(&bundle.to_bytes().unwrap()).unwrap();
        Built {
            bundle,
            deployment: deployment.digest(),
            release: release.digest(),
            image: self.image.image,
            commits,
        }
    }

    /// The verifier for this scenario's roster (trusted by pin) and policy.
    pub(crate) fn verifier(&self) -> Verifier {
        Verifier::new(self.policy.clone(), self.world.trust(self.roster.clone()))
    }

    /// Builds the chain and evaluates the deployment at `now`.
    pub(crate) fn run(&self) -> (Verdict, Built) {
        let built = self.build();
        let verdict = self.verifier().verify(
            &built.bundle,
            &Target::Deployment(built.deployment),
            self.now,
        );
        (verdict, built)
    }

    /// The commit plan for `id`.
    pub(crate) fn commit_mut(&mut self, id: &GitObjectId) -> &mut CommitPlan<'w> {
        self.commits
            .iter_mut()
            .find(|c| c.commit.commit_id == *id)
            .unwrap()
    }

    /// The approval plan naming `who` in `role`.
    pub(crate) fn approval_mut(&mut self, role: ApprovalRole, who: &str) -> &mut ApprovalPlan<'w> {
        let who = id(who);
        self.approvals
            .iter_mut()
            .find(|a| a.role == role && a.identity == who)
            .unwrap()
    }
}

/// An envelope of `predicate` whose in-toto subject carries `subject`
/// instead of the digest the predicate describes: what an attacker signs
/// by hand, since [`Statement::new`] refuses to make one.
pub(crate) fn unbound_statement<P: vouch_manifest::Predicate, S: Signer + ?Sized>(
    predicate: &P,
    subject: Digest,
    signers: &[&S],
) -> Vec<u8> {
    use ciborium::Value;
    let honest = Statement::from_predicate(predicate.clone()).unwrap();
    let bytes = honest.to_canonical_bytes().unwrap();
    let mut value: Value = vouch_core::cbor::from_canonical(&bytes).unwrap();
    let Value::Map(fields) = &mut value else {
        unreachable!()
    };
    for (k, v) in fields.iter_mut() {
        if k.as_text() == Some("subject") {
            *v = Value::Array(vec![Value::Map(vec![
                (
                    Value::Text("digest".into()),
                    Value::Map(vec![(
                        Value::Text("sha256".into()),
                        Value::Text(subject.hex()),
                    )]),
                ),
                (Value::Text("name".into()), Value::Text("forged".into())),
            ])]);
        }
    }
    let payload = vouch_core::cbor::value_to_canonical(value).unwrap();
    let mut envelope =
        vouch_core::cose::Sign::new(vouch_manifest::STATEMENT_CONTENT_TYPE, payload).unwrap();
    for s in signers {
        envelope.add_signature(*s).unwrap();
    }
    envelope.to_bytes().unwrap()
}

// ---- looking at verdicts ----

/// Every reason in the verdict.
pub(crate) fn reasons(v: &Verdict) -> Vec<&Reason> {
    v.failures().iter().map(|f| &f.reason).collect()
}

/// The name of the link a failure is on (the last element of its path).
pub(crate) fn link(f: &Failure) -> &str {
    f.path.last().map(String::as_str).unwrap_or_default()
}

/// Asserts the verdict fails and some failure matches `pred`; returns it.
#[track_caller]
pub(crate) fn expect_failure<'v>(
    v: &'v Verdict,
    what: &str,
    pred: impl Fn(&Reason) -> bool,
) -> &'v Failure {
    assert!(
        !v.passed(),
        "expected a failing verdict ({what}):\n{}",
        v.render_text()
    );
    v.failures()
        .iter()
        .find(|f| pred(&f.reason))
        .unwrap_or_else(|| panic!("no failure {what} in:\n{}", v.render_text()))
}

/// Asserts every failure is on a link named `name` (e.g. `commit <id>`).
#[track_caller]
pub(crate) fn all_on_link(v: &Verdict, name: &str) {
    for f in v.failures() {
        assert_eq!(
            link(f),
            name,
            "failure on another link: {f}\n{}",
            v.render_text()
        );
    }
}

/// Every identity that appears as a signer anywhere in the trace.
pub(crate) fn trace_identities(node: &TraceNode, out: &mut Vec<IdentityId>) {
    for s in &node.signers {
        if !out.contains(&s.identity) {
            out.push(s.identity.clone());
        }
    }
    for c in &node.children {
        trace_identities(c, out);
    }
}

/// Depth-first search for the first trace node with `name`.
pub(crate) fn find_node<'t>(node: &'t TraceNode, name: &str) -> Option<&'t TraceNode> {
    if node.name == name {
        return Some(node);
    }
    node.children.iter().find_map(|c| find_node(c, name))
}

// ---- raw git commit objects ----

/// A git commit object to build: who wrote and committed it, its parents,
/// and how it is signed.
pub(crate) struct ObjectPlan<'s> {
    pub(crate) parents: Vec<GitObjectId>,
    /// Name and email of the author.
    pub(crate) author: (&'static str, &'static str),
    /// Name and email of the committer.
    pub(crate) committer: (&'static str, &'static str),
    pub(crate) at: Timestamp,
    pub(crate) message: String,
    /// Who signs (`None`: unsigned), and in which SSHSIG namespace.
    pub(crate) signer: Option<&'s dyn Signer>,
    pub(crate) namespace: &'static str,
}

impl<'s> ObjectPlan<'s> {
    /// A commit by `who` (name, email), signed by `signer`, in namespace `git`.
    pub(crate) fn new(
        who: (&'static str, &'static str),
        at: &str,
        message: &str,
        signer: Option<&'s dyn Signer>,
    ) -> Self {
        ObjectPlan {
            parents: Vec::new(),
            author: who,
            committer: who,
            at: t(at),
            message: message.to_owned(),
            signer,
            namespace: "git",
        }
    }

    /// The object as git writes it, and its id: the SSHSIG over the object
    /// without its `gpgsig` header, inserted after `committer`.
    pub(crate) fn build(&self) -> (GitObjectId, Vec<u8>) {
        use std::fmt::Write as _;
        let secs = self.at.unix_seconds();
        let mut headers = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n".to_owned();
        for p in &self.parents {
            let _ = writeln!(headers, "parent {p}");
        }
        let _ = writeln!(
            headers,
            "author {} <{}> {secs} +0100",
            self.author.0, self.author.1
        );
        let _ = writeln!(
            headers,
            "committer {} <{}> {secs} +0100",
            self.committer.0, self.committer.1
        );
        let payload = format!("{headers}\n{}\n", self.message);
        let raw = match self.signer {
            None => payload,
            Some(signer) => {
                let sig = vouch_core::sshsig::sign(
                    signer,
                    self.namespace,
                    payload.as_bytes(),
                    vouch_core::sshsig::HashAlgorithm::Sha512,
                )
                .unwrap();
                let gpgsig = sig.trim_end().lines().collect::<Vec<_>>().join("\n ");
                format!("{headers}gpgsig {gpgsig}\n\n{}\n", self.message)
            }
        };
        let id =
            vouch_git::commit::object_id(raw.as_bytes(), vouch_git::commit::ObjectFormat::Sha1)
                .unwrap();
        (id, raw.into_bytes())
    }
}

/// The build machine's attestation key.
pub(crate) fn ak(seed: u8) -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap()
}

/// Attaches to the builder's key a certification by `ak`, and enrolls that
/// AK in the roster for `enrolled_for`.
pub(crate) fn attest_builder(
    world: &World,
    scenario: &mut Scenario<'_>,
    ak: &p256::ecdsa::SigningKey,
    enrolled_for: &str,
) {
    let key = world.build.public_key().clone();
    let c =
        vouch_test_support::tpm_certify::certify(ak, key.point(), &vouch_core::tpm::binding(&key));
    let certify = vouch_core::tpm::KeyAttestation::new(
        c.attest,
        c.signature,
        c.ak_public.clone(),
        c.key_public,
    )
    .unwrap()
    .to_bytes();
    let entry = key_mut(&mut scenario.roster, BUILD, &key);
    entry.hardware = Vec::new();
    entry.tpm = Some(vouch_manifest::TpmKeyAttestation { certify });
    scenario
        .roster
        .tpm
        .attestation_keys
        .push(vouch_manifest::TrustedAk {
            identity: id(enrolled_for),
            label: "build-runner-1".into(),
            public: c.ak_public,
            endorsement: None,
        });
}

/// The production profile's image rule: the builder's key TPM-attested.
pub(crate) fn demand_tpm(scenario: &mut Scenario<'_>) {
    demand_hardware(
        scenario,
        vouch_chain::policy::HardwareRequirement::TpmAttested,
    );
}

/// The image rule: one builder whose key meets `requirement`.
pub(crate) fn demand_hardware(
    scenario: &mut Scenario<'_>,
    requirement: vouch_chain::policy::HardwareRequirement,
) {
    scenario.policy.image.signers = vouch_chain::Rule::signers(
        vec![role("builder")],
        std::num::NonZeroU32::new(1).unwrap(),
        vec![requirement],
    )
    .unwrap();
}
