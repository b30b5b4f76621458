//! vouch_chain::ci_token::verify_ci_token (a CI provider's OIDC ID token,
//! carried in an untrusted deployment statement) on arbitrary bytes, with a
//! fixed roster `ci` section: GitHub trusting a P-256 and an RSA key,
//! GitLab a P-256 key. Never panics, bounds the token, and a token that
//! verifies names a trusted issuer whose JWKS holds the key its header
//! names, with the algorithm of that key (no algorithm confusion).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::json;
use vouch_manifest::{CiIssuer, CiProvider, CiTrust, MAX_CI_TOKEN_LEN};
use vouch_test_support::ci::{
    GITHUB_ISSUER, GITLAB_ISSUER, TestIssuerKey, TestRsaIssuerKey, github_claims, gitlab_claims,
    hs256, jwks_of, unsigned,
};

struct Keys {
    github_ec: TestIssuerKey,
    github_rsa: TestRsaIssuerKey,
    gitlab_ec: TestIssuerKey,
    trust: CiTrust,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let github_ec = TestIssuerKey::new(7, "gh-ec");
        let github_rsa = TestRsaIssuerKey::new("gh-rsa");
        let gitlab_ec = TestIssuerKey::new(9, "gl-ec");
        let issuer = |issuer: &str, provider, web_url: &str, jwks| CiIssuer {
            issuer: issuer.into(),
            provider,
            web_url: web_url.into(),
            jwks,
            workloads: Vec::new(),
            people: Vec::new(),
        };
        let trust = CiTrust {
            issuers: vec![
                issuer(
                    GITHUB_ISSUER,
                    CiProvider::Github,
                    "https://github.com",
                    jwks_of(&[github_ec.jwk(), github_rsa.jwk()]),
                ),
                issuer(
                    GITLAB_ISSUER,
                    CiProvider::Gitlab,
                    "https://gitlab.com",
                    jwks_of(&[gitlab_ec.jwk()]),
                ),
            ],
        };
        Keys {
            github_ec,
            github_rsa,
            gitlab_ec,
            trust,
        }
    })
}

/// Honest tokens of each key, and the refused shapes (alg none, HS256
/// keyed with the RSA public key).
fn seeds() -> Vec<Vec<u8>> {
    let k = keys();
    let gh = github_claims("acme/shop", "815", "alice", "vouch:aud", 1_800_000_000);
    let gl = gitlab_claims("acme/shop", "815", "alice", "vouch:aud", 1_800_000_000);
    vec![
        k.github_ec.mint(&gh),
        k.github_rsa.mint(&gh),
        k.gitlab_ec.mint(&gl),
        unsigned(&json!({"alg": "none", "kid": "gh-rsa"}), &gh),
        hs256(
            &json!({"alg": "HS256", "kid": "gh-rsa", "typ": "JWT"}),
            &gh,
            &k.github_rsa.public_key_der(),
        ),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect()
}

fuzz_target!(init: vouch_fuzz::write_seeds(seeds), |data: &[u8]| {
    let token = String::from_utf8_lossy(data);
    let k = keys();
    let Ok(claims) = vouch_chain::ci_token::verify_ci_token(&token, &k.trust) else {
        return;
    };
    assert!(token.len() <= MAX_CI_TOKEN_LEN);
    let issuer = k
        .trust
        .issuer(&claims.issuer)
        .expect("a verified token names a trusted issuer");
    // The header's alg is exactly the algorithm of the key its kid names.
    let header = token.split('.').next().unwrap_or_default();
    let header: serde_json::Value = base64_json(header).expect("a verified header decodes");
    let kid = header["kid"].as_str().expect("a verified token has a kid");
    let jwks: serde_json::Value = serde_json::from_str(&issuer.jwks).expect("the fixed JWKS");
    let key = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|j| j["kid"] == kid))
        .expect("the kid is in the issuer's JWKS");
    assert_eq!(header["alg"], key["alg"], "algorithm confusion: {token}");
});

fn base64_json(part: &str) -> Option<serde_json::Value> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}
