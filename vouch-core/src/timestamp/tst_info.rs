//! `TSTInfo`, the statement a timestamp authority signs (RFC 3161 §2.4.2).
//!
//! ```text
//! TSTInfo ::= SEQUENCE  {
//!    version                      INTEGER  { v1(1) },
//!    policy                       TSAPolicyId,
//!    messageImprint               MessageImprint,
//!    serialNumber                 INTEGER,
//!    genTime                      GeneralizedTime,
//!    accuracy                     Accuracy                 OPTIONAL,
//!    ordering                     BOOLEAN             DEFAULT FALSE,
//!    nonce                        INTEGER                  OPTIONAL,
//!    tsa                          [0] GeneralName          OPTIONAL,
//!    extensions                   [1] IMPLICIT Extensions   OPTIONAL  }
//!
//! MessageImprint ::= SEQUENCE  {
//!    hashAlgorithm                AlgorithmIdentifier,
//!    hashedMessage                OCTET STRING  }
//!
//! Accuracy ::= SEQUENCE {
//!    seconds        INTEGER              OPTIONAL,
//!    millis     [0] INTEGER  (1..999)    OPTIONAL,
//!    micros     [1] INTEGER  (1..999)    OPTIONAL  }
//! ```
//!
//! The RFC 3161 module uses implicit tags; `tsa` is a CHOICE, so its tag is
//! explicit all the same. The crate `x509-tsp` has these types, but only
//! for der 0.7, so they are written out here.

use const_oid::ObjectIdentifier;
use der::asn1::{AnyRef, IntRef, OctetStringRef};
use der::{Decode as _, Sequence, Tag, Tagged as _};
use spki::AlgorithmIdentifierRef;
use x509_cert::ext::Extensions;
use x509_cert::ext::pkix::name::GeneralName;

use super::TokenError;
use crate::time::Timestamp;

/// The decoded `TSTInfo`; borrowed from the token's bytes.
#[derive(Clone, Debug, Sequence)]
pub(super) struct TstInfo<'a> {
    pub(super) version: u64,
    pub(super) policy: ObjectIdentifier,
    pub(super) message_imprint: MessageImprint<'a>,
    // INTEGER, not necessarily positive: a conformance-suite TSA sends a
    // negative one, and RFC 3161 asks only that it be unique.
    pub(super) serial_number: IntRef<'a>,
    // Not `GeneralizedTime`: der's type refuses the fractional seconds
    // RFC 3161 allows, so the time is read by `gen_time` below.
    pub(super) gen_time: AnyRef<'a>,
    #[asn1(optional = "true")]
    pub(super) accuracy: Option<AccuracyInfo>,
    #[asn1(default = "Default::default")]
    pub(super) ordering: bool,
    #[asn1(optional = "true")]
    pub(super) nonce: Option<IntRef<'a>>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub(super) tsa: Option<GeneralName>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub(super) extensions: Option<Extensions>,
}

/// The hash of the timestamped data.
#[derive(Clone, Debug, Sequence)]
pub(super) struct MessageImprint<'a> {
    pub(super) hash_algorithm: AlgorithmIdentifierRef<'a>,
    pub(super) hashed_message: &'a OctetStringRef,
}

/// How far `genTime` may be from the true time.
#[derive(Clone, Copy, Debug, Sequence)]
pub(super) struct AccuracyInfo {
    #[asn1(optional = "true")]
    pub(super) seconds: Option<u64>,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub(super) millis: Option<u16>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub(super) micros: Option<u16>,
}

impl AccuracyInfo {
    /// The accuracy as a duration; `None` when millis or micros are out of
    /// the 1..999 range the RFC gives them.
    pub(super) fn duration(self) -> Option<std::time::Duration> {
        let in_range = |v: Option<u16>| v.is_none_or(|v| (1..=999).contains(&v));
        if !in_range(self.millis) || !in_range(self.micros) {
            return None;
        }
        let micros =
            u64::from(self.millis.unwrap_or(0)) * 1000 + u64::from(self.micros.unwrap_or(0));
        Some(
            std::time::Duration::from_secs(self.seconds.unwrap_or(0))
                + std::time::Duration::from_micros(micros),
        )
    }
}

impl<'a> TstInfo<'a> {
    /// Decodes the DER `TSTInfo`, refusing trailing bytes.
    pub(super) fn parse(der: &'a [u8]) -> Result<Self, TokenError> {
        TstInfo::from_der(der).map_err(|_| TokenError::Malformed { what: "TSTInfo" })
    }
}

/// Parses `genTime`: `YYYYMMDDHHMMSS[.f+]Z` as RFC 3161 §2.4.2 restricts
/// GeneralizedTime (UTC, no trailing zeros in the fraction, no bare
/// decimal point). The fraction is dropped: [`Timestamp`] counts seconds,
/// and rounding down never moves a time past the instant the TSA saw.
pub(super) fn gen_time(value: AnyRef<'_>) -> Result<Timestamp, TokenError> {
    let bytes = value.value();
    let refuse = || TokenError::GenTime {
        text: String::from_utf8_lossy(bytes.get(..bytes.len().min(40)).unwrap_or_default())
            .into_owned(),
    };
    if value.tag() != Tag::GeneralizedTime {
        return Err(refuse());
    }
    let (Some(digits), Some(rest)) = (bytes.get(..14), bytes.get(14..)) else {
        return Err(refuse());
    };
    let fraction_ok = match rest {
        [b'Z'] => true,
        [b'.', f @ .., b'Z'] => {
            !f.is_empty() && f.iter().all(u8::is_ascii_digit) && f.last() != Some(&b'0')
        }
        _ => false,
    };
    if !fraction_ok || !digits.iter().all(u8::is_ascii_digit) {
        return Err(refuse());
    }
    let d = |r: std::ops::Range<usize>| {
        std::str::from_utf8(digits.get(r).unwrap_or_default()).unwrap_or_default()
    };
    // The RFC 3339 parser checks the calendar (month lengths, leap years).
    format!(
        "{}-{}-{}T{}:{}:{}Z",
        d(0..4),
        d(4..6),
        d(6..8),
        d(8..10),
        d(10..12),
        d(12..14)
    )
    .parse()
    .map_err(|_| refuse())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gt(s: &str) -> Result<Timestamp, TokenError> {
        gen_time(AnyRef::new(Tag::GeneralizedTime, s.as_bytes()).unwrap())
    }

    #[test]
    fn gen_time_forms() {
        let t = |s: &str| gt(s).map(|t| t.to_string());
        assert_eq!(t("20250612120220Z").unwrap(), "2025-06-12T12:02:20Z");
        assert_eq!(t("20250612120220.5Z").unwrap(), "2025-06-12T12:02:20Z");
        assert_eq!(t("20250612120220.123456Z").unwrap(), "2025-06-12T12:02:20Z");
        for bad in [
            "20250612120220.50Z",
            "20250612120220.Z",
            "20250612120220",
            "20250612120220+0100",
            "2025061212022Z",
            "20250230120220Z",
            "20250612250220Z",
            "2025061212022xZ",
            "",
        ] {
            assert!(
                matches!(gt(bad), Err(TokenError::GenTime { .. })),
                "{bad:?}"
            );
        }
        let utc = gen_time(AnyRef::new(Tag::UtcTime, b"250612120220Z").unwrap());
        assert!(matches!(utc, Err(TokenError::GenTime { .. })));
    }

    #[test]
    fn accuracy_range() {
        let a = |seconds, millis, micros| {
            AccuracyInfo {
                seconds,
                millis,
                micros,
            }
            .duration()
        };
        assert_eq!(
            a(Some(1), Some(500), Some(1)),
            Some(std::time::Duration::from_micros(1_500_001))
        );
        assert_eq!(a(None, None, None), Some(std::time::Duration::ZERO));
        assert_eq!(a(None, Some(0), None), None);
        assert_eq!(a(None, None, Some(1000)), None);
    }
}
