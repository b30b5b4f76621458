//! vouch_core::cbor: the single-pass validator under each strictness, the
//! item splitter, the field finders, and the typed decoder; bytes that pass
//! the canonical profile must re-encode to themselves.
#![no_main]

use ciborium::Value;
use libfuzzer_sys::fuzz_target;
use vouch_core::cbor::{self, Limits, Strictness};

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("cbor_validate")), |data: &[u8]| {
    let limits = Limits {
        max_size: 1 << 20,
        max_depth: 64,
    };
    let well_formed = cbor::validate(data, Strictness::WellFormed, limits).is_ok();
    let canonical = cbor::validate(data, Strictness::Canonical, limits).is_ok();
    let document = cbor::validate(data, Strictness::Document, limits).is_ok();
    // Each profile is stricter than the one before.
    assert!(!canonical || well_formed, "canonical but not well-formed");
    assert!(!document || canonical, "document but not canonical");
    if let Ok(n) = cbor::item_len(data, limits) {
        assert!(n <= data.len());
        if well_formed {
            assert_eq!(n, data.len(), "item_len of a whole item");
        }
    }
    let _ = cbor::map_text_field(data, "predicateType", limits);
    let _ = cbor::map_field(data, "predicateType", limits);
    let _ = cbor::validate_map_text_field(data, "predicateType", Strictness::Document, limits);
    let decoded = cbor::from_canonical::<Value>(data);
    if let Ok(v) = decoded {
        // from_canonical validates first, so the bytes are canonical and
        // must come back unchanged.
        let again = cbor::value_to_canonical(v).expect("a decoded value re-encodes");
        assert_eq!(again, data, "canonical CBOR did not re-encode to itself");
    }
});
