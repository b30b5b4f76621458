#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The roster's CI section and the deployment's CI token: encode/decode
//! pairs, and that documents without them encode exactly as before.

use proptest::prelude::*;
use vouch_manifest::{
    CiIssuer, CiPersonMapping, CiProvider, CiTrust, CiWorkloadMapping, IdentityId,
};

const JWKS: &str = r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"a","y":"b"}]}"#;

fn text() -> impl Strategy<Value = String> {
    "[a-z0-9/._@-]{1,24}"
}

fn issuer() -> impl Strategy<Value = CiIssuer> {
    (
        text(),
        prop_oneof![Just(CiProvider::Github), Just(CiProvider::Gitlab)],
        proptest::collection::vec((text(), text(), "[a-z]{1,12}"), 0..4),
        proptest::collection::vec((text(), "[a-z]{1,12}"), 0..4),
    )
        .prop_map(|(host, provider, workloads, people)| CiIssuer {
            issuer: format!("https://{host}"),
            provider,
            web_url: format!("https://web.{host}"),
            jwks: JWKS.into(),
            workloads: workloads
                .into_iter()
                .map(|(repository, workflow, w)| CiWorkloadMapping {
                    repository,
                    workflow,
                    identity: format!("workload:{w}").parse::<IdentityId>().unwrap(),
                })
                .collect(),
            people: people
                .into_iter()
                .map(|(login, p)| CiPersonMapping {
                    login,
                    identity: format!("person:{p}@example.com")
                        .parse::<IdentityId>()
                        .unwrap(),
                })
                .collect(),
        })
}

proptest! {
    #[test]
    fn ci_trust_roundtrips_through_canonical_cbor_and_json(
        issuers in proptest::collection::vec(issuer(), 0..3)
    ) {
        let t = CiTrust { issuers };
        let cbor = vouch_core::cbor::to_canonical(&t).unwrap();
        let back: CiTrust = vouch_core::cbor::from_canonical(&cbor).unwrap();
        prop_assert_eq!(&back, &t);
        // One canonical encoding: decode-then-encode gives the same bytes.
        prop_assert_eq!(vouch_core::cbor::to_canonical(&back).unwrap(), cbor);
        let json = serde_json::to_string(&t).unwrap();
        prop_assert_eq!(serde_json::from_str::<CiTrust>(&json).unwrap(), t);
    }

    #[test]
    fn ci_trust_decoding_arbitrary_json_never_panics(s in ".{0,256}") {
        if let Ok(t) = serde_json::from_str::<CiTrust>(&s) {
            let _ = t.check();
        }
    }
}

#[test]
fn an_empty_ci_section_is_not_written() {
    let json = serde_json::to_value(CiTrust::default()).unwrap();
    assert_eq!(json, serde_json::json!({}));
}
