//! Every `unsafe` block of vouch-ffi, and nothing else.
//!
//! This module turns what a C caller hands over (raw pointers, lengths,
//! NUL-terminated strings, handles) into Rust references and back. Each
//! function is small, checks for NULL and impossible lengths before anything
//! else, and states in a `// SAFETY:` comment which part of the C contract
//! makes its block sound. The crate denies `unsafe_code` everywhere else;
//! lib.rs allows it for this module alone.
//!
//! # The C contract these helpers rely on
//!
//! `include/vouch.h` documents it for each function; in short:
//!
//! - a non-NULL input pointer is valid for reads of the length given with it
//!   (or up to and including the NUL of a string) for the whole call, and
//!   nothing writes to that memory during the call;
//! - a non-NULL output pointer is valid for a write of its type, and a
//!   caller buffer for writes of the length given with it;
//! - a handle pointer is NULL or was returned by the matching vouch function
//!   and not freed yet; a `_free` function receives each handle at most once,
//!   and no other thread uses the handle while it is freed.
//!
//! NULL is always checked here and answered with
//! [`vouch_result::NullParameter`](crate::vouch_result::NullParameter) (or a
//! documented default); a violation of the rest cannot be detected by any C
//! library and is undefined behaviour, as it is for libc.
//!
//! # Why the exports are safe `extern "C" fn`s, each with `allow(unsafe_code)`
//!
//! Exporting a symbol takes `#[unsafe(no_mangle)]`, which the `unsafe_code`
//! lint counts, so every export carries a narrow
//! `#[allow(unsafe_code, reason = "...")]` for that attribute. What keeps
//! their bodies free of `unsafe` is the [`boundary!`](crate::boundary::boundary)
//! macro every body is written in: it wraps the body in a closure under
//! `#[forbid(unsafe_code)]` and runs it inside the panic boundary, so an
//! `unsafe` block in an export does not compile. The only `unsafe` blocks
//! left are the ones below.
//!
//! As in rustls-ffi, the exports are declared as safe Rust functions: their
//! contract is the C header's (above), which Rust's type system cannot
//! express either way, and Rust code has no reason to call them (it uses the
//! vouch crates). Declaring them `unsafe fn` would change nothing for C and
//! would put an `unsafe` block at every call in the Rust tests, outside this
//! module. The helpers are likewise safe `pub(crate)` functions: they are only
//! ever called with pointers received through an export.
//!
//! # Handles
//!
//! Every handle is a `Box` of its Rust value handed to C as a pointer to a
//! zero-sized opaque struct (`struct vouch_verifier { _private: [u8; 0] }`),
//! tied to its Rust type by [`Handle`]. [`into_handle`] makes one, [`try_ref`]
//! borrows it, [`free_handle`] drops it. Handles are never mutated through
//! their pointer after they are made (only [`free_handle`] takes ownership
//! back), so sharing one between threads needs the Rust type to be `Sync`,
//! and freeing it on any thread needs `Send`: [`Handle`]'s bound demands
//! both.

use std::ffi::{CStr, c_char};
use std::marker::PhantomData;
use std::ptr::NonNull;

use crate::error::{Failure, vouch_result};

/// Ties an opaque C handle type to the Rust value behind it (always boxed).
pub(crate) trait Handle {
    /// The value a pointer to `Self` really points to.
    ///
    /// `Sync` because the header lets several threads use one handle at
    /// once, `Send` because any thread may free it: bounding the type here
    /// makes a handle that breaks that contract fail to compile.
    type Rust: Send + Sync;
}

/// Boxes `value` and returns it as a pointer to its opaque C type.
pub(crate) fn into_handle<H: Handle>(value: H::Rust) -> *mut H {
    Box::into_raw(Box::new(value)).cast()
}

/// Borrows the value behind a handle for the duration of a call.
pub(crate) fn try_ref<'a, H: Handle>(
    ptr: *const H,
    what: &'static str,
) -> Result<&'a H::Rust, Failure> {
    let ptr = ptr.cast::<H::Rust>();
    // SAFETY: the C contract says a non-NULL handle came from `into_handle`
    // for this `H` (so it points to a live, aligned `H::Rust` in a Box) and is
    // not freed during the call; `as_ref` checks NULL. Handles are never
    // mutated, so a shared borrow cannot alias a mutable one.
    unsafe { ptr.as_ref() }.ok_or_else(|| Failure::null(what))
}

/// Drops the value behind a handle; NULL is ignored.
pub(crate) fn free_handle<H: Handle>(ptr: *mut H) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: a non-NULL handle came from `into_handle` for this `H`, i.e.
    // from `Box::<H::Rust>::into_raw`, and the C contract says it is freed
    // once and not in use by another thread, so ownership can be taken back.
    drop(unsafe { Box::from_raw(ptr.cast::<H::Rust>()) });
}

/// Borrows `len` bytes at `ptr`. NULL is accepted only with `len == 0`.
pub(crate) fn try_slice<'a>(
    ptr: *const u8,
    len: usize,
    what: &'static str,
) -> Result<&'a [u8], Failure> {
    check_len(len, what)?;
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Failure::null(what))
        };
    }
    // SAFETY: `ptr` is non-NULL and, by the C contract, valid for reads of
    // `len` bytes and not written during the call; `len` fits in `isize`
    // (checked above). `u8` has no alignment or validity requirements.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows a caller buffer of `len` bytes to write into. NULL is accepted
/// only with `len == 0` (an empty buffer, e.g. for a size query).
pub(crate) fn try_buffer<'a>(
    ptr: *mut c_char,
    len: usize,
    what: &'static str,
) -> Result<&'a mut [u8], Failure> {
    check_len(len, what)?;
    if ptr.is_null() {
        return if len == 0 {
            Ok(&mut [])
        } else {
            Err(Failure::null(what))
        };
    }
    // SAFETY: `ptr` is non-NULL and, by the C contract, valid for writes of
    // `len` bytes and not accessed otherwise during the call (no other
    // argument of the functions taking a buffer points into it); `len` fits
    // in `isize`. `c_char` and `u8` have the same size and alignment.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr.cast::<u8>(), len) })
}

/// Borrows a NUL-terminated string.
pub(crate) fn try_cstr<'a>(ptr: *const c_char, what: &'static str) -> Result<&'a CStr, Failure> {
    if ptr.is_null() {
        return Err(Failure::null(what));
    }
    // SAFETY: `ptr` is non-NULL and, by the C contract, points to a
    // NUL-terminated string that stays valid and unchanged during the call.
    Ok(unsafe { CStr::from_ptr(ptr) })
}

/// A checked, non-NULL output pointer, written with [`Out::set`].
pub(crate) struct Out<'a, T> {
    ptr: NonNull<T>,
    _caller: PhantomData<&'a mut T>,
}

impl<T> Out<'_, T> {
    /// Stores `value` through the pointer (the old contents, uninitialized
    /// or not, are never read or dropped).
    pub(crate) fn set(&mut self, value: T) {
        // SAFETY: the pointer is non-NULL (checked in `try_out`) and, by the
        // C contract, valid for a write of a `T`; `write_unaligned` needs no
        // alignment and does not drop what was there.
        unsafe { self.ptr.as_ptr().write_unaligned(value) }
    }
}

/// Checks an output pointer for NULL.
pub(crate) fn try_out<'a, T>(ptr: *mut T, what: &'static str) -> Result<Out<'a, T>, Failure> {
    NonNull::new(ptr)
        .map(|ptr| Out {
            ptr,
            _caller: PhantomData,
        })
        .ok_or_else(|| Failure::null(what))
}

/// An output pointer that may be NULL (the caller does not want the value).
pub(crate) fn optional_out<'a, T>(ptr: *mut T) -> Option<Out<'a, T>> {
    try_out(ptr, "").ok()
}

/// Checks an output handle pointer and sets `*ptr = NULL` at once, so the
/// caller finds NULL there whatever later fails.
pub(crate) fn try_out_handle<'a, H>(
    ptr: *mut *mut H,
    what: &'static str,
) -> Result<Out<'a, *mut H>, Failure> {
    let mut out = try_out(ptr, what)?;
    out.set(std::ptr::null_mut());
    Ok(out)
}

/// Slices may not be longer than `isize::MAX` bytes.
fn check_len(len: usize, what: &'static str) -> Result<(), Failure> {
    if isize::try_from(len).is_err() {
        return Err(Failure::new(
            vouch_result::InvalidLength,
            format!("{what}: length {len} exceeds the largest object size"),
        ));
    }
    Ok(())
}

/// Test helpers: read what an export handed out, as a C caller would.
#[cfg(test)]
pub(crate) mod read {
    use std::ffi::{CStr, c_char};

    /// Copies `len` bytes at `ptr` (NULL only with `len == 0`).
    pub(crate) fn bytes(ptr: *const u8, len: usize) -> Vec<u8> {
        if len == 0 {
            return Vec::new();
        }
        assert!(!ptr.is_null());
        // SAFETY: the tests pass pointers and lengths that an export just
        // returned for a live value (a payload, a vouch_bytes).
        unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec()
    }

    /// Copies a NUL-terminated string.
    pub(crate) fn string(ptr: *const c_char) -> String {
        assert!(!ptr.is_null());
        // SAFETY: the tests pass strings that an export returned (static,
        // NUL-terminated) or buffers an export just NUL-terminated.
        unsafe { CStr::from_ptr(ptr) }
            .to_string_lossy()
            .into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Thing {
        _private: [u8; 0],
    }
    impl Handle for Thing {
        type Rust = String;
    }

    #[test]
    fn handles_round_trip_and_null_is_refused() {
        let h = into_handle::<Thing>("hello".to_owned());
        assert_eq!(try_ref(h.cast_const(), "h").unwrap(), "hello");
        free_handle(h);
        free_handle::<Thing>(std::ptr::null_mut());
        let e = try_ref::<Thing>(std::ptr::null(), "thing").unwrap_err();
        assert_eq!(e.code, vouch_result::NullParameter);
        assert!(e.detail.contains("thing"), "{}", e.detail);
    }

    #[test]
    fn slices() {
        let data = [1u8, 2, 3];
        assert_eq!(try_slice(data.as_ptr(), 3, "d").unwrap(), &data);
        assert_eq!(try_slice(std::ptr::null(), 0, "d").unwrap(), &[] as &[u8]);
        assert_eq!(
            try_slice(std::ptr::null(), 1, "d").unwrap_err().code,
            vouch_result::NullParameter
        );
        // A length no object can have is refused before the pointer is used.
        assert_eq!(
            try_slice(data.as_ptr(), usize::MAX, "d").unwrap_err().code,
            vouch_result::InvalidLength
        );
        assert_eq!(
            try_slice(data.as_ptr(), isize::MAX as usize + 1, "d")
                .unwrap_err()
                .code,
            vouch_result::InvalidLength
        );
    }

    #[test]
    fn buffers() {
        let mut buf = [0 as c_char; 4];
        let b = try_buffer(buf.as_mut_ptr(), buf.len(), "buf").unwrap();
        b.copy_from_slice(b"abc\0");
        assert_eq!(read::string(buf.as_ptr()), "abc");
        assert!(
            try_buffer(std::ptr::null_mut(), 0, "buf")
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            try_buffer(std::ptr::null_mut(), 2, "buf").unwrap_err().code,
            vouch_result::NullParameter
        );
        assert_eq!(
            try_buffer(buf.as_mut_ptr(), usize::MAX, "buf")
                .unwrap_err()
                .code,
            vouch_result::InvalidLength
        );
    }

    #[test]
    fn strings() {
        let s = c"file:/tmp/key";
        assert_eq!(try_cstr(s.as_ptr(), "s").unwrap(), s);
        assert_eq!(
            try_cstr(std::ptr::null(), "s").unwrap_err().code,
            vouch_result::NullParameter
        );
    }

    #[test]
    fn outputs() {
        let mut n: usize = 7;
        try_out(&mut n, "n").unwrap().set(42);
        assert_eq!(n, 42);
        assert_eq!(
            try_out::<usize>(std::ptr::null_mut(), "n")
                .err()
                .map(|e| e.code),
            Some(vouch_result::NullParameter)
        );
        assert!(optional_out::<usize>(std::ptr::null_mut()).is_none());

        // An output handle is NULL from the start, whatever it held.
        let mut h: *mut Thing = std::ptr::NonNull::dangling().as_ptr();
        let _out = try_out_handle(&mut h, "h").unwrap();
        assert!(h.is_null());

        // Unaligned output pointers are fine.
        let mut raw = [0u8; 9];
        let unaligned = raw[1..].as_mut_ptr().cast::<u64>();
        try_out(unaligned, "u").unwrap().set(u64::MAX);
        assert_eq!(&raw[1..], &[0xff; 8]);
    }
}
