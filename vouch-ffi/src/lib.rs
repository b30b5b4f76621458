//! The C ABI of vouch.
//!
//! This crate will hold opaque handles, result codes and the committed
//! `include/vouch.h` header through which C and other languages embed vouch.
