//! vouch_oci's layout reader and bundles_for on an untrusted `index.json`: a layout whose
//! index is the input is opened, resolved and read (image and bundles);
//! every path must end in a typed error or a value, never a panic.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vouch_core::Digest;
use vouch_oci::layout::Layout;

/// One layout directory per process, its index.json rewritten per input.
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("vouch-fuzz-layout-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("blobs/sha256")).expect("a scratch layout");
        std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)
            .expect("oci-layout");
        dir
    })
}

fn seeds() -> Vec<Vec<u8>> {
    vec![
        br#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"annotations":{"org.opencontainers.image.ref.name":"t"}}]}"#.to_vec(),
    ]
}

fuzz_target!(init: vouch_fuzz::write_seeds(seeds), |data: &[u8]| {
    let dir = dir();
    if std::fs::write(dir.join("index.json"), data).is_err() {
        return;
    }
    if let Ok(layout) = Layout::open(dir) {
        let _ = layout.image(None);
        let _ = layout.image(Some("t"));
        if let Ok(d) = layout.resolve(None)
            && let Ok(digest) = vouch_oci::layout::descriptor_digest(d)
        {
            let _ = layout.bundles_for(&digest);
        }
        let _ = layout.bundles_for(&Digest::sha256(b"image"));
    }
});
