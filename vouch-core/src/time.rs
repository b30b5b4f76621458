//! Points in time, as statements, rosters and policies use them.

use std::fmt;
use std::str::FromStr;

/// A point in time with one-second resolution, in UTC.
///
/// Its text form is RFC 3339 with a `Z` suffix and no fraction
/// (`2026-11-25T13:47:00Z`), the form in-toto and SLSA documents use; it is
/// also how it is stored in canonical CBOR, so one instant has one encoding.
///
/// ```
/// use vouch_core::Timestamp;
/// let t: Timestamp = "2026-11-25T13:47:00Z".parse().unwrap();
/// assert_eq!(t.unix_seconds(), 1_795_614_420);
/// assert_eq!(t.to_string(), "2026-11-25T13:47:00Z");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(i64);

/// Years 0000 through 9999 are all RFC 3339 can write.
const MIN: i64 = -62_167_219_200; // 0000-01-01T00:00:00Z
const MAX: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z

impl Timestamp {
    /// From seconds since 1970-01-01T00:00:00Z; `None` outside years 0–9999.
    pub fn from_unix_seconds(secs: i64) -> Option<Self> {
        (MIN..=MAX).contains(&secs).then_some(Timestamp(secs))
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(self) -> i64 {
        self.0
    }

    /// The current time from the system clock.
    pub fn now() -> Self {
        let secs = match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(-MIN),
        };
        Timestamp(secs.clamp(MIN, MAX))
    }

    /// This time plus `secs` seconds (saturating at the representable range).
    pub fn plus_seconds(self, secs: i64) -> Self {
        Timestamp(self.0.saturating_add(secs).clamp(MIN, MAX))
    }
}

// Days from civil date and back: Howard Hinnant's algorithms, proleptic Gregorian.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400);
        let rem = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

/// Why a time could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid time {text:?}: expected RFC 3339 UTC such as 2026-11-25T13:47:00Z")]
pub struct TimestampError {
    /// The text refused (truncated to 40 characters).
    pub text: String,
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(s: &str) -> Result<Self, TimestampError> {
        let err = || TimestampError {
            text: s.chars().take(40).collect(),
        };
        let b = s.as_bytes();
        if b.len() != 20
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
            || b[19] != b'Z'
        {
            return Err(err());
        }
        let num = |r: std::ops::Range<usize>| -> Result<i64, TimestampError> {
            let part = &b[r];
            if !part.iter().all(u8::is_ascii_digit) {
                return Err(err());
            }
            Ok(part
                .iter()
                .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')))
        };
        let (y, mo, d, h, mi, se) = (
            num(0..4)?,
            num(5..7)?,
            num(8..10)?,
            num(11..13)?,
            num(14..16)?,
            num(17..19)?,
        );
        let month_len = match mo {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if is_leap(y) => 29,
            2 => 28,
            _ => return Err(err()),
        };
        if d < 1 || d > month_len || h > 23 || mi > 59 || se > 59 {
            return Err(err());
        }
        Ok(Timestamp(
            days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se,
        ))
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        assert_eq!(
            "1970-01-01T00:00:00Z"
                .parse::<Timestamp>()
                .unwrap()
                .unix_seconds(),
            0
        );
        assert_eq!(
            "2000-02-29T12:00:00Z"
                .parse::<Timestamp>()
                .unwrap()
                .unix_seconds(),
            951_825_600
        );
        assert!("2001-02-29T12:00:00Z".parse::<Timestamp>().is_err());
        assert!("2026-11-25T13:47:00+00:00".parse::<Timestamp>().is_err());
        assert!("2026-11-25 13:47:00Z".parse::<Timestamp>().is_err());
        assert_eq!(
            Timestamp::from_unix_seconds(MIN).unwrap().to_string(),
            "0000-01-01T00:00:00Z"
        );
        assert_eq!(
            Timestamp::from_unix_seconds(MAX).unwrap().to_string(),
            "9999-12-31T23:59:59Z"
        );
        assert!(Timestamp::from_unix_seconds(MAX + 1).is_none());
    }

    proptest! {
        #[test]
        fn text_round_trip(secs in MIN..=MAX) {
            let t = Timestamp::from_unix_seconds(secs).unwrap();
            prop_assert_eq!(t.to_string().parse::<Timestamp>().unwrap(), t);
        }

        #[test]
        fn parse_never_panics(s in ".{0,30}") {
            let _ = s.parse::<Timestamp>();
        }
    }
}
