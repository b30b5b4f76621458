//! vouch_deps's cargo lock-file reader: any bytes, never a panic, and a lock
//! that reads has every field within its bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_deps::{Format, Lock, MAX_DIGESTS, MAX_FIELD};

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("deps_cargo")), |data: &[u8]| {
    if let Ok(lock) = Lock::parse(Format::Cargo, data) {
        for d in &lock.dependencies {
            assert!(d.name.len() <= MAX_FIELD);
            assert!(d.digests.len() + d.weak_digests.len() <= MAX_DIGESTS);
            let _ = d.purl();
        }
    }
});
