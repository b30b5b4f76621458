//! CI provider ID tokens minted in tests: an ES256 test issuer (a P-256
//! key, its JWK and JWKS), an RS256 one (a fixed 2048-bit RSA key: the
//! algorithm GitHub and GitLab actually sign with) and the claim sets GitHub Actions and GitLab CI
//! document for their OIDC tokens, so that vouch's CI token rule is tested
//! on tokens shaped like the real ones.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer as _;
use serde_json::{Value, json};

/// GitHub Actions' token issuer.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// GitLab.com's token issuer.
pub const GITLAB_ISSUER: &str = "https://gitlab.com";

/// A test issuer key: a P-256 key derived from a seed, with its `kid`.
pub struct TestIssuerKey {
    key: SigningKey,
    /// The key's `kid` in the JWKS and in token headers.
    pub kid: String,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl TestIssuerKey {
    /// The key derived from `seed` (any seed but 0; the same seed gives
    /// the same key), named `kid`.
    ///
    /// # Panics
    ///
    /// When `seed` is 0 (not a valid scalar).
    #[allow(clippy::expect_used)]
    pub fn new(seed: u8, kid: &str) -> Self {
        let key = SigningKey::from_slice(&[seed; 32]).expect("a nonzero seed is a P-256 scalar");
        TestIssuerKey {
            key,
            kid: kid.into(),
        }
    }

    /// The public key as a JWK (`kty` EC, `crv` P-256, `alg` ES256).
    pub fn jwk(&self) -> Value {
        let point = self.key.verifying_key().to_sec1_point(false);
        let bytes = point.as_bytes();
        json!({
            "kty": "EC",
            "crv": "P-256",
            "alg": "ES256",
            "use": "sig",
            "kid": self.kid,
            "x": b64(&bytes[1..33]),
            "y": b64(&bytes[33..65]),
        })
    }

    /// A compact JWT of `claims` with the header GitHub and GitLab send
    /// (`alg` ES256, `typ` JWT, this `kid`), signed by this key.
    pub fn mint(&self, claims: &Value) -> String {
        self.mint_with_header(
            &json!({"alg": "ES256", "typ": "JWT", "kid": self.kid}),
            claims,
        )
    }

    /// A compact JWT of `claims` under any `header`, signed by this key
    /// with ES256 whatever the header says (for tokens that lie about
    /// their algorithm).
    pub fn mint_with_header(&self, header: &Value, claims: &Value) -> String {
        let signing_input = signing_input(header, claims);
        let sig: p256::ecdsa::Signature = self.key.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", b64(&sig.to_bytes()))
    }
}

/// The fixed RSA test key of [`TestRsaIssuerKey`]: 2048 bits, PKCS#1 DER,
/// made once with `openssl genrsa -traditional 2048` (generating one per
/// test would cost a second or more each in a debug build). A test key,
/// public in the repository, trusted by nothing.
const RSA_TEST_KEY_DER: &[u8] = include_bytes!("../fixtures/ci-rs256.der");

/// A test issuer key for RS256 (RSASSA-PKCS1-v1_5 with SHA-256), the fixed
/// 2048-bit key in test-support's fixtures, with its `kid`.
pub struct TestRsaIssuerKey {
    key: rsa::PrivateKey,
    /// The key's `kid` in the JWKS and in token headers.
    pub kid: String,
}

impl TestRsaIssuerKey {
    /// The fixed RSA test key, named `kid`.
    ///
    /// # Panics
    ///
    /// When the fixture is not a PKCS#1 RSA private key (a broken checkout).
    #[allow(clippy::expect_used)]
    pub fn new(kid: &str) -> Self {
        use rsa::pkcs1::DecodeRsaPrivateKey as _;
        let key = rsa::PrivateKey::from_pkcs1_der(RSA_TEST_KEY_DER)
            .expect("fixtures/ci-rs256.der is a PKCS#1 RSA key");
        TestRsaIssuerKey {
            key,
            kid: kid.into(),
        }
    }

    /// The public key as a JWK (`kty` RSA, `alg` RS256, `n` and `e`).
    pub fn jwk(&self) -> Value {
        use rsa::traits::PublicKeyParts as _;
        json!({
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": self.kid,
            "n": b64(&self.key.n_bytes()),
            "e": b64(&self.key.e_bytes()),
        })
    }

    /// The public key as PKCS#1 DER: the bytes an attacker would use as
    /// the HMAC secret of an HS256 token (the algorithm-confusion attack).
    ///
    /// # Panics
    ///
    /// When the key cannot be encoded (it always can).
    #[allow(clippy::expect_used)]
    pub fn public_key_der(&self) -> Vec<u8> {
        use rsa::pkcs1::EncodeRsaPublicKey as _;
        self.key
            .to_public_key()
            .to_pkcs1_der()
            .expect("an RSA public key encodes")
            .into_vec()
    }

    /// A compact JWT of `claims` with the header GitHub and GitLab send
    /// (`alg` RS256, `typ` JWT, this `kid`), signed by this key.
    pub fn mint(&self, claims: &Value) -> String {
        self.mint_with_header(
            &json!({"alg": "RS256", "typ": "JWT", "kid": self.kid}),
            claims,
        )
    }

    /// A compact JWT of `claims` under any `header`, signed by this key
    /// with RS256 whatever the header says.
    ///
    /// # Panics
    ///
    /// When signing fails (it does not for a valid key).
    #[allow(clippy::expect_used)]
    pub fn mint_with_header(&self, header: &Value, claims: &Value) -> String {
        let signing_input = signing_input(header, claims);
        // `self.key` was decoded from these bytes.
        let key = jsonwebtoken::EncodingKey::from_rsa_der(RSA_TEST_KEY_DER);
        let sig = jsonwebtoken::crypto::sign(
            signing_input.as_bytes(),
            &key,
            jsonwebtoken::Algorithm::RS256,
        )
        .expect("RS256 signs");
        format!("{signing_input}.{sig}")
    }
}

/// `base64url(header) "." base64url(claims)`: the bytes a JWS signs.
fn signing_input(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    )
}

/// A compact JWT of `claims` under `header`, its signature an HMAC-SHA256
/// keyed with `secret` (`alg` HS256): with a public key's bytes as the
/// secret, the algorithm-confusion attack on verifiers that let the
/// token's header choose the algorithm.
///
/// # Panics
///
/// When `secret` is empty (HMAC needs a key).
#[allow(clippy::expect_used)]
pub fn hs256(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let signing_input = signing_input(header, claims);
    let key = jsonwebtoken::EncodingKey::from_secret(secret).expect("a nonempty HMAC key");
    let sig = jsonwebtoken::crypto::sign(
        signing_input.as_bytes(),
        &key,
        jsonwebtoken::Algorithm::HS256,
    )
    .expect("HS256 signs");
    format!("{signing_input}.{sig}")
}

/// The JWKS document of JWKs (of either test key kind, [`TestIssuerKey::jwk`]
/// or [`TestRsaIssuerKey::jwk`]), as a provider publishes it.
pub fn jwks_of(jwks: &[Value]) -> String {
    json!({ "keys": jwks }).to_string()
}

/// The JWKS document holding `keys`, as a provider publishes it.
pub fn jwks(keys: &[&TestIssuerKey]) -> String {
    json!({ "keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>() }).to_string()
}

/// A token with `header` and `claims` and no signature at all (`alg: none`).
pub fn unsigned(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}.",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    )
}

/// The claims of a GitHub Actions ID token as GitHub documents them
/// ("About security hardening with OpenID Connect"), for run `run_id` of
/// `repository`'s workflow `deploy.yml` on `main`, started by `actor`,
/// issued at `iat` for five minutes.
pub fn github_claims(repository: &str, run_id: &str, actor: &str, aud: &str, iat: i64) -> Value {
    let workflow = format!("{repository}/.github/workflows/deploy.yml@refs/heads/main");
    json!({
        "jti": "example-id",
        "sub": format!("repo:{repository}:environment:production"),
        "environment": "production",
        "aud": aud,
        "ref": "refs/heads/main",
        "sha": "example-sha",
        "repository": repository,
        "repository_owner": repository.split('/').next().unwrap_or_default(),
        "actor_id": "12",
        "repository_visibility": "private",
        "repository_id": "74",
        "repository_owner_id": "65",
        "run_id": run_id,
        "run_number": "10",
        "run_attempt": "1",
        "runner_environment": "github-hosted",
        "actor": actor,
        "triggering_actor": actor,
        "workflow": "deploy",
        "head_ref": "",
        "base_ref": "",
        "event_name": "workflow_dispatch",
        "ref_type": "branch",
        "workflow_ref": workflow,
        "job_workflow_ref": workflow,
        "iss": GITHUB_ISSUER,
        "nbf": iat,
        "iat": iat,
        "exp": iat + 300,
    })
}

/// The `job_workflow_ref` [`github_claims`] gives `repository`.
pub fn github_workflow(repository: &str) -> String {
    format!("{repository}/.github/workflows/deploy.yml@refs/heads/main")
}

/// The claims of a GitLab CI ID token as GitLab documents them ("ID token
/// authentication"), for pipeline `pipeline_id` of `project_path` on
/// `main`, started by `login`, issued at `iat` for an hour.
pub fn gitlab_claims(
    project_path: &str,
    pipeline_id: &str,
    login: &str,
    aud: &str,
    iat: i64,
) -> Value {
    json!({
        "namespace_id": "72",
        "namespace_path": project_path.split('/').next().unwrap_or_default(),
        "project_id": "20",
        "project_path": project_path,
        "user_id": "1",
        "user_login": login,
        "user_email": format!("{login}@example.com"),
        "user_access_level": "developer",
        "pipeline_id": pipeline_id,
        "pipeline_source": "push",
        "job_id": "302",
        "ref": "main",
        "ref_type": "branch",
        "ref_path": "refs/heads/main",
        "ref_protected": "true",
        "environment": "production",
        "environment_protected": "true",
        "deployment_tier": "production",
        "runner_id": 1,
        "runner_environment": "gitlab-hosted",
        "sha": "714a629c0b401fdce83e847fc9589983fc6f46bc",
        "project_visibility": "private",
        "ci_config_ref_uri": gitlab_workflow(project_path),
        "ci_config_sha": "714a629c0b401fdce83e847fc9589983fc6f46bc",
        "jti": "235b3a54-b797-45c7-ae9a-f72d7bc6ef5b",
        "iss": GITLAB_ISSUER,
        "iat": iat,
        "nbf": iat - 5,
        "exp": iat + 3600,
        "sub": format!("project_path:{project_path}:ref_type:branch:ref:main"),
        "aud": aud,
    })
}

/// The `ci_config_ref_uri` [`gitlab_claims`] gives `project_path`.
pub fn gitlab_workflow(project_path: &str) -> String {
    format!("gitlab.com/{project_path}//.gitlab-ci.yml@refs/heads/main")
}
