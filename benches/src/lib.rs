//! Criterion benches of the hot paths live in `benches/`; this library is empty.
