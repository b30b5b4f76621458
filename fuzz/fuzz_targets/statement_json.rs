//! vouch_manifest::Statement::<P>::from_json (the in-toto JSON import) for
//! every predicate type: what decodes has a canonical CBOR form that
//! decodes to the same statement.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_manifest::{Predicate, Statement};

fn check<P: Predicate + PartialEq + std::fmt::Debug>(data: &[u8]) {
    let Ok(s) = Statement::<P>::from_json(data) else {
        return;
    };
    let bytes = s.to_canonical_bytes().expect("a statement encodes");
    let back = Statement::<P>::from_canonical_bytes(&bytes).expect("its CBOR form decodes");
    assert_eq!(back, s, "the CBOR form is another statement");
    let json = s.to_json().expect("a statement has a JSON form");
    assert_eq!(Statement::<P>::from_json(&json).expect("decodes"), s);
}

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("statement_json")), |data: &[u8]| {
    vouch_fuzz::for_each_predicate!(check(data));
});
