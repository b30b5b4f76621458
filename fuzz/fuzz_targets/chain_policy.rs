//! vouch_chain::Policy: from_toml, from_json and the sniffing from_bytes;
//! a policy that reads writes back as TOML and JSON and reads again the
//! same; its digest and a verifier made with it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_chain::{Policy, Verifier};

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("chain_policy")), |data: &[u8]| {
    let mut found = Vec::new();
    if let Ok(text) = std::str::from_utf8(data) {
        found.extend(Policy::from_toml(text).ok());
    }
    found.extend(Policy::from_json(data).ok());
    found.extend(Policy::from_bytes(data).ok());
    for p in found {
        let json = serde_json::to_vec(&p).expect("a policy writes as JSON");
        assert_eq!(Policy::from_json(&json).expect("its JSON reads back"), p);
        if let Ok(text) = toml::to_string(&p) {
            assert_eq!(Policy::from_toml(&text).expect("its TOML reads back"), p);
        }
        let _ = p.digest();
        let f = vouch_fuzz::fixture();
        let bundle = vouch_chain::Bundle::from_bytes(&f.bundle).expect("the fixture bundle");
        let v = Verifier::new(p, f.trusted.clone()).with_threads(vouch_chain::Threads::One);
        let _ = v.verify(&bundle, &f.target, vouch_fuzz::now());
    }
});
