//! The process-wide default provider for a vector suite, chosen by the
//! environment: `VOUCH_TEST_PROVIDER=aws-lc-rs` installs the AWS-LC provider
//! before the first vector is read, so the envelope checks (which use the
//! default provider) run on it too. `scripts/test` runs the COSE and SSHSIG
//! suites once more that way; by default they run on the pure-Rust one.

#![allow(dead_code, clippy::panic)]

use std::sync::Once;

/// Installs the provider `VOUCH_TEST_PROVIDER` names (once per process).
pub(crate) fn select() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| match std::env::var("VOUCH_TEST_PROVIDER").as_deref() {
        Err(_) | Ok("") | Ok("rust") => {}
        #[cfg(feature = "aws-lc-rs")]
        Ok("aws-lc-rs") => {
            if vouch_core::provider::aws_lc_rs::PROVIDER
                .install_default()
                .is_err()
            {
                panic!("another provider was installed before the vectors were read");
            }
            eprintln!("vector suite on the aws-lc-rs provider (VOUCH_TEST_PROVIDER)");
        }
        Ok(other) => panic!(
            "VOUCH_TEST_PROVIDER={other:?}: expected rust or aws-lc-rs (with --features aws-lc-rs)"
        ),
    });
}
