//! Statements must be the canonical encoding of what they decode to: the
//! typed decoder accepts a byte string where a text string belongs, and a
//! statement read that way would have a second digest.
//!
//! The bytes below are the fuzz target statement_cbor's find: a release
//! statement whose contents entry has `"type": h'66696c65'` (the bytes of
//! "file") instead of the text "file".

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vouch_manifest::{Approval, Commit, Deployment, Image, ManifestError, Release, Statement};

const FOUND_BY_FUZZING: &str = "a4655f74797065781f68747470733a2f2f696e2d746f746f2e696f2f53746174656d656e742f7631677375626a65637481a2646e616d656961707040312e302e3066646967657374a16673686132353678406462303363666163623862653032613730306261343035313039363634356330333933323733316336336633373836666139306439333065303066303030306269707265646963617465a667636f6d6d69747382782830373761343539623437373263666661666461653864666536356534663764376661323233643635782865363030633063623461366566376432623261343365363931353963656435623634313138383339677061636b616765636170706776657273696f6e65312e302e3068636f6e74656e7473a264726f6f7478477368613235363a6462303363666163623862653032613730306261343035313039363634356330333933323733316336336633373836666139306439333065303066303030306267656e747269657381a2646b696e64a46473697a650e64747970654466696c656664696765737478477368613235363a313663326663613965333731393336343538643031353736623463613331316332326431363661343535333963636263393130343832336430623130646234376a65786563757461626c65f464706174686a7372632f6c69622e72736a72656c6561736564417474323032362d31312d31305431323a30303a30305a6c646570656e64656e63696573806d70726564696361746554797065782868747470733a2f2f766f7563682e6465762f6174746573746174696f6e2f72656c656173652f7631";

#[test]
fn a_byte_string_where_text_belongs_is_refused() {
    let bytes = hex::decode(FOUND_BY_FUZZING).unwrap();
    let release = Statement::<Release>::from_canonical_bytes(&bytes);
    assert!(
        matches!(release, Err(ManifestError::NotCanonical)),
        "{release:?}"
    );
    assert!(Statement::<Commit>::from_canonical_bytes(&bytes).is_err());
    assert!(Statement::<Image>::from_canonical_bytes(&bytes).is_err());
    assert!(Statement::<Deployment>::from_canonical_bytes(&bytes).is_err());
    assert!(Statement::<Approval>::from_canonical_bytes(&bytes).is_err());

    // The same statement with the text string reads, and is canonical.
    let pos = bytes
        .windows(5)
        .position(|w| w == [0x44, b'f', b'i', b'l', b'e'])
        .unwrap();
    let mut fixed = bytes.clone();
    fixed[pos] = 0x64;
    let statement = Statement::<Release>::from_canonical_bytes(&fixed).unwrap();
    assert_eq!(statement.to_canonical_bytes().unwrap(), fixed);
}
