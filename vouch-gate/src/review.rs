//! `AdmissionReview` (admission.k8s.io/v1): decoding a request from untrusted
//! bytes and building the response the API server expects.
//!
//! The field names are those of admission.k8s.io/v1 exactly; unknown fields
//! are ignored (the API server adds fields across releases), but the
//! `apiVersion` and `kind` must be `admission.k8s.io/v1` / `AdmissionReview`:
//! v1beta1 is not accepted, so that a misconfigured webhook fails loudly.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ReviewError;

/// The largest request body decoded. The API server's own request limit is
/// 3 MiB, and an `AdmissionReview` embeds the object (and its old version on
/// an UPDATE), so 3 MiB plus envelope leaves room for any object the API
/// server would store.
pub const MAX_REVIEW_BYTES: usize = 3 * 1024 * 1024 + 64 * 1024;

/// The longest request `uid` accepted (the API server sends a UUID).
pub const MAX_UID_BYTES: usize = 128;

/// The longest status message sent back. The API server shows the message
/// to the user (kubectl prints it); the reasons of a verdict can be many, so
/// they are cut here rather than have the response grow without bound.
pub const MAX_MESSAGE_BYTES: usize = 4096;

/// How many warnings a response carries at most, and how long each may be
/// (the API server truncates longer ones itself; we cut first so the cut is
/// ours and marked).
pub const MAX_WARNINGS: usize = 16;
/// The longest warning sent, in bytes.
pub const MAX_WARNING_BYTES: usize = 256;

const API_VERSION: &str = "admission.k8s.io/v1";
const KIND: &str = "AdmissionReview";

/// A decoded `AdmissionReview` request.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    /// The request inside the review.
    pub request: AdmissionRequest,
}

/// The wire shape of the envelope, before its version is checked.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireReview {
    #[serde(default)]
    api_version: String,
    #[serde(default)]
    kind: String,
    request: Option<AdmissionRequest>,
}

/// Group, version and kind, as in `metav1.GroupVersionKind`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct GroupVersionKind {
    /// API group; empty for the core group (Pods).
    #[serde(default)]
    pub group: String,
    /// API version (`v1`).
    #[serde(default)]
    pub version: String,
    /// Kind (`Pod`, `Deployment`).
    #[serde(default)]
    pub kind: String,
}

/// `admission.k8s.io/v1` `AdmissionRequest`: the fields the gate reads.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest {
    /// Identifies this admission call; echoed in the response.
    pub uid: String,
    /// The kind of the object submitted.
    #[serde(default)]
    pub kind: GroupVersionKind,
    /// The name of the object (may be empty for a Pod created with
    /// `generateName`).
    #[serde(default)]
    pub name: Option<String>,
    /// The namespace of the object.
    #[serde(default)]
    pub namespace: Option<String>,
    /// `CREATE`, `UPDATE`, `DELETE` or `CONNECT`.
    #[serde(default)]
    pub operation: String,
    /// The object (absent on a DELETE).
    #[serde(default)]
    pub object: Option<Value>,
    /// Whether the API server runs the request in dry-run mode.
    #[serde(default)]
    pub dry_run: Option<bool>,
}

/// Decodes an `AdmissionReview` v1 from a request body.
///
/// # Errors
///
/// [`ReviewError`] when the body is over [`MAX_REVIEW_BYTES`], not JSON,
/// not an admission.k8s.io/v1 `AdmissionReview`, has no request, or a uid
/// that is empty or over [`MAX_UID_BYTES`].
pub fn decode(body: &[u8]) -> Result<Review, ReviewError> {
    if body.len() > MAX_REVIEW_BYTES {
        return Err(ReviewError::TooLarge {
            actual: body.len(),
            limit: MAX_REVIEW_BYTES,
        });
    }
    // serde_json bounds nesting at 128 levels, so a deeply nested object
    // fails here rather than overflow the stack.
    let wire: WireReview = serde_json::from_slice(body)
        .map_err(|e| ReviewError::Json(truncate(&e.to_string(), 256)))?;
    if wire.api_version != API_VERSION || wire.kind != KIND {
        return Err(ReviewError::NotAdmissionReview {
            api_version: truncate(&wire.api_version, 64),
            kind: truncate(&wire.kind, 64),
        });
    }
    let request = wire.request.ok_or(ReviewError::MissingRequest)?;
    if request.uid.is_empty() || request.uid.len() > MAX_UID_BYTES {
        return Err(ReviewError::BadUid {
            limit: MAX_UID_BYTES,
        });
    }
    Ok(Review { request })
}

/// What the gate answers for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the object is admitted.
    pub allowed: bool,
    /// Why (shown to the user on a denial); cut to [`MAX_MESSAGE_BYTES`].
    pub message: String,
    /// Warnings (dry-run denials, re-admissions); cut to [`MAX_WARNINGS`]
    /// of [`MAX_WARNING_BYTES`] each.
    pub warnings: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireResponseReview<'a> {
    api_version: &'static str,
    kind: &'static str,
    response: WireResponse<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireResponse<'a> {
    uid: &'a str,
    allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<WireStatus>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

/// `metav1.Status`, the fields a webhook response uses.
#[derive(Serialize)]
struct WireStatus {
    code: u16,
    message: String,
}

/// Builds the response `AdmissionReview` for `uid` (echoed as the API server
/// requires), as JSON bytes.
///
/// A denial carries status code 403 and the message; the message and the
/// warnings are cleaned of control characters (so a reason quoting untrusted
/// text cannot forge lines in a terminal or log) and cut to their bounds.
pub fn respond(uid: &str, decision: &Decision) -> Vec<u8> {
    let status = if decision.allowed && decision.message.is_empty() {
        None
    } else {
        Some(WireStatus {
            code: if decision.allowed { 200 } else { 403 },
            message: clean(&decision.message, MAX_MESSAGE_BYTES),
        })
    };
    let mut warnings: Vec<String> = decision
        .warnings
        .iter()
        .take(MAX_WARNINGS)
        .map(|w| clean(w, MAX_WARNING_BYTES))
        .collect();
    if decision.warnings.len() > MAX_WARNINGS
        && let Some(last) = warnings.last_mut()
    {
        *last = clean(
            &format!(
                "{} more warnings omitted",
                decision.warnings.len() - MAX_WARNINGS + 1
            ),
            MAX_WARNING_BYTES,
        );
    }
    let review = WireResponseReview {
        api_version: API_VERSION,
        kind: KIND,
        response: WireResponse {
            uid,
            allowed: decision.allowed,
            status,
            warnings,
        },
    };
    // Serializing plain strings and bools into a Vec cannot fail; fall back
    // to a denial built by hand rather than panic if it ever did.
    serde_json::to_vec(&review).unwrap_or_else(|_| {
        br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"","allowed":false}}"#
            .to_vec()
    })
}

/// Replaces control characters (newlines included) by spaces and cuts the
/// text to at most `limit` bytes on a character boundary, marking the cut.
pub fn clean(text: &str, limit: usize) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    truncate(&cleaned, limit)
}

/// Cuts `text` to at most `limit` bytes on a character boundary, ending with
/// `…` when something was cut.
fn truncate(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    const MARK: &str = "…";
    let mut end = limit.saturating_sub(MARK.len());
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = text[..end].to_owned();
    out.push_str(MARK);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(uid: &str) -> String {
        format!(
            r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"{uid}","kind":{{"group":"","version":"v1","kind":"Pod"}},"namespace":"shop","operation":"CREATE","object":{{"kind":"Pod"}},"dryRun":false}}}}"#
        )
    }

    #[test]
    fn decodes_a_v1_review() {
        let r = decode(review("705ab4f5-6393-11e8-b7cc-42010a800002").as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.request.uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
        assert_eq!(r.request.kind.kind, "Pod");
        assert_eq!(r.request.namespace.as_deref(), Some("shop"));
        assert_eq!(r.request.dry_run, Some(false));
    }

    #[test]
    fn refuses_v1beta1_and_other_kinds() {
        let body = review("u").replace("admission.k8s.io/v1", "admission.k8s.io/v1beta1");
        assert!(matches!(
            decode(body.as_bytes()),
            Err(ReviewError::NotAdmissionReview { .. })
        ));
        assert!(matches!(
            decode(br#"{"apiVersion":"v1","kind":"Pod"}"#),
            Err(ReviewError::NotAdmissionReview { .. })
        ));
    }

    #[test]
    fn refuses_malformed_missing_request_and_bad_uid() {
        assert!(matches!(decode(b"{not json"), Err(ReviewError::Json(_))));
        assert!(matches!(decode(b"[]"), Err(ReviewError::Json(_))));
        assert_eq!(
            decode(br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#),
            Err(ReviewError::MissingRequest)
        );
        assert!(matches!(
            decode(review("").as_bytes()),
            Err(ReviewError::BadUid { .. })
        ));
        assert!(matches!(
            decode(review(&"u".repeat(129)).as_bytes()),
            Err(ReviewError::BadUid { .. })
        ));
    }

    #[test]
    fn refuses_oversized_and_deep_bodies() {
        let big = vec![b' '; MAX_REVIEW_BYTES + 1];
        assert!(matches!(decode(&big), Err(ReviewError::TooLarge { .. })));
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(decode(deep.as_bytes()), Err(ReviewError::Json(_))));
    }

    #[test]
    fn response_echoes_uid_and_bounds_the_message() {
        let decision = Decision {
            allowed: false,
            message: format!("line1\nline2 {}", "é".repeat(5000)),
            warnings: (0..20).map(|i| format!("w{i}")).collect(),
        };
        let bytes = respond("abc", &decision);
        let v: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v["apiVersion"], "admission.k8s.io/v1");
        assert_eq!(v["kind"], "AdmissionReview");
        assert_eq!(v["response"]["uid"], "abc");
        assert_eq!(v["response"]["allowed"], false);
        assert_eq!(v["response"]["status"]["code"], 403);
        let message = v["response"]["status"]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(message.len() <= MAX_MESSAGE_BYTES);
        assert!(message.starts_with("line1 line2 "));
        assert!(message.ends_with('…'));
        let warnings = v["response"]["warnings"].as_array().map(Vec::len);
        assert_eq!(warnings, Some(MAX_WARNINGS));
        assert_eq!(
            v["response"]["warnings"][MAX_WARNINGS - 1],
            "5 more warnings omitted"
        );
    }

    #[test]
    fn an_allowed_response_without_message_has_no_status() {
        let bytes = respond(
            "u",
            &Decision {
                allowed: true,
                message: String::new(),
                warnings: vec![],
            },
        );
        let v: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v["response"]["allowed"], true);
        assert!(v["response"].get("status").is_none());
        assert!(v["response"].get("warnings").is_none());
    }

    proptest::proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = decode(&bytes);
        }

        #[test]
        fn clean_is_bounded_and_free_of_controls(text in ".{0,600}", limit in 4usize..300) {
            let out = clean(&text, limit);
            proptest::prop_assert!(out.len() <= limit);
            proptest::prop_assert!(!out.chars().any(char::is_control));
        }
    }
}
