//! The CI provider's ID token on a deployment statement: tokens minted by a
//! test issuer with the claim sets GitHub and GitLab document, each way of
//! being wrong refused with its own reason, and the honest ones passing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::{Value, json};
use vouch_chain::{CiTokenRule, Reason, Verdict};
use vouch_manifest::{CiIssuer, CiPersonMapping, CiProvider, CiTrust, CiWorkloadMapping};
use vouch_test_support::ci::{
    GITHUB_ISSUER, GITLAB_ISSUER, TestIssuerKey, TestRsaIssuerKey, github_claims, github_workflow,
    gitlab_claims, gitlab_workflow, hs256, jwks, jwks_of, unsigned,
};

const REPO: &str = "acme/shop";
const RUN: &str = "815";

fn issued_at() -> i64 {
    t(DEPLOYED_AT).unix_seconds() - 60
}

fn github_issuer(keys: &[&TestIssuerKey]) -> CiIssuer {
    github_issuer_with(jwks(keys))
}

/// GitHub's issuer in the roster, publishing the JWKS document `jwks`.
fn github_issuer_with(jwks: String) -> CiIssuer {
    CiIssuer {
        issuer: GITHUB_ISSUER.into(),
        provider: CiProvider::Github,
        web_url: "https://github.com".into(),
        jwks,
        workloads: vec![CiWorkloadMapping {
            repository: REPO.into(),
            workflow: github_workflow(REPO),
            identity: id(DEPLOY),
        }],
        people: vec![CiPersonMapping {
            login: "alice".into(),
            identity: id(ALICE),
        }],
    }
}

/// A scenario whose roster trusts `issuer`, whose policy requires a token,
/// and whose deployment names the run the token is for and carries `token`.
fn with_token<'w>(
    world: &'w World,
    issuer: CiIssuer,
    run_url: String,
    token: Option<String>,
) -> Scenario<'w> {
    let mut s = world.scenario();
    s.roster.ci = CiTrust {
        issuers: vec![issuer],
    };
    s.policy.deployment.as_mut().unwrap().ci_token = CiTokenRule::Required;
    s.deployment.pipeline.run_id = RUN.into();
    s.deployment.pipeline.url = run_url;
    s.deployment.ci_token = token;
    s
}

fn github_url() -> String {
    format!("https://github.com/{REPO}/actions/runs/{RUN}")
}

fn aud(world: &World) -> String {
    format!("vouch:{}", world.deploy.key_id())
}

fn github(world: &World, key: &TestIssuerKey, claims: &Value) -> Verdict {
    let s = with_token(
        world,
        github_issuer(&[key]),
        github_url(),
        Some(key.mint(claims)),
    );
    s.run().0
}

fn refused(v: &Verdict, what: &str, pred: impl Fn(&Reason) -> bool) {
    expect_failure(v, what, pred);
    all_on_link(v, "deployment production/eu-1/shop/api");
}

#[test]
fn a_github_token_for_this_run_and_key_passes_and_is_traced() {
    let world = World::new();
    let key = TestIssuerKey::new(7, "gh-1");
    let claims = github_claims(REPO, RUN, "alice", &aud(&world), issued_at());
    let v = github(&world, &key, &claims);
    assert!(v.passed(), "{}", v.render_text());
    let token = v
        .trace()
        .ci_token
        .as_ref()
        .expect("the token's claims in the trace");
    assert_eq!(token.claims.repository, REPO);
    assert_eq!(token.claims.run_id, RUN);
    assert_eq!(token.claims.actor, "alice");
    assert!(v.render_text().contains(REPO), "{}", v.render_text());
}

#[test]
fn a_gitlab_token_passes() {
    let world = World::new();
    let key = TestIssuerKey::new(9, "gl-1");
    let project = "acme/shop";
    let issuer = CiIssuer {
        issuer: GITLAB_ISSUER.into(),
        provider: CiProvider::Gitlab,
        web_url: "https://gitlab.com".into(),
        jwks: jwks(&[&key]),
        workloads: vec![CiWorkloadMapping {
            repository: project.into(),
            workflow: gitlab_workflow(project),
            identity: id(DEPLOY),
        }],
        people: vec![CiPersonMapping {
            login: "alice".into(),
            identity: id(ALICE),
        }],
    };
    let claims = gitlab_claims(project, RUN, "alice", &aud(&world), issued_at());
    let s = with_token(
        &world,
        issuer,
        format!("https://gitlab.com/{project}/-/pipelines/{RUN}"),
        Some(key.mint(&claims)),
    );
    let v = s.run().0;
    assert!(v.passed(), "{}", v.render_text());
}

#[test]
fn a_retired_key_in_the_jwks_still_verifies_an_old_token() {
    let world = World::new();
    let old = TestIssuerKey::new(7, "gh-old");
    let new = TestIssuerKey::new(8, "gh-new");
    let claims = github_claims(REPO, RUN, "alice", &aud(&world), issued_at());
    let s = with_token(
        &world,
        github_issuer(&[&new, &old]),
        github_url(),
        Some(old.mint(&claims)),
    );
    let v = s.run().0;
    assert!(v.passed(), "{}", v.render_text());
}

#[test]
fn no_token_where_required_is_refused() {
    let world = World::new();
    let key = TestIssuerKey::new(7, "gh-1");
    let v = with_token(&world, github_issuer(&[&key]), github_url(), None)
        .run()
        .0;
    refused(&v, "CiTokenMissing", |r| {
        matches!(r, Reason::CiTokenMissing)
    });
}

#[test]
fn a_token_for_another_key_is_refused() {
    let world = World::new();
    let key = TestIssuerKey::new(7, "gh-1");
    let other = format!("vouch:{}", world.build.key_id());
    let v = github(
        &world,
        &key,
        &github_claims(REPO, RUN, "alice", &other, issued_at()),
    );
    refused(&v, "CiTokenWrongAudience", |r| {
        matches!(r, Reason::CiTokenWrongAudience { .. })
    });
}

#[test]
fn an_expired_token_is_refused_at_the_statements_time() {
    let world = World::new();
    let key = TestIssuerKey::new(7, "gh-1");
    // Issued two hours before the deployment, valid for five minutes.
    let claims = github_claims(REPO, RUN, "alice", &aud(&world), issued_at() - 7200);
    let v = github(&world, &key, &claims);
    refused(&v, "CiTokenExpired", |r| {
        matches!(r, Reason::CiTokenExpired { .. })
    });
}

#[test]
fn a_token_issued_after_the_statement_is_refused() {
    let world = World::new();
    let key = TestIssuerKey::new(7, "gh-1");
    let claims = github_claims(REPO, RUN, "alice", &aud(&world), issued_at() + 3600);
    let v = github(&world, &key, &claims);
    refused(&v, "CiTokenNotYetValid", |r| {
        matches!(r, Reason::CiTokenNotYetValid { .. })
    });
}

#[test]
fn a_token_from_an_untrusted_issuer_is_refused() {
    let world = World::new();
    let key = TestIssuerKey::new(7, "gh-1");
    let mut claims = github_claims(REPO, RUN, "alice", &aud(&world), issued_at());
    claims["iss"] = json!("https://token.evil.example.com");
    let v = github(&world, &key, &claims);
    refused(&v, "CiTokenUnknownIssuer", |r| {
        matches!(r, Reason::CiTokenUnknownIssuer { .. })
    });
}

#[test]
fn a_token_by_a_key_not_in_the_jwks_is_refused() {
    let world = World::new();
    let listed = TestIssuerKey::new(7, "gh-1");
    let stranger = TestIssuerKey::new(11, "gh-2");
    let claims = github_claims(REPO, RUN, "alice", &aud(&world), issued_at());
    let v = with_token(
        &world,
        github_issuer(&[&listed]),
        github_url(),
        Some(stranger.mint(&claims)),
    )
    .run()
    .0;
    refused(&v, "CiTokenUnknownKid", |r| {
        matches!(r, Reason::CiTokenUnknownKid { .. })
    });
}

#[test]
fn a_token_by_another_key_under_a_listed_kid_is_a_bad_signature() {
    let world = World::new();
    let listed = TestIssuerKey::new(7, "gh-1");
    let forger = TestIssuerKey::new(11, "gh-1");
    let claims = github_claims(REPO, RUN, "alice", &aud(&world), issued_at());
    let v = with_token(
        &world,
        github_issuer(&[&listed]),
        github_url(),
        Some(forger.mint(&claims)),
    )
    .run()
    .0;
    refused(&v, "CiTokenBadSignature", |r| {
        matches!(r, Reason::CiTokenBadSignature { .. })
    });
}

#[test]
fn alg_none_and_hs256_are_refused() {
    let world = World::new();
    let key = TestIssuerKey::new(7, "gh-1");
    let claims = github_claims(REPO, RUN, "alice", &aud(&world), issued_at());
    let none = unsigned(
        &json!({"alg": "none", "kid": "gh-1", "typ": "JWT"}),
        &claims,
    );
    let v = with_token(&world, github_issuer(&[&key]), github_url(), Some(none))
        .run()
        .0;
    refused(&v, "CiTokenAlgNone", |r| {
        matches!(r, Reason::CiTokenAlgNone { .. })
    });
    let hs = key.mint_with_header(
        &json!({"alg": "HS256", "kid": "gh-1", "typ": "JWT"}),
        &claims,
    );
    let v = with_token(&world, github_issuer(&[&key]), github_url(), Some(hs))
        .run()
        .0;
    refused(&v, "CiTokenAlgMismatch", |r| {
        matches!(r, Reason::CiTokenAlgMismatch { .. })
    });
}

#[test]
fn a_tampered_payload_is_a_bad_signature() {
    let world = World::new();
    let key = TestIssuerKey::new(7, "gh-1");
    let token = key.mint(&github_claims(
        REPO,
        RUN,
        "alice",
        &aud(&world),
        issued_at(),
    ));
    let honest = key.mint(&github_claims(
        REPO,
        "816",
        "alice",
        &aud(&world),
        issued_at(),
    ));
    // Run 815's header and signature around run 816's claims.
    let parts: Vec<&str> = token.split('.').collect();
    let other: Vec<&str> = honest.split('.').collect();
    let spliced = format!("{}.{}.{}", parts[0], other[1], parts[2]);
    let v = with_token(&world, github_issuer(&[&key]), github_url(), Some(spliced))
        .run()
        .0;
    refused(&v, "CiTokenBadSignature", |r| {
        matches!(r, Reason::CiTokenBadSignature { .. })
    });
}

#[test]
fn each_claim_that_differs_from_the_statement_is_named() {
    let world = World::new();
    let key = TestIssuerKey::new(7, "gh-1");
    // Another run of the same workflow.
    let v = github(
        &world,
        &key,
        &github_claims(REPO, "999", "alice", &aud(&world), issued_at()),
    );
    refused(&v, "CiTokenMismatch run id", |r| {
        matches!(r, Reason::CiTokenMismatch { .. }) && r.to_string().contains("999")
    });
    // Started by someone the roster maps to nobody.
    let v = github(
        &world,
        &key,
        &github_claims(REPO, RUN, "mallory", &aud(&world), issued_at()),
    );
    refused(&v, "CiTokenUnmapped login", |r| {
        matches!(r, Reason::CiTokenUnmapped { .. }) && r.to_string().contains("mallory")
    });
    // Another repository's workflow.
    let v = github(
        &world,
        &key,
        &github_claims("acme/other", RUN, "alice", &aud(&world), issued_at()),
    );
    assert!(!v.passed(), "{}", v.render_text());
}

/// GitHub's issuer publishing the RSA key `rsa` (and the P-256 key `ec`).
fn rsa_issuer(rsa: &TestRsaIssuerKey, ec: &TestIssuerKey) -> CiIssuer {
    github_issuer_with(jwks_of(&[rsa.jwk(), ec.jwk()]))
}

fn run_token(world: &World, issuer: CiIssuer, token: String) -> Verdict {
    with_token(world, issuer, github_url(), Some(token)).run().0
}

#[test]
fn an_rs256_token_passes_and_is_traced() {
    // GitHub and GitLab sign their ID tokens with RS256.
    let world = World::new();
    let rsa = TestRsaIssuerKey::new("gh-rsa");
    let ec = TestIssuerKey::new(7, "gh-ec");
    let claims = github_claims(REPO, RUN, "alice", &aud(&world), issued_at());
    let v = run_token(&world, rsa_issuer(&rsa, &ec), rsa.mint(&claims));
    assert!(v.passed(), "{}", v.render_text());
    let token = v.trace().ci_token.as_ref().expect("the token's claims");
    assert_eq!(token.claims.run_id, RUN);
    assert_eq!(token.claims.actor, "alice");
}

#[test]
fn an_rs256_token_with_a_wrong_signature_is_refused() {
    let world = World::new();
    let rsa = TestRsaIssuerKey::new("gh-rsa");
    let ec = TestIssuerKey::new(7, "gh-ec");
    let claims = github_claims(REPO, RUN, "alice", &aud(&world), issued_at());
    let honest = rsa.mint(&claims);
    // The signature of another run's token on this token's header and payload.
    let other = rsa.mint(&github_claims(
        REPO,
        "816",
        "alice",
        &aud(&world),
        issued_at(),
    ));
    let (signed, _) = honest.rsplit_once('.').unwrap();
    let (_, other_sig) = other.rsplit_once('.').unwrap();
    // One bit of the honest signature flipped (in its first base64url
    // character, so the bytes decode and differ).
    let (_, sig) = honest.rsplit_once('.').unwrap();
    let flipped = format!(
        "{}{}",
        if sig.starts_with('A') { 'B' } else { 'A' },
        &sig[1..]
    );
    // An ES256 signature under the RSA key's kid, claiming RS256.
    let ec_under_rsa_kid = ec.mint_with_header(
        &json!({"alg": "RS256", "typ": "JWT", "kid": "gh-rsa"}),
        &claims,
    );
    for token in [
        format!("{signed}.{other_sig}"),
        format!("{signed}.{flipped}"),
        format!("{signed}."),
        ec_under_rsa_kid,
    ] {
        let v = run_token(&world, rsa_issuer(&rsa, &ec), token.clone());
        refused(&v, "CiTokenBadSignature", |r| {
            matches!(r, Reason::CiTokenBadSignature { .. })
        });
    }
}

#[test]
fn rs256_algorithm_confusion_is_refused() {
    let world = World::new();
    let rsa = TestRsaIssuerKey::new("gh-rsa");
    let ec = TestIssuerKey::new(7, "gh-ec");
    let claims = github_claims(REPO, RUN, "alice", &aud(&world), issued_at());
    let hs_header = json!({"alg": "HS256", "typ": "JWT", "kid": "gh-rsa"});
    // HS256 keyed with the RSA public key, in each form a verifier that
    // let the header pick the algorithm might hold it: its PKCS#1 DER,
    // its JWK text, the JWKS document the roster carries.
    let jwks = jwks_of(&[rsa.jwk(), ec.jwk()]);
    for secret in [
        rsa.public_key_der(),
        rsa.jwk().to_string().into_bytes(),
        jwks.clone().into_bytes(),
    ] {
        let v = run_token(
            &world,
            rsa_issuer(&rsa, &ec),
            hs256(&hs_header, &claims, &secret),
        );
        refused(&v, "CiTokenAlgMismatch", |r| {
            matches!(r, Reason::CiTokenAlgMismatch { .. })
        });
    }
    // An ES256 header on the RSA key, and RS256 on the P-256 key.
    for (token, kid) in [
        (
            rsa.mint_with_header(
                &json!({"alg": "ES256", "typ": "JWT", "kid": "gh-rsa"}),
                &claims,
            ),
            "gh-rsa",
        ),
        (
            rsa.mint_with_header(
                &json!({"alg": "RS256", "typ": "JWT", "kid": "gh-ec"}),
                &claims,
            ),
            "gh-ec",
        ),
    ] {
        let v = run_token(&world, rsa_issuer(&rsa, &ec), token);
        refused(
            &v,
            "CiTokenAlgMismatch",
            |r| matches!(r, Reason::CiTokenAlgMismatch { kid: k, .. } if k == kid),
        );
    }
    // alg none under the RSA key's kid, and its casing variants.
    for alg in ["none", "None", "NONE"] {
        let token = unsigned(&json!({"alg": alg, "typ": "JWT", "kid": "gh-rsa"}), &claims);
        let v = run_token(&world, rsa_issuer(&rsa, &ec), token);
        refused(&v, "CiTokenAlgNone", |r| {
            matches!(r, Reason::CiTokenAlgNone { .. })
        });
    }
}
