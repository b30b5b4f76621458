//! Examples of vouch live beside this file; this library is empty.
