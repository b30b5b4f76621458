//! A CI provider's OIDC ID token (GitHub Actions, GitLab CI) carried in a
//! deployment statement's `ciToken`, verified against the roster's `ci`
//! section (docs/ci-identity.md).
//!
//! [`verify_ci_token`] proves the token was signed by a trusted issuer; the
//! deployment link then holds the statement to it (audience, validity at
//! the statement's time, deployer, run, trigger).
//!
//! The algorithm comes from the roster's key, never from the token's
//! header: the header must name exactly the key's algorithm (RS256 for an
//! RSA key, ES256 for a P-256 key) or the token is refused before any
//! signature check, which is what stops `alg: none` and the HS256-with-the-
//! public-key-as-secret confusion.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use vouch_manifest::{CiIssuer, CiProvider, CiTrust, MAX_CI_TOKEN_LEN};

use crate::error::Reason;

/// Seconds of clock skew allowed between the CI provider and the statement's
/// time on `nbf`, `iat` and `exp`: a provider's clock and the signer's (or
/// the witness's) may differ a little, and a minute is far shorter than a
/// token's lifetime (GitHub and GitLab tokens last minutes to an hour).
pub const CI_TOKEN_LEEWAY_SECS: i64 = 60;

/// The claims vouch reads, as the provider wrote them. Unknown claims are
/// kept out: only these are compared.
#[derive(Clone, Debug, Default, Deserialize)]
struct RawClaims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Audience>,
    exp: Option<i64>,
    iat: Option<i64>,
    nbf: Option<i64>,
    // GitHub Actions.
    repository: Option<String>,
    job_workflow_ref: Option<String>,
    workflow_ref: Option<String>,
    run_id: Option<String>,
    triggering_actor: Option<String>,
    actor: Option<String>,
    // GitLab CI.
    project_path: Option<String>,
    ci_config_ref_uri: Option<String>,
    pipeline_id: Option<String>,
    user_login: Option<String>,
}

/// `aud` is a string or an array of strings (RFC 7519 4.1.3).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// The header fields looked at before any key is chosen.
#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    kid: Option<String>,
}

/// A token whose signature verified, with the claims the deployment rule
/// compares, read the way its provider names them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CiClaims {
    /// `iss`.
    pub issuer: String,
    /// `sub`.
    pub subject: String,
    /// Every `aud`.
    pub audience: Vec<String>,
    /// GitHub `repository`, GitLab `project_path`.
    pub repository: String,
    /// GitHub `job_workflow_ref` (else `workflow_ref`), GitLab `ci_config_ref_uri`.
    pub workflow: String,
    /// GitHub `run_id`, GitLab `pipeline_id`.
    pub run_id: String,
    /// GitHub `triggering_actor` (else `actor`), GitLab `user_login`.
    pub actor: String,
    /// `iat`.
    pub iat: i64,
    /// `nbf`, when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// `exp`.
    pub exp: i64,
    /// The provider, from the roster.
    #[serde(skip)]
    pub provider: Option<CiProvider>,
}

impl CiClaims {
    /// The name of the claim that gives the run id (`run_id`, `pipeline_id`).
    pub fn run_id_claim(&self) -> &'static str {
        match self.provider {
            Some(CiProvider::Gitlab) => "pipeline_id",
            _ => "run_id",
        }
    }

    /// The name of the claim that gives the login.
    pub fn actor_claim(&self) -> &'static str {
        match self.provider {
            Some(CiProvider::Gitlab) => "user_login",
            _ => "triggering_actor",
        }
    }
}

fn unreadable(detail: impl Into<String>) -> Reason {
    Reason::CiTokenUnreadable {
        detail: detail.into(),
    }
}

/// Decodes one base64url part as JSON, before its signature is checked:
/// only to choose the issuer and key.
fn part<T: for<'de> Deserialize<'de>>(what: &str, b64: &str) -> Result<T, Reason> {
    let bytes = URL_SAFE_NO_PAD
        .decode(b64)
        .map_err(|_| unreadable(format!("its {what} is not base64url")))?;
    serde_json::from_slice(&bytes).map_err(|e| unreadable(format!("its {what}: {e}")))
}

/// The algorithm a roster key is for, or `None` for a key vouch never
/// verifies with (the roster check refuses those; this is defence in depth).
fn key_algorithm(params: &AlgorithmParameters) -> Option<Algorithm> {
    match params {
        AlgorithmParameters::RSA(_) => Some(Algorithm::RS256),
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            Some(Algorithm::ES256)
        }
        _ => None,
    }
}

fn required(name: &str, v: Option<String>) -> Result<String, Reason> {
    v.filter(|s| !s.is_empty())
        .ok_or_else(|| unreadable(format!("it has no {name} claim")))
}

/// Verifies `token`'s signature against the roster's JWKS for its issuer
/// and reads the claims the deployment rule needs. Time and audience are
/// not checked here: they depend on the statement (see the deployment link).
pub fn verify_ci_token(token: &str, trust: &CiTrust) -> Result<CiClaims, Reason> {
    if token.len() > MAX_CI_TOKEN_LEN {
        return Err(unreadable(format!(
            "it is {} bytes, at most {MAX_CI_TOKEN_LEN}",
            token.len()
        )));
    }
    let parts: Vec<&str> = token.split('.').collect();
    let [header_b64, payload_b64, _sig] = parts.as_slice() else {
        return Err(unreadable("it is not three base64url parts"));
    };
    let header: RawHeader = part("header", header_b64)?;
    let unverified: RawClaims = part("payload", payload_b64)?;
    let iss = required("iss", unverified.iss)?;
    let Some(issuer) = trust.issuer(&iss) else {
        return Err(Reason::CiTokenUnknownIssuer { issuer: iss });
    };
    if header.alg.eq_ignore_ascii_case("none") {
        return Err(Reason::CiTokenAlgNone { issuer: iss });
    }
    let kid = header.kid.unwrap_or_default();
    let (key, alg) = find_key(issuer, &kid)?;
    if header.alg != format!("{alg:?}") {
        return Err(Reason::CiTokenAlgMismatch {
            kid,
            header: header.alg,
            key: format!("{alg:?}"),
        });
    }
    // Times and audience are the deployment rule's, judged at the
    // statement's time, never at the wall clock: turn jsonwebtoken's off.
    let mut validation = Validation::new(alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<RawClaims>(token, &key, &validation).map_err(|e| match e
        .kind()
    {
        jsonwebtoken::errors::ErrorKind::InvalidSignature
        | jsonwebtoken::errors::ErrorKind::InvalidEcdsaKey
        | jsonwebtoken::errors::ErrorKind::InvalidRsaKey(_)
        | jsonwebtoken::errors::ErrorKind::Provider(_) => Reason::CiTokenBadSignature {
            issuer: iss.clone(),
            kid: kid.clone(),
        },
        _ => unreadable(e.to_string()),
    })?;
    claims(data.claims, issuer)
}

/// The key `kid` of the issuer's JWKS and the algorithm it is for.
fn find_key(issuer: &CiIssuer, kid: &str) -> Result<(DecodingKey, Algorithm), Reason> {
    let unknown = || Reason::CiTokenUnknownKid {
        issuer: issuer.issuer.clone(),
        kid: kid.to_owned(),
    };
    if kid.is_empty() {
        return Err(unknown());
    }
    // The roster check parsed the JWKS already; a roster built by other
    // means may still hold one that does not parse, which verifies nothing.
    let set: JwkSet = serde_json::from_str(&issuer.jwks)
        .map_err(|e| unreadable(format!("the roster's JWKS for its issuer: {e}")))?;
    let jwk = set
        .keys
        .iter()
        .find(|k| k.common.key_id.as_deref() == Some(kid))
        .ok_or_else(unknown)?;
    let Some(alg) = key_algorithm(&jwk.algorithm) else {
        return Err(Reason::CiTokenAlgMismatch {
            kid: kid.to_owned(),
            header: String::new(),
            key: "no algorithm vouch verifies".into(),
        });
    };
    let key = DecodingKey::from_jwk(jwk).map_err(|_| Reason::CiTokenBadSignature {
        issuer: issuer.issuer.clone(),
        kid: kid.to_owned(),
    })?;
    Ok((key, alg))
}

fn claims(c: RawClaims, issuer: &CiIssuer) -> Result<CiClaims, Reason> {
    let (repository, workflow, run_id, actor) = match issuer.provider {
        CiProvider::Github => (
            required("repository", c.repository)?,
            required("job_workflow_ref", c.job_workflow_ref.or(c.workflow_ref))?,
            required("run_id", c.run_id)?,
            required("triggering_actor", c.triggering_actor.or(c.actor))?,
        ),
        CiProvider::Gitlab => (
            required("project_path", c.project_path)?,
            required("ci_config_ref_uri", c.ci_config_ref_uri)?,
            required("pipeline_id", c.pipeline_id)?,
            required("user_login", c.user_login)?,
        ),
    };
    let audience = match c.aud {
        Some(Audience::One(a)) => vec![a],
        Some(Audience::Many(v)) => v,
        None => Vec::new(),
    };
    Ok(CiClaims {
        issuer: issuer.issuer.clone(),
        subject: c.sub.unwrap_or_default(),
        audience,
        repository,
        workflow,
        run_id,
        actor,
        iat: c.iat.ok_or_else(|| unreadable("it has no iat claim"))?,
        nbf: c.nbf,
        exp: c.exp.ok_or_else(|| unreadable("it has no exp claim"))?,
        provider: Some(issuer.provider),
    })
}
