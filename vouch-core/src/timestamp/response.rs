//! `TimeStampResp`, what a TSA answers (RFC 3161 §2.4.2): a status and,
//! when the request was granted, the token.
//!
//! ```text
//! TimeStampResp ::= SEQUENCE  {
//!    status                  PKIStatusInfo,
//!    timeStampToken          TimeStampToken     OPTIONAL  }
//!
//! PKIStatusInfo ::= SEQUENCE {
//!    status        PKIStatus,                 -- INTEGER, 0 granted, 1 grantedWithMods
//!    statusString  PKIFreeText     OPTIONAL,  -- SEQUENCE OF UTF8String
//!    failInfo      PKIFailureInfo  OPTIONAL  }  -- BIT STRING
//! ```

use der::asn1::{AnyRef, BitStringRef, Utf8StringRef};
use der::{Decode as _, Encode as _, Sequence};

use super::TokenError;

#[derive(Clone, Debug, Sequence)]
struct TimeStampResp<'a> {
    status: PkiStatusInfo<'a>,
    #[asn1(optional = "true")]
    time_stamp_token: Option<AnyRef<'a>>,
}

#[derive(Clone, Debug, Sequence)]
struct PkiStatusInfo<'a> {
    status: u32,
    #[asn1(optional = "true")]
    status_string: Option<Vec<Utf8StringRef<'a>>>,
    #[asn1(optional = "true")]
    fail_info: Option<BitStringRef<'a>>,
}

/// PKIFailureInfo's named bits, by bit number.
const FAILURES: [(usize, &str); 8] = [
    (0, "badAlg"),
    (2, "badRequest"),
    (5, "badDataFormat"),
    (14, "timeNotAvailable"),
    (15, "unacceptedPolicy"),
    (16, "unacceptedExtension"),
    (17, "addInfoNotAvailable"),
    (25, "systemFailure"),
];

/// The status text kept for an error, in characters.
const MAX_STATUS_TEXT: usize = 200;

/// The DER token inside a granted response.
pub(super) fn token(response: &[u8]) -> Result<Vec<u8>, TokenError> {
    let resp = TimeStampResp::from_der(response).map_err(|_| TokenError::Malformed {
        what: "TimeStampResp",
    })?;
    let status = resp.status.status;
    // 0 granted, 1 grantedWithMods: both come with a token.
    if status > 1 {
        let text: String = resp
            .status
            .status_string
            .iter()
            .flatten()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("; ")
            .chars()
            .take(MAX_STATUS_TEXT)
            .collect();
        let fail_info = resp.status.fail_info.map_or_else(Vec::new, |bits| {
            FAILURES
                .iter()
                .filter(|(bit, _)| bits.bits().nth(*bit) == Some(true))
                .map(|(_, name)| *name)
                .collect()
        });
        return Err(TokenError::Refused {
            status,
            text,
            fail_info,
        });
    }
    let token = resp.time_stamp_token.ok_or(TokenError::NoToken)?;
    token.to_der().map_err(|_| TokenError::Malformed {
        what: "TimeStampResp",
    })
}
