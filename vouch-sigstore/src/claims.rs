//! The Fulcio certificate's claims about the signer's CI workload: the
//! extensions under `1.3.6.1.4.1.57264.1`, which Fulcio copies from the
//! OIDC token (for GitHub Actions: repository, ref, commit, workflow, run).

use std::fmt;

/// One Fulcio certificate extension that describes the workload.
/// Reference: `sigstore/fulcio`, `docs/oid-info.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Claim {
    /// `.1.9`: the build configuration that requested the certificate,
    /// with its ref (the value the SAN is derived from).
    BuildSignerUri,
    /// `.1.10`: the commit of that signing configuration.
    BuildSignerDigest,
    /// `.1.11`: the runner, e.g. `github-hosted` or `self-hosted`.
    RunnerEnvironment,
    /// `.1.12`: the repository built from.
    SourceRepositoryUri,
    /// `.1.13`: the commit built from.
    SourceRepositoryDigest,
    /// `.1.14`: the ref built from, e.g. `refs/heads/main`.
    SourceRepositoryRef,
    /// `.1.15`: the provider's immutable repository id.
    SourceRepositoryIdentifier,
    /// `.1.16`: the repository owner.
    SourceRepositoryOwnerUri,
    /// `.1.17`: the provider's immutable owner id.
    SourceRepositoryOwnerIdentifier,
    /// `.1.18`: the build configuration that ran (a workflow file).
    BuildConfigUri,
    /// `.1.19`: the commit of that build configuration.
    BuildConfigDigest,
    /// `.1.20`: the event that triggered the build, e.g. `push`.
    BuildTrigger,
    /// `.1.21`: the run that signed (for GitHub, the run's URL).
    RunInvocationUri,
    /// `.1.22`: `public`, `private` or `internal` when signed.
    SourceRepositoryVisibilityAtSigning,
    /// `.1.23`: the deployment environment the job targeted.
    DeploymentEnvironment,
    /// `.1.24`: the token's raw `sub` claim.
    TokenSubject,
    /// `.1.2` (deprecated, GitHub only): the triggering event.
    GithubWorkflowTrigger,
    /// `.1.3` (deprecated, GitHub only): the commit.
    GithubWorkflowSha,
    /// `.1.4` (deprecated, GitHub only): the workflow's display name.
    GithubWorkflowName,
    /// `.1.5` (deprecated, GitHub only): `owner/repository`.
    GithubWorkflowRepository,
    /// `.1.6` (deprecated, GitHub only): the ref.
    GithubWorkflowRef,
}

impl Claim {
    /// The extension's OID.
    pub fn oid(self) -> &'static str {
        match self {
            Claim::GithubWorkflowTrigger => "1.3.6.1.4.1.57264.1.2",
            Claim::GithubWorkflowSha => "1.3.6.1.4.1.57264.1.3",
            Claim::GithubWorkflowName => "1.3.6.1.4.1.57264.1.4",
            Claim::GithubWorkflowRepository => "1.3.6.1.4.1.57264.1.5",
            Claim::GithubWorkflowRef => "1.3.6.1.4.1.57264.1.6",
            Claim::BuildSignerUri => "1.3.6.1.4.1.57264.1.9",
            Claim::BuildSignerDigest => "1.3.6.1.4.1.57264.1.10",
            Claim::RunnerEnvironment => "1.3.6.1.4.1.57264.1.11",
            Claim::SourceRepositoryUri => "1.3.6.1.4.1.57264.1.12",
            Claim::SourceRepositoryDigest => "1.3.6.1.4.1.57264.1.13",
            Claim::SourceRepositoryRef => "1.3.6.1.4.1.57264.1.14",
            Claim::SourceRepositoryIdentifier => "1.3.6.1.4.1.57264.1.15",
            Claim::SourceRepositoryOwnerUri => "1.3.6.1.4.1.57264.1.16",
            Claim::SourceRepositoryOwnerIdentifier => "1.3.6.1.4.1.57264.1.17",
            Claim::BuildConfigUri => "1.3.6.1.4.1.57264.1.18",
            Claim::BuildConfigDigest => "1.3.6.1.4.1.57264.1.19",
            Claim::BuildTrigger => "1.3.6.1.4.1.57264.1.20",
            Claim::RunInvocationUri => "1.3.6.1.4.1.57264.1.21",
            Claim::SourceRepositoryVisibilityAtSigning => "1.3.6.1.4.1.57264.1.22",
            Claim::DeploymentEnvironment => "1.3.6.1.4.1.57264.1.23",
            Claim::TokenSubject => "1.3.6.1.4.1.57264.1.24",
        }
    }

    /// The name Fulcio's documentation gives it, in kebab case.
    pub fn name(self) -> &'static str {
        match self {
            Claim::GithubWorkflowTrigger => "github-workflow-trigger",
            Claim::GithubWorkflowSha => "github-workflow-sha",
            Claim::GithubWorkflowName => "github-workflow-name",
            Claim::GithubWorkflowRepository => "github-workflow-repository",
            Claim::GithubWorkflowRef => "github-workflow-ref",
            Claim::BuildSignerUri => "build-signer-uri",
            Claim::BuildSignerDigest => "build-signer-digest",
            Claim::RunnerEnvironment => "runner-environment",
            Claim::SourceRepositoryUri => "source-repository-uri",
            Claim::SourceRepositoryDigest => "source-repository-digest",
            Claim::SourceRepositoryRef => "source-repository-ref",
            Claim::SourceRepositoryIdentifier => "source-repository-identifier",
            Claim::SourceRepositoryOwnerUri => "source-repository-owner-uri",
            Claim::SourceRepositoryOwnerIdentifier => "source-repository-owner-identifier",
            Claim::BuildConfigUri => "build-config-uri",
            Claim::BuildConfigDigest => "build-config-digest",
            Claim::BuildTrigger => "build-trigger",
            Claim::RunInvocationUri => "run-invocation-uri",
            Claim::SourceRepositoryVisibilityAtSigning => "source-repository-visibility-at-signing",
            Claim::DeploymentEnvironment => "deployment-environment",
            Claim::TokenSubject => "token-subject",
        }
    }
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The workload claims a verified Fulcio certificate carries: the
/// provider-neutral ones (`.1.9` to `.1.24`) in OID order, then the
/// deprecated GitHub ones (`.1.2` to `.1.6`). Empty for a certificate
/// issued to a person.
///
/// These are what the OIDC provider told Fulcio, bound to the signature by
/// the verified certificate; whether they describe the build a caller
/// expects is the caller's policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificateClaims {
    claims: Vec<(Claim, String)>,
}

impl CertificateClaims {
    /// Reads them from sigstore-verify's certificate information.
    pub(crate) fn from_fulcio(c: &sigstore_verify::crypto::FulcioCiClaims) -> Self {
        let g = &c.deprecated_github;
        let all = [
            (Claim::BuildSignerUri, &c.build_signer_uri),
            (Claim::BuildSignerDigest, &c.build_signer_digest),
            (Claim::RunnerEnvironment, &c.runner_environment),
            (Claim::SourceRepositoryUri, &c.source_repository_uri),
            (Claim::SourceRepositoryDigest, &c.source_repository_digest),
            (Claim::SourceRepositoryRef, &c.source_repository_ref),
            (
                Claim::SourceRepositoryIdentifier,
                &c.source_repository_identifier,
            ),
            (
                Claim::SourceRepositoryOwnerUri,
                &c.source_repository_owner_uri,
            ),
            (
                Claim::SourceRepositoryOwnerIdentifier,
                &c.source_repository_owner_identifier,
            ),
            (Claim::BuildConfigUri, &c.build_config_uri),
            (Claim::BuildConfigDigest, &c.build_config_digest),
            (Claim::BuildTrigger, &c.build_trigger),
            (Claim::RunInvocationUri, &c.run_invocation_uri),
            (
                Claim::SourceRepositoryVisibilityAtSigning,
                &c.source_repository_visibility_at_signing,
            ),
            (Claim::DeploymentEnvironment, &c.deployment_environment),
            (Claim::TokenSubject, &c.token_subject),
            (Claim::GithubWorkflowTrigger, &g.workflow_trigger),
            (Claim::GithubWorkflowSha, &g.workflow_sha),
            (Claim::GithubWorkflowName, &g.workflow_name),
            (Claim::GithubWorkflowRepository, &g.workflow_repository),
            (Claim::GithubWorkflowRef, &g.workflow_ref),
        ];
        CertificateClaims {
            claims: all
                .into_iter()
                .filter_map(|(claim, value)| value.clone().map(|v| (claim, v)))
                .collect(),
        }
    }

    /// The value of one claim, if the certificate carries it.
    pub fn get(&self, claim: Claim) -> Option<&str> {
        self.claims
            .iter()
            .find(|(c, _)| *c == claim)
            .map(|(_, v)| v.as_str())
    }

    /// Every claim the certificate carries, with its value.
    pub fn iter(&self) -> impl Iterator<Item = (Claim, &str)> {
        self.claims.iter().map(|(c, v)| (*c, v.as_str()))
    }

    /// Whether the certificate carries none.
    pub fn is_empty(&self) -> bool {
        self.claims.is_empty()
    }
}
