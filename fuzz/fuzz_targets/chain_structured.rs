//! Structure-aware whole-chain verification: a bundle built from arbitrary
//! statements (commits, releases, images, deployments, approvals whose
//! references point at earlier ones), signed by the fixture's fixed keys
//! (or the root's, or a stranger's), plus the fixture's own envelopes and
//! mutated or hand-assembled COSE_Signs; verified against the fixed roster
//! and policy. The bundle also goes through its file encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_chain::Bundle;
use vouch_fuzz::build::ArbChain;

fuzz_target!(|chain: ArbChain| {
    let built = chain.build();
    let bytes = built.bundle.to_bytes().expect("a built bundle encodes");
    let bundle = Bundle::from_bytes(&bytes).expect("a built bundle decodes");
    assert_eq!(bundle, built.bundle);
    let f = vouch_fuzz::fixture();
    let verdict = f.verifier.verify(&bundle, &built.target, built.now);
    let _ = verdict.render_text();
});
