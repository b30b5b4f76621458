//! What decoding a large COSE header costs in memory, measured with dhat's
//! global allocator (so this file holds one test).
//!
//! Headers are decoded into `ciborium::Value` trees, about 32 bytes or more
//! per byte of input when the header is a long array of small items. An
//! envelope whose header is larger than `cose::MAX_HEADER_LEN` is refused
//! before any of it is decoded; one at the limit is decoded with a bounded
//! peak.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vouch_core::cose::{EnvelopeError, MAX_HEADER_LEN, Sign};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// A tagged `COSE_Sign` with no signatures whose body's unprotected header
/// is `{1000: [0, 0, …]}`, `len` bytes long.
fn envelope_with_header(len: usize) -> Vec<u8> {
    // a1 19 03e8 (key 1000) 9a <u32 count> (array head) then count zeros.
    let count = len - 9;
    let mut out = vec![0xd8, 0x62, 0x84, 0x40];
    out.extend_from_slice(&[0xa1, 0x19, 0x03, 0xe8]);
    if count <= 0xffff {
        // Canonical: the shortest head; one byte less of header.
        out.push(0x99);
        out.extend_from_slice(&u16::try_from(count + 2).unwrap().to_be_bytes());
        out.resize(out.len() + count + 2, 0);
    } else {
        out.push(0x9a);
        out.extend_from_slice(&u32::try_from(count).unwrap().to_be_bytes());
        out.resize(out.len() + count, 0);
    }
    out.extend_from_slice(&[0x41, b'x', 0x80]);
    out
}

/// Peak heap in bytes while `f` runs, beyond what was live before.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = dhat::HeapStats::get();
    let out = f();
    let after = dhat::HeapStats::get();
    // `max_bytes` is the all-time peak; the test's own inputs are
    // allocated before and stay live, so the difference is f's own.
    (out, (after.max_bytes - before.curr_bytes) as u64)
}

#[test]
fn large_headers_are_refused_before_they_are_decoded() {
    let _profiler = dhat::Profiler::builder().testing().build();

    // At the limit: decoded, with a bounded peak.
    let at_limit = envelope_with_header(MAX_HEADER_LEN);
    let (decoded, peak_at_limit) = peak_of(|| Sign::from_bytes(&at_limit));
    decoded.unwrap();
    drop(at_limit);
    eprintln!("peak decoding a {MAX_HEADER_LEN}-byte unprotected header: {peak_at_limit} bytes");
    assert!(
        peak_at_limit < 64 * MAX_HEADER_LEN as u64,
        "{peak_at_limit} bytes at the limit"
    );

    // 4 MiB of header (64 times the limit): refused, and refusing it costs
    // almost nothing. Without the limit this decode peaks at 128 MiB
    // (32 bytes per byte of header; a 64 MiB envelope would ask for 2 GiB).
    let large = envelope_with_header(4 << 20);
    let (decoded, peak_large) = peak_of(|| Sign::from_bytes(&large));
    assert!(
        matches!(
            decoded,
            Err(EnvelopeError::HeaderTooLarge {
                which: "unprotected",
                ..
            })
        ),
        "{decoded:?}"
    );
    eprintln!("peak refusing a 4 MiB unprotected header: {peak_large} bytes");
    assert!(peak_large < 64 * 1024, "{peak_large} bytes to refuse");
}
