//! vouch_core::tlog::receipt: COSE receipts (Receipt::from_bytes, verify
//! with fixed keys), and the receipts carried in an envelope's unprotected
//! header (receipts, registered_bytes, statement_leaf).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_core::Signer;
use vouch_core::tlog::Receipt;
use vouch_core::tlog::receipt::{receipts, registered_bytes, statement_leaf};

fn check_receipt(bytes: &[u8]) {
    let Ok(r) = Receipt::from_bytes(bytes) else {
        return;
    };
    let _ = (r.tree_size(), r.leaf_index(), r.unverified_issued_at());
    for key in vouch_fuzz::keys() {
        let _ = r.verify(&[0; 32], key.public_key());
    }
}

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("tlog_receipt")), |data: &[u8]| {
    check_receipt(data);
    if let Ok(list) = receipts(data) {
        for r in list {
            check_receipt(r);
        }
    }
    if let Ok(registered) = registered_bytes(data) {
        // Taking the receipts out again changes nothing.
        let twice = registered_bytes(&registered).expect("registered bytes parse again");
        assert_eq!(twice.as_ref(), registered.as_ref());
        assert!(receipts(&registered).expect("still an envelope").is_empty());
    }
    let _ = statement_leaf(data);
});
