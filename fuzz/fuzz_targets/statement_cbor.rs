//! vouch_manifest::Statement::<P>::from_canonical_bytes for every predicate
//! type (commit, release, image, deployment, approval, roster, and
//! vouch-chain's SLSA verification summary), with peek_predicate_type: a
//! statement that decodes re-encodes to exactly its bytes (the document
//! profile's promise), and its JSON form decodes to the same statement.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_manifest::{Predicate, Statement, peek_predicate_type};

fn check<P: Predicate + PartialEq + std::fmt::Debug>(data: &[u8], peeked: Option<&str>) {
    let Ok(s) = Statement::<P>::from_canonical_bytes(data) else {
        return;
    };
    assert_eq!(
        peeked,
        Some(P::PREDICATE_TYPE),
        "peek_predicate_type disagrees"
    );
    let bytes = s
        .to_canonical_bytes()
        .expect("a decoded statement re-encodes");
    assert_eq!(bytes, data, "statement did not re-encode to its bytes");
    let json = s.to_json().expect("a statement has a JSON form");
    let back = Statement::<P>::from_json(&json).expect("its JSON form decodes");
    assert_eq!(back, s, "the JSON form is another statement");
}

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("statement_cbor")), |data: &[u8]| {
    let peeked = peek_predicate_type(data).ok().flatten();
    vouch_fuzz::for_each_predicate!(check(data, peeked));
});
