//! Round trips of vouch-chain's file encoders from arbitrary values: a
//! bundle (envelopes, commit objects, timestamps, inclusions) and an
//! inclusion file decode to what was encoded, and re-encode identically.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vouch_chain::{Bundle, Inclusion};

#[derive(Debug, Arbitrary)]
struct Input {
    envelopes: Vec<Vec<u8>>,
    /// Use the fixture's envelopes (timestamps and inclusions need real ones).
    fixture: bool,
    commits: Vec<Vec<u8>>,
    timestamps: Vec<(u8, Vec<u8>)>,
    inclusions: Vec<ArbInclusion>,
}

/// An inclusion of envelope `envelope`: checkpoint, index, proof.
#[derive(Debug, Arbitrary)]
struct ArbInclusion {
    envelope: u8,
    checkpoint: Vec<u8>,
    index: u64,
    proof: Vec<[u8; 32]>,
}

fuzz_target!(|i: Input| {
    let f = vouch_fuzz::fixture();
    let envelopes = if i.fixture {
        &f.envelopes
    } else {
        &i.envelopes
    };
    let mut b = Bundle::new();
    for e in envelopes {
        b.add_envelope(e.clone());
    }
    for c in &i.commits {
        b.add_commit_object(c.clone());
    }
    for (n, token) in &i.timestamps {
        if let Some(e) = envelopes.get(usize::from(*n)) {
            let _ = b.add_timestamp(e, token.clone());
        }
    }
    for a in &i.inclusions {
        let n = &a.envelope;
        let inc = Inclusion {
            checkpoint: a.checkpoint.clone(),
            index: a.index,
            proof: a.proof.clone(),
        };
        if let Ok(bytes) = inc.to_bytes() {
            let back = Inclusion::from_bytes(&bytes).expect("an inclusion file reads back");
            assert_eq!(back, inc);
            assert_eq!(back.to_bytes().expect("re-encodes"), bytes);
        }
        if let Some(e) = envelopes.get(usize::from(*n)) {
            let _ = b.add_inclusion(e, inc);
        }
    }
    let Ok(bytes) = b.to_bytes() else {
        return;
    };
    let back = Bundle::from_bytes(&bytes).expect("an encoded bundle reads back");
    assert_eq!(back, b, "the bundle changed through its encoding");
    assert_eq!(back.to_bytes().expect("re-encodes"), bytes);
});
