//! vouch from code to cloud, told step by step.
//!
//! Run with `cargo run --release --example code_to_cloud`.
//!
//! In a private temporary directory: a signed roster names the people and
//! workloads of a small shop; developers commit to a real git repository,
//! each commit signed through git's `gpg.ssh.program` by a software FIDO
//! authenticator; the commits are verified against the roster and attested;
//! two maintainers certify a release (a signed SBOM), the CI build signs an
//! image and the CI deploy job signs a production deployment that one person
//! triggered and another authorized. The bundle of statements is verified
//! against `examples/policy-demo.toml`, the demo profile, which the
//! software authenticator meets, and the verdict tree printed; the
//! production profile `examples/policy.toml` refuses the same chain, since
//! no attested authenticator made those keys. Five
//! tampering attempts follow (among them a commit authored by one person
//! and signed by another, and a roster rolled back to a version before a
//! revocation), each refused with its reason; finally the
//! verdict is signed as an SLSA verification summary.
//!
//! git can only sign through an external program, so this example is also
//! that program: run as `code_to_cloud -Y sign -n git -f KEYREF FILE` (as
//! git runs `gpg.ssh.program`), it signs FILE with the key reference and
//! writes `FILE.sig`, as `ssh-keygen -Y sign` does.
//!
//! The process exits with an error if the genuine chain is refused or any
//! tampered one passes, so it doubles as an end-to-end check.

use std::collections::BTreeMap;
use std::error::Error;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use vouch_chain::{Bundle, Policy, Reason, Target, Verdict, Verifier};
use vouch_core::sshsig::{self, HashAlgorithm};
use vouch_core::{Algorithm, Digest, PublicKey, Signer, Timestamp};
use vouch_git::commit::{GitError, verify_commit};
use vouch_keys::{FileKey, KeyRef};
use vouch_manifest::tree::{TreeManifest, TreeOptions};
use vouch_manifest::{
    Approval, ApprovalRole, DeployTarget, Deployment, GitObjectId, HardwareClaim, Identity,
    IdentityId, IdentityProof, Image, ImagePackage, Pipeline, Predicate, Release, RevocationReason,
    RoleGrant, RoleName, RootKeys, Roster, RosterChain, RosterKey, RosterState, Signed,
    SourceCommit, Statement, TrustedRoster,
};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const REPOSITORY: &str = "https://git.example.com/shop/api.git";
const IMAGE_NAME: &str = "registry.example.com/shop/api";
const PACKAGE: &str = "shop-api";
const MINUTE: i64 = 60;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

fn main() -> Result<()> {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let result = if args.first().is_some_and(|a| a == "-Y") {
        sign_for_git(&args)
    } else {
        story()
    };
    // Errors are reported with their causes, for people rather than as `Debug`.
    result.map_err(|e| Box::new(Report(e)) as Box<dyn Error>)
}

/// The whole story, step by step; the scratch directory goes when it ends.
fn story() -> Result<()> {
    let started = Instant::now();
    println!("vouch: code to cloud\n");
    let ws = Workspace::create()?;
    let t = Timeline::ending(Timestamp::now());

    let (cast, roster) = step_roster(&ws, &t)?;
    let repo = step_git_commits(&ws, &cast, &t)?;
    let mut bundle = Bundle::new();
    let commits = step_verify_commits(&repo, &cast, &roster, &mut bundle)?;
    let release = step_release(&repo, &cast, &t, &commits, &mut bundle)?;
    let image = step_image(&ws, &repo, &cast, &t, &release, &commits, &mut bundle)?;
    let deployment = step_deploy(&cast, &t, &image, &mut bundle)?;
    let bundle = step_log(&ws, &cast, &bundle)?;
    let (verifier, verdict, bundle) = step_verify(&ws, roster.clone(), bundle, &deployment)?;
    let genuine = Genuine {
        verifier: &verifier,
        bundle: &bundle,
        commits: &commits,
        image: &image,
    };
    step_attacks(&ws, &repo, &cast, &t, &genuine)?;
    step_rollback(&ws, &cast, &t)?;
    step_backdated(&ws, &cast, &t, &roster, &genuine, &deployment)?;
    step_summary(&verdict)?;
    step_gate(&ws, &verifier, &bundle, &image)?;

    println!(
        "\nDone in {:.1} s: the genuine chain passed, every tampered one was refused.",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// The people, the timeline, the scratch directory
// ---------------------------------------------------------------------------

/// The origin of the story's transparency log.
const LOG_ORIGIN: &str = "log.example.com/vouch-demo";

/// A roster identity and the key it signs with in this story.
struct Member {
    id: IdentityId,
    /// The display name (and git author name).
    name: &'static str,
    /// The email address (git author email), for people.
    email: String,
    role: &'static str,
    key: Box<dyn Signer + Send + Sync>,
    /// What the roster claims about where the key lives.
    hardware: Vec<HardwareClaim>,
    /// For a TPM key: its TPM2_Certify and the AK that made it.
    tpm: Option<TpmEnrolment>,
}

/// A TPM key's enrollment: its TPM2_Certify, the public area of the AK that
/// made it (which the roster enrolls for the key's identity), and, when the
/// TPM has a certified EK whose root the story knows, the AK's EK-certified
/// enrollment (the credential challenge answered by that TPM).
struct TpmEnrolment {
    certify: Vec<u8>,
    ak_public: Vec<u8>,
    endorsed: Option<(
        vouch_manifest::AttestationRoot,
        vouch_manifest::AkEndorsement,
    )>,
}

type BoxedSigner = Box<dyn Signer + Send + Sync>;

impl Member {
    fn person(
        login: &str,
        name: &'static str,
        role: &'static str,
        key: BoxedSigner,
    ) -> Result<Self> {
        let email = format!("{login}@example.com");
        Ok(Member {
            id: format!("person:{email}").parse()?,
            name,
            email,
            role,
            key,
            hardware: Vec::new(),
            tpm: None,
        })
    }

    fn workload(
        job: &str,
        name: &'static str,
        role: &'static str,
        key: BoxedSigner,
    ) -> Result<Self> {
        Ok(Member {
            id: format!("workload:{job}").parse()?,
            name,
            email: String::new(),
            role,
            key,
            hardware: Vec::new(),
            tpm: None,
        })
    }

    fn signer(&self) -> &dyn Signer {
        &*self.key
    }

    /// How the key is really held on this machine.
    fn held(&self) -> &'static str {
        if self.key.public_key().fido_application().is_some() {
            "software FIDO authenticator (touch simulated)"
        } else if self.tpm.is_some() {
            "TPM key (non-exportable, certified)"
        } else {
            "file key"
        }
    }
}

/// Everyone in the story. The root keys sign the roster and nothing else.
struct Cast {
    roots: Vec<FileKey>,
    /// The key of the transparency log the story runs (the roster trusts it).
    log_key: FileKey,
    alice: Member,
    bob: Member,
    carol: Member,
    dave: Member,
    erin: Member,
    build: Member,
    deploy: Member,
    /// The key references git is given for Alice's and Bob's commits.
    alice_ref: KeyRef,
    bob_ref: KeyRef,
    /// Where the builder's key lives, in words.
    builder_key: String,
    /// The TPM simulator this story started, stopped when the story ends.
    #[cfg(feature = "tpm")]
    _simulator: Option<(
        vouch_test_support::tpm::Swtpm,
        vouch_test_support::tpm::SwtpmCa,
    )>,
}

impl Cast {
    fn members(&self) -> [&Member; 7] {
        [
            &self.alice,
            &self.bob,
            &self.carol,
            &self.dave,
            &self.erin,
            &self.build,
            &self.deploy,
        ]
    }
}

/// When things happen: days and hours before the run, so that every key
/// window covers them and every statement is fresh for the policy.
struct Timeline {
    keys_from: Timestamp,
    roster_expires: Timestamp,
    alice_commits: Timestamp,
    bob_commits: Timestamp,
    unsigned_commit: Timestamp,
    released: Timestamp,
    build_started: Timestamp,
    build_finished: Timestamp,
    deployed: Timestamp,
    triggered: Timestamp,
    authorized: Timestamp,
}

impl Timeline {
    fn ending(now: Timestamp) -> Self {
        let ago = |secs: i64| now.plus_seconds(-secs);
        Timeline {
            keys_from: ago(90 * DAY),
            roster_expires: now.plus_seconds(365 * DAY),
            alice_commits: ago(5 * DAY),
            bob_commits: ago(4 * DAY),
            unsigned_commit: ago(3 * DAY),
            released: ago(2 * DAY),
            build_started: ago(DAY),
            build_finished: ago(DAY - 12 * MINUTE),
            deployed: ago(40 * MINUTE),
            triggered: ago(38 * MINUTE),
            authorized: ago(30 * MINUTE),
        }
    }
}

/// A private scratch directory (0700) that is removed when the story ends,
/// whether it ends well or not.
struct Workspace {
    dir: PathBuf,
}

impl Workspace {
    fn create() -> Result<Workspace> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!(
            "vouch-code-to-cloud-{}-{nanos:08x}",
            std::process::id()
        ));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let ws = Workspace { dir };
        for sub in ["home", "keys", "shop-api"] {
            std::fs::create_dir(ws.path(sub))?;
        }
        Ok(ws)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ---------------------------------------------------------------------------
// Step 1: the roster
// ---------------------------------------------------------------------------

/// Step 1: everyone's keys, and the roster that binds them to identities
/// and roles, signed by 2 of 3 root keys, written as a roster file and
/// trusted by its pinned digest.
fn step_roster(ws: &Workspace, t: &Timeline) -> Result<(Cast, TrustedRoster)> {
    let cast = make_cast(ws)?;
    let mut roles: BTreeMap<RoleName, Vec<RoleGrant>> = BTreeMap::new();
    let mut identities = Vec::new();
    let mut tpm = vouch_manifest::TpmTrust::default();
    for m in cast.members() {
        roles
            .entry(m.role.parse()?)
            .or_default()
            .push(RoleGrant::new(m.id.clone(), t.keys_from));
        let mut key = RosterKey::new(m.key.public_key().clone(), t.keys_from);
        key.hardware = m.hardware.clone();
        if let Some(e) = &m.tpm {
            key.tpm = Some(vouch_manifest::TpmKeyAttestation {
                certify: e.certify.clone(),
            });
            let endorsement = e.endorsed.as_ref().map(|(root, endorsement)| {
                tpm.endorsement_roots.push(root.clone());
                endorsement.clone()
            });
            tpm.attestation_keys.push(vouch_manifest::TrustedAk {
                identity: m.id.clone(),
                label: "build runner".into(),
                public: e.ak_public.clone(),
                endorsement,
            });
        }
        let proof = match m.id.kind() {
            vouch_manifest::IdentityKind::Person => IdentityProof::Email {
                address: m.email.clone(),
            },
            _ => IdentityProof::Oidc {
                issuer: "https://ci.example.com".into(),
                subject: m.id.name().into(),
            },
        };
        identities.push(Identity {
            id: m.id.clone(),
            display_name: m.name.into(),
            openpgp_keys: Vec::new(),
            proofs: vec![proof],
            keys: vec![key],
        });
    }
    let roster = Roster {
        name: "example.com".into(),
        version: 1,
        expires: t.roster_expires,
        root: RootKeys {
            keys: cast.roots.iter().map(|k| k.public_key().clone()).collect(),
            threshold: 2,
        },
        identities,
        roles,
        authenticators: Default::default(),
        tpm,
        witnesses: vouch_manifest::WitnessTrust {
            logs: vec![vouch_manifest::TrustedLog {
                label: "vouch demo log".into(),
                origin: LOG_ORIGIN.into(),
                key: cast.log_key.public_key().clone(),
            }],
            timestamp_authorities: Vec::new(),
            cosigners: Vec::new(),
            sigstore: None,
        },
        ci: Default::default(),
    };
    let roots: [&dyn Signer; 2] = [&cast.roots[0], &cast.roots[2]];
    let signed = sign_by(roster, &roots)?;
    let pin = signed.digest();
    let file = ws.path("roster.cbor");
    std::fs::write(&file, RosterChain::new(vec![signed]).to_bytes()?)?;
    let trusted =
        RosterChain::from_bytes(&std::fs::read(&file)?)?.verify(&pin, Timestamp::now())?;

    println!(
        "1. Roster {} v{}: {} identities, root keys 2 of 3 (signed by roots 1 and 3)",
        trusted.roster().name,
        trusted.version(),
        trusted.roster().identities.len()
    );
    for m in cast.members() {
        println!(
            "   {:<26} {:<10} {:<10} key {}  {}",
            m.id.as_str(),
            m.role,
            key_type(m.key.public_key()),
            short_key(m.key.public_key()),
            m.held()
        );
    }
    println!("   ci/build's key is {}", cast.builder_key);
    match cast.build.tpm.as_ref().map(|e| e.endorsed.is_some()) {
        Some(true) => println!(
            "   (certified by that TPM's attestation key, which the roster enrolls for ci/build\n    \
             under the TPM's EK certificate: the TPM answered a credential challenge for that AK)"
        ),
        Some(false) => println!(
            "   (certified by that TPM's attestation key, which the roster enrolls for ci/build)"
        ),
        None => {}
    }
    println!(
        "   roster.cbor ({} bytes) trusted by pin {}",
        std::fs::metadata(&file)?.len(),
        short_digest(&pin)
    );
    Ok((cast, trusted))
}

/// Generates every key. Alice's and Bob's are saved as key files and opened
/// as software FIDO authenticators through `soft-fido:` key references, the
/// same references git hands to the signing program.
fn make_cast(ws: &Workspace) -> Result<Cast> {
    let roots = (0..3)
        .map(|_| FileKey::generate(Algorithm::Ed25519))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let fido = |login: &str| -> Result<(KeyRef, BoxedSigner)> {
        let path = ws.path(&format!("keys/{login}.key"));
        FileKey::generate(Algorithm::Ed25519)?
            .with_comment(&format!("{login}@example.com"))
            .save(&path, None)?;
        let key_ref: KeyRef = format!("soft-fido:{}", path.display()).parse()?;
        let signer = key_ref.open(None)?;
        Ok((key_ref, signer))
    };
    let (alice_ref, alice) = fido("alice")?;
    let (bob_ref, bob) = fido("bob")?;
    let key = |alg| -> Result<BoxedSigner> { Ok(Box::new(FileKey::generate(alg)?)) };
    let builder = builder_key(ws)?;
    let mut build = Member::workload("ci/build", "CI build", "builder", builder.key)?;
    build.tpm = builder.tpm;
    Ok(Cast {
        roots,
        log_key: FileKey::generate(Algorithm::Ed25519)?,
        alice: Member::person("alice", "Alice", "developer", alice)?,
        bob: Member::person("bob", "Bob", "developer", bob)?,
        carol: Member::person("carol", "Carol", "maintainer", key(Algorithm::Ed25519)?)?,
        dave: Member::person("dave", "Dave", "maintainer", key(Algorithm::Es256)?)?,
        erin: Member::person("erin", "Erin", "approver", key(Algorithm::Ed25519)?)?,
        build,
        deploy: Member::workload(
            "ci/deploy",
            "CI deploy",
            "deployer",
            key(Algorithm::Ed25519)?,
        )?,
        alice_ref,
        bob_ref,
        builder_key: builder.how,
        #[cfg(feature = "tpm")]
        _simulator: builder.simulator,
    })
}

/// The builder's key, and in words where it lives.
struct BuilderKey {
    key: BoxedSigner,
    tpm: Option<TpmEnrolment>,
    how: String,
    #[cfg(feature = "tpm")]
    simulator: Option<(
        vouch_test_support::tpm::Swtpm,
        vouch_test_support::tpm::SwtpmCa,
    )>,
}

/// A TPM key when there is a TPM (`VOUCH_TPM_TCTI`, or a swtpm started
/// here) and the example was built with `--features tpm`; else a file key,
/// saying why. `VOUCH_STORY_NO_TPM=1` asks for the file key in a build
/// with the feature too, so that one build runs both stories (the test
/// suite does, rather than building the workspace twice more).
fn builder_key(ws: &Workspace) -> Result<BuilderKey> {
    let no_tpm = std::env::var_os("VOUCH_STORY_NO_TPM").is_some_and(|v| v == "1");
    #[cfg(feature = "tpm")]
    if !no_tpm {
        // A swtpm started here is manufactured with an EK certificate by a
        // local CA, which the story's roster then trusts as a TPM maker.
        let simulator = match vouch_keys::tpm::tcti_from_env() {
            Some(_) => None,
            None => {
                let ca = vouch_test_support::tpm::SwtpmCa::new();
                vouch_test_support::tpm::Swtpm::start_manufactured(
                    "the story's TPM builder key",
                    &ca,
                )
                .map(|s| (s, ca))
            }
        };
        let tcti = simulator
            .as_ref()
            .map(|(s, _)| s.tcti().to_owned())
            .or_else(vouch_keys::tpm::tcti_from_env);
        if let Some(tcti) = tcti {
            let key = vouch_keys::tpm::TpmKey::generate(&ws.path("keys/build.tpm"), &tcti)?;
            let (attest, signature, ak_public, key_public) = key.attestation();
            let certify = vouch_core::tpm::KeyAttestation::new(
                attest,
                signature,
                ak_public.clone(),
                key_public,
            )?
            .to_bytes();
            let endorsed = match &simulator {
                Some((_, ca)) => Some(endorse(&key, &tcti, &ak_public, ca)?),
                None => None,
            };
            let how = match &simulator {
                Some(_) => "in a TPM (a swtpm simulator this story started)".to_owned(),
                None => format!("in the TPM at {tcti}"),
            };
            return Ok(BuilderKey {
                key: Box::new(key),
                tpm: Some(TpmEnrolment {
                    certify,
                    ak_public,
                    endorsed,
                }),
                how,
                simulator,
            });
        }
    }
    let _ = ws;
    let why = if no_tpm {
        "VOUCH_STORY_NO_TPM=1"
    } else if cfg!(feature = "tpm") {
        "no TPM: neither VOUCH_TPM_TCTI nor swtpm"
    } else {
        "built without --features tpm"
    };
    Ok(BuilderKey {
        key: Box::new(FileKey::generate(Algorithm::Es256)?),
        tpm: None,
        how: format!("a file key ({why})"),
        #[cfg(feature = "tpm")]
        simulator: None,
    })
}

/// The EK-certified enrollment of `key`'s AK, as an enroller and the
/// build machine do it: the EK certificate read from the TPM and chained
/// to the CA's root, a credential challenge for that EK and this AK, the
/// TPM's answer, checked.
#[cfg(feature = "tpm")]
fn endorse(
    key: &vouch_keys::tpm::TpmKey,
    tcti: &str,
    ak_public: &[u8],
    ca: &vouch_test_support::tpm::SwtpmCa,
) -> Result<(
    vouch_manifest::AttestationRoot,
    vouch_manifest::AkEndorsement,
)> {
    let der = |path: std::path::PathBuf| -> Result<Vec<u8>> {
        let pem = std::fs::read_to_string(path)?;
        Ok(vouch_core::x509::TrustAnchor::from_pem(&pem)?
            .der()
            .to_vec())
    };
    let root = vouch_manifest::AttestationRoot(der(ca.root_pem())?);
    let trust = vouch_manifest::TpmTrust {
        endorsement_roots: vec![root.clone()],
        ..Default::default()
    };
    let ek = vouch_keys::tpm::endorsement_certificate(tcti)?;
    let now = vouch_core::Timestamp::now();
    let (challenge, pending) = vouch_manifest::tpm::endorsement::challenge(
        ak_public,
        &ek,
        &[der(ca.intermediate_pem())?],
        &trust,
        now,
    )?;
    let answer = key.activate_credential(&challenge.id_object, &challenge.encrypted_secret)?;
    let ak = pending.complete(
        &answer,
        "workload:ci/build".parse()?,
        "build runner".into(),
        now,
    )?;
    let endorsement = ak
        .endorsement
        .ok_or("the enrollment carries no endorsement")?;
    Ok((root, endorsement))
}

// ---------------------------------------------------------------------------
// Step 2: git
// ---------------------------------------------------------------------------

/// A git repository driven through the stock `git` command, isolated from
/// the user's configuration: empty environment but `PATH`, `HOME` in the
/// scratch directory, no system configuration.
struct Repo {
    dir: PathBuf,
    home: PathBuf,
    program: PathBuf,
}

impl Repo {
    fn git(&self) -> Command {
        let mut c = Command::new("git");
        c.current_dir(&self.dir).env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            c.env("PATH", path);
        }
        c.env("HOME", &self.home)
            .env("TMPDIR", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C")
            .env("TZ", "UTC");
        c
    }

    /// Runs git and returns its standard output; fails with its standard error.
    fn run(&self, mut command: Command) -> Result<Vec<u8>> {
        let out = command
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "git failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )
            .into());
        }
        Ok(out.stdout)
    }

    fn write(&self, path: &str, text: &str) -> Result<()> {
        let path = self.dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        Ok(std::fs::write(path, text)?)
    }

    /// Commits the work tree as `who` at `at`; with a key reference, signed
    /// through `gpg.ssh.program` (this program, re-executed by git).
    fn commit(
        &self,
        who: &Member,
        at: Timestamp,
        message: &str,
        key: Option<&KeyRef>,
    ) -> Result<GitObjectId> {
        let mut add = self.git();
        add.args(["add", "-A"]);
        self.run(add)?;
        let date = format!("@{} +0000", at.unix_seconds());
        let mut commit = self.git();
        commit
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .arg("-c")
            .arg(format!("user.name={}", who.name))
            .arg("-c")
            .arg(format!("user.email={}", who.email));
        match key {
            Some(key) => {
                let mut program = OsString::from("gpg.ssh.program=");
                program.push(&self.program);
                commit
                    .args(["-c", "gpg.format=ssh", "-c"])
                    .arg(program)
                    .arg("-c")
                    .arg(format!("user.signingkey={key}"))
                    .args(["commit", "-q", "-S", "-m", message]);
            }
            None => {
                commit.args(["commit", "-q", "--no-gpg-sign", "-m", message]);
            }
        }
        self.run(commit)?;
        self.head()
    }

    fn head(&self) -> Result<GitObjectId> {
        let mut c = self.git();
        c.args(["rev-parse", "HEAD"]);
        Ok(String::from_utf8(self.run(c)?)?.trim().parse()?)
    }

    /// The raw commit object, the bytes git hashes to name it.
    fn cat_commit(&self, id: &GitObjectId) -> Result<Vec<u8>> {
        let mut c = self.git();
        c.args(["cat-file", "commit", id.as_str()]);
        self.run(c)
    }
}

/// Step 2: a git repository with a commit by Alice and one by Bob, each
/// signed by stock git through `gpg.format=ssh` with this program as
/// `gpg.ssh.program` and a `soft-fido:` key reference as `user.signingkey`;
/// then stock `git verify-commit` (with OpenSSH's ssh-keygen) checks one.
fn step_git_commits(ws: &Workspace, cast: &Cast, t: &Timeline) -> Result<Repo> {
    let repo = Repo {
        dir: ws.path("shop-api"),
        home: ws.path("home"),
        program: std::env::current_exe()?,
    };
    let mut init = repo.git();
    init.args(["-c", "init.defaultBranch=main", "init", "-q"]);
    repo.run(init)?;
    println!(
        "\n2. git repository shop-api; commits signed by git through gpg.ssh.program = {} -Y sign",
        file_name(&repo.program)
    );

    repo.write(
        "Cargo.toml",
        "[package]\nname = \"shop-api\"\nversion = \"1.4.0\"\nedition = \"2024\"\n",
    )?;
    repo.write("README.md", "# shop-api\n\nThe shop's HTTP API.\n")?;
    repo.write(
        "src/main.rs",
        "mod checkout;\n\nfn main() {\n    checkout::serve();\n}\n",
    )?;
    repo.write(
        "src/checkout.rs",
        "pub fn serve() {\n    println!(\"POST /checkout\");\n}\n",
    )?;
    let alice = repo.commit(
        &cast.alice,
        t.alice_commits,
        "Add the checkout endpoint",
        Some(&cast.alice_ref),
    )?;
    println!(
        "   {} Alice  \"Add the checkout endpoint\"  user.signingkey=soft-fido:…/alice.key",
        short_id(&alice)
    );

    repo.write(
        "src/cart.rs",
        "pub fn total(items: &[u64]) -> Option<u64> {\n    items.iter().try_fold(0u64, |a, &i| a.checked_add(i))\n}\n",
    )?;
    repo.write(
        "src/main.rs",
        "mod cart;\nmod checkout;\n\nfn main() {\n    checkout::serve();\n}\n",
    )?;
    let bob = repo.commit(
        &cast.bob,
        t.bob_commits,
        "Validate cart totals",
        Some(&cast.bob_ref),
    )?;
    println!(
        "   {} Bob    \"Validate cart totals\"       user.signingkey=soft-fido:…/bob.key",
        short_id(&bob)
    );

    git_verify_commit(ws, &repo, cast, &alice)?;
    Ok(repo)
}

/// Stock `git verify-commit` with an allowed signers file and git's default
/// `ssh-keygen`: proof that the signatures are ordinary OpenSSH ones.
fn git_verify_commit(ws: &Workspace, repo: &Repo, cast: &Cast, id: &GitObjectId) -> Result<()> {
    if !in_path("ssh-keygen") {
        println!("   note: ssh-keygen not found, skipping the check with stock git verify-commit");
        return Ok(());
    }
    let allowed = ws.path("allowed_signers");
    let mut lines = String::new();
    for m in [&cast.alice, &cast.bob] {
        lines.push_str(&format!(
            "{} namespaces=\"git\" {}\n",
            m.email,
            m.key.public_key().to_openssh()
        ));
    }
    std::fs::write(&allowed, lines)?;
    let mut c = repo.git();
    c.arg("-c")
        .arg(format!("gpg.ssh.allowedSignersFile={}", allowed.display()))
        .args(["verify-commit", id.as_str()]);
    let out = c.output()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let good = text.lines().find(|l| l.starts_with("Good "));
    match (out.status.success(), good) {
        (true, Some(line)) => {
            println!("   git verify-commit {}: {line}", short_id(id));
            Ok(())
        }
        _ => Err(format!("stock git verify-commit refused {id}: {}", text.trim()).into()),
    }
}

// ---------------------------------------------------------------------------
// Step 3: commits verified and attested
// ---------------------------------------------------------------------------

/// Step 3: the commit objects are read back with `git cat-file`, verified
/// against the roster (the bytes hash to the id, the SSH signature verifies,
/// the key belonged to an identity at the committer time), and attested: the
/// author signs a commit statement with the same FIDO key, touched, as the
/// policy's user-presence rule demands. The raw objects go in the bundle too.
fn step_verify_commits(
    repo: &Repo,
    cast: &Cast,
    roster: &TrustedRoster,
    bundle: &mut Bundle,
) -> Result<Vec<GitObjectId>> {
    println!("\n3. Commits read back (git cat-file), verified against the roster, attested");
    let mut log = repo.git();
    log.args(["rev-list", "--reverse", "HEAD"]);
    let ids: Vec<GitObjectId> = String::from_utf8(repo.run(log)?)?
        .lines()
        .map(str::parse)
        .collect::<std::result::Result<_, _>>()?;
    for id in &ids {
        let raw = repo.cat_commit(id)?;
        let verified = verify_commit(&raw, id, roster)?;
        let fido = verified
            .fido()
            .map(|a| {
                format!(
                    "up={} uv={} counter={}",
                    a.flags.user_present(),
                    a.flags.user_verified(),
                    a.counter
                )
            })
            .unwrap_or_else(|| "no FIDO data".into());
        println!(
            "   {} signed by {} key {} ({fido})",
            short_id(id),
            verified.signer(),
            short_key(verified.public_key())
        );
        let author = cast
            .members()
            .into_iter()
            .find(|m| m.id == *verified.signer())
            .ok_or("the signer is not in the cast")?;
        let attestation = sign_by(verified.to_predicate(REPOSITORY), &[author.signer()])?;
        println!(
            "      attestation {} signed by the author's FIDO key",
            short_digest(&attestation.digest())
        );
        add(bundle, &attestation)?;
        bundle.add_commit_object(raw);
    }
    println!("   the raw commit objects go in the bundle too (their SSH signatures are evidence)");
    Ok(ids)
}

// ---------------------------------------------------------------------------
// Steps 4–6: release, image, deployment
// ---------------------------------------------------------------------------

/// A release of the work tree as it is now: its content manifest (the
/// repository's files, `.git` skipped) and the commits it certifies,
/// signed by Carol and co-signed by Dave.
fn certify_release(
    repo: &Repo,
    cast: &Cast,
    version: &str,
    commits: &[GitObjectId],
    at: Timestamp,
) -> Result<Signed<Release>> {
    let contents = TreeManifest::build(&repo.dir, &TreeOptions::default())?;
    let release = Release {
        package: PACKAGE.into(),
        version: version.into(),
        purl: Some(format!("pkg:cargo/{PACKAGE}@{version}")),
        contents,
        dependencies: Vec::new(),
        commits: commits.iter().cloned().map(Into::into).collect(),
        released_at: at,
        previous: None,
        archive: None,
        tag: None,
    };
    sign_by(release, &[cast.carol.signer(), cast.dave.signer()])
}

/// Step 4: the release shop-api 1.4.0, certified by two maintainers.
fn step_release(
    repo: &Repo,
    cast: &Cast,
    t: &Timeline,
    commits: &[GitObjectId],
    bundle: &mut Bundle,
) -> Result<Signed<Release>> {
    let release = certify_release(repo, cast, "1.4.0", commits, t.released)?;
    let r = release.unverified().predicate();
    println!(
        "\n4. Release {} {} ({}): {} files, contents {}, {} commits",
        r.package,
        r.version,
        r.purl.as_deref().unwrap_or_default(),
        r.contents.entries().len(),
        short_digest(&r.contents.root()),
        r.commits.len()
    );
    println!(
        "   certified by {} and {}: statement {}",
        cast.carol.id,
        cast.dave.id,
        short_digest(&release.digest())
    );
    add(bundle, &release)?;
    Ok(release)
}

/// The digests an image is known by: its manifest, its config and its
/// layers in order.
struct Built {
    manifest: Digest,
    config: Digest,
    layers: Vec<Digest>,
}

/// An image built by ci/build from a release: a real OCI image layout that
/// umoci writes from scratch (no base image, no network), the release's
/// files in one layer, when umoci is installed; otherwise a made-up
/// manifest (written to the workspace), said so on the terminal. The
/// package points at the release statement; the source commits are listed.
fn build_image(
    ws: &Workspace,
    repo: &Repo,
    cast: &Cast,
    release: &Signed<Release>,
    commits: &[GitObjectId],
    invocation: &str,
    (started, finished): (Timestamp, Timestamp),
) -> Result<Signed<Image>> {
    let r = release.unverified().predicate();
    let built = match umoci_image(ws, repo, invocation, &r.version)? {
        Some(built) => built,
        None => made_up_image(ws, invocation, &r.version, &r.contents.root())?,
    };
    let image = Image {
        name: IMAGE_NAME.into(),
        image: built.manifest,
        config: built.config,
        layers: built.layers,
        packages: vec![ImagePackage {
            name: r.package.clone(),
            version: r.version.clone(),
            release: release.digest(),
        }],
        source_commits: commits
            .iter()
            .map(|c| SourceCommit {
                repository: REPOSITORY.into(),
                commit: c.clone(),
            })
            .collect(),
        builder: cast.build.id.clone(),
        invocation_id: invocation.into(),
        started_at: started,
        finished_at: finished,
        platforms: Vec::new(),
    };
    sign_by(image, &[cast.build.signer()])
}

/// The image as umoci builds it in `ws/<invocation>.oci`, tagged with the
/// release's version, or `None` when umoci is not installed. The digests
/// are read back from the layout by vouch-oci, as `vouch attest image --oci`
/// does, never taken from umoci's output.
fn umoci_image(
    ws: &Workspace,
    repo: &Repo,
    invocation: &str,
    version: &str,
) -> Result<Option<Built>> {
    match Command::new("umoci").arg("--version").output() {
        Ok(out) if out.status.success() => {}
        _ => return Ok(None),
    }
    let layout = ws.path(&format!("{invocation}.oci"));
    let image = format!("{}:{version}", layout.display());
    // The release's files, without the repository's .git, are the layer.
    let staging = ws.path(&format!("{invocation}.rootfs"));
    copy_tree(&repo.dir, &staging)?;
    let umoci = |args: &[&OsStr]| -> Result<()> {
        let out = Command::new("umoci").args(args).output()?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "umoci {:?} failed: {}",
                args,
                String::from_utf8_lossy(&out.stderr).trim()
            )
            .into())
        }
    };
    umoci(&["init".as_ref(), "--layout".as_ref(), layout.as_os_str()])?;
    umoci(&["new".as_ref(), "--image".as_ref(), image.as_ref()])?;
    umoci(&[
        "insert".as_ref(),
        "--rootless".as_ref(),
        "--image".as_ref(),
        image.as_ref(),
        staging.as_os_str(),
        "/srv/shop-api".as_ref(),
    ])?;
    let read = vouch_oci::layout::Layout::open(&layout).and_then(|l| l.image(Some(version)))?;
    let vouch_oci::image::Image::Manifest(m) = read else {
        return Err(format!("{image}: umoci wrote an image index").into());
    };
    Ok(Some(Built {
        manifest: m.digest,
        config: m.config,
        layers: m.layers,
    }))
}

/// The fallback without umoci: a made-up manifest whose digest names the
/// image, with made-up config and layer digests.
fn made_up_image(ws: &Workspace, invocation: &str, version: &str, root: &Digest) -> Result<Built> {
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{"Entrypoint":["/usr/local/bin/{PACKAGE}"]}},"rootfs":{{"type":"layers"}}}}"#
    );
    let base = Digest::sha256(b"made-up base layer: debian:stable-slim");
    let app =
        Digest::sha256(format!("made-up app layer: {PACKAGE} {version} from {root}").as_bytes());
    let config_digest = Digest::sha256(config.as_bytes());
    let layer = |d: &Digest| {
        format!(
            r#"{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{d}","size":1024}}"#
        )
    };
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[{},{}]}}"#,
        config.len(),
        layer(&base),
        layer(&app)
    );
    std::fs::write(ws.path(&format!("{invocation}.manifest.json")), &manifest)?;
    Ok(Built {
        manifest: Digest::sha256(manifest.as_bytes()),
        config: config_digest,
        layers: vec![base, app],
    })
}

/// Copies the files under `from` to `to`, leaving out `.git`.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_name() == ".git" {
            continue;
        }
        let target = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Step 5: the image, signed by the build workload.
fn step_image(
    ws: &Workspace,
    repo: &Repo,
    cast: &Cast,
    t: &Timeline,
    release: &Signed<Release>,
    commits: &[GitObjectId],
    bundle: &mut Bundle,
) -> Result<Signed<Image>> {
    let image = build_image(
        ws,
        repo,
        cast,
        release,
        commits,
        "build-4711",
        (t.build_started, t.build_finished),
    )?;
    let i = image.unverified().predicate();
    println!(
        "\n5. Image {IMAGE_NAME}@{} ({} layers), invocation {}",
        short_digest(&i.image),
        i.layers.len(),
        i.invocation_id
    );
    let layout = ws.path(&format!("{}.oci", i.invocation_id));
    if layout.exists() {
        println!(
            "   a real OCI image layout built by umoci from the release's files: {}\n   \
             (its digests read back from the layout, as `vouch attest image --oci` does)",
            layout.display()
        );
    } else {
        println!(
            "   umoci is not installed (apt install umoci): the image's manifest, config and layer\n   \
             digests are MADE UP for this run"
        );
    }
    println!(
        "   package {PACKAGE} {} → release statement {}, {} source commits",
        release.unverified().predicate().version,
        short_digest(&release.digest()),
        i.source_commits.len()
    );
    println!(
        "   signed by {}: statement {}",
        i.builder,
        short_digest(&image.digest())
    );
    if cast.build.tpm.is_none() {
        println!(
            "   (the builder signs with a file key: the demo profile does not demand tpm-attested;\n    \
             production needs a key certified by an enrolled TPM: vouch key generate --backend tpm,\n    \
             vouch roster trust-tpm, roster add-key --tpm-attestation)"
        );
    }
    add(bundle, &image)?;
    Ok(image)
}

/// A deployment of `image` to production, signed by ci/deploy, and the
/// approvals proving who triggered and who authorized it, each signed by
/// the person named.
struct Deploy<'c> {
    image: Digest,
    run: &'static str,
    at: Timestamp,
    triggered_by: (&'c Member, Timestamp),
    authorized_by: (&'c Member, Timestamp),
}

impl Deploy<'_> {
    fn sign(&self, cast: &Cast) -> Result<(Signed<Deployment>, Vec<Signed<Approval>>)> {
        let (trigger, triggered_at) = self.triggered_by;
        let (authorizer, authorized_at) = self.authorized_by;
        let deployment = Deployment {
            environment: "production".into(),
            target: DeployTarget {
                cluster: "eu-1".into(),
                namespace: "shop".into(),
                service: "api".into(),
            },
            image: self.image,
            team: "shop".into(),
            deployer: cast.deploy.id.clone(),
            pipeline: Pipeline {
                run_id: self.run.into(),
                url: format!("https://ci.example.com/shop/api/{}", self.run),
            },
            triggered_by: trigger.id.clone(),
            authorized_by: vec![authorizer.id.clone()],
            time: self.at,
            ci_token: None,
        };
        let signed = sign_by(deployment, &[cast.deploy.signer()])?;
        let approve = |who: &Member, role, time| {
            let approval = Approval {
                statement: signed.digest(),
                role,
                identity: who.id.clone(),
                time,
            };
            sign_by(approval, &[who.signer()])
        };
        let approvals = vec![
            approve(trigger, ApprovalRole::Trigger, triggered_at)?,
            approve(authorizer, ApprovalRole::Authorize, authorized_at)?,
        ];
        Ok((signed, approvals))
    }
}

/// Step 6: the production deployment, signed by ci/deploy, triggered by
/// Alice (her approval signed with her FIDO key) and authorized by Erin.
fn step_deploy(
    cast: &Cast,
    t: &Timeline,
    image: &Signed<Image>,
    bundle: &mut Bundle,
) -> Result<Digest> {
    let plan = Deploy {
        image: image.unverified().predicate().image,
        run: "deploy-815",
        at: t.deployed,
        triggered_by: (&cast.alice, t.triggered),
        authorized_by: (&cast.erin, t.authorized),
    };
    let (deployment, approvals) = plan.sign(cast)?;
    println!(
        "\n6. Deployment production/eu-1/shop/api of image {}",
        short_digest(&plan.image)
    );
    println!(
        "   signed by {}: statement {}",
        cast.deploy.id,
        short_digest(&deployment.digest())
    );
    println!(
        "   triggered by {} (approval signed with her FIDO key)",
        cast.alice.id
    );
    println!(
        "   authorized by {} (approval signed with her key)",
        cast.erin.id
    );
    add(bundle, &deployment)?;
    for a in &approvals {
        add(bundle, a)?;
    }
    Ok(deployment.digest())
}

/// Step 6b: every statement is registered in the transparency log the
/// story runs (a C2SP tlog-tiles directory, servable by any static file
/// server); the log signs a checkpoint per entry and a COSE receipt that
/// travels inside the statement's envelope. The roster trusts the log's
/// key, so each receipt proves when the log saw the statement.
fn step_log(ws: &Workspace, cast: &Cast, bundle: &Bundle) -> Result<Bundle> {
    let dir = ws.path("log");
    let mut log = vouch_log::Log::create(&dir, LOG_ORIGIN, &cast.log_key)?;
    let now = Timestamp::now();
    let mut logged = Bundle::new();
    for e in bundle.envelopes() {
        let r = log.register(e, &cast.log_key, Some(now.unix_seconds()))?;
        logged.add_envelope(r.envelope);
    }
    for o in bundle.commit_objects() {
        logged.add_commit_object(o.clone());
    }
    println!(
        "\n6b. Transparency log {LOG_ORIGIN} (log/, C2SP tlog-tiles): {} statements registered,\n    \
         checkpoint of tree size {} signed; each envelope carries its COSE receipt",
        bundle.envelopes().len(),
        log.size()
    );
    Ok(logged)
}

// ---------------------------------------------------------------------------
// Step 7: verify
// ---------------------------------------------------------------------------

/// Step 7: the bundle goes through its file form, the demo profile of the
/// policy is read from `examples/policy-demo.toml`, and the chain below the
/// deployment is verified; the production profile refuses it.
fn step_verify(
    ws: &Workspace,
    roster: TrustedRoster,
    bundle: Bundle,
    deployment: &Digest,
) -> Result<(Verifier, Verdict, Bundle)> {
    let file = ws.path("bundle.cbor");
    std::fs::write(&file, bundle.to_bytes()?)?;
    let bundle = Bundle::read(&file)?;
    let policy_path = concat!(env!("CARGO_MANIFEST_DIR"), "/policy-demo.toml");
    let policy = Policy::from_toml(&std::fs::read_to_string(policy_path)?)?;
    println!(
        "\n7. bundle.cbor: {} envelopes + {} git commit objects, {} bytes, written and read back",
        bundle.envelopes().len(),
        bundle.commit_objects().len(),
        std::fs::metadata(&file)?.len()
    );
    println!(
        "   policy examples/policy-demo.toml ({}), the demo profile: a touch on any FIDO\n   \
         authenticator, the software one included; target deployment {}\n",
        short_digest(&policy.digest()),
        short_digest(deployment)
    );
    let production_path = concat!(env!("CARGO_MANIFEST_DIR"), "/policy.toml");
    let production = Policy::from_toml(&std::fs::read_to_string(production_path)?)?;
    let strict = Verifier::new(production, roster.clone());
    let verifier = Verifier::new(policy, roster);
    let verdict = verifier.verify(&bundle, &Target::Deployment(*deployment), Timestamp::now());
    for line in verdict.render_text().lines() {
        println!("   {line}");
    }
    if !verdict.passed() {
        return Err("the genuine chain was refused".into());
    }
    // Every statement carries the log's receipt: demanding proven time on
    // every stage changes nothing for the genuine chain.
    let mut proven = verifier.policy().clone();
    proven.image.time = vouch_chain::policy::TimeRule::Proven;
    for time in [
        proven.deployment.as_mut().map(|p| &mut p.time),
        proven.release.as_mut().map(|p| &mut p.time),
        proven.commit.as_mut().map(|p| &mut p.time),
    ]
    .into_iter()
    .flatten()
    {
        *time = vouch_chain::policy::TimeRule::Proven;
    }
    let with_proofs = Verifier::new(proven, verifier.roster().clone()).verify(
        &bundle,
        &Target::Deployment(*deployment),
        Timestamp::now(),
    );
    if !with_proofs.passed() {
        println!("{}", with_proofs.render_text());
        return Err("the genuine chain was refused under time = \"proven\"".into());
    }
    println!(
        "\n   With time = \"proven\" demanded on every stage: PASS (every time proven by the log)"
    );
    // The production profile demands an attested authenticator: the
    // software one, enrolled without attestation, cannot meet it.
    let refused = strict.verify(&bundle, &Target::Deployment(*deployment), Timestamp::now());
    let Some(f) = refused.failures().iter().find(|f| {
        matches!(
            f.reason,
            Reason::MissingHardware {
                requirement: vouch_chain::policy::HardwareRequirement::AttestedAuthenticator,
                ..
            }
        )
    }) else {
        return Err("the production profile accepted a software authenticator".into());
    };
    println!(
        "\n   The production profile (examples/policy.toml) refuses the same chain:\n      {}",
        abbreviate(&format!(
            "REFUSED at {}: {}",
            f.path.last().map(String::as_str).unwrap_or_default(),
            f.reason
        ))
    );
    Ok((verifier, verdict, bundle))
}

// ---------------------------------------------------------------------------
// Step 8: tampering
// ---------------------------------------------------------------------------

/// What the genuine chain left for the attackers to build on.
struct Genuine<'a> {
    verifier: &'a Verifier,
    bundle: &'a Bundle,
    commits: &'a [GitObjectId],
    image: &'a Signed<Image>,
}

/// Step 8: four tampering attempts, each on top of the genuine bundle, each
/// refused for its specific reason (a fifth, the roster rollback, follows).
fn step_attacks(
    ws: &Workspace,
    repo: &Repo,
    cast: &Cast,
    t: &Timeline,
    genuine: &Genuine<'_>,
) -> Result<()> {
    let Genuine {
        verifier,
        bundle: genuine,
        commits,
        image,
    } = *genuine;
    println!("\n8. Tampering attempts");

    // (a) The deploy job is pointed at another image; it signs and people
    // approve as usual, but no build ever vouched for that image.
    let other = Digest::sha256(b"an image nobody built from this repository");
    println!(
        "   a) a deployment of another image {}, signed by ci/deploy, approved as before",
        short_digest(&other)
    );
    let plan = Deploy {
        image: other,
        run: "deploy-816",
        at: t.deployed.plus_seconds(MINUTE),
        triggered_by: (&cast.alice, t.triggered.plus_seconds(MINUTE)),
        authorized_by: (&cast.erin, t.authorized.plus_seconds(MINUTE)),
    };
    attack(
        verifier,
        genuine.clone(),
        &plan.sign(cast)?,
        |r| matches!(r, Reason::ImageMissing { image } if *image == other),
    )?;

    // (b) An unsigned commit under Bob's name, certified into a new release
    // by maintainers who did not look, built and deployed.
    repo.write(
        "src/admin.rs",
        "pub fn debug_dump() {\n    // prints every customer's card\n}\n",
    )?;
    let unsigned = repo.commit(&cast.bob, t.unsigned_commit, "Add a debug endpoint", None)?;
    let raw = repo.cat_commit(&unsigned)?;
    let check = match verify_commit(&raw, &unsigned, verifier.roster()) {
        Err(e @ GitError::Unsigned(_)) => e.to_string(),
        Err(e) => return Err(format!("unexpected refusal of the unsigned commit: {e}").into()),
        Ok(_) => return Err("an unsigned commit verified".into()),
    };
    println!(
        "   b) unsigned commit {} (\"Bob\") in a re-certified release 1.4.1, rebuilt and deployed",
        short_id(&unsigned)
    );
    println!("      verify_commit: {}", abbreviate(&check));
    let mut all = commits.to_vec();
    all.push(unsigned.clone());
    let release = certify_release(repo, cast, "1.4.1", &all, t.released.plus_seconds(DAY))?;
    let rebuilt = build_image(
        ws,
        repo,
        cast,
        &release,
        &all,
        "build-4712",
        (
            t.build_started.plus_seconds(HOUR),
            t.build_finished.plus_seconds(HOUR),
        ),
    )?;
    let plan = Deploy {
        image: rebuilt.unverified().predicate().image,
        run: "deploy-817",
        at: t.deployed.plus_seconds(2 * MINUTE),
        triggered_by: (&cast.alice, t.triggered.plus_seconds(2 * MINUTE)),
        authorized_by: (&cast.erin, t.authorized.plus_seconds(2 * MINUTE)),
    };
    let mut bundle = genuine.clone();
    add(&mut bundle, &release)?;
    add(&mut bundle, &rebuilt)?;
    bundle.add_commit_object(raw);
    attack(
        verifier,
        bundle,
        &plan.sign(cast)?,
        |r| matches!(r, Reason::CommitUnsigned { commit } if *commit == unsigned),
    )?;

    // (c) Alice triggers the deployment of the genuine image and authorizes
    // it herself.
    println!("   c) a deployment of the genuine image triggered and authorized by Alice alone");
    let plan = Deploy {
        image: image.unverified().predicate().image,
        run: "deploy-818",
        at: t.deployed.plus_seconds(3 * MINUTE),
        triggered_by: (&cast.alice, t.triggered.plus_seconds(3 * MINUTE)),
        authorized_by: (&cast.alice, t.triggered.plus_seconds(4 * MINUTE)),
    };
    attack(verifier, genuine.clone(), &plan.sign(cast)?, |r| {
        matches!(r, Reason::SelfAuthorized { .. })
    })?;

    // (d) A commit whose git author is Alice, signed with Bob's key: Bob is
    // a developer in the roster, but not the person who wrote it.
    let mut checkout = repo.git();
    checkout.args([
        "checkout",
        "-q",
        "--detach",
        commits[commits.len() - 1].as_str(),
    ]);
    repo.run(checkout)?;
    repo.write(
        "src/refund.rs",
        "pub fn refund_all() {}
",
    )?;
    let forged = repo.commit(
        &cast.alice,
        t.unsigned_commit,
        "Add refunds",
        Some(&cast.bob_ref),
    )?;
    println!(
        "   d) commit {} authored as Alice but signed with Bob's key, released as 1.4.2 and deployed",
        short_id(&forged)
    );
    let raw = repo.cat_commit(&forged)?;
    let mut all = commits.to_vec();
    all.push(forged.clone());
    let release = certify_release(repo, cast, "1.4.2", &all, t.released.plus_seconds(DAY))?;
    let rebuilt = build_image(
        ws,
        repo,
        cast,
        &release,
        &all,
        "build-4713",
        (
            t.build_started.plus_seconds(2 * HOUR),
            t.build_finished.plus_seconds(2 * HOUR),
        ),
    )?;
    let plan = Deploy {
        image: rebuilt.unverified().predicate().image,
        run: "deploy-819",
        at: t.deployed.plus_seconds(5 * MINUTE),
        triggered_by: (&cast.alice, t.triggered.plus_seconds(5 * MINUTE)),
        authorized_by: (&cast.erin, t.authorized.plus_seconds(5 * MINUTE)),
    };
    let mut bundle = genuine.clone();
    add(&mut bundle, &release)?;
    add(&mut bundle, &rebuilt)?;
    bundle.add_commit_object(raw);
    attack(verifier, bundle, &plan.sign(cast)?, |r| {
        matches!(r, Reason::AuthorNotSigner { commit, author, .. }
            if *commit == forged && *author == cast.alice.id)
    })?;
    Ok(())
}

/// Step 8e: the verifier keeps trusted state (the newest roster version
/// it verified), so a roster file cut back to an older version is refused
/// even though it chains from the same pin.
fn step_rollback(ws: &Workspace, cast: &Cast, t: &Timeline) -> Result<()> {
    let file = ws.path("roster.cbor");
    let chain = RosterChain::from_bytes(&std::fs::read(&file)?)?;
    let v1 = chain.versions()[0].clone();
    let pin = v1.digest();
    // Version 2 revokes Bob's key as compromised.
    let mut next = v1.unverified().predicate().clone();
    next.version = 2;
    for ident in &mut next.identities {
        if ident.id == cast.bob.id {
            for k in &mut ident.keys {
                k.revoked = Some(vouch_manifest::Revocation {
                    at: t.authorized,
                    reason: RevocationReason::KeyCompromise,
                });
            }
        }
    }
    let roots: [&dyn Signer; 2] = [&cast.roots[0], &cast.roots[2]];
    let v2 = sign_by(next, &roots)?;
    let now = Timestamp::now();
    let state_file = ws.path("roster-state.json");
    let mut state = RosterState::load(&state_file)?;
    let trusted = RosterChain::new(vec![v1.clone(), v2]).verify(&pin, now)?;
    state.check(&trusted)?;
    state.record(&trusted);
    state.save(&state_file)?;
    println!(
        "   e) roster v2 revokes Bob's key; the verifier records v{} in its state file",
        trusted.version()
    );
    // The attacker serves the file as it was before v2: it still chains
    // from the pin, so only the state tells.
    let cut = RosterChain::new(vec![v1]).verify(&pin, now)?;
    match RosterState::load(&state_file)?.check(&cut) {
        Err(e @ vouch_manifest::RosterError::Rollback { .. }) => {
            println!("      REFUSED: the roster file cut back to v1: {e}");
            Ok(())
        }
        Err(e) => Err(format!("the rollback was refused for another reason: {e}").into()),
        Ok(()) => Err("a rolled-back roster was accepted".into()),
    }
}

/// Adds a tampered deployment and its approvals to `bundle` (the genuine
/// one, plus whatever else the attacker brought), verifies it, prints every
/// reason, and fails unless it is refused with one matching `expected`.
fn attack(
    verifier: &Verifier,
    mut bundle: Bundle,
    (deployment, approvals): &(Signed<Deployment>, Vec<Signed<Approval>>),
    expected: impl Fn(&Reason) -> bool,
) -> Result<()> {
    add(&mut bundle, deployment)?;
    for a in approvals {
        add(&mut bundle, a)?;
    }
    let bundle = Bundle::from_bytes(&bundle.to_bytes()?)?;
    let verdict = verifier.verify(
        &bundle,
        &Target::Deployment(deployment.digest()),
        Timestamp::now(),
    );
    if verdict.passed() {
        println!("{}", verdict.render_text());
        return Err("a tampered chain passed".into());
    }
    // A commit reached both through the release and through the image's
    // source commits fails on both paths: each reason is printed once.
    let mut printed = Vec::new();
    for f in verdict.failures() {
        let link = f.path.last().map(String::as_str).unwrap_or_default();
        let line = abbreviate(&format!("REFUSED at {link}: {}", f.reason));
        if !printed.contains(&line) {
            println!("      {line}");
            printed.push(line);
        }
    }
    if !verdict.failures().iter().any(|f| expected(&f.reason)) {
        return Err("a tampered chain was refused, but not for the expected reason".into());
    }
    Ok(())
}

/// Step 8f: a backdated signature by a key rotated out. Roster v2
/// supersedes Alice's FIDO key an hour from now; later still, whoever holds
/// the old key signs a trigger approval for a new deployment, dated before
/// the rotation. A verifier that trusts claimed times (policy
/// `roster.trust_claimed_time_after_revocation = true`) counts it on its
/// word; the log saw it after the rotation, and with the receipt it is
/// refused. The evaluation happens two hours from now.
fn step_backdated(
    ws: &Workspace,
    cast: &Cast,
    t: &Timeline,
    roster: &TrustedRoster,
    genuine: &Genuine<'_>,
    deployment: &Digest,
) -> Result<()> {
    let now = Timestamp::now();
    let rotated = now.plus_seconds(HOUR);
    let signed_at = now.plus_seconds(90 * MINUTE);
    let later = now.plus_seconds(2 * HOUR);
    let v1 =
        RosterChain::from_bytes(&std::fs::read(ws.path("roster.cbor"))?)?.versions()[0].clone();
    let mut next = roster.roster().clone();
    next.version = 2;
    for ident in &mut next.identities {
        if ident.id == cast.alice.id {
            for k in &mut ident.keys {
                k.revoked = Some(vouch_manifest::Revocation {
                    at: rotated,
                    reason: RevocationReason::Superseded,
                });
            }
        }
    }
    let roots: [&dyn Signer; 2] = [&cast.roots[0], &cast.roots[2]];
    let v2 = sign_by(next, &roots)?;
    let trusted = RosterChain::new(vec![v1.clone(), v2]).verify(&v1.digest(), later)?;
    let policy_path = concat!(env!("CARGO_MANIFEST_DIR"), "/policy-demo.toml");
    let mut lenient = Policy::from_toml(&std::fs::read_to_string(policy_path)?)?;
    lenient.roster.trust_claimed_time_after_revocation = true;
    let verifier = Verifier::new(lenient, trusted);
    println!(
        "   f) another roster v2 supersedes Alice's FIDO key at {rotated}; at {signed_at} the old key signs\n      \
         a trigger approval for a new deployment, dated {} (before the rotation)",
        t.triggered.plus_seconds(6 * MINUTE)
    );
    // The genuine chain, logged before the rotation, still passes then.
    let verdict = verifier.verify(genuine.bundle, &Target::Deployment(*deployment), later);
    if !verdict.passed() {
        println!("{}", verdict.render_text());
        return Err("the genuine chain, logged before the rotation, was refused".into());
    }
    let plan = Deploy {
        image: genuine.image.unverified().predicate().image,
        run: "deploy-820",
        at: t.deployed.plus_seconds(6 * MINUTE),
        triggered_by: (&cast.alice, t.triggered.plus_seconds(6 * MINUTE)),
        authorized_by: (&cast.erin, t.authorized.plus_seconds(6 * MINUTE)),
    };
    let (attempt, approvals) = plan.sign(cast)?;
    let target = Target::Deployment(attempt.digest());
    let mut claimed_only = genuine.bundle.clone();
    add(&mut claimed_only, &attempt)?;
    for a in &approvals {
        add(&mut claimed_only, a)?;
    }
    if !verifier.verify(&claimed_only, &target, later).passed() {
        return Err("the lenient verifier refused the backdated approval without a log".into());
    }
    println!(
        "      without the log, the lenient verifier ACCEPTS it: the claimed time alone carries it"
    );
    // The same statements, logged when they were made: after the rotation.
    let mut log = vouch_log::Log::open(ws.path("log"))?;
    let mut logged = genuine.bundle.clone();
    let mut register = |bytes: Vec<u8>| -> Result<()> {
        let r = log.register(&bytes, &cast.log_key, Some(signed_at.unix_seconds()))?;
        logged.add_envelope(r.envelope);
        Ok(())
    };
    register(attempt.to_bytes()?)?;
    for a in &approvals {
        register(a.to_bytes()?)?;
    }
    let verdict = verifier.verify(&logged, &target, later);
    let Some(f) = verdict
        .failures()
        .iter()
        .find(|f| matches!(f.reason, Reason::KeyEndedBeforeProvenTime { .. }))
    else {
        println!("{}", verdict.render_text());
        return Err("a backdated signature by a rotated-out key passed with proven time".into());
    };
    println!(
        "      with the log's receipts: {}",
        abbreviate(&format!(
            "REFUSED at {}: {}",
            f.path.last().map(String::as_str).unwrap_or_default(),
            f.reason
        ))
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Step 9: the verification summary
// ---------------------------------------------------------------------------

/// Step 9: the passing verdict as a signed SLSA verification summary (VSA),
/// one small statement an admission controller can check instead of the chain.
fn step_summary(verdict: &Verdict) -> Result<()> {
    let gate = FileKey::generate(Algorithm::Ed25519)?;
    let vsa = verdict.signed_summary(&gate, "https://deploy-gate.example.com", Some(IMAGE_NAME))?;
    let bytes = vsa.to_bytes()?;
    let back = Signed::<vouch_chain::VerificationSummary>::from_bytes(&bytes)?;
    let checked = back.verify(|k| (*k == gate.key_id()).then_some(gate.public_key()))?;
    let s = checked.value().predicate();
    println!(
        "\n9. SLSA verification summary signed by the deploy gate (key {})",
        short_key(gate.public_key())
    );
    println!(
        "   {} for {IMAGE_NAME}, {} input statements, {} bytes: statement {}",
        s.verification_result,
        s.input_attestations.len(),
        bytes.len(),
        short_digest(&back.digest())
    );
    Ok(())
}

/// The bundle as it travels with the image: attached to the image's OCI
/// layout as an OCI 1.1 artifact whose subject is the image manifest, and
/// read back from the layout's referrers, as `vouch oci attach` and
/// `vouch oci fetch` do. Without a layout (no umoci) the bundle is used as
/// it is, and the story says so.
fn travel_with_image(ws: &Workspace, image: &Signed<Image>, bytes: Vec<u8>) -> Result<Vec<u8>> {
    let i = image.unverified().predicate();
    let dir = ws.path(&format!("{}.oci", i.invocation_id));
    if !dir.exists() {
        println!("   (no OCI layout to attach the bundle to: umoci is not installed)");
        return Ok(bytes);
    }
    let mut layout = vouch_oci::layout::Layout::open(&dir)?;
    let subject = layout.resolve(None)?.clone();
    let artifact = layout.attach(&subject, &bytes)?;
    let mut found = vouch_oci::layout::Layout::open(&dir)?.bundles_for(&i.image)?;
    println!(
        "   the chain's bundle is attached to the image's layout as OCI artifact {}\n   \
         (subject {}); the gate's bundle directory is filled from the layout's referrers",
        short_digest(&artifact.digest),
        short_digest(&i.image)
    );
    match (found.pop(), found.is_empty()) {
        (Some(back), true) if back == bytes => Ok(back),
        _ => Err("the layout did not give back exactly the bundle attached".into()),
    }
}

/// Step 10: the admission gate, asked as the Kubernetes API server asks a
/// validating webhook (an `AdmissionReview` for each Pod). It finds the
/// bundle for each image in a directory, verifies the deployment statement
/// for the cluster, namespace and workload the Pod is about to run at, and
/// admits only what verifies; the second identical request is a cache hit.
fn step_gate(
    ws: &Workspace,
    verifier: &Verifier,
    bundle: &Bundle,
    image: &Signed<Image>,
) -> Result<()> {
    use vouch_gate::gate::{Gate, GateSettings};
    use vouch_gate::source::{BundleSource, DirSource, file_name};
    let digest = image.unverified().predicate().image;
    let dir = ws.path("gate-bundles");
    std::fs::create_dir_all(&dir)?;
    println!(
        "\n10. The admission gate (vouch-gate), asked for Pods as the Kubernetes API server asks it"
    );
    let bytes = travel_with_image(ws, image, bundle.to_bytes()?)?;
    std::fs::write(dir.join(file_name(&digest)), bytes)?;
    let sources: Vec<std::sync::Arc<dyn BundleSource>> =
        vec![std::sync::Arc::new(DirSource::new(&dir))];
    let gate = Gate::new(
        GateSettings {
            cluster: "eu-1".into(),
            environment: Some("production".into()),
            workload_label: "app.kubernetes.io/name".into(),
            dry_run: false,
            exempt_namespaces: vec!["kube-system".into()],
            fetch_timeout: std::time::Duration::from_secs(5),
        },
        std::sync::Arc::new(verifier.clone()),
        verifier.policy().digest(),
        sources,
        64,
    );
    let pinned = format!("{IMAGE_NAME}@{digest}");
    let unknown = format!(
        "{IMAGE_NAME}@{}",
        Digest::sha256(b"an image nobody certified")
    );
    let cases: [(&str, &str, &str, Vec<&str>, bool); 5] = [
        (
            "the deployed image, in shop",
            "shop",
            "api",
            vec![pinned.as_str()],
            true,
        ),
        (
            "the same again (cache)",
            "shop",
            "api",
            vec![pinned.as_str()],
            true,
        ),
        (
            "the same Pod in another namespace",
            "payments",
            "api",
            vec![pinned.as_str()],
            false,
        ),
        (
            "the image by tag",
            "shop",
            "api",
            vec!["registry.example.com/shop/api:1.4.0"],
            false,
        ),
        (
            "a sidecar nobody certified",
            "shop",
            "api",
            vec![pinned.as_str(), unknown.as_str()],
            false,
        ),
    ];
    for (i, (what, namespace, app, images, expect)) in cases.iter().enumerate() {
        let containers: Vec<String> = images
            .iter()
            .enumerate()
            .map(|(n, image)| format!(r#"{{"name":"c{n}","image":"{image}"}}"#))
            .collect();
        let body = format!(
            r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"req-{i}","kind":{{"group":"","version":"v1","kind":"Pod"}},"namespace":"{namespace}","operation":"CREATE","object":{{"apiVersion":"v1","kind":"Pod","metadata":{{"generateName":"api-","namespace":"{namespace}","labels":{{"app.kubernetes.io/name":"{app}"}}}},"spec":{{"containers":[{}]}}}}}}}}"#,
            containers.join(",")
        );
        let review = vouch_gate::review::decode(body.as_bytes())?;
        let reviewed = gate.review(&review.request, Timestamp::now());
        let allowed = reviewed.decision.allowed;
        let mark = if allowed { "admitted" } else { "denied" };
        let cache = if reviewed.cache_hits > 0 {
            " (cache hit)"
        } else {
            ""
        };
        println!("   {what}: {mark}{cache}");
        if !allowed {
            println!("      {}", abbreviate(&reviewed.decision.message));
        }
        if allowed != *expect {
            return Err(format!("the gate answered {mark} for {what}").into());
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// git's signing program
// ---------------------------------------------------------------------------

/// Acts as `ssh-keygen -Y sign` for git: git runs
/// `PROGRAM -Y sign -n git -f KEY [-U] BUFFERFILE` and reads the armored
/// signature from `BUFFERFILE.sig`. `KEY` is `user.signingkey` as
/// configured, which git passes through unchanged when it is not a `key::`
/// literal: here a vouch key reference such as `soft-fido:PATH`.
fn sign_for_git(args: &[OsString]) -> Result<()> {
    let (mut op, mut namespace, mut key, mut file) = (None, None, None, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.to_str() {
            Some("-Y") => op = it.next().and_then(|v| v.to_str()),
            Some("-n") => namespace = it.next().and_then(|v| v.to_str()),
            Some("-f") => key = it.next().and_then(|v| v.to_str()),
            Some("-U") => {
                return Err(
                    "ssh-agent keys (-U) are not supported: set user.signingkey \
                            to a vouch key reference such as soft-fido:PATH"
                        .into(),
                );
            }
            Some(flag) if flag.starts_with('-') && flag.len() > 1 => {
                return Err(format!(
                    "unsupported option {flag}: only `-Y sign -n NAMESPACE -f KEYREF FILE` \
                     is implemented here"
                )
                .into());
            }
            _ => file = Some(arg),
        }
    }
    if op != Some("sign") {
        return Err(format!("only -Y sign is implemented here, not {op:?}").into());
    }
    let namespace = namespace.ok_or("missing -n NAMESPACE")?;
    let key: KeyRef = key.ok_or("missing -f KEY")?.parse()?;
    let file = file.ok_or("missing the file to sign")?;
    let signer = key.open(None)?;
    let data = std::fs::read(file)?;
    let armored = sshsig::sign(&*signer, namespace, &data, HashAlgorithm::Sha512)?;
    let mut out = file.clone();
    out.push(".sig");
    std::fs::write(out, armored)?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/// An error shown with its causes on one line, also as `Debug` (which is
/// what `main` prints for an error it returns).
struct Report(Box<dyn Error>);

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl std::fmt::Debug for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl Error for Report {}

/// Signs a statement about `predicate`'s default subjects with every signer
/// in turn (the first signs, the rest co-sign).
fn sign_by<P: Predicate>(predicate: P, signers: &[&dyn Signer]) -> Result<Signed<P>> {
    let statement = Statement::from_predicate(predicate)?;
    let (first, rest) = signers.split_first().ok_or("no signer")?;
    let mut signed = Signed::sign(&statement, *first)?;
    for s in rest {
        signed.cosign(*s)?;
    }
    Ok(signed)
}

fn add<P: Predicate>(bundle: &mut Bundle, signed: &Signed<P>) -> Result<()> {
    bundle.add_envelope(signed.to_bytes()?);
    Ok(())
}

fn in_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// A short name for the key type (`ed25519-sk` for a FIDO Ed25519 key).
fn key_type(key: &PublicKey) -> &'static str {
    match key.ssh_key_type() {
        "ssh-ed25519" => "ed25519",
        "sk-ssh-ed25519@openssh.com" => "ed25519-sk",
        "ecdsa-sha2-nistp256" => "ecdsa-p256",
        "sk-ecdsa-sha2-nistp256@openssh.com" => "ecdsa-p256-sk",
        other => other,
    }
}

/// The key id as the verdict tree shows it (16 hex digits).
fn short_key(key: &PublicKey) -> String {
    key.key_id().to_string().chars().take(16).collect()
}

fn short_digest(d: &Digest) -> String {
    format!("{}:{}…", d.algorithm(), &d.hex()[..16])
}

fn short_id(id: &GitObjectId) -> &str {
    &id.as_str()[..12]
}

/// `text` with every run of 40 or more hex digits (commit ids, digests)
/// cut to its first 12.
fn abbreviate(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 40 {
            out.push_str(&run[..12]);
            out.push('…');
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(OsStr::to_string_lossy)
        .map(|n| n.into_owned())
        .unwrap_or_default()
}
