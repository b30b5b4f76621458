//! `vouch roster trust-ci-issuer` and `vouch roster map-ci`: the CI
//! providers whose OIDC ID tokens prove a deployment's workload, run and
//! triggering person.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use vouch_core::text::Escaped;
use vouch_manifest::{
    CiIssuer, CiPersonMapping, CiProvider, CiWorkloadMapping, IdentityId, Roster,
    ci::MAX_JWKS_BYTES,
};

use crate::exit::CliError;
use crate::io::Input;

/// The provider kinds, as clap values.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum ProviderArg {
    /// GitHub Actions.
    Github,
    /// GitLab CI.
    Gitlab,
}

/// Arguments of `vouch roster trust-ci-issuer`.
#[derive(Args, Debug)]
pub(crate) struct TrustCiIssuerArgs {
    /// The draft.
    #[arg(value_name = "FILE")]
    pub(super) file: PathBuf,
    /// The tokens' `iss` (`https://token.actions.githubusercontent.com`).
    #[arg(long)]
    issuer: String,
    /// Which provider it is.
    #[arg(long, value_enum)]
    provider: ProviderArg,
    /// The provider's web base, from which run URLs are formed
    /// (`https://github.com`).
    #[arg(long)]
    web_url: String,
    /// The JWKS document as the provider publishes it. Keep retired keys
    /// in it: tokens signed by them must still verify.
    #[arg(long, value_name = "JWKS")]
    jwks: PathBuf,
}

/// Arguments of `vouch roster map-ci`.
#[derive(Args, Debug)]
pub(crate) struct MapCiArgs {
    /// The draft.
    #[arg(value_name = "FILE")]
    pub(super) file: PathBuf,
    /// The issuer (as given to trust-ci-issuer).
    #[arg(long)]
    issuer: String,
    /// GitHub `repository` or GitLab `project_path` (with --workflow).
    #[arg(long, requires = "workflow", requires = "workload")]
    repository: Option<String>,
    /// GitHub `job_workflow_ref`/`workflow_ref` or GitLab `ci_config_ref_uri`.
    #[arg(long)]
    workflow: Option<String>,
    /// The `workload:` identity the repository + workflow speaks for.
    #[arg(long)]
    workload: Option<IdentityId>,
    /// GitHub `triggering_actor`/`actor` or GitLab `user_login` (with --person).
    #[arg(long, requires = "person", conflicts_with = "repository")]
    login: Option<String>,
    /// The `person:` identity the login speaks for.
    #[arg(long)]
    person: Option<IdentityId>,
}

/// `vouch roster trust-ci-issuer`: adds the issuer, or replaces its
/// provider, web base and JWKS (keeping its mappings).
pub(super) fn trust_ci_issuer(
    roster: &mut Roster,
    args: &TrustCiIssuerArgs,
) -> Result<String, CliError> {
    let jwks = crate::io::read_text(&args.jwks, Input::new("JWKS", MAX_JWKS_BYTES))?;
    let provider = match args.provider {
        ProviderArg::Github => CiProvider::Github,
        ProviderArg::Gitlab => CiProvider::Gitlab,
    };
    let (workloads, people) = match roster
        .ci
        .issuers
        .iter()
        .position(|i| i.issuer == args.issuer)
    {
        Some(at) => {
            let old = roster.ci.issuers.remove(at);
            (old.workloads, old.people)
        }
        None => (Vec::new(), Vec::new()),
    };
    roster.ci.issuers.push(CiIssuer {
        issuer: args.issuer.clone(),
        provider,
        web_url: args.web_url.clone(),
        jwks,
        workloads,
        people,
    });
    Ok(format!(
        "trusted CI issuer {} ({})",
        Escaped(&args.issuer),
        provider.as_str()
    ))
}

/// `vouch roster map-ci`: maps a repository + workflow to a workload, or a
/// login to a person, replacing an earlier mapping of the same.
pub(super) fn map_ci(roster: &mut Roster, args: &MapCiArgs) -> Result<String, CliError> {
    let Some(issuer) = roster
        .ci
        .issuers
        .iter_mut()
        .find(|i| i.issuer == args.issuer)
    else {
        return Err(CliError::usage_msg(format!(
            "the draft trusts no CI issuer {} (add it with roster trust-ci-issuer)",
            Escaped(&args.issuer)
        )));
    };
    match (
        &args.repository,
        &args.workflow,
        &args.workload,
        &args.login,
        &args.person,
    ) {
        (Some(repository), Some(workflow), Some(workload), None, None) => {
            issuer
                .workloads
                .retain(|m| !(m.repository == *repository && m.workflow == *workflow));
            issuer.workloads.push(CiWorkloadMapping {
                repository: repository.clone(),
                workflow: workflow.clone(),
                identity: workload.clone(),
            });
            Ok(format!(
                "CI {} {} {} speaks for {}",
                Escaped(&args.issuer),
                Escaped(repository),
                Escaped(workflow),
                Escaped(workload.as_str())
            ))
        }
        (None, None, None, Some(login), Some(person)) => {
            issuer.people.retain(|m| m.login != *login);
            issuer.people.push(CiPersonMapping {
                login: login.clone(),
                identity: person.clone(),
            });
            Ok(format!(
                "CI {} login {} speaks for {}",
                Escaped(&args.issuer),
                Escaped(login),
                Escaped(person.as_str())
            ))
        }
        _ => Err(CliError::usage_msg(
            "give --repository, --workflow and --workload, or --login and --person",
        )),
    }
}
