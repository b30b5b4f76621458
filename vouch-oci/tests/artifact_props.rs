//! Properties of the artifact and referrers parsers: build then parse gives
//! back what was built, for any bundle and subject; arbitrary bytes never
//! panic; adding to a referrers index keeps one entry per digest.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use oci_spec::image::{Descriptor, MediaType};
use proptest::prelude::*;
use vouch_core::Digest;
use vouch_oci::artifact::{Artifact, oci_digest, parse_artifact};
use vouch_oci::layout::descriptor_digest;
use vouch_oci::referrers;

fn subject(seed: &[u8], size: u64, index: bool) -> Descriptor {
    let mt = if index {
        MediaType::ImageIndex
    } else {
        MediaType::ImageManifest
    };
    Descriptor::new(mt, size, oci_digest(&Digest::sha256(seed)).unwrap())
}

proptest! {
    #[test]
    fn build_then_parse_roundtrips(bundle in proptest::collection::vec(any::<u8>(), 0..512),
                                   seed in proptest::collection::vec(any::<u8>(), 0..16),
                                   size in 0u64..1 << 40, index in any::<bool>()) {
        let s = subject(&seed, size, index);
        let a = Artifact::build(&s, &bundle).unwrap();
        let m = parse_artifact(&a.manifest, &Digest::sha256(&seed)).unwrap();
        prop_assert_eq!(descriptor_digest(&m.layer).unwrap(), Digest::sha256(&bundle));
        prop_assert_eq!(m.layer.size(), bundle.len() as u64);
        // Building is deterministic: the same inputs name the same artifact.
        prop_assert_eq!(Artifact::build(&s, &bundle).unwrap().digest, a.digest);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_artifact(&data, &Digest::sha256(b"x"));
        let _ = referrers::parse(&data);
    }

    #[test]
    fn referrers_add_keeps_one_entry_per_digest(seeds in proptest::collection::vec(0u8..8, 0..32)) {
        let mut index = referrers::empty().unwrap();
        for s in &seeds {
            referrers::add(&mut index, subject(&[*s], 1, false)).unwrap();
        }
        let distinct: std::collections::BTreeSet<_> = seeds.iter().collect();
        prop_assert_eq!(index.manifests().len(), distinct.len());
        let back = referrers::parse(&referrers::to_bytes(&index).unwrap()).unwrap();
        prop_assert_eq!(back, index);
    }
}

proptest! {
    #[test]
    fn image_refs_roundtrip_through_display(
        host in "[a-z][a-z0-9]{0,10}(\\.[a-z][a-z0-9]{0,10}){0,3}",
        port in proptest::option::of(any::<u16>()),
        repo in "[a-z0-9]{1,8}([._-][a-z0-9]{1,8}){0,2}(/[a-z0-9]{1,8}){0,3}",
        tag in proptest::option::of("[A-Za-z0-9_][A-Za-z0-9._-]{0,20}"),
        digest in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..8)),
    ) {
        use vouch_oci::reference::{ImageRef, Target};
        let target = match (digest, tag) {
            (Some(seed), _) => Target::Digest(Digest::sha256(&seed)),
            (None, Some(t)) => Target::Tag(t),
            (None, None) => Target::Tag("latest".to_owned()),
        };
        let r = ImageRef { host, port, repository: repo, target };
        let back = ImageRef::parse(&r.to_string()).unwrap();
        prop_assert_eq!(back, r);
    }

    #[test]
    fn image_ref_parser_never_panics(text in "\\PC{0,80}") {
        let _ = vouch_oci::reference::ImageRef::parse(&text);
    }
}
