//! A small signed deployment chain for tests of the deploy-time checks (the
//! gate): a roster with a builder and a deployer workload and a trigger and
//! an approver person, file keys, an image statement, a deployment
//! statement, both approvals, and a policy with only the deployment and
//! image stages (commits and releases are tested in vouch-chain's own
//! scenarios; see `vouch-chain/tests/common`).
//!
//! Times are relative to a given `now`, so a chain built at the real time
//! verifies at the real time (the gate verifies at its clock).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use vouch_chain::Bundle;
use vouch_core::{Algorithm, Digest, Timestamp};
use vouch_keys::FileKey;
use vouch_manifest::{
    Approval, ApprovalRole, DeployTarget, Deployment, Identity, IdentityId, IdentityProof, Image,
    Pipeline, PlatformImage, Revocation, RevocationReason, RoleGrant, RootKeys, Roster,
    RosterChain, RosterKey, Signed, SourceCommit, Statement,
};

/// The policy of the chain: deployer-signed deployments to production,
/// triggered by a developer, authorized by an approver, at most 7 days
/// old; builder-signed images at most 30 days old.
pub const POLICY: &str = r#"
[deployment]
signers = { roles = ["deployer"], threshold = 1 }
environments = ["production"]
authorizers = { roles = ["approver"], threshold = 1 }
trigger_roles = ["developer"]
max_age = "7d"

[image]
signers = { roles = ["builder"], threshold = 1 }
max_age = "30d"
"#;

const ALICE: &str = "person:alice@example.com";
const ERIN: &str = "person:erin@example.com";
const BUILD: &str = "workload:ci/build";
const DEPLOY: &str = "workload:ci/deploy";

/// Where the deployment goes and when it was made.
#[derive(Debug, Clone)]
pub struct ChainSpec {
    /// The image the deployment runs.
    pub image: Digest,
    /// `environment` of the deployment (the policy wants `production`).
    pub environment: String,
    /// `target.cluster`.
    pub cluster: String,
    /// `target.namespace`.
    pub namespace: String,
    /// `target.service` (the workload name).
    pub service: String,
    /// The time the chain is built for: keys are valid from a day before,
    /// the image is built two hours before, the deployment made one hour
    /// before, the roster expires 30 days after.
    pub now: Timestamp,
    /// Sign the deployment with a key the roster does not list.
    pub deployer_outside_roster: bool,
    /// Flip the last byte of the deployment envelope (its signature) after
    /// signing: a statement altered in transit.
    pub tamper_deployment: bool,
    /// The end of the deployer key's validity window (none: unbounded).
    pub deployer_key_until: Option<Timestamp>,
    /// Also make a second roster version that revokes the deployer key
    /// (as compromised) at this time: [`Chain::roster_revoked`].
    pub revoke_deployer_at: Option<Timestamp>,
    /// When not empty, the image is an image index: `image` is the index
    /// digest and the image statement lists these platform manifests.
    pub platforms: Vec<PlatformImage>,
}

impl ChainSpec {
    /// Production, cluster `eu-1`, namespace `shop`, service `api`, now.
    pub fn new(image: Digest) -> Self {
        Self {
            image,
            environment: "production".into(),
            cluster: "eu-1".into(),
            namespace: "shop".into(),
            service: "api".into(),
            now: Timestamp::now(),
            deployer_outside_roster: false,
            tamper_deployment: false,
            deployer_key_until: None,
            revoke_deployer_at: None,
            platforms: Vec::new(),
        }
    }
}

/// What [`build`] made.
pub struct Chain {
    /// The signed roster chain, as `vouch roster sign` writes it.
    pub roster: Vec<u8>,
    /// The digest of its first (only) version: the pin.
    pub roster_pin: Digest,
    /// The policy text ([`POLICY`]).
    pub policy: String,
    /// The bundle of the image, deployment and approval statements.
    pub bundle: Bundle,
    /// The deployment statement's digest.
    pub deployment: Digest,
    /// With [`ChainSpec::revoke_deployer_at`]: the roster chain with a
    /// second version (signed by the same root) that revokes the deployer
    /// key, to be loaded after [`Chain::roster`].
    pub roster_revoked: Option<Vec<u8>>,
}

fn id(s: &str) -> IdentityId {
    s.parse().unwrap()
}

fn key() -> FileKey {
    FileKey::generate(Algorithm::Ed25519).unwrap()
}

fn identity(who: &str, key: &FileKey, from: Timestamp) -> Identity {
    let proof = match who.split_once(':') {
        Some(("workload", subject)) => IdentityProof::Oidc {
            issuer: "https://ci.example.com".into(),
            subject: subject.into(),
        },
        _ => IdentityProof::Email {
            address: who.trim_start_matches("person:").into(),
        },
    };
    Identity {
        id: id(who),
        display_name: who.into(),
        openpgp_keys: Vec::new(),
        proofs: vec![proof],
        keys: vec![RosterKey::new(key.public_key().clone(), from)],
    }
}

fn sign<P: vouch_manifest::Predicate>(predicate: P, signer: &FileKey) -> Signed<P> {
    Signed::sign(&Statement::from_predicate(predicate).unwrap(), signer).unwrap()
}

/// Builds the chain of `spec` with fresh keys.
///
/// # Panics
///
/// When signing fails (a bug in the fixture, not an input).
pub fn build(spec: &ChainSpec) -> Chain {
    let (root, builder, deployer, alice, erin) = (key(), key(), key(), key(), key());
    let from = spec.now.plus_seconds(-86_400);
    let mut roles = BTreeMap::new();
    for (role, who) in [
        ("developer", ALICE),
        ("approver", ERIN),
        ("builder", BUILD),
        ("deployer", DEPLOY),
    ] {
        roles.insert(role.parse().unwrap(), vec![RoleGrant::new(id(who), from)]);
    }
    let mut deployer_identity = identity(DEPLOY, &deployer, from);
    deployer_identity.keys[0].valid_until = spec.deployer_key_until;
    let roster = Roster {
        name: "gate.example.com".into(),
        version: 1,
        expires: spec.now.plus_seconds(30 * 86_400),
        root: RootKeys {
            keys: vec![root.public_key().clone()],
            threshold: 1,
        },
        identities: vec![
            identity(ALICE, &alice, from),
            identity(ERIN, &erin, from),
            identity(BUILD, &builder, from),
            deployer_identity,
        ],
        roles,
        authenticators: Default::default(),
        tpm: Default::default(),
        witnesses: Default::default(),
        ci: Default::default(),
    };
    let revoked = spec.revoke_deployer_at.map(|at| {
        let mut next = roster.clone();
        next.version = 2;
        for identity in &mut next.identities {
            if identity.id == id(DEPLOY) {
                identity.keys[0].revoked = Some(Revocation {
                    at,
                    reason: RevocationReason::KeyCompromise,
                });
            }
        }
        sign(next, &root)
    });
    let roster = sign(roster, &root);
    let roster_pin = roster.digest();
    let image = Image {
        name: "registry.example.com/shop/api".into(),
        image: spec.image,
        // An index has no config or layers of its own (see `Image`).
        config: if spec.platforms.is_empty() {
            Digest::sha256(b"OCI config")
        } else {
            spec.image
        },
        layers: if spec.platforms.is_empty() {
            vec![Digest::sha256(b"app layer")]
        } else {
            Vec::new()
        },
        packages: Vec::new(),
        source_commits: vec![SourceCommit {
            repository: "https://git.example.com/shop.git".into(),
            commit: Digest::sha256(b"a commit").hex()[..40].parse().unwrap(),
        }],
        builder: id(BUILD),
        invocation_id: "build-1".into(),
        started_at: spec.now.plus_seconds(-3 * 3600),
        finished_at: spec.now.plus_seconds(-2 * 3600),
        platforms: spec.platforms.clone(),
    };
    let deployment = Deployment {
        environment: spec.environment.clone(),
        target: DeployTarget {
            cluster: spec.cluster.clone(),
            namespace: spec.namespace.clone(),
            service: spec.service.clone(),
        },
        image: spec.image,
        team: "shop".into(),
        deployer: id(DEPLOY),
        pipeline: Pipeline {
            run_id: "deploy-1".into(),
            url: "https://ci.example.com/shop/deploy/1".into(),
        },
        triggered_by: id(ALICE),
        authorized_by: vec![id(ERIN)],
        time: spec.now.plus_seconds(-3600),
        ci_token: None,
    };
    let outsider = key();
    let deployment = sign(
        deployment,
        if spec.deployer_outside_roster {
            &outsider
        } else {
            &deployer
        },
    );
    let mut bundle = Bundle::new();
    bundle.add_envelope(sign(image, &builder).to_bytes().unwrap());
    let mut envelope = deployment.to_bytes().unwrap();
    if spec.tamper_deployment
        && let Some(last) = envelope.last_mut()
    {
        *last ^= 0x01;
    }
    bundle.add_envelope(envelope);
    for (role, who, signer, after) in [
        (ApprovalRole::Trigger, ALICE, &alice, 60),
        (ApprovalRole::Authorize, ERIN, &erin, 300),
    ] {
        let approval = Approval {
            statement: deployment.digest(),
            role,
            identity: id(who),
            time: spec.now.plus_seconds(-3600 + after),
        };
        bundle.add_envelope(sign(approval, signer).to_bytes().unwrap());
    }
    let roster_revoked = revoked.map(|next| {
        RosterChain::new(vec![roster.clone(), next])
            .to_bytes()
            .unwrap()
    });
    Chain {
        roster_revoked,
        roster: RosterChain::new(vec![roster]).to_bytes().unwrap(),
        roster_pin,
        policy: POLICY.to_owned(),
        bundle,
        deployment: deployment.digest(),
    }
}
