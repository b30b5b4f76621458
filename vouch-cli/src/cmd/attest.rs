//! `vouch attest commit|release|image|deploy|approve` and `vouch cosign`.
//!
//! Each statement's predicate is assembled in a typed draft (the
//! predicate's fields, all optional): read from `--from FILE` (JSON or TOML
//! of the predicate, field names as in the statement: camelCase), each flag
//! given written over its field, then turned into the predicate by one
//! function per kind, which fills the defaults and names any field still
//! missing. vouch-manifest checks and signs it.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use vouch_core::text::Escaped;
use vouch_core::{Digest, Timestamp};
use vouch_git::commit::{CommitObject, ObjectFormat};
use vouch_manifest::tree::TreeManifest;
use vouch_manifest::{
    Approval, ApprovalRole, Commit, Dependency, DeployTarget, Deployment, GitObjectId, GitPerson,
    IdentityId, Image, ImagePackage, Pipeline, PlatformImage, Predicate, Release, ReleaseArchive,
    STATEMENT_CONTENT_TYPE, Signed, SourceCommit, Statement, dependencies_from_sbom,
};

use crate::cmd::SignerArgs;
use crate::cmd::digest::{TreeArgs, build_tree, statement_digest};
use crate::exit::{CliError, CliResult, Outcome};
use crate::git::read::{git, read_commit};

/// The long help of `vouch attest`.
pub(crate) const LONG_ABOUT: &str = "\
Make and sign the statements of the chain.

Each command assembles a predicate from its flags, or from --from FILE (JSON,
or TOML, of the predicate with the statement's camelCase field names) with
the flags overriding fields of the file; checks it; signs it with --key; and
writes the signed statement (a COSE_Sign envelope over canonical CBOR) to -o.
It prints the statement digest and the file: the digest is the name other
statements use for this one (an image names its releases by it, an approval
its deployment, `vouch verify` its target). `vouch digest --statement FILE`
prints it again later.

The chain, bottom up:
  commit   who wrote a commit and who signs for it (--repo DIR fills it from git)
  release  a signed SBOM: contents, dependencies, certified commits
  image    what a build put into an image, signed by the builder workload
  deploy   what runs where, signed by the deploying workload
  approve  a person's own signed word: triggered or authorized a deployment";

/// `vouch attest ...`
#[derive(Subcommand, Debug)]
pub(crate) enum AttestCommand {
    /// Attest a git commit: its ids, author, committer, and the identity signing for it.
    Commit(CommitArgs),
    /// Certify a release: package, version, content manifest, dependencies, commits.
    Release(ReleaseArgs),
    /// Attest an image build: digests, layers, packages, source commits, builder.
    Image(ImageArgs),
    /// Attest a deployment: environment, target, image, team, pipeline, people.
    Deploy(DeployArgs),
    /// Approve a statement (a deployment) as the person who triggered or authorized it.
    Approve(ApproveArgs),
}

/// What every `attest` command takes.
#[derive(Args, Debug)]
pub(crate) struct CommonArgs {
    /// The signing key.
    #[command(flatten)]
    signer: SignerArgs,
    /// Start from this predicate (JSON or TOML); flags override its fields.
    #[arg(long, value_name = "FILE")]
    from: Option<PathBuf>,
    /// Where to write the signed statement.
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    out: PathBuf,
    /// Also append the signed statement to the log in DIR (`vouch log
    /// init`) and write it with the log's receipt attached.
    #[arg(long, value_name = "DIR", requires = "log_key")]
    log: Option<PathBuf>,
    /// The log's signing key, with --log (unlocked as --key is).
    #[arg(long, value_name = "KEYREF", requires = "log")]
    log_key: Option<String>,
}

/// Arguments of `vouch attest commit`.
#[derive(Args, Debug)]
pub(crate) struct CommitArgs {
    /// Key, --from and output.
    #[command(flatten)]
    common: CommonArgs,
    /// Fill the commit from the git repository in DIR (runs `git rev-parse` and `git cat-file`).
    #[arg(long, value_name = "DIR", conflicts_with = "from")]
    repo: Option<PathBuf>,
    /// The revision to attest, with --repo (default HEAD).
    #[arg(value_name = "REV", requires = "repo")]
    rev: Option<String>,
    /// The repository URL to record (default with --repo: its remote.origin.url, else its path).
    #[arg(long, value_name = "URL")]
    repository: Option<String>,
    /// The roster identity that signs for the commit, e.g. person:alice@example.com.
    #[arg(long, value_name = "ID")]
    signer: Option<IdentityId>,
    /// With --repo: also write the raw commit object to FILE (name it *.commit for `vouch bundle create`).
    #[arg(long, value_name = "FILE", requires = "repo")]
    object_out: Option<PathBuf>,
}

/// Arguments of `vouch attest release`.
#[derive(Args, Debug)]
pub(crate) struct ReleaseArgs {
    /// Key, --from and output.
    #[command(flatten)]
    common: CommonArgs,
    /// The released files: a directory (its content manifest is built) or a
    /// manifest file from `vouch manifest tree`.
    #[arg(long, value_name = "DIR", conflicts_with = "archive")]
    contents: Option<PathBuf>,
    /// The released archive (.crate, wheel, sdist, npm .tgz, zip, tar): the
    /// contents are its files' manifest, and the statement's subjects name
    /// it by its SHA-256 and SHA-512 as registries state them.
    #[arg(long, value_name = "FILE")]
    archive: Option<PathBuf>,
    /// The --archive format, when its file name does not say it.
    #[arg(long = "archive-format", value_name = "FORMAT", requires = "archive")]
    archive_format: Option<vouch_package::Format>,
    /// How --contents is walked when it is a directory.
    #[command(flatten)]
    tree: TreeArgs,
    /// An SBOM whose components become the dependencies: CycloneDX (1.5+) or
    /// SPDX 2.3 JSON, detected from the document.
    #[arg(long, value_name = "FILE")]
    sbom: Option<PathBuf>,
    /// A commit id certified into the release (repeatable).
    #[arg(long = "commit", value_name = "ID")]
    commits: Vec<GitObjectId>,
    /// The repository the --commit ids live in, named in each entry (the
    /// reference-log rule of the chain finds their log by it).
    #[arg(long, value_name = "URL", conflicts_with = "repository_from")]
    repository: Option<String>,
    /// Name the repository of the --commit ids by the `origin` remote URL
    /// of the git repository in DIR.
    #[arg(long, value_name = "DIR")]
    repository_from: Option<PathBuf>,
    /// The package name.
    #[arg(long)]
    package: Option<String>,
    /// The version.
    #[arg(long)]
    version: Option<String>,
    /// The package URL, e.g. pkg:cargo/shop-api@1.4.0.
    #[arg(long)]
    purl: Option<String>,
    /// When the release was cut (RFC 3339 UTC; default now).
    #[arg(long, value_name = "T")]
    released_at: Option<Timestamp>,
    /// The package's previous release: its signed release statement file, or
    /// its statement digest. Its certified commits bound this release's
    /// history: a parent of a commit certified here must be certified here,
    /// by the previous release, or be exempt by policy.
    #[arg(long, value_name = "FILE|DIGEST")]
    previous: Option<String>,
    /// The release's annotated git tag (`git tag -s NAME`), read from the
    /// repository (--repo, default the current directory): the release
    /// names it by name and tag object id, for `[release] require_tag`.
    #[arg(long, value_name = "NAME")]
    tag: Option<String>,
    /// The repository --tag is read from.
    #[arg(long, value_name = "DIR", requires = "tag")]
    repo: Option<PathBuf>,
    /// Write the raw tag object here (NAME.tag), for `vouch bundle create`.
    #[arg(long, value_name = "FILE", requires = "tag")]
    tag_out: Option<PathBuf>,
}

/// Arguments of `vouch attest image`.
#[derive(Args, Debug)]
pub(crate) struct ImageArgs {
    /// Key, --from and output.
    #[command(flatten)]
    common: CommonArgs,
    /// The image name without digest, e.g. registry.example.com/shop/api.
    #[arg(long)]
    name: Option<String>,
    /// Read the manifest, config and layer digests from an OCI image layout
    /// (DIR, or DIR:TAG when it holds several images), never typed by hand.
    /// For an image index: the index digest and each platform manifest.
    #[arg(long, value_name = "DIR[:TAG]", conflicts_with_all = ["image", "config", "layers"])]
    oci: Option<String>,
    /// The OCI manifest digest (sha256:...).
    #[arg(long, value_name = "DIGEST")]
    image: Option<Digest>,
    /// The OCI config digest.
    #[arg(long, value_name = "DIGEST")]
    config: Option<Digest>,
    /// A layer digest, in order (repeatable).
    #[arg(long = "layer", value_name = "DIGEST")]
    layers: Vec<Digest>,
    /// A package built in, as NAME@VERSION=RELEASE_STATEMENT_DIGEST (repeatable).
    #[arg(long = "package", value_name = "NAME@VERSION=DIGEST", value_parser = parse_package)]
    packages: Vec<ImagePackage>,
    /// A package built in, named by its signed release statement file (repeatable).
    #[arg(long = "release", value_name = "FILE")]
    releases: Vec<PathBuf>,
    /// A source commit built from, as REPOSITORY_URL=COMMIT_ID (repeatable).
    #[arg(long = "source-commit", value_name = "URL=ID", value_parser = parse_source_commit)]
    source_commits: Vec<SourceCommit>,
    /// The build workload, e.g. workload:ci/build.
    #[arg(long, value_name = "ID")]
    builder: Option<IdentityId>,
    /// The build invocation (CI run) id.
    #[arg(long, value_name = "ID")]
    invocation_id: Option<String>,
    /// When the build started (default now).
    #[arg(long, value_name = "T")]
    started_at: Option<Timestamp>,
    /// When the build finished (default now).
    #[arg(long, value_name = "T")]
    finished_at: Option<Timestamp>,
}

/// Arguments of `vouch attest deploy`.
#[derive(Args, Debug)]
pub(crate) struct DeployArgs {
    /// Key, --from and output.
    #[command(flatten)]
    common: CommonArgs,
    /// The environment, e.g. production.
    #[arg(long)]
    environment: Option<String>,
    /// The cluster.
    #[arg(long)]
    cluster: Option<String>,
    /// The namespace.
    #[arg(long)]
    namespace: Option<String>,
    /// The service.
    #[arg(long)]
    service: Option<String>,
    /// The image deployed: its digest, or its signed image statement file.
    #[arg(long, value_name = "DIGEST|FILE")]
    image: Option<String>,
    /// The responsible team.
    #[arg(long)]
    team: Option<String>,
    /// The deploying CI workload, e.g. workload:ci/deploy.
    #[arg(long, value_name = "ID")]
    deployer: Option<IdentityId>,
    /// The CI run id.
    #[arg(long, value_name = "ID")]
    run_id: Option<String>,
    /// The CI run URL.
    #[arg(long, value_name = "URL")]
    run_url: Option<String>,
    /// The person who triggered the job.
    #[arg(long, value_name = "ID")]
    triggered_by: Option<IdentityId>,
    /// A person who authorized it (repeatable; at least one).
    #[arg(long, value_name = "ID")]
    authorized_by: Vec<IdentityId>,
    /// When (default now).
    #[arg(long, value_name = "T")]
    time: Option<Timestamp>,
    /// The CI provider's OIDC ID token of this job (a compact JWT requested
    /// with audience `vouch:KEYID` of the signing key), read from FILE.
    #[arg(long, value_name = "FILE", conflicts_with = "ci_token_env")]
    ci_token: Option<PathBuf>,
    /// Like --ci-token, read from the environment variable NAME (a job's
    /// token is often handed over in one, never written to disk).
    #[arg(long, value_name = "NAME")]
    ci_token_env: Option<String>,
}

/// What an approval says.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub(crate) enum RoleArg {
    /// "I triggered this deployment."
    Trigger,
    /// "I authorize this deployment."
    Authorize,
}

/// Arguments of `vouch attest approve`.
#[derive(Args, Debug)]
pub(crate) struct ApproveArgs {
    /// Key, --from and output.
    #[command(flatten)]
    common: CommonArgs,
    /// The statement approved: its signed file, or its digest.
    #[arg(long, value_name = "SIGNED_FILE|DIGEST")]
    statement: Option<String>,
    /// What the signer did.
    #[arg(long, value_enum)]
    role: Option<RoleArg>,
    /// The signer's identity, e.g. person:erin@example.com.
    #[arg(long, value_name = "ID")]
    id: Option<IdentityId>,
    /// When (default now).
    #[arg(long, value_name = "T")]
    time: Option<Timestamp>,
}

/// Arguments of `vouch cosign`.
#[derive(Args, Debug)]
pub(crate) struct CosignArgs {
    /// The signed statement.
    #[arg(value_name = "SIGNED")]
    signed: PathBuf,
    /// The key adding its signature.
    #[command(flatten)]
    signer: SignerArgs,
    /// Write the result to OUT instead of replacing SIGNED.
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    out: Option<PathBuf>,
}

/// Runs `vouch attest ...`.
pub(crate) fn run(command: AttestCommand) -> CliResult {
    match command {
        AttestCommand::Commit(a) => commit(a),
        AttestCommand::Release(a) => release(a),
        AttestCommand::Image(a) => image(a),
        AttestCommand::Deploy(a) => deploy(a),
        AttestCommand::Approve(a) => approve(a),
    }
}

/// A commit predicate as `--from` and the flags give it: every field optional.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CommitDraft {
    /// See [`Commit::repository`].
    repository: Option<String>,
    /// See [`Commit::commit_id`].
    commit_id: Option<GitObjectId>,
    /// See [`Commit::tree_id`].
    tree_id: Option<GitObjectId>,
    /// See [`Commit::parents`].
    parents: Option<Vec<GitObjectId>>,
    /// See [`Commit::author`].
    author: Option<GitPerson>,
    /// See [`Commit::committer`].
    committer: Option<GitPerson>,
    /// See [`Commit::signer`].
    signer: Option<IdentityId>,
}

/// A release predicate as `--from` and the flags give it.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ReleaseDraft {
    /// See [`Release::package`].
    package: Option<String>,
    /// See [`Release::version`].
    version: Option<String>,
    /// See [`Release::purl`].
    purl: Option<String>,
    /// See [`Release::contents`].
    contents: Option<TreeManifest>,
    /// See [`Release::dependencies`].
    dependencies: Option<Vec<Dependency>>,
    /// See [`Release::commits`].
    commits: Option<Vec<vouch_manifest::CertifiedCommit>>,
    /// See [`Release::released_at`].
    released_at: Option<Timestamp>,
    /// See [`Release::previous`].
    previous: Option<Digest>,
    /// See [`Release::tag`].
    tag: Option<vouch_manifest::ReleaseTag>,
    /// See [`Release::archive`].
    archive: Option<ReleaseArchive>,
}

/// An image predicate as `--from` and the flags give it.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ImageDraft {
    /// See [`Image::name`].
    name: Option<String>,
    /// See [`Image::image`].
    image: Option<Digest>,
    /// See [`Image::config`].
    config: Option<Digest>,
    /// See [`Image::layers`].
    layers: Option<Vec<Digest>>,
    /// See [`Image::packages`].
    packages: Option<Vec<ImagePackage>>,
    /// See [`Image::source_commits`].
    source_commits: Option<Vec<SourceCommit>>,
    /// See [`Image::builder`].
    builder: Option<IdentityId>,
    /// See [`Image::invocation_id`].
    invocation_id: Option<String>,
    /// See [`Image::started_at`].
    started_at: Option<Timestamp>,
    /// See [`Image::finished_at`].
    finished_at: Option<Timestamp>,
    /// See [`Image::platforms`].
    platforms: Option<Vec<PlatformImage>>,
}

/// A deployment target as `--from` and the flags give it.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TargetDraft {
    /// See [`DeployTarget::cluster`].
    cluster: Option<String>,
    /// See [`DeployTarget::namespace`].
    namespace: Option<String>,
    /// See [`DeployTarget::service`].
    service: Option<String>,
}

/// A deployment's CI run as `--from` and the flags give it.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PipelineDraft {
    /// See [`Pipeline::run_id`].
    run_id: Option<String>,
    /// See [`Pipeline::url`].
    url: Option<String>,
}

/// A deployment predicate as `--from` and the flags give it.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DeploymentDraft {
    /// See [`Deployment::environment`].
    environment: Option<String>,
    /// See [`Deployment::target`].
    #[serde(default)]
    target: TargetDraft,
    /// See [`Deployment::image`].
    image: Option<Digest>,
    /// See [`Deployment::team`].
    team: Option<String>,
    /// See [`Deployment::deployer`].
    deployer: Option<IdentityId>,
    /// See [`Deployment::pipeline`].
    #[serde(default)]
    pipeline: PipelineDraft,
    /// See [`Deployment::triggered_by`].
    triggered_by: Option<IdentityId>,
    /// See [`Deployment::authorized_by`].
    authorized_by: Option<Vec<IdentityId>>,
    /// See [`Deployment::time`].
    time: Option<Timestamp>,
    /// See [`Deployment::ci_token`].
    ci_token: Option<String>,
}

/// An approval predicate as `--from` and the flags give it.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ApprovalDraft {
    /// See [`Approval::statement`].
    statement: Option<Digest>,
    /// See [`Approval::role`].
    role: Option<ApprovalRole>,
    /// See [`Approval::identity`].
    identity: Option<IdentityId>,
    /// See [`Approval::time`].
    time: Option<Timestamp>,
}

/// Reads the draft of a `kind` predicate from `--from` (JSON, or TOML),
/// or starts an empty one.
fn read_draft<D: DeserializeOwned + Default>(
    kind: &str,
    from: Option<&Path>,
) -> Result<D, CliError> {
    let Some(path) = from else {
        return Ok(D::default());
    };
    let text = crate::io::read_text(path, crate::io::Input::DRAFT)?;
    let parsed: Result<Value, Box<dyn std::error::Error + Send + Sync>> =
        if text.trim_start().starts_with('{') {
            serde_json::from_str(&text).map_err(Into::into)
        } else {
            toml::from_str(&text).map_err(Into::into)
        };
    match parsed {
        Ok(v @ Value::Object(_)) => serde_json::from_value(v).map_err(|e| {
            CliError::usage(
                format!("the {kind} predicate in {} is invalid", path.display()),
                e,
            )
        }),
        Ok(_) => Err(CliError::usage_msg(format!(
            "{} does not hold a {kind} predicate (a JSON object or TOML table)",
            path.display()
        ))),
        Err(e) => Err(CliError::usage(
            format!("cannot read {}", path.display()),
            e,
        )),
    }
}

/// A field the predicate needs: its value, or an error naming it and where
/// it can come from (`flag`, e.g. `--environment`, or only `--from`).
fn need<T>(v: Option<T>, kind: &str, field: &str, flag: Option<&str>) -> Result<T, CliError> {
    v.ok_or_else(|| {
        let from = match flag {
            Some(flag) => format!("give {flag} or set it in --from"),
            None => "set it in --from".to_owned(),
        };
        CliError::usage_msg(format!("the {kind} predicate is missing {field} ({from})"))
    })
}

/// Sets a repeatable flag's values into `field` when any were given.
fn set_list<T>(field: &mut Option<Vec<T>>, values: Vec<T>) {
    if !values.is_empty() {
        *field = Some(values);
    }
}

/// Sets a flag's value into `field` when it was given.
fn set<T>(field: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *field = value;
    }
}

/// The commit predicate of a draft (no parents: a root commit).
fn commit_predicate(d: CommitDraft) -> Result<Commit, CliError> {
    const K: &str = "commit";
    Ok(Commit {
        repository: need(d.repository, K, "repository", Some("--repository"))?,
        commit_id: need(d.commit_id, K, "commitId", None)?,
        tree_id: need(d.tree_id, K, "treeId", None)?,
        parents: d.parents.unwrap_or_default(),
        author: need(d.author, K, "author", None)?,
        committer: need(d.committer, K, "committer", None)?,
        signer: need(d.signer, K, "signer", Some("--signer"))?,
    })
}

/// The release predicate of a draft (no dependencies or commits, released now).
fn release_predicate(d: ReleaseDraft) -> Result<Release, CliError> {
    const K: &str = "release";
    Ok(Release {
        package: need(d.package, K, "package", Some("--package"))?,
        version: need(d.version, K, "version", Some("--version"))?,
        purl: d.purl,
        contents: need(d.contents, K, "contents", Some("--contents"))?,
        dependencies: d.dependencies.unwrap_or_default(),
        commits: d.commits.unwrap_or_default(),
        released_at: d.released_at.unwrap_or_else(Timestamp::now),
        previous: d.previous,
        archive: d.archive,
        tag: d.tag,
    })
}

/// The image predicate of a draft (no layers, packages or source commits;
/// started and finished now).
fn image_predicate(d: ImageDraft) -> Result<Image, CliError> {
    const K: &str = "image";
    let now = Timestamp::now();
    Ok(Image {
        name: need(d.name, K, "name", Some("--name"))?,
        image: need(d.image, K, "image", Some("--image"))?,
        config: need(d.config, K, "config", Some("--config"))?,
        layers: d.layers.unwrap_or_default(),
        packages: d.packages.unwrap_or_default(),
        source_commits: d.source_commits.unwrap_or_default(),
        builder: need(d.builder, K, "builder", Some("--builder"))?,
        invocation_id: need(d.invocation_id, K, "invocationId", Some("--invocation-id"))?,
        started_at: d.started_at.unwrap_or(now),
        finished_at: d.finished_at.unwrap_or(now),
        platforms: d.platforms.unwrap_or_default(),
    })
}

/// The deployment predicate of a draft (deployed now).
fn deployment_predicate(d: DeploymentDraft) -> Result<Deployment, CliError> {
    const K: &str = "deployment";
    let (t, p) = (d.target, d.pipeline);
    Ok(Deployment {
        environment: need(d.environment, K, "environment", Some("--environment"))?,
        target: DeployTarget {
            cluster: need(t.cluster, K, "target.cluster", Some("--cluster"))?,
            namespace: need(t.namespace, K, "target.namespace", Some("--namespace"))?,
            service: need(t.service, K, "target.service", Some("--service"))?,
        },
        image: need(d.image, K, "image", Some("--image"))?,
        team: need(d.team, K, "team", Some("--team"))?,
        deployer: need(d.deployer, K, "deployer", Some("--deployer"))?,
        pipeline: Pipeline {
            run_id: need(p.run_id, K, "pipeline.runId", Some("--run-id"))?,
            url: need(p.url, K, "pipeline.url", Some("--run-url"))?,
        },
        triggered_by: need(d.triggered_by, K, "triggeredBy", Some("--triggered-by"))?,
        authorized_by: need(d.authorized_by, K, "authorizedBy", Some("--authorized-by"))?,
        time: d.time.unwrap_or_else(Timestamp::now),
        ci_token: d.ci_token,
    })
}

/// The approval predicate of a draft (approved now).
fn approval_predicate(d: ApprovalDraft) -> Result<Approval, CliError> {
    const K: &str = "approval";
    Ok(Approval {
        statement: need(d.statement, K, "statement", Some("--statement"))?,
        role: need(d.role, K, "role", Some("--role"))?,
        identity: need(d.identity, K, "identity", Some("--id"))?,
        time: d.time.unwrap_or_else(Timestamp::now),
    })
}

/// Signs the statement of `predicate`, writes it and prints its digest.
fn sign_and_write<P: Predicate>(predicate: P, common: &CommonArgs) -> CliResult {
    let statement = Statement::from_predicate(predicate)
        .map_err(|e| CliError::usage("the statement is invalid", e))?;
    let signer = common.signer.open()?;
    let signed = Signed::sign(&statement, &*signer)
        .map_err(|e| CliError::usage("cannot sign the statement", e))?;
    let mut bytes = signed
        .to_bytes()
        .map_err(|e| CliError::usage("cannot encode the statement", e))?;
    if let (Some(dir), Some(key)) = (&common.log, &common.log_key) {
        let log_key = SignerArgs {
            key: key.clone(),
            passphrase: common.signer.passphrase.clone(),
        };
        bytes = crate::cmd::log::register(dir, &log_key, &bytes)?.envelope;
    }
    crate::io::write(&common.out, &bytes)?;
    crate::io::outln!("{}  {}", signed.digest(), common.out.display());
    Ok(Outcome::Done)
}

/// Reads a signed statement of one kind (not verified: it is only named).
fn read_signed<P: Predicate>(path: &Path) -> Result<Signed<P>, CliError> {
    Signed::from_bytes(&crate::io::read(path, crate::io::Input::SIGNED)?).map_err(|e| {
        CliError::usage(
            format!("{} is not the signed statement expected", path.display()),
            e,
        )
    })
}

/// `vouch attest commit`: from git (`--repo`), or from flags and `--from`.
fn commit(args: CommitArgs) -> CliResult {
    let Some(dir) = &args.repo else {
        let mut draft: CommitDraft = read_draft("commit", args.common.from.as_deref())?;
        set(&mut draft.repository, args.repository);
        set(&mut draft.signer, args.signer);
        return sign_and_write(commit_predicate(draft)?, &args.common);
    };
    let signer = args
        .signer
        .ok_or_else(|| CliError::usage_msg("--signer ID is required with --repo"))?;
    let rev = args.rev.as_deref().unwrap_or("HEAD");
    let (id, object) = read_commit(Some(dir), rev).map_err(|e| {
        CliError::usage(
            format!("cannot read commit {rev:?} from {}", dir.display()),
            e,
        )
    })?;
    let repository = match args.repository {
        Some(r) => r,
        None => match git(Some(dir), "config", &["--get", "remote.origin.url"], 4096) {
            Ok(url) => String::from_utf8_lossy(&url).trim().to_owned(),
            Err(_) => {
                let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
                format!("file://{}", abs.display())
            }
        },
    };
    let parsed = CommitObject::parse(&object, ObjectFormat::of_id(&id))
        .map_err(|e| CliError::usage(format!("cannot read commit {id} from git"), e))?;
    if *parsed.id() != id {
        return Err(CliError::usage_msg(format!(
            "git printed an object for commit {id} that hashes to {}",
            parsed.id()
        )));
    }
    let c = Commit {
        repository,
        commit_id: id,
        tree_id: parsed.tree().clone(),
        parents: parsed.parents().to_vec(),
        author: parsed.author().to_person(),
        committer: parsed.committer().to_person(),
        signer,
    };
    if let Some(path) = &args.object_out {
        crate::io::write(path, &object)?;
    }
    sign_and_write(c, &args.common)
}

/// A release's contents: a directory's manifest, or a manifest file (CBOR or JSON).
fn contents(path: &Path, tree: &TreeArgs) -> Result<TreeManifest, CliError> {
    if path.is_dir() {
        return build_tree(path, &tree.options());
    }
    let bytes = crate::io::read(path, crate::io::Input::BUNDLE)?;
    let bad = |e: Box<dyn std::error::Error + Send + Sync>| {
        CliError::usage(format!("{} is not a content manifest", path.display()), e)
    };
    if bytes.first() == Some(&b'{') {
        serde_json::from_slice(&bytes).map_err(|e| bad(e.into()))
    } else {
        TreeManifest::from_canonical_bytes(&bytes).map_err(|e| bad(e.into()))
    }
}

/// `vouch attest release`: contents manifest, SBOM dependencies, commits.
fn release(args: ReleaseArgs) -> CliResult {
    let mut manifest = args
        .contents
        .as_deref()
        .map(|p| contents(p, &args.tree))
        .transpose()?;
    let mut archive = None;
    if let Some(path) = &args.archive {
        let package = crate::cmd::package::read_archive(path, args.archive_format)?;
        let name = crate::cmd::package::archive_name(path)?;
        eprintln!(
            "{} archive {}: {} files, sha256 {}, {}",
            package.format(),
            path.display(),
            package.manifest().entries().len(),
            package.sha256_hex(),
            package.npm_integrity()
        );
        archive = Some(package.release_archive(name));
        manifest = Some(package.into_manifest());
    }
    let dependencies = match &args.sbom {
        Some(path) => {
            let (format, deps) =
                dependencies_from_sbom(&crate::io::read(path, crate::io::Input::SBOM)?).map_err(
                    |e| CliError::usage(format!("cannot read the SBOM {}", path.display()), e),
                )?;
            eprintln!(
                "{} dependencies from the {format} SBOM {}",
                deps.len(),
                path.display()
            );
            Some(deps)
        }
        None => None,
    };
    let previous = args
        .previous
        .as_deref()
        .map(|a| digest_or_file(a, |p| read_signed::<Release>(p).map(|s| s.digest())))
        .transpose()?;
    let mut draft: ReleaseDraft = read_draft("release", args.common.from.as_deref())?;
    set(&mut draft.package, args.package);
    set(&mut draft.version, args.version);
    set(&mut draft.purl, args.purl);
    set(&mut draft.contents, manifest);
    set(&mut draft.dependencies, dependencies);
    let repository = match &args.repository_from {
        Some(dir) => Some(origin_url(dir)?),
        None => args.repository,
    };
    let commits = args
        .commits
        .into_iter()
        .map(|commit| vouch_manifest::CertifiedCommit {
            commit,
            repository: repository.clone(),
        })
        .collect();
    set_list(&mut draft.commits, commits);
    set(&mut draft.released_at, args.released_at);
    set(&mut draft.previous, previous);
    set(&mut draft.archive, archive);
    if let Some(name) = &args.tag {
        let (id, raw) = crate::git::read::read_tag(args.repo.as_deref(), name)
            .map_err(|e| CliError::usage(format!("cannot read tag {name:?}"), e))?;
        if let Some(out) = &args.tag_out {
            std::fs::write(out, &raw)
                .map_err(|e| CliError::usage(format!("cannot write {}", out.display()), e))?;
        }
        draft.tag = Some(vouch_manifest::ReleaseTag {
            name: name.clone(),
            object: id,
        });
    }
    let r = release_predicate(draft)?;
    sign_and_write(r, &args.common)
}

/// The `origin` remote URL of the git repository in `dir`.
fn origin_url(dir: &std::path::Path) -> Result<String, CliError> {
    let out = git(Some(dir), "remote", &["get-url", "origin"], 64 << 10).map_err(|e| {
        CliError::usage(
            format!("cannot read the origin remote of {}", dir.display()),
            e,
        )
    })?;
    let url = String::from_utf8(out).map_err(|_| {
        CliError::usage_msg(format!(
            "the origin remote of {} is not UTF-8",
            dir.display()
        ))
    })?;
    let url = url.trim_end_matches(['\n', '\r']);
    if url.is_empty() || url.chars().any(char::is_control) {
        return Err(CliError::usage_msg(format!(
            "the origin remote of {} is empty or holds control characters",
            dir.display()
        )));
    }
    Ok(url.to_owned())
}

/// Parses `NAME@VERSION=DIGEST`.
fn parse_package(s: &str) -> Result<ImagePackage, String> {
    let err = || format!("{s:?} is not NAME@VERSION=DIGEST");
    let (nv, digest) = s.rsplit_once('=').ok_or_else(err)?;
    let (name, version) = nv.rsplit_once('@').ok_or_else(err)?;
    if name.is_empty() || version.is_empty() {
        return Err(err());
    }
    Ok(ImagePackage {
        name: name.to_owned(),
        version: version.to_owned(),
        release: digest.parse().map_err(|e| format!("{}: {e}", err()))?,
    })
}

/// Parses `URL=COMMIT_ID`.
fn parse_source_commit(s: &str) -> Result<SourceCommit, String> {
    let err = || format!("{s:?} is not REPOSITORY_URL=COMMIT_ID");
    let (repository, commit) = s.rsplit_once('=').ok_or_else(err)?;
    Ok(SourceCommit {
        repository: repository.to_owned(),
        commit: commit.parse().map_err(|e| format!("{}: {e}", err()))?,
    })
}

/// `vouch attest image`: packages from flags or release statement files.
fn image(args: ImageArgs) -> CliResult {
    let mut packages = args.packages;
    for path in &args.releases {
        let signed = read_signed::<Release>(path)?;
        let r = signed.unverified().predicate();
        packages.push(ImagePackage {
            name: r.package.clone(),
            version: r.version.clone(),
            release: signed.digest(),
        });
    }
    let (image, config, layers, platforms) = match &args.oci {
        Some(reference) => match oci_image(reference)? {
            vouch_oci::image::Image::Manifest(m) => {
                (Some(m.digest), Some(m.config), m.layers, Vec::new())
            }
            // An index has no config or layers of its own: the predicate
            // names the index digest as its config (see `Image`) and lists
            // each platform manifest with its own.
            vouch_oci::image::Image::Index { digest, manifests } => (
                Some(digest),
                Some(digest),
                Vec::new(),
                manifests
                    .into_iter()
                    .map(|p| PlatformImage {
                        platform: p.platform,
                        manifest: p.manifest.digest,
                        config: p.manifest.config,
                        layers: p.manifest.layers,
                    })
                    .collect(),
            ),
        },
        None => (args.image, args.config, args.layers, Vec::new()),
    };
    let mut draft: ImageDraft = read_draft("image", args.common.from.as_deref())?;
    set(&mut draft.name, args.name);
    set(&mut draft.image, image);
    set(&mut draft.config, config);
    set_list(&mut draft.layers, layers);
    set_list(&mut draft.packages, packages);
    set_list(&mut draft.source_commits, args.source_commits);
    set(&mut draft.builder, args.builder);
    set(&mut draft.invocation_id, args.invocation_id);
    set(&mut draft.started_at, args.started_at);
    set(&mut draft.finished_at, args.finished_at);
    set_list(&mut draft.platforms, platforms);
    let i = image_predicate(draft)?;
    sign_and_write(i, &args.common)
}

/// The image `DIR[:TAG]` names in an OCI image layout: a manifest, or an
/// index with its platform manifests.
fn oci_image(reference: &str) -> Result<vouch_oci::image::Image, CliError> {
    let (dir, tag) = vouch_oci::layout::split_ref(reference);
    vouch_oci::layout::Layout::open(dir)
        .and_then(|layout| layout.image(tag))
        .map_err(|e| CliError::usage(format!("reading the OCI image {reference}"), e))
}

/// A digest given as text, or the digest a signed statement file names
/// through `name_of` (e.g. the image of an image statement).
fn digest_or_file(
    arg: &str,
    name_of: impl FnOnce(&Path) -> Result<Digest, CliError>,
) -> Result<Digest, CliError> {
    match arg.parse::<Digest>() {
        Ok(d) => Ok(d),
        Err(_) => name_of(Path::new(arg)),
    }
}

/// `vouch attest deploy`: the image from a digest or an image statement file.
fn deploy(args: DeployArgs) -> CliResult {
    let image = args
        .image
        .as_deref()
        .map(|a| {
            digest_or_file(a, |p| {
                read_signed::<Image>(p).map(|s| s.unverified().predicate().image)
            })
        })
        .transpose()?;
    let token = ci_token(&args)?;
    let mut draft: DeploymentDraft = read_draft("deployment", args.common.from.as_deref())?;
    set(&mut draft.environment, args.environment);
    set(&mut draft.target.cluster, args.cluster);
    set(&mut draft.target.namespace, args.namespace);
    set(&mut draft.target.service, args.service);
    set(&mut draft.image, image);
    set(&mut draft.team, args.team);
    set(&mut draft.deployer, args.deployer);
    set(&mut draft.pipeline.run_id, args.run_id);
    set(&mut draft.pipeline.url, args.run_url);
    set(&mut draft.triggered_by, args.triggered_by);
    set_list(&mut draft.authorized_by, args.authorized_by);
    set(&mut draft.time, args.time);
    set(&mut draft.ci_token, token);
    let d = deployment_predicate(draft)?;
    sign_and_write(d, &args.common)
}

/// The CI token of `--ci-token FILE` or `--ci-token-env NAME`, trimmed of
/// the line end a file or a shell adds (the predicate check refuses
/// anything else that is not a compact JWT).
fn ci_token(args: &DeployArgs) -> Result<Option<String>, CliError> {
    let token = match (&args.ci_token, &args.ci_token_env) {
        (Some(path), _) => Some(crate::io::read_text(
            path,
            crate::io::Input::new("CI token", vouch_manifest::MAX_CI_TOKEN_LEN + 2),
        )?),
        (None, Some(name)) => Some(std::env::var(name).map_err(|e| {
            CliError::usage(
                format!(
                    "the environment variable {} holds no CI token",
                    Escaped(name)
                ),
                e,
            )
        })?),
        (None, None) => None,
    };
    Ok(token.map(|t| t.trim_end_matches(['\r', '\n']).to_owned()))
}

/// `vouch attest approve`: names the approved statement by its digest.
fn approve(args: ApproveArgs) -> CliResult {
    let statement = args
        .statement
        .as_deref()
        .map(|a| digest_or_file(a, statement_digest))
        .transpose()?;
    let role = args.role.map(|r| match r {
        RoleArg::Trigger => ApprovalRole::Trigger,
        RoleArg::Authorize => ApprovalRole::Authorize,
    });
    let mut draft: ApprovalDraft = read_draft("approval", args.common.from.as_deref())?;
    set(&mut draft.statement, statement);
    set(&mut draft.role, role);
    set(&mut draft.identity, args.id);
    set(&mut draft.time, args.time);
    let a = approval_predicate(draft)?;
    sign_and_write(a, &args.common)
}

/// Runs `vouch cosign`: one more signature over the same statement bytes.
pub(crate) fn cosign(args: CosignArgs) -> CliResult {
    let bytes = crate::io::read(&args.signed, crate::io::Input::SIGNED)?;
    let mut envelope = vouch_core::cose::Sign::from_bytes(&bytes).map_err(|e| {
        let hint = if bytes.first().is_some_and(|b| b >> 5 == 4) {
            " (a roster chain file? co-sign rosters with `vouch roster sign --chain`)"
        } else {
            ""
        };
        CliError::usage(
            format!("{} is not a signed statement{hint}", args.signed.display()),
            e,
        )
    })?;
    if envelope.content_type() != Some(STATEMENT_CONTENT_TYPE) {
        return Err(CliError::usage_msg(format!(
            "{} is a COSE_Sign envelope but not a vouch statement",
            args.signed.display()
        )));
    }
    let signer = args.signer.open()?;
    let key_id = signer.key_id();
    if envelope.signature_key_ids().contains(&Some(key_id)) {
        return Err(CliError::usage_msg(format!(
            "{} is already signed by key {key_id}",
            args.signed.display()
        )));
    }
    envelope
        .add_signature(&*signer)
        .map_err(|e| CliError::usage("cannot add the signature", e))?;
    let out = args.out.as_ref().unwrap_or(&args.signed);
    let encoded = envelope
        .to_bytes()
        .map_err(|e| CliError::usage("cannot encode the statement", e))?;
    crate::io::write(out, &encoded)?;
    crate::io::outln!(
        "{}  {} ({} signatures)",
        Digest::sha256(envelope.unverified_payload()),
        out.display(),
        envelope.signature_count()
    );
    Ok(Outcome::Done)
}
