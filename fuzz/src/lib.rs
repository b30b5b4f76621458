//! Shared pieces of vouch's fuzz targets: fixed keys (from fixed seeds, so a
//! crash input reproduces in any later run), a small valid supply chain
//! (roster, policy, bundle) built once per process, and the seed hook.
//!
//! Not part of the vouch workspace: cargo-fuzz builds it with the sanitizer
//! flags (see `scripts/fuzz-smoke` and `scripts/fuzz`).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use vouch_chain::{Bundle, Policy, Target, Verifier};
use vouch_core::{Algorithm, Digest, PublicKey, SignError, Signature, Signer, Timestamp};
use vouch_manifest::tree::{EntryKind, TreeEntry, TreeManifest, TreePath};
use vouch_manifest::{
    Approval, ApprovalRole, Commit, DeployTarget, Deployment, GitObjectId, GitPerson,
    HardwareClaim, Identity, IdentityId, Image, ImagePackage, Pipeline, Predicate, Release,
    RoleGrant, RoleName, RootKeys, Roster, RosterChain, RosterKey, Signed, SourceCommit, Statement,
    TrustedRoster,
};

pub mod build;
pub mod package;

/// A signing key made from a fixed label (its SHA-256 is the seed).
pub enum Key {
    /// Ed25519.
    Ed25519(ed25519_dalek::SigningKey, PublicKey),
    /// ECDSA P-256 (low-s signatures).
    Es256(p256::ecdsa::SigningKey, PublicKey),
}

impl Key {
    /// The key of `algorithm` whose seed is SHA-256 of `label`.
    pub fn of(label: &str, algorithm: Algorithm) -> Key {
        let seed = Digest::sha256(label.as_bytes());
        let seed: [u8; 32] = seed.as_bytes().try_into().expect("a SHA-256 is 32 bytes");
        match algorithm {
            Algorithm::Es256 => {
                let key = p256::ecdsa::SigningKey::from_slice(&seed).expect("a valid scalar");
                let public = PublicKey::p256_sec1(&key.verifying_key().to_sec1_bytes())
                    .expect("a valid point");
                Key::Es256(key, public)
            }
            _ => {
                let key = ed25519_dalek::SigningKey::from_bytes(&seed);
                let public =
                    PublicKey::ed25519(&key.verifying_key().to_bytes()).expect("a valid point");
                Key::Ed25519(key, public)
            }
        }
    }
}

impl Signer for Key {
    fn public_key(&self) -> &PublicKey {
        match self {
            Key::Ed25519(_, p) | Key::Es256(_, p) => p,
        }
    }

    fn try_sign(&self, message: &[u8]) -> Result<Signature, SignError> {
        Ok(match self {
            Key::Ed25519(key, _) => {
                use ed25519_dalek::Signer as _;
                Signature::new(Algorithm::Ed25519, &key.sign(message).to_bytes()).expect("64 bytes")
            }
            Key::Es256(key, _) => {
                let sig: p256::ecdsa::Signature =
                    p256::ecdsa::signature::Signer::sign(key, message);
                let sig = sig.normalize_s();
                Signature::new(Algorithm::Es256, &sig.to_bytes()).expect("64 bytes")
            }
        })
    }
}

/// Fixed keys for targets that verify: two Ed25519, one P-256.
pub fn keys() -> &'static [Key; 3] {
    static KEYS: OnceLock<[Key; 3]> = OnceLock::new();
    KEYS.get_or_init(|| {
        [
            Key::of("fuzz key 0", Algorithm::Ed25519),
            Key::of("fuzz key 1", Algorithm::Ed25519),
            Key::of("fuzz key 2", Algorithm::Es256),
        ]
    })
}

/// A fixed time (2026-11-25T12:00:00Z), when the fixture chain passes.
pub fn now() -> Timestamp {
    t("2026-11-25T12:00:00Z")
}

/// A timestamp from RFC 3339 text known to be valid.
pub fn t(s: &str) -> Timestamp {
    s.parse().expect("a valid timestamp")
}

fn id(s: &str) -> IdentityId {
    s.parse().expect("a valid identity id")
}

fn role(s: &str) -> RoleName {
    s.parse().expect("a valid role name")
}

/// The commit id of commit number `i` of the fixture (hex of SHA-256, cut to SHA-1 length).
pub fn commit_id(i: usize) -> GitObjectId {
    Digest::sha256(format!("commit {i}").as_bytes()).hex()[..40]
        .parse()
        .expect("40 hex digits")
}

/// Signs `predicate` with every key of `signers` (at least one).
pub fn sign<P: Predicate>(predicate: P, signers: &[&Key]) -> Option<Signed<P>> {
    let (first, rest) = signers.split_first()?;
    let mut s = Signed::sign(&Statement::from_predicate(predicate).ok()?, *first).ok()?;
    for k in rest {
        s.cosign(*k).ok()?;
    }
    Some(s)
}

/// A member of the fixture roster: one identity, one key.
pub struct Member {
    /// The identity.
    pub id: IdentityId,
    /// Its key.
    pub key: Key,
    /// Its role.
    pub role: &'static str,
}

/// A small supply chain that passes: two developers' commits, a release
/// certified by two maintainers, an image by the builder, a deployment by
/// the deployer, a trigger and an authorization approval. Modelled on the
/// benches' chain fixture, with fixed keys.
pub struct Fixture {
    /// developer-0, developer-1, maintainer-0, maintainer-1, approver,
    /// builder, deployer (in that order).
    pub members: Vec<Member>,
    /// The roster's root key.
    pub root: Key,
    /// The signed roster.
    pub roster: Signed<Roster>,
    /// The roster file (one version).
    pub roster_file: Vec<u8>,
    /// The trusted roster.
    pub trusted: TrustedRoster,
    /// The policy text (TOML).
    pub policy: String,
    /// A verifier of the policy and roster (signatures on the calling thread).
    pub verifier: Verifier,
    /// The bundle file of the passing chain.
    pub bundle: Vec<u8>,
    /// Each envelope of the bundle.
    pub envelopes: Vec<Vec<u8>>,
    /// The deployment the chain ends in.
    pub target: Target,
    /// The deployment's digest.
    pub deployment: Digest,
    /// The image's digest.
    pub image: Digest,
}

/// The members' indices in [`Fixture::members`].
pub mod who {
    /// First developer.
    pub const DEV0: usize = 0;
    /// Second developer.
    pub const DEV1: usize = 1;
    /// First maintainer.
    pub const MAINT0: usize = 2;
    /// Second maintainer.
    pub const MAINT1: usize = 3;
    /// The approver.
    pub const APPROVER: usize = 4;
    /// The builder (a workload).
    pub const BUILDER: usize = 5;
    /// The deployer (a workload).
    pub const DEPLOYER: usize = 6;
}

/// The demo policy with commits not needing user presence or git objects
/// (the fixture's keys are plain software keys).
pub fn policy_text() -> String {
    vouch_test_support::policy_with(&[
        (
            r#"signers = { roles = ["developer", "maintainer"], threshold = 1, hardware = ["user-presence"] }"#,
            r#"signers = { roles = ["developer", "maintainer"], threshold = 1 }"#,
        ),
        ("require_objects = true", "require_objects = false"),
    ])
}

/// The fixture, built on first use.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(make_fixture)
}

fn make_fixture() -> Fixture {
    let member = |who: &str, role: &'static str| Member {
        id: id(who),
        key: Key::of(who, Algorithm::Ed25519),
        role,
    };
    let members = vec![
        member("person:dev-0@example.com", "developer"),
        Member {
            // One P-256 developer, so both algorithms are in the chain.
            id: id("person:dev-1@example.com"),
            key: Key::of("person:dev-1@example.com", Algorithm::Es256),
            role: "developer",
        },
        member("person:maintainer-0@example.com", "maintainer"),
        member("person:maintainer-1@example.com", "maintainer"),
        member("person:approver@example.com", "approver"),
        member("workload:ci/build", "builder"),
        member("workload:ci/deploy", "deployer"),
    ];
    let root = Key::of("roster root", Algorithm::Ed25519);
    let from = t("2026-01-01T00:00:00Z");
    let mut identities = Vec::new();
    let mut roles: BTreeMap<RoleName, Vec<RoleGrant>> = BTreeMap::new();
    for m in &members {
        let mut key = RosterKey::new(m.key.public_key().clone(), from);
        if m.role == "builder" {
            key.hardware = vec![HardwareClaim::TpmResident];
        }
        identities.push(Identity {
            id: m.id.clone(),
            display_name: m.id.name().to_owned(),
            openpgp_keys: Vec::new(),
            proofs: Vec::new(),
            keys: vec![key],
        });
        roles
            .entry(role(m.role))
            .or_default()
            .push(RoleGrant::new(m.id.clone(), from));
    }
    let roster = Roster {
        name: "fuzz.example.com".into(),
        version: 1,
        // Far ahead: the C ABI checks expiry by the system clock.
        expires: t("2099-01-01T00:00:00Z"),
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
    let roster = sign(roster, &[&root]).expect("the roster signs");
    let roster_file = RosterChain::new(vec![roster.clone()])
        .to_bytes()
        .expect("the roster file encodes");
    let trusted = TrustedRoster::from_pinned(&roster, &roster.digest()).expect("pinned");

    let m = |i: usize| &members[i];
    let mut bundle = Bundle::new();
    let mut envelopes = Vec::new();
    let mut add = |bytes: Vec<u8>| {
        envelopes.push(bytes.clone());
        bundle.add_envelope(bytes);
    };
    let ids: Vec<GitObjectId> = (0..2).map(commit_id).collect();
    for (n, cid) in ids.iter().enumerate() {
        let dev = m(n);
        let person = GitPerson {
            name: dev.id.name().to_owned(),
            email: dev.id.name().to_owned(),
            time: t("2026-11-01T09:00:00Z").plus_seconds(n as i64),
        };
        let commit = Commit {
            repository: "https://git.example.com/app.git".into(),
            commit_id: cid.clone(),
            tree_id: commit_id(n + 1000),
            parents: n
                .checked_sub(1)
                .map(|p| ids[p].clone())
                .into_iter()
                .collect(),
            author: person.clone(),
            committer: person,
            signer: dev.id.clone(),
        };
        add(sign(commit, &[&dev.key])
            .and_then(|s| s.to_bytes().ok())
            .expect("commit"));
    }
    let contents = TreeManifest::from_entries(vec![TreeEntry {
        path: TreePath::new("src/lib.rs").expect("a valid path"),
        kind: EntryKind::File {
            size: 14,
            digest: Digest::sha256(b"pub fn f() {}\n"),
            executable: false,
        },
    }])
    .expect("a valid manifest");
    let release = Release {
        package: "app".into(),
        version: "1.0.0".into(),
        purl: None,
        contents,
        dependencies: Vec::new(),
        commits: ids.iter().cloned().map(Into::into).collect(),
        released_at: t("2026-11-10T12:00:00Z"),
        previous: None,
        archive: None,
        tag: None,
    };
    let release = sign(release, &[&m(who::MAINT0).key, &m(who::MAINT1).key]).expect("release");
    add(release.to_bytes().expect("release"));
    let image_digest = Digest::sha256(b"OCI manifest of the app image");
    let image = Image {
        name: "registry.example.com/app".into(),
        image: image_digest,
        config: Digest::sha256(b"config"),
        layers: vec![Digest::sha256(b"layer")],
        packages: vec![ImagePackage {
            name: "app".into(),
            version: "1.0.0".into(),
            release: release.digest(),
        }],
        source_commits: vec![SourceCommit {
            repository: "https://git.example.com/app.git".into(),
            commit: ids[1].clone(),
        }],
        builder: m(who::BUILDER).id.clone(),
        invocation_id: "build-1".into(),
        started_at: t("2026-11-20T08:00:00Z"),
        finished_at: t("2026-11-20T08:30:00Z"),
        platforms: Vec::new(),
    };
    add(sign(image, &[&m(who::BUILDER).key])
        .and_then(|s| s.to_bytes().ok())
        .expect("image"));
    let deployment = Deployment {
        environment: "production".into(),
        target: DeployTarget {
            cluster: "eu-1".into(),
            namespace: "app".into(),
            service: "app".into(),
        },
        image: image_digest,
        team: "platform".into(),
        deployer: m(who::DEPLOYER).id.clone(),
        pipeline: Pipeline {
            run_id: "deploy-1".into(),
            url: "https://ci.example.com/deploy/1".into(),
        },
        triggered_by: m(who::DEV0).id.clone(),
        authorized_by: vec![m(who::APPROVER).id.clone()],
        time: t("2026-11-24T10:00:00Z"),
        ci_token: None,
    };
    let deployment = sign(deployment, &[&m(who::DEPLOYER).key]).expect("deployment");
    add(deployment.to_bytes().expect("deployment"));
    for (i, role) in [
        (who::DEV0, ApprovalRole::Trigger),
        (who::APPROVER, ApprovalRole::Authorize),
    ] {
        let approval = Approval {
            statement: deployment.digest(),
            role,
            identity: m(i).id.clone(),
            time: t("2026-11-24T10:05:00Z"),
        };
        add(sign(approval, &[&m(i).key])
            .and_then(|s| s.to_bytes().ok())
            .expect("approval"));
    }
    let policy = policy_text();
    let verifier = Verifier::new(
        Policy::from_toml(&policy).expect("the demo policy parses"),
        trusted.clone(),
    )
    .with_threads(vouch_chain::Threads::One);
    let bundle = bundle.to_bytes().expect("the bundle encodes");
    Fixture {
        members,
        root,
        roster,
        roster_file,
        trusted,
        policy,
        verifier,
        bundle,
        envelopes,
        target: Target::Deployment(deployment.digest()),
        deployment: deployment.digest(),
        image: image_digest,
    }
}

/// The seed hook: when `VOUCH_FUZZ_WRITE_SEEDS` names a folder, writes the
/// inputs `make` returns there (as `gen-<n>`) and exits. `scripts/fuzz-seeds`
/// runs every target once this way, so a target can seed its own corpus
/// with valid inputs it builds (signed with the fixed keys).
pub fn write_seeds(make: impl FnOnce() -> Vec<Vec<u8>>) {
    let Some(dir) = std::env::var_os("VOUCH_FUZZ_WRITE_SEEDS") else {
        return;
    };
    let dir = Path::new(&dir);
    let result = std::fs::create_dir_all(dir).and_then(|()| {
        for (n, seed) in make().iter().enumerate() {
            std::fs::write(dir.join(format!("gen-{n}")), seed)?;
        }
        Ok(())
    });
    match result {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("writing seeds into {}: {e}", dir.display());
            std::process::exit(1)
        }
    }
}

/// What separates the parts of a multi-part input (a key and a message,
/// a chain of certificates): inputs without it are one part, so a single
/// vector file is a useful seed as it is.
pub const SEP: &[u8] = b"\n--vouch-fuzz--\n";

/// The parts of `data`, split at [`SEP`].
pub fn parts(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(at) = rest.windows(SEP.len()).position(|w| w == SEP) {
        out.push(&rest[..at]);
        rest = &rest[at + SEP.len()..];
    }
    out.push(rest);
    out
}

impl Fixture {
    /// The C ABI's target text for the fixture's deployment.
    pub fn target_text(&self) -> String {
        format!("deployment:{}", self.deployment)
    }
}

/// Valid inputs for `target` made from the fixture (signed with the fixed
/// keys), for [`write_seeds`]; empty for a target it has none for.
pub fn fixture_seeds(target: &str) -> Vec<Vec<u8>> {
    let f = fixture();
    let payloads = || {
        f.envelopes
            .iter()
            .filter_map(|e| vouch_core::cose::Sign::from_bytes(e).ok())
            .map(|s| s.unverified_payload().to_vec())
            .collect::<Vec<_>>()
    };
    let keys = keys();
    let checkpoint = || {
        let c =
            vouch_core::tlog::Checkpoint::new("example.com/log", 2, [7; 32]).expect("a checkpoint");
        let mut note = c.sign(&keys[0]).expect("signs");
        vouch_core::tlog::cosignature::cosign(
            &mut note,
            "example.com/witness",
            &keys[1],
            1_800_000_000,
        )
        .expect("cosigns");
        note.to_bytes()
    };
    match target {
        "chain_verify" | "ffi_verify" | "chain_bundle" => vec![f.bundle.clone()],
        "cose_sign" | "signed_statement" | "tlog_receipt" => f.envelopes.clone(),
        "statement_cbor" | "cbor_validate" => {
            let mut v = payloads();
            v.push(f.bundle.clone());
            v
        }
        "statement_json" => f
            .envelopes
            .iter()
            .filter_map(|e| vouch_manifest::Signed::<Commit>::from_bytes(e).ok())
            .filter_map(|s| s.unverified().to_json().ok())
            .collect(),
        "roster_chain" => vec![f.roster_file.clone(), f.roster.to_bytes().expect("encodes")],
        "roster_draft" => {
            let r = f.roster.unverified().predicate();
            vec![
                serde_json::to_vec(r).expect("JSON"),
                toml::to_string_pretty(r).expect("TOML").into_bytes(),
            ]
        }
        "chain_policy" | "ffi_verifier_new" => vec![f.policy.clone().into_bytes()],
        "tlog_note" | "tlog_checkpoint" => {
            let note = checkpoint();
            let text = vouch_core::tlog::Note::from_bytes(&note)
                .expect("reads back")
                .unverified_text()
                .as_bytes()
                .to_vec();
            vec![note, text]
        }
        "chain_inclusion" => {
            let inc = vouch_chain::Inclusion {
                checkpoint: checkpoint(),
                index: 1,
                proof: vec![[9; 32]],
            };
            vec![inc.to_bytes().expect("encodes")]
        }
        "ffi_envelope" | "cose_sign1" => {
            let s = vouch_core::cose::Sign1::sign(&keys[0], "application/example", b"hello")
                .expect("signs");
            let mut e = s.to_bytes().expect("encodes");
            let mut with_key = e.clone();
            with_key.extend_from_slice(SEP);
            with_key.extend_from_slice(keys[0].public_key().to_openssh().as_bytes());
            vec![std::mem::take(&mut e), with_key]
        }
        "tree_manifest" => f
            .envelopes
            .iter()
            .filter_map(|e| vouch_manifest::Signed::<Release>::from_bytes(e).ok())
            .filter_map(|s| {
                s.unverified()
                    .predicate()
                    .contents
                    .to_canonical_bytes()
                    .ok()
            })
            .collect(),
        "roster_state" => {
            let mut state = vouch_manifest::RosterState::default();
            state.record(&f.trusted);
            vec![state.to_json()]
        }
        "git_commit" => vec![
            b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
author A U Thor <a@example.com> 1700000000 +0000\n\
committer A U Thor <a@example.com> 1700000000 +0000\n\
gpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lHAAAAAQ==\n -----END SSH SIGNATURE-----\n\
\n\
message\n"
                .to_vec(),
        ],
        "deps_cargo" => vec![include_bytes!("../../Cargo.lock").to_vec()],
        "deps_npm" => vec![
            vouch_test_support::deps::NPM_LOCK_V3.as_bytes().to_vec(),
            br#"{"lockfileVersion": 3, "packages": {"": {"name": "a"}, "node_modules/@s/b": {"version": "1.0.0", "integrity": "sha512-AAAA sha1-AAAA"}, "node_modules/l": {"resolved": "x", "link": true}}}"#.to_vec(),
        ],
        "deps_pip" => vec![
            vouch_test_support::deps::PIP_HASHED.as_bytes().to_vec(),
            b"-r other.txt\n-e git+https://e.com/x.git#egg=x\na[b]==1 ; python_version > '3' \\\n --hash=sha384:00\n".to_vec(),
        ],
        "git_tag" => vec![
            b"object 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
type commit\n\
tag v1.0\n\
tagger A U Thor <a@example.com> 1700000000 +0000\n\
\n\
message\n\
-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQ==\n-----END SSH SIGNATURE-----\n"
                .to_vec(),
        ],
        "openpgp" => vec![
            b"-----BEGIN PGP SIGNATURE-----\n\niHUEABYKAB0WIQQ=\n=AAAA\n-----END PGP SIGNATURE-----\n"
                .to_vec(),
        ],
        _ => Vec::new(),
    }
}

/// Calls `$check::<P>(args)` for every statement predicate type `P`, in
/// one place for the targets that try their input as each kind of
/// statement (a new predicate type is added here once).
#[macro_export]
macro_rules! for_each_predicate {
    ($check:ident($($arg:expr),*)) => {{
        $check::<::vouch_manifest::Commit>($($arg),*);
        $check::<::vouch_manifest::Release>($($arg),*);
        $check::<::vouch_manifest::Image>($($arg),*);
        $check::<::vouch_manifest::Deployment>($($arg),*);
        $check::<::vouch_manifest::Approval>($($arg),*);
        $check::<::vouch_manifest::Roster>($($arg),*);
        $check::<::vouch_chain::VerificationSummary>($($arg),*);
    }};
}
