//! Reading the inputs: size limits before parsing, unknown bundle versions
//! refused by name, and which errors are the caller's input to fix.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vouch_sigstore::{
    Bundle, BundleVersion, Error, Input, MAX_BUNDLE, MAX_TRUSTED_ROOT, PublicKey, TrustedRoot,
};

#[test]
fn oversized_inputs_are_refused_before_parsing() {
    let big = vec![b' '; MAX_BUNDLE + 1];
    let e = Bundle::from_json(&big).unwrap_err();
    assert!(
        matches!(
            e,
            Error::TooLarge {
                what: Input::Bundle,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        !e.is_input(),
        "an oversized bundle is the signed data's fault"
    );
    let e = TrustedRoot::from_json(&big[..MAX_TRUSTED_ROOT + 1]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::TooLarge {
                what: Input::TrustedRoot,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.is_input());
    let e = PublicKey::from_pem(&" ".repeat(1 << 20)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::TooLarge {
                what: Input::PublicKey,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn bundle_versions_by_media_type() {
    let e = Bundle::from_json(
        br#"{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=99.9"}"#,
    )
    .unwrap_err();
    assert!(
        matches!(&e, Error::MediaType(m) if m.ends_with("version=99.9")),
        "{e}"
    );
    for bad in [
        &b"\xff"[..],
        b"[]",
        b"{}",
        b"{\"mediaType\": 3}",
        b"not json",
    ] {
        assert!(
            matches!(Bundle::from_json(bad), Err(Error::Bundle(_))),
            "{bad:?}"
        );
    }
    // A known version that is not a bundle otherwise: malformed, not a panic.
    let e = Bundle::from_json(br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}"#)
        .unwrap_err();
    assert!(matches!(e, Error::Bundle(_)), "{e}");

    let Some(dir) = vouch_test_support::vectors_dir() else {
        return;
    };
    let suite = dir.join("sigstore-conformance");
    for (case, version) in [
        ("happy-path-v0.1", BundleVersion::V0_1),
        ("happy-path-v0.2", BundleVersion::V0_2),
        ("happy-path-v0.3", BundleVersion::V0_3),
        ("happy-path-v0.3-new-mediaType", BundleVersion::V0_3),
    ] {
        let bytes = std::fs::read(suite.join(case).join("bundle.sigstore.json")).unwrap();
        assert_eq!(
            Bundle::from_json(&bytes).unwrap().version(),
            version,
            "{case}"
        );
    }
}

#[test]
fn unusable_roots_and_keys_are_input_errors() {
    for bad in [&b""[..], b"{}", b"[]", b"\xff"] {
        let e = TrustedRoot::from_json(bad).unwrap_err();
        assert!(matches!(e, Error::TrustedRoot(_)), "{bad:?}: {e}");
        assert!(e.is_input());
    }
    for bad in [
        "",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    ] {
        let e = PublicKey::from_pem(bad).unwrap_err();
        assert!(matches!(e, Error::PublicKey(_)), "{bad:?}: {e}");
        assert!(e.is_input());
    }
}
