//! Every limit of vouch-sigstore in `docs/limits.md`, at the limit (read,
//! and refused only by the parser) and one past it (refused with
//! [`Error::TooLarge`] naming the input and the limit, before anything is
//! parsed). One test per row, named after its constant.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vouch_sigstore::{
    Bundle, Error, Input, MAX_BUNDLE, MAX_PUBLIC_KEY, MAX_TRUSTED_ROOT, PublicKey, TrustedRoot,
};

fn too_large<T>(r: Result<T, Error>, what: Input, max: usize) {
    match r {
        Err(Error::TooLarge {
            what: w,
            len,
            max: m,
        }) => assert_eq!((w, len, m), (what, max + 1, max)),
        Err(e) => panic!("{e:?}"),
        Ok(_) => panic!("accepted"),
    }
}

#[test]
fn max_bundle() {
    let at = vec![b' '; MAX_BUNDLE];
    assert!(matches!(Bundle::from_json(&at), Err(Error::Bundle(_))));
    too_large(
        Bundle::from_json(&vec![b' '; MAX_BUNDLE + 1]),
        Input::Bundle,
        MAX_BUNDLE,
    );
}

#[test]
fn max_trusted_root() {
    let at = vec![b' '; MAX_TRUSTED_ROOT];
    assert!(matches!(
        TrustedRoot::from_json(&at),
        Err(Error::TrustedRoot(_))
    ));
    too_large(
        TrustedRoot::from_json(&vec![b' '; MAX_TRUSTED_ROOT + 1]),
        Input::TrustedRoot,
        MAX_TRUSTED_ROOT,
    );
}

#[test]
fn max_public_key() {
    let at = " ".repeat(MAX_PUBLIC_KEY);
    assert!(matches!(PublicKey::from_pem(&at), Err(Error::PublicKey(_))));
    too_large(
        PublicKey::from_pem(&" ".repeat(MAX_PUBLIC_KEY + 1)),
        Input::PublicKey,
        MAX_PUBLIC_KEY,
    );
}
