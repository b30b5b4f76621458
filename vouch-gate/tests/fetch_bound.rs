//! A source that hangs cannot make the gate start threads without bound:
//! after MAX_FETCHES_IN_FLIGHT stuck fetches, the next is refused at once
//! (and so denied), and slots come back when the stuck fetches return.
//! Its own test binary, because the in-flight count is process-wide.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use vouch_core::Digest;
use vouch_gate::source::{BundleSource, FetchError, MAX_FETCHES_IN_FLIGHT, fetch_with_timeout};

#[derive(Debug)]
struct Hangs(Duration);

impl BundleSource for Hangs {
    fn fetch(&self, _: &Digest) -> Result<Option<Vec<u8>>, FetchError> {
        std::thread::sleep(self.0);
        Ok(None)
    }
}

#[test]
fn stuck_fetches_are_bounded_and_released() {
    let image = Digest::sha256(b"image");
    let hangs: Vec<Arc<dyn BundleSource>> = vec![Arc::new(Hangs(Duration::from_millis(1500)))];
    for _ in 0..MAX_FETCHES_IN_FLIGHT {
        assert!(matches!(
            fetch_with_timeout(&hangs, &image, Duration::from_millis(1)),
            Err(FetchError::Timeout { .. })
        ));
    }
    let started = Instant::now();
    assert_eq!(
        fetch_with_timeout(&hangs, &image, Duration::from_secs(5)).err(),
        Some(FetchError::Busy(MAX_FETCHES_IN_FLIGHT))
    );
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "refused without waiting"
    );
    // Once the stuck fetches return, their slots are free again.
    std::thread::sleep(Duration::from_millis(2500));
    let quick: Vec<Arc<dyn BundleSource>> = vec![Arc::new(Hangs(Duration::ZERO))];
    assert_eq!(
        fetch_with_timeout(&quick, &image, Duration::from_secs(5)).err(),
        Some(FetchError::NotFound(image))
    );
}
