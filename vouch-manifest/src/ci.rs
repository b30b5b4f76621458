//! The CI providers whose OIDC tokens the roster's owners trust to prove a
//! deployment's CI identity (issue 15, "CI identity, proven by the CI
//! provider").
//!
//! A deployment statement names its deployer workload, its pipeline run
//! and who triggered it; those are claims of the signing workload. A CI
//! provider's ID token (GitHub Actions, GitLab CI) is signed by the
//! provider and names the repository, workflow, run and actor: the roster
//! lists each trusted issuer with its JWKS (kept verbatim, retired keys
//! included, so a token that expired minutes after its job still verifies
//! later) and maps the provider's repositories and logins to roster
//! identities. The verification itself is vouch-chain's.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::error::ManifestError;
use crate::ids::{IdentityId, IdentityKind};

/// Most issuers a roster lists: a handful of CI providers is realistic.
pub const MAX_ISSUERS: usize = 16;
/// Largest JWKS document kept for one issuer (GitHub's is about 3 KiB).
pub const MAX_JWKS_BYTES: usize = 64 * 1024;
/// Most keys one JWKS may hold (current plus retired ones).
pub const MAX_JWKS_KEYS: usize = 64;
/// Most mappings (workload plus person) one issuer may have.
pub const MAX_MAPPINGS: usize = 4096;
/// Longest URL, repository, workflow reference or login kept.
pub const MAX_FIELD_LEN: usize = 1024;

/// The CI issuers the roster trusts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CiTrust {
    /// The trusted issuers, each with its keys and mappings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issuers: Vec<CiIssuer>,
}

/// Which CI provider an issuer is: it decides which claims name the
/// repository, workflow, run and login, and how a run URL is formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CiProvider {
    /// GitHub Actions: `repository`, `job_workflow_ref` (else
    /// `workflow_ref`), `run_id`, `triggering_actor` (else `actor`); run URL
    /// `{web}/{repository}/actions/runs/{run_id}`.
    Github,
    /// GitLab CI: `project_path`, `ci_config_ref_uri`, `pipeline_id`,
    /// `user_login`; run URL `{web}/{project_path}/-/pipelines/{pipeline_id}`.
    Gitlab,
}

impl CiProvider {
    /// The name written in the roster (`github`, `gitlab`).
    pub fn as_str(self) -> &'static str {
        match self {
            CiProvider::Github => "github",
            CiProvider::Gitlab => "gitlab",
        }
    }

    /// The run URL of `run_id` in `repository` on the web base `web`
    /// (a trailing `/` on the base is ignored).
    pub fn run_url(self, web: &str, repository: &str, run_id: &str) -> String {
        let web = web.trim_end_matches('/');
        match self {
            CiProvider::Github => format!("{web}/{repository}/actions/runs/{run_id}"),
            CiProvider::Gitlab => format!("{web}/{repository}/-/pipelines/{run_id}"),
        }
    }
}

/// One trusted CI token issuer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CiIssuer {
    /// The `iss` its tokens carry (`https://token.actions.githubusercontent.com`,
    /// `https://gitlab.com`).
    pub issuer: String,
    /// Which provider it is.
    pub provider: CiProvider,
    /// The provider's web base (`https://github.com`, `https://gitlab.com`),
    /// from which run URLs are formed.
    pub web_url: String,
    /// The JWKS document as the provider publishes it, verbatim: the bytes
    /// the roster's owners fetched and signed are the bytes verified against.
    pub jwks: String,
    /// Repository + workflow to workload identity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workloads: Vec<CiWorkloadMapping>,
    /// Provider login to person identity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub people: Vec<CiPersonMapping>,
}

/// A repository and workflow whose tokens speak for a workload identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CiWorkloadMapping {
    /// GitHub `repository` (`owner/name`) or GitLab `project_path`.
    pub repository: String,
    /// GitHub `job_workflow_ref` (else `workflow_ref`), GitLab
    /// `ci_config_ref_uri`, compared exactly (it includes the ref).
    pub workflow: String,
    /// The `workload:` identity these tokens speak for.
    pub identity: IdentityId,
}

/// A provider login that speaks for a person identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CiPersonMapping {
    /// GitHub `triggering_actor` (else `actor`), GitLab `user_login`.
    pub login: String,
    /// The `person:` identity.
    pub identity: IdentityId,
}

/// The part of a JWK the roster check looks at; verification parses the
/// whole key again (vouch-chain), so nothing here is trusted later.
#[derive(Deserialize)]
struct JwkShape {
    kid: Option<String>,
    kty: String,
    crv: Option<String>,
    alg: Option<String>,
}

#[derive(Deserialize)]
struct JwksShape {
    keys: Vec<serde_json::Value>,
}

fn ci_err(msg: String) -> ManifestError {
    ManifestError::Ci(msg)
}

fn bounded(what: &str, issuer: &str, value: &str) -> Result<(), ManifestError> {
    if value.is_empty() || value.len() > MAX_FIELD_LEN {
        return Err(ci_err(format!(
            "issuer {issuer:?}: {what} must be 1 to {MAX_FIELD_LEN} bytes"
        )));
    }
    Ok(())
}

impl CiTrust {
    /// No issuers (and nothing written).
    pub fn is_empty(&self) -> bool {
        self.issuers.is_empty()
    }

    /// The issuer whose tokens carry `iss`.
    pub fn issuer(&self, iss: &str) -> Option<&CiIssuer> {
        self.issuers.iter().find(|i| i.issuer == iss)
    }

    /// Checks what a roster check can: bounded sizes, https issuers and web
    /// bases, unique issuers, identities of the right kind, a JWKS that
    /// parses with unique `kid`s of RSA or P-256 keys, unique mappings.
    pub fn check(&self) -> Result<(), ManifestError> {
        if self.issuers.len() > MAX_ISSUERS {
            return Err(ci_err(format!(
                "{} CI issuers, at most {MAX_ISSUERS}",
                self.issuers.len()
            )));
        }
        let mut seen = HashSet::new();
        for i in &self.issuers {
            i.check()?;
            if !seen.insert(i.issuer.as_str()) {
                return Err(ci_err(format!("issuer {:?} is listed twice", i.issuer)));
            }
        }
        Ok(())
    }
}

impl CiIssuer {
    /// The workload that tokens for `repository` + `workflow` speak for.
    pub fn workload(&self, repository: &str, workflow: &str) -> Option<&IdentityId> {
        self.workloads
            .iter()
            .find(|m| m.repository == repository && m.workflow == workflow)
            .map(|m| &m.identity)
    }

    /// The person a provider login speaks for.
    pub fn person(&self, login: &str) -> Option<&IdentityId> {
        self.people
            .iter()
            .find(|m| m.login == login)
            .map(|m| &m.identity)
    }

    fn check(&self) -> Result<(), ManifestError> {
        let iss = self.issuer.as_str();
        bounded("issuer", iss, iss)?;
        bounded("webUrl", iss, &self.web_url)?;
        // A token's issuer and the run URLs vouch forms are only as good as
        // the transport that published them: plain http is refused.
        for (what, url) in [("issuer", iss), ("webUrl", self.web_url.as_str())] {
            if !url.starts_with("https://") || url.len() == "https://".len() {
                return Err(ci_err(format!(
                    "issuer {iss:?}: {what} {url:?} is not an https URL"
                )));
            }
        }
        if self.workloads.len() + self.people.len() > MAX_MAPPINGS {
            return Err(ci_err(format!(
                "issuer {iss:?}: more than {MAX_MAPPINGS} mappings"
            )));
        }
        self.check_jwks()?;
        let mut workloads = HashSet::new();
        for m in &self.workloads {
            bounded("repository", iss, &m.repository)?;
            bounded("workflow", iss, &m.workflow)?;
            if m.identity.kind() != IdentityKind::Workload {
                return Err(ci_err(format!(
                    "issuer {iss:?}: repository {:?} maps to {}, not a workload: identity",
                    m.repository, m.identity
                )));
            }
            // Two mappings of one repository+workflow would make the
            // deployer a token speaks for ambiguous.
            if !workloads.insert((m.repository.as_str(), m.workflow.as_str())) {
                return Err(ci_err(format!(
                    "issuer {iss:?}: repository {:?} workflow {:?} is mapped twice",
                    m.repository, m.workflow
                )));
            }
        }
        let mut logins = HashSet::new();
        for m in &self.people {
            bounded("login", iss, &m.login)?;
            if m.identity.kind() != IdentityKind::Person {
                return Err(ci_err(format!(
                    "issuer {iss:?}: login {:?} maps to {}, not a person: identity",
                    m.login, m.identity
                )));
            }
            if !logins.insert(m.login.as_str()) {
                return Err(ci_err(format!(
                    "issuer {iss:?}: login {:?} is mapped twice",
                    m.login
                )));
            }
        }
        Ok(())
    }

    fn check_jwks(&self) -> Result<(), ManifestError> {
        let iss = self.issuer.as_str();
        if self.jwks.len() > MAX_JWKS_BYTES {
            return Err(ci_err(format!(
                "issuer {iss:?}: JWKS of {} bytes, at most {MAX_JWKS_BYTES}",
                self.jwks.len()
            )));
        }
        let set: JwksShape = serde_json::from_str(&self.jwks)
            .map_err(|e| ci_err(format!("issuer {iss:?}: JWKS does not parse: {e}")))?;
        if set.keys.is_empty() || set.keys.len() > MAX_JWKS_KEYS {
            return Err(ci_err(format!(
                "issuer {iss:?}: JWKS has {} keys, 1 to {MAX_JWKS_KEYS} allowed",
                set.keys.len()
            )));
        }
        let mut kids = HashSet::new();
        for k in set.keys {
            let k: JwkShape = serde_json::from_value(k)
                .map_err(|e| ci_err(format!("issuer {iss:?}: JWKS key does not parse: {e}")))?;
            // Tokens select their key by kid: a key without one, or two with
            // the same, would leave the choice to something other than the roster.
            let Some(kid) = k.kid.filter(|k| !k.is_empty()) else {
                return Err(ci_err(format!("issuer {iss:?}: a JWKS key has no kid")));
            };
            if !kids.insert(kid.clone()) {
                return Err(ci_err(format!(
                    "issuer {iss:?}: kid {kid:?} appears twice in the JWKS"
                )));
            }
            // Only RS256 and ES256 are verified; the algorithm follows the
            // key type, so a key of any other kind could never verify.
            let ok = match k.kty.as_str() {
                "RSA" => k.alg.as_deref().is_none_or(|a| a == "RS256"),
                "EC" => {
                    k.crv.as_deref() == Some("P-256")
                        && k.alg.as_deref().is_none_or(|a| a == "ES256")
                }
                _ => false,
            };
            if !ok {
                return Err(ci_err(format!(
                    "issuer {iss:?}: kid {kid:?} is not an RS256 RSA or ES256 P-256 key"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWKS: &str = r#"{"keys":[{"kty":"RSA","alg":"RS256","use":"sig","kid":"k1","n":"sXch","e":"AQAB"},{"kty":"EC","crv":"P-256","kid":"k2","x":"a","y":"b"}]}"#;

    fn issuer() -> CiIssuer {
        CiIssuer {
            issuer: "https://token.actions.githubusercontent.com".into(),
            provider: CiProvider::Github,
            web_url: "https://github.com".into(),
            jwks: JWKS.into(),
            workloads: vec![CiWorkloadMapping {
                repository: "example/app".into(),
                workflow: "example/app/.github/workflows/deploy.yml@refs/heads/main".into(),
                identity: "workload:deploy".parse().unwrap(),
            }],
            people: vec![CiPersonMapping {
                login: "alice".into(),
                identity: "person:alice@example.com".parse().unwrap(),
            }],
        }
    }

    fn trust(i: CiIssuer) -> CiTrust {
        CiTrust { issuers: vec![i] }
    }

    fn refused(i: CiIssuer, needle: &str) {
        let e = trust(i).check().unwrap_err().to_string();
        assert!(e.contains(needle), "{e}");
    }

    #[test]
    fn a_well_formed_issuer_passes_and_maps() {
        let t = trust(issuer());
        t.check().unwrap();
        let i = t
            .issuer("https://token.actions.githubusercontent.com")
            .unwrap();
        assert_eq!(
            i.workload(
                "example/app",
                "example/app/.github/workflows/deploy.yml@refs/heads/main"
            )
            .map(ToString::to_string)
            .as_deref(),
            Some("workload:deploy")
        );
        assert!(i.workload("example/app", "other.yml").is_none());
        assert!(i.person("alice").is_some());
        assert!(i.person("mallory").is_none());
    }

    #[test]
    fn run_urls_follow_the_provider() {
        assert_eq!(
            CiProvider::Github.run_url("https://github.com/", "o/r", "42"),
            "https://github.com/o/r/actions/runs/42"
        );
        assert_eq!(
            CiProvider::Gitlab.run_url("https://gitlab.com", "g/p", "7"),
            "https://gitlab.com/g/p/-/pipelines/7"
        );
    }

    #[test]
    fn plain_http_is_refused() {
        let mut i = issuer();
        i.issuer = "http://token.example".into();
        refused(i, "not an https URL");
        let mut i = issuer();
        i.web_url = "http://github.com".into();
        refused(i, "not an https URL");
    }

    #[test]
    fn duplicate_issuers_are_refused() {
        let t = CiTrust {
            issuers: vec![issuer(), issuer()],
        };
        assert!(t.check().unwrap_err().to_string().contains("listed twice"));
    }

    #[test]
    fn identities_of_the_wrong_kind_are_refused() {
        let mut i = issuer();
        i.workloads[0].identity = "person:bob@example.com".parse().unwrap();
        refused(i, "not a workload");
        let mut i = issuer();
        i.people[0].identity = "workload:deploy".parse().unwrap();
        refused(i, "not a person");
    }

    #[test]
    fn duplicate_mappings_are_refused() {
        let mut i = issuer();
        let w = i.workloads[0].clone();
        i.workloads.push(w);
        refused(i, "mapped twice");
        let mut i = issuer();
        let p = i.people[0].clone();
        i.people.push(p);
        refused(i, "mapped twice");
    }

    #[test]
    fn bad_jwks_are_refused() {
        for (jwks, needle) in [
            ("not json", "does not parse"),
            (r#"{"keys":[]}"#, "has 0 keys"),
            (r#"{"keys":[{"kty":"RSA","n":"a","e":"AQAB"}]}"#, "no kid"),
            (
                r#"{"keys":[{"kty":"RSA","kid":"a"},{"kty":"RSA","kid":"a"}]}"#,
                "appears twice",
            ),
            (
                r#"{"keys":[{"kty":"oct","kid":"a","k":"c2VjcmV0"}]}"#,
                "not an RS256",
            ),
            (
                r#"{"keys":[{"kty":"RSA","kid":"a","alg":"RS512"}]}"#,
                "not an RS256",
            ),
            (
                r#"{"keys":[{"kty":"EC","crv":"P-384","kid":"a"}]}"#,
                "not an RS256",
            ),
        ] {
            let mut i = issuer();
            i.jwks = jwks.into();
            refused(i, needle);
        }
        let mut i = issuer();
        i.jwks = " ".repeat(MAX_JWKS_BYTES + 1);
        refused(i, "bytes, at most");
    }

    #[test]
    fn oversized_fields_are_refused() {
        let mut i = issuer();
        i.people[0].login = "a".repeat(MAX_FIELD_LEN + 1);
        refused(i, "login must be");
        let mut i = issuer();
        i.workloads[0].repository = String::new();
        refused(i, "repository must be");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let r: Result<CiTrust, _> = serde_json::from_str(r#"{"issuers":[],"extra":1}"#);
        assert!(r.is_err());
    }
}
