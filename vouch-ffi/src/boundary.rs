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
/// Handles are immutable once made (their caches are `OnceLock`s, which a
/// panic while filling leaves empty), so a panic cannot leave one half-updated:
/// asserting unwind safety is sound here.
pub(crate) fn run<R: Return>(
    record: bool,
    body: impl FnOnce() -> Result<R::Success, Failure>,
) -> R {
    quiet_panics::install();
    let outcome = quiet_panics::inside(|| catch_unwind(AssertUnwindSafe(body)));
    let outcome = outcome.unwrap_or_else(|payload| {
        // The hook saw the panic first and kept its message and location;
        // the payload alone is the fallback (a hook replaced by the host).
        let what = quiet_panics::take().unwrap_or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned())
        });
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

/// A library never writes to its host's standard streams: a panic inside
/// a vouch call is reported through its result code and
/// `vouch_last_error_message`, not by Rust's default panic hook printing
/// the message (and maybe a backtrace) to the host's stderr.
///
/// The first call into vouch installs, once for the process, a panic hook
/// that keeps the message of a panic on a thread that is inside a vouch
/// call and hands any other panic (the host's own Rust code, other Rust
/// libraries) to the hook that was installed before. A host that installs
/// its own hook later replaces this one; the message then still comes from
/// the panic payload.
pub(crate) mod quiet_panics {
    use std::cell::{Cell, RefCell};
    use std::panic::PanicHookInfo;
    use std::sync::Once;

    thread_local! {
        /// How many vouch calls this thread is inside (exports do not
        /// call each other today; nesting is counted all the same).
        static DEPTH: Cell<u32> = const { Cell::new(0) };
        /// The message and location of the latest panic inside a call.
        static CAUGHT: RefCell<Option<String>> = const { RefCell::new(None) };
    }

    static INSTALL: Once = Once::new();

    /// Installs the hook, once per process, on top of the one in place.
    pub(crate) fn install() {
        INSTALL.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                // `try_with`: a panic while the thread's locals are being
                // destroyed is not inside a call.
                let inside = DEPTH.try_with(Cell::get).unwrap_or(0) > 0;
                if !inside
                    || CAUGHT
                        .try_with(|c| *c.borrow_mut() = Some(describe(info)))
                        .is_err()
                {
                    previous(info);
                }
            }));
        });
    }

    fn describe(info: &PanicHookInfo<'_>) -> String {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("a panic without a message");
        match info.location() {
            Some(at) => format!("{message} (at {}:{})", at.file(), at.line()),
            None => message.to_owned(),
        }
    }

    /// Runs `f` counted as inside a vouch call.
    pub(crate) fn inside<T>(f: impl FnOnce() -> T) -> T {
        /// Leaves the call even if `f` unwinds (it never does: it is a
        /// `catch_unwind`).
        struct Leave;
        impl Drop for Leave {
            fn drop(&mut self) {
                DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
            }
        }
        DEPTH.with(|d| d.set(d.get().saturating_add(1)));
        let _leave = Leave;
        f()
    }

    /// The message the hook kept for this thread's latest panic, if any.
    pub(crate) fn take() -> Option<String> {
        CAUGHT.with(|c| c.borrow_mut().take())
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

    /// Set in the child process of [`panics_inside_a_call_are_not_printed`].
    const CHILD: &str = "VOUCH_FFI_TEST_PANIC_CHILD";

    /// Run alone in a child process: a panic inside a call is kept for
    /// the last error message, one outside any call reaches the hook the
    /// host installed.
    #[test]
    fn panic_hook_child() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        if std::env::var_os(CHILD).is_none() {
            return;
        }
        // The host's own hook, in place before the first vouch call.
        static HOST_HOOK: AtomicUsize = AtomicUsize::new(0);
        std::panic::set_hook(Box::new(|_| {
            HOST_HOOK.fetch_add(1, Ordering::SeqCst);
        }));
        assert_eq!(panics_with_result(), vouch_result::Panic);
        let detail = last_error::with(str::to_owned);
        assert!(detail.contains("boom"), "{detail}");
        assert!(detail.contains("boundary.rs:"), "{detail}");
        assert_eq!(panics_with_value(), 0);
        assert_eq!(HOST_HOOK.load(Ordering::SeqCst), 0);
        // Outside a call the host's hook still runs.
        let outside = std::panic::catch_unwind(|| panic!("the host's own panic"));
        assert!(outside.is_err());
        assert_eq!(HOST_HOOK.load(Ordering::SeqCst), 1);
        // And a call after that is quiet again.
        assert!(panics_with_pointer().is_null());
        assert_eq!(HOST_HOOK.load(Ordering::SeqCst), 1);
        eprintln!("child done");
    }

    #[test]
    fn panics_inside_a_call_are_not_printed() {
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new(exe)
            .args([
                "boundary::tests::panic_hook_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}\n{stderr}");
        assert!(stdout.contains("1 passed"), "{stdout}");
        // The child ran to its end, and no panic reached stderr.
        assert_eq!(stderr.trim(), "child done", "{stderr}");
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
