//! A tiny but real supply chain, built with the vouch crates: a roster
//! (rotated once) of a developer, two maintainers, an approver, a builder and
//! a deployer, each with their own keys; two commit attestations (signed on a
//! software FIDO key with user presence), a release certified by both
//! maintainers, an image built by a TPM-attested builder, a production
//! deployment, and the trigger and authorization approvals; and a policy
//! they all satisfy.
//!
//! Shared by the `make_fixtures` example (which writes it out for the C and
//! Python tests) and vouch-ffi's own Rust tests.

use std::collections::BTreeMap;
use std::error::Error;
use std::sync::atomic::{AtomicU32, Ordering};

use vouch_chain::Bundle;
use vouch_core::{
    Algorithm, AuthenticatorFlags, Digest, Evidence, FidoAssertion, PublicKey, SignError,
    Signature, Signer, Timestamp,
};
use vouch_keys::FileKey;
use vouch_manifest::tree::{EntryKind, TreeEntry, TreeManifest, TreePath};
use vouch_manifest::{
    Approval, ApprovalRole, Commit, DeployTarget, Deployment, GitObjectId, GitPerson,
    HardwareClaim, Identity, IdentityId, IdentityProof, Image, ImagePackage, Pipeline, Predicate,
    Release, RoleGrant, RootKeys, Roster, RosterChain, RosterKey, Signed, SourceCommit, Statement,
};

pub(crate) type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// The policy the chain satisfies: `examples/policy-demo.toml`, its commits
/// proven by attestations alone (the C ABI tests exercise the handles, not
/// the rules).
pub(crate) fn policy() -> String {
    vouch_test_support::policy_with(&[("require_objects = true", "require_objects = false")])
}

/// Everything a verifier needs, and the targets to ask about.
pub(crate) struct Fixtures {
    /// The policy text.
    pub(crate) policy: String,
    /// The roster file: versions 1 and 2, oldest first.
    pub(crate) roster: Vec<u8>,
    /// The same roster file cut back to version 1 (a rollback, once
    /// version 2 has been seen).
    pub(crate) roster_v1: Vec<u8>,
    /// The statement digest of roster version 1 (the pin).
    pub(crate) roster_pin: Digest,
    /// The bundle file.
    pub(crate) bundle: Vec<u8>,
    /// The same bundle with one bit of the deployment statement's signature
    /// flipped: it still reads, and its chain fails (`bad-signature`).
    pub(crate) forged_bundle: Vec<u8>,
    /// `deployment:sha256:...` of the deployment statement in the bundle.
    pub(crate) deployment_target: String,
    /// `image:sha256:...` of the image the deployment runs.
    pub(crate) image_target: String,
    /// A deployment digest that is not in the bundle.
    pub(crate) missing_target: String,
    /// The time the chain was made at: every statement is older, and the
    /// chain passes from then until the deployment is 7 days old.
    pub(crate) made_at: Timestamp,
}

/// A software FIDO authenticator: signs the authenticator data (application,
/// user-present flag, counter) and the message hash with a file key, the
/// exact format a FIDO2 security key produces.
struct SoftFido {
    key: FileKey,
    public: PublicKey,
    counter: AtomicU32,
}

const FIDO_APPLICATION: &str = "ssh:";

impl SoftFido {
    fn generate() -> Result<Self> {
        let key = FileKey::generate(Algorithm::Ed25519)?;
        let public = key
            .public_key()
            .clone()
            .with_fido_application(FIDO_APPLICATION)?;
        Ok(SoftFido {
            key,
            public,
            counter: AtomicU32::new(1),
        })
    }
}

impl Signer for SoftFido {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn try_sign(&self, message: &[u8]) -> std::result::Result<Signature, SignError> {
        let counter = self.counter.fetch_add(1, Ordering::Relaxed);
        let assertion = FidoAssertion::new(
            FIDO_APPLICATION,
            AuthenticatorFlags(AuthenticatorFlags::USER_PRESENT),
            counter,
        );
        let raw = Signer::try_sign(&self.key, &assertion.signed_data(message))?;
        Ok(raw.with_evidence(Evidence::Fido(assertion)))
    }
}

fn id(s: &str) -> Result<IdentityId> {
    Ok(s.parse()?)
}

fn ago(now: Timestamp, seconds: i64) -> Timestamp {
    now.plus_seconds(-seconds)
}

fn person(name: &str, email: &str, at: Timestamp) -> GitPerson {
    GitPerson {
        name: name.into(),
        email: email.into(),
        time: at,
    }
}

/// Signs `predicate` with the first signer and co-signs with the rest.
fn sign<P: Predicate>(predicate: P, signers: &[&dyn Signer]) -> Result<Signed<P>> {
    let (first, rest) = signers.split_first().ok_or("no signer")?;
    let mut signed = Signed::sign(&Statement::from_predicate(predicate)?, *first)?;
    for s in rest {
        signed.cosign(*s)?;
    }
    Ok(signed)
}

/// The people and workloads of the roster, with their keys.
struct Cast {
    root1: FileKey,
    root2: FileKey,
    alice: SoftFido,
    bob: FileKey,
    carol: FileKey,
    erin: FileKey,
    build: FileKey,
    deploy: FileKey,
}

impl Cast {
    fn generate() -> Result<Self> {
        Ok(Cast {
            root1: FileKey::generate(Algorithm::Ed25519)?,
            root2: FileKey::generate(Algorithm::Ed25519)?,
            alice: SoftFido::generate()?,
            bob: FileKey::generate(Algorithm::Ed25519)?,
            carol: FileKey::generate(Algorithm::Es256)?,
            erin: FileKey::generate(Algorithm::Ed25519)?,
            build: FileKey::generate(Algorithm::Es256)?,
            deploy: FileKey::generate(Algorithm::Es256)?,
        })
    }

    fn roster(
        &self,
        version: u64,
        root: &FileKey,
        since: Timestamp,
        expires: Timestamp,
    ) -> Result<Roster> {
        let member = |who: &str,
                      name: &str,
                      key: &PublicKey,
                      hardware: Vec<HardwareClaim>|
         -> Result<Identity> {
            let mut k = RosterKey::new(key.clone(), since);
            k.hardware = hardware;
            let id = id(who)?;
            let proofs = match id.kind() {
                vouch_manifest::IdentityKind::Person => vec![IdentityProof::Email {
                    address: id.name().to_owned(),
                }],
                vouch_manifest::IdentityKind::Workload => vec![],
            };
            Ok(Identity {
                id,
                display_name: name.into(),
                openpgp_keys: Vec::new(),
                proofs,
                keys: vec![k],
            })
        };
        let identities = vec![
            member(
                "person:alice@example.com",
                "Alice (developer)",
                self.alice.public_key(),
                vec![HardwareClaim::FidoAuthenticator],
            )?,
            member(
                "person:bob@example.com",
                "Bob (maintainer)",
                self.bob.public_key(),
                vec![],
            )?,
            member(
                "person:carol@example.com",
                "Carol (maintainer)",
                self.carol.public_key(),
                vec![],
            )?,
            member(
                "person:erin@example.com",
                "Erin (approver)",
                self.erin.public_key(),
                vec![],
            )?,
            member(
                "workload:ci/build",
                "CI builder",
                self.build.public_key(),
                vec![HardwareClaim::TpmResident],
            )?,
            member(
                "workload:ci/deploy",
                "CI deployer",
                self.deploy.public_key(),
                vec![],
            )?,
        ];
        // Every role held since the keys were enrolled.
        let grants = |ids: &[&str]| -> Result<Vec<RoleGrant>> {
            ids.iter()
                .map(|i| Ok(RoleGrant::new(id(i)?, since)))
                .collect()
        };
        let mut roles = BTreeMap::new();
        roles.insert("developer".parse()?, grants(&["person:alice@example.com"])?);
        roles.insert(
            "maintainer".parse()?,
            grants(&["person:bob@example.com", "person:carol@example.com"])?,
        );
        roles.insert("approver".parse()?, grants(&["person:erin@example.com"])?);
        roles.insert("builder".parse()?, grants(&["workload:ci/build"])?);
        roles.insert("deployer".parse()?, grants(&["workload:ci/deploy"])?);
        Ok(Roster {
            name: "example.com".into(),
            version,
            expires,
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
        })
    }
}

/// Builds the whole chain as of `now`.
pub(crate) fn build(now: Timestamp) -> Result<Fixtures> {
    let cast = Cast::generate()?;
    let keys_since = ago(now, 30 * 86_400);

    // The roster: version 1 under root key 1, then rotated to root key 2
    // (signed by both: the previous version's root and its own).
    // Each version expires a year after `now`.
    let expires = now.plus_seconds(365 * 86_400);
    let v1 = sign(
        cast.roster(1, &cast.root1, keys_since, expires)?,
        &[&cast.root1],
    )?;
    let v2 = sign(
        cast.roster(2, &cast.root2, keys_since, expires)?,
        &[&cast.root1, &cast.root2],
    )?;
    let roster_pin = v1.digest();
    let roster_v1 = RosterChain::new(vec![v1.clone()]).to_bytes()?;
    let roster = RosterChain::new(vec![v1, v2]).to_bytes()?;

    // Commits by Alice, each signed on her FIDO key with a touch.
    let repo = "https://git.example.com/shop/api.git";
    let commit_id =
        |n: u8| -> Result<GitObjectId> { Ok(Digest::sha256(&[n]).hex()[..40].parse()?) };
    let (c1, c2) = (commit_id(1)?, commit_id(2)?);
    let alice = id("person:alice@example.com")?;
    let mut commits = Vec::new();
    for (i, (c, parents)) in [(&c1, vec![]), (&c2, vec![c1.clone()])]
        .into_iter()
        .enumerate()
    {
        let at = ago(now, 3 * 86_400 - 3600 * i as i64);
        let who = person("Alice", "alice@example.com", at);
        commits.push(sign(
            Commit {
                repository: repo.into(),
                commit_id: c.clone(),
                tree_id: commit_id(10 + i as u8)?,
                parents,
                author: who.clone(),
                committer: who,
                signer: alice.clone(),
            },
            &[&cast.alice],
        )?);
    }

    // The release, certified by both maintainers.
    let main_rs = b"fn main() { println!(\"shop api\"); }\n";
    let contents = TreeManifest::from_entries(vec![TreeEntry {
        path: TreePath::new("src/main.rs")?,
        kind: EntryKind::File {
            size: main_rs.len() as u64,
            digest: Digest::sha256(main_rs),
            executable: false,
        },
    }])?;
    let release = sign(
        Release {
            package: "shop-api".into(),
            version: "1.4.0".into(),
            purl: Some("pkg:cargo/shop-api@1.4.0".into()),
            contents,
            dependencies: vec![],
            commits: vec![c1.clone().into(), c2.clone().into()],
            released_at: ago(now, 2 * 86_400),
            previous: None,
            archive: None,
            tag: None,
        },
        &[&cast.bob, &cast.carol],
    )?;

    // The image, built by the TPM-attested builder.
    let image_digest = Digest::sha256(b"oci image manifest of shop/api 1.4.0");
    let image = sign(
        Image {
            name: "registry.example.com/shop/api".into(),
            image: image_digest,
            config: Digest::sha256(b"oci config"),
            layers: vec![Digest::sha256(b"layer 1"), Digest::sha256(b"layer 2")],
            packages: vec![ImagePackage {
                name: "shop-api".into(),
                version: "1.4.0".into(),
                release: release.digest(),
            }],
            source_commits: vec![SourceCommit {
                repository: repo.into(),
                commit: c2.clone(),
            }],
            builder: id("workload:ci/build")?,
            invocation_id: "build-4711".into(),
            started_at: ago(now, 86_400 + 600),
            finished_at: ago(now, 86_400),
            platforms: Vec::new(),
        },
        &[&cast.build],
    )?;

    // The deployment to production, triggered by Alice and authorized by Erin.
    let erin = id("person:erin@example.com")?;
    let deployment = sign(
        Deployment {
            environment: "production".into(),
            target: DeployTarget {
                cluster: "eu-1".into(),
                namespace: "shop".into(),
                service: "api".into(),
            },
            image: image_digest,
            team: "shop".into(),
            deployer: id("workload:ci/deploy")?,
            pipeline: Pipeline {
                run_id: "deploy-815".into(),
                url: "https://ci.example.com/runs/deploy-815".into(),
            },
            triggered_by: alice.clone(),
            authorized_by: vec![erin.clone()],
            time: ago(now, 3600),
            ci_token: None,
        },
        &[&cast.deploy],
    )?;
    let approval = |role, identity: &IdentityId, seconds| Approval {
        statement: deployment.digest(),
        role,
        identity: identity.clone(),
        time: ago(now, seconds),
    };
    let triggered = sign(
        approval(ApprovalRole::Trigger, &alice, 3700),
        &[&cast.alice],
    )?;
    let authorized = sign(
        approval(ApprovalRole::Authorize, &erin, 3650),
        &[&cast.erin],
    )?;

    // `forge` changes the deployment envelope's bytes before they go in.
    let bundle_with = |forge: &dyn Fn(&mut Vec<u8>)| -> Result<Vec<u8>> {
        let mut bundle = Bundle::new();
        for c in &commits {
            bundle.add_envelope(c.to_bytes()?);
        }
        bundle.add_envelope(release.to_bytes()?);
        bundle.add_envelope(image.to_bytes()?);
        let mut deployed = deployment.to_bytes()?;
        forge(&mut deployed);
        bundle.add_envelope(deployed);
        bundle.add_envelope(triggered.to_bytes()?);
        bundle.add_envelope(authorized.to_bytes()?);
        Ok(bundle.to_bytes()?)
    };
    // A COSE_Sign1 ends with its signature: the last byte is the signature's,
    // so the statement (and the target digest) stays the same.
    let flip_last = |bytes: &mut Vec<u8>| {
        if let Some(last) = bytes.last_mut() {
            *last ^= 1;
        }
    };

    Ok(Fixtures {
        policy: policy(),
        roster,
        roster_v1,
        roster_pin,
        bundle: bundle_with(&|_| {})?,
        forged_bundle: bundle_with(&flip_last)?,
        deployment_target: format!("deployment:{}", deployment.digest()),
        image_target: format!("image:{image_digest}"),
        missing_target: format!(
            "deployment:{}",
            Digest::sha256(b"a deployment not in the bundle")
        ),
        made_at: now,
    })
}
