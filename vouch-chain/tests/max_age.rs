//! The policy's duration parser (`max_age = "30d"`): every string gives a
//! value or an error, never a panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use vouch_chain::policy::MaxAge;

#[test]
fn multibyte_units_are_refused_not_panicked_on() {
    // `split_at` one byte before the end cut "é" in half.
    for s in [
        "30é",
        "é",
        "30日",
        "3\u{0301}d",
        "30d\u{0301}",
        "🦀",
        "1🦀d",
        "",
    ] {
        assert!(s.parse::<MaxAge>().is_err(), "{s:?}");
    }
    assert_eq!("30d".parse::<MaxAge>().unwrap().seconds(), 30 * 86_400);
    assert_eq!("90s".parse::<MaxAge>().unwrap().seconds(), 90);
    // The largest that fits, and one past it.
    assert_eq!(
        format!("{}s", u64::MAX)
            .parse::<MaxAge>()
            .unwrap()
            .seconds(),
        u64::MAX
    );
    assert!(
        format!("{}d", u64::MAX / 86_400 + 1)
            .parse::<MaxAge>()
            .is_err()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn parser_never_panics(s in any::<String>()) {
        let _ = s.parse::<MaxAge>();
    }

    #[test]
    fn parser_never_panics_near_units(n in any::<u64>(), tail in "\\PC{0,3}") {
        let _ = format!("{n}{tail}").parse::<MaxAge>();
    }

    #[test]
    fn display_parses_back(secs in any::<u64>()) {
        let age = format!("{secs}s").parse::<MaxAge>().unwrap();
        prop_assert_eq!(age.to_string().parse::<MaxAge>().unwrap(), age);
    }
}
