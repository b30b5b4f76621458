//! vouch_chain::Verifier::verify: a whole evaluation of a fuzzed bundle
//! file against a fixed roster and policy (the demo policy; keys from fixed
//! seeds), for the fixture's deployment and for a target named in the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_chain::{Bundle, Target};

fuzz_target!(
    init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("chain_verify")),
    |data: &[u8]| {
        let f = vouch_fuzz::fixture();
        let Ok(bundle) = Bundle::from_bytes(data) else {
            return;
        };
        let verdict = f.verifier.verify(&bundle, &f.target, vouch_fuzz::now());
        let _ = verdict.render_text();
        let _ = verdict.failures().len();
        let image = Target::Image(f.image);
        let _ = f.verifier.verify(&bundle, &image, vouch_fuzz::now());
    }
);
