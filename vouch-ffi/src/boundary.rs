//! The panic boundary every export runs in, and the per-thread last error.
//!
//! Every export's body is written inside [`boundary!`]: the body is a
//! closure returning `Result<_, Failure>` (so `?` works), compiled under
//! `#[forbid(unsafe_code)]`, and run by [`run`] inside
//! [`std::panic::catch_unwind`]. A panic never unwinds into C: it becomes
//! `VOUCH_RESULT_PANIC` (or the function's documented default value).

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::{Failure, vouch_result};

/// How an export's return type carries success, failure and a caught panic.
pub(crate) trait Return {
    /// What the body produces on success.
    type Success;
    /// Whether this return type reports failures through `vouch_result`
    /// (and so keeps the thread's last error message up to date).
    const RECORDS: bool;
    fn success(value: Self::Success) -> Self;
    fn failure(code: vouch_result) -> Self;
}

impl Return for vouch_result {
    type Success = ();
    const RECORDS: bool = true;
    fn success((): ()) -> Self {
        vouch_result::Ok
    }
    fn failure(code: vouch_result) -> Self {
        code
    }
}

/// Functions returning plain values answer failures (NULL handles) and
/// panics with a documented default: `false`, 0, NULL or nothing.
macro_rules! return_default {
    ($($t:ty => $default:expr),* $(,)?) => {$(
        impl Return for $t {
            type Success = $t;
            const RECORDS: bool = false;
            fn success(value: $t) -> Self {
                value
            }
            fn failure(_: vouch_result) -> Self {
                $default
            }
        }
    )*};
}

return_default! {
    () => (),
    bool => false,
    usize => 0,
    u64 => 0,
}

impl<T> Return for *const T {
    type Success = *const T;
    const RECORDS: bool = false;
    fn success(value: *const T) -> Self {
        value
    }
    fn failure(_: vouch_result) -> Self {
        std::ptr::null()
    }
}

/// Runs an export's body: catches panics, maps failures to the return type
/// and, when `record` is set and the return type is a `vouch_result`,
/// replaces the thread's last error message.
///
/// Handles are immutable once made, so a panic cannot leave one half-updated:
/// asserting unwind safety is sound here.
pub(crate) fn run<R: Return>(
    record: bool,
    body: impl FnOnce() -> Result<R::Success, Failure>,
) -> R {
    let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned());
        Err(Failure::new(
            vouch_result::Panic,
            format!("vouch panicked (please report this bug): {what}"),
        ))
    });
    let record = record && R::RECORDS;
    match outcome {
        Ok(value) => {
            if record {
                last_error::clear();
            }
            R::success(value)
        }
        Err(failure) => {
            let code = failure.code;
            if record {
                last_error::set(failure.detail);
            }
            R::failure(code)
        }
    }
}

/// Writes an export's body: `boundary! { ...; Ok(value) }`.
///
/// The body is a closure returning `Result<_, Failure>`, compiled with
/// `unsafe_code` forbidden (the export itself allows it only for
/// `#[unsafe(no_mangle)]`), and runs inside the panic boundary.
macro_rules! boundary {
    ($($body:tt)*) => {{
        #[forbid(unsafe_code)]
        let body = || -> ::core::result::Result<_, $crate::error::Failure> { $($body)* };
        $crate::boundary::run(true, body)
    }};
}

/// [`boundary!`] for the two functions that read messages: they must not
/// replace the last error message they may be asked to render.
macro_rules! boundary_keeping_last_error {
    ($($body:tt)*) => {{
        #[forbid(unsafe_code)]
        let body = || -> ::core::result::Result<_, $crate::error::Failure> { $($body)* };
        $crate::boundary::run(false, body)
    }};
}

pub(crate) use {boundary, boundary_keeping_last_error};

/// The detailed message of the latest failure, per thread.
pub(crate) mod last_error {
    use std::cell::RefCell;

    thread_local! {
        static LAST: RefCell<String> = const { RefCell::new(String::new()) };
    }

    pub(crate) fn set(detail: String) {
        LAST.with(|l| *l.borrow_mut() = detail);
    }

    pub(crate) fn clear() {
        // Keep no allocation around once there is nothing to say.
        LAST.with(|l| *l.borrow_mut() = String::new());
    }

    /// Calls `f` with the current message.
    pub(crate) fn with<T>(f: impl FnOnce(&str) -> T) -> T {
        LAST.with(|l| f(&l.borrow()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panics_with_result() -> vouch_result {
        boundary! {
            if std::hint::black_box(true) {
                panic!("boom");
            }
            Ok(())
        }
    }

    fn panics_with_value() -> usize {
        boundary! {
            let v: Vec<usize> = Vec::new();
            // An out-of-bounds index panics; the boundary answers 0.
            Ok(v[std::hint::black_box(3)] + 1)
        }
    }

    fn panics_with_pointer() -> *const u8 {
        boundary! {
            panic!("{}", String::from("formatted"))
        }
    }

    #[test]
    fn panics_are_caught() {
        assert_eq!(panics_with_result(), vouch_result::Panic);
        let detail = last_error::with(str::to_owned);
        assert!(detail.contains("boom"), "{detail}");
        assert_eq!(panics_with_value(), 0);
        assert!(panics_with_pointer().is_null());
    }

    #[test]
    fn failures_and_successes_update_the_last_error() {
        let fails = || -> vouch_result {
            boundary! { Err(Failure::new(vouch_result::Bundle, "no bundle")) }
        };
        assert_eq!(fails(), vouch_result::Bundle);
        assert_eq!(last_error::with(str::to_owned), "no bundle");
        let keeps = || -> vouch_result {
            boundary_keeping_last_error! { Err(Failure::new(vouch_result::Io, "ignored")) }
        };
        assert_eq!(keeps(), vouch_result::Io);
        assert_eq!(last_error::with(str::to_owned), "no bundle");
        // Plain-value functions never touch it.
        let value = || -> bool {
            boundary! { Err(Failure::null("v")) }
        };
        assert!(!value());
        assert_eq!(last_error::with(str::to_owned), "no bundle");
        let ok = || -> vouch_result {
            boundary! { Ok(()) }
        };
        assert_eq!(ok(), vouch_result::Ok);
        assert_eq!(last_error::with(str::to_owned), "");
    }
}
