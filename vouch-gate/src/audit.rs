//! The audit log: one JSON line per decision.
//!
//! Each line records when, the request's uid, the namespace, the object's
//! kind and name, its images, the outcome, the reasons, the digest of each
//! verdict's trace (SHA-256 of [`Verdict::to_json`], so the full trace of a
//! decision can be recomputed and matched later) and whether the gate ran
//! in dry-run. Strings are JSON-escaped by serde_json, so a name or reason
//! carrying a newline cannot forge a line.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;
use vouch_chain::Verdict;
use vouch_core::{Digest, Timestamp};

/// What became of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Outcome {
    /// Every image verified.
    Allowed,
    /// Every image admitted, at least one by an admission record after the
    /// deployment's `max_age` (see [`crate::admission`]).
    Readmitted,
    /// The namespace is on the allow-list: not checked.
    Exempt,
    /// Denied.
    Denied,
    /// Would have been denied; allowed because the gate runs in dry-run.
    DryRunDenied,
}

/// One audit line.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// When the decision was made.
    pub time: String,
    /// The AdmissionRequest's uid.
    pub uid: String,
    /// The namespace.
    pub namespace: String,
    /// The object's kind.
    pub kind: String,
    /// The object's name (empty for a Pod with a generated name).
    pub name: String,
    /// Every image reference, as written.
    pub images: Vec<String>,
    /// The outcome.
    pub outcome: Outcome,
    /// The reasons of a denial (or of a dry-run warning).
    pub reasons: Vec<String>,
    /// SHA-256 of each verdict's trace JSON, in image order.
    pub trace_digests: Vec<Digest>,
    /// What an admission rests on besides a passing verdict ("re-admission
    /// of deployment ... first admitted at T"), and admission records that
    /// could not be written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Whether the gate runs in dry-run.
    pub dry_run: bool,
}

impl AuditRecord {
    /// The record's JSON line, newline included.
    pub fn to_line(&self) -> String {
        // Serializing strings, digests and an enum cannot fail; an empty
        // object keeps the log line-shaped if it ever did.
        let mut line = serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned());
        line.push('\n');
        line
    }
}

/// The digest of a verdict's trace, as the audit log records it.
pub fn trace_digest(verdict: &Verdict) -> Digest {
    Digest::sha256(verdict.to_json().as_bytes())
}

/// The time form of the audit log (RFC 3339, UTC).
pub fn time_text(at: Timestamp) -> String {
    at.to_string()
}

/// An append-only audit log file.
#[derive(Debug)]
pub struct AuditLog {
    file: File,
}

impl AuditLog {
    /// Opens (creating) `path` for appending.
    ///
    /// # Errors
    ///
    /// When the file cannot be opened.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self { file })
    }

    /// Appends one record in a single write, so concurrent writers (each
    /// line under the pipe-buffer size is written atomically with
    /// `O_APPEND`) do not interleave lines.
    ///
    /// # Errors
    ///
    /// When the write fails.
    pub fn write(&mut self, record: &AuditRecord) -> io::Result<()> {
        self.file.write_all(record.to_line().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> AuditRecord {
        AuditRecord {
            time: "2026-12-01T23:00:00Z".into(),
            uid: "u-1".into(),
            namespace: "shop".into(),
            kind: "Pod".into(),
            name: "evil\n{\"outcome\":\"allowed\"}".into(),
            images: vec!["busybox:1.36".into()],
            outcome: Outcome::Denied,
            reasons: vec!["image busybox:1.36 is referenced by tag".into()],
            trace_digests: vec![Digest::sha256(b"trace")],
            notes: Vec::new(),
            dry_run: false,
        }
    }

    #[test]
    fn one_escaped_line_per_record() {
        let line = record().to_line();
        assert_eq!(line.matches('\n').count(), 1);
        assert!(line.ends_with('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v["outcome"], "denied");
        assert_eq!(v["name"], "evil\n{\"outcome\":\"allowed\"}");
        assert_eq!(v["traceDigests"][0], Digest::sha256(b"trace").to_string());
        assert_eq!(v["dryRun"], false);
    }

    #[test]
    fn appends_lines_to_a_file() {
        let dir = std::env::temp_dir().join(format!("vouch-gate-audit-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("audit.jsonl");
        let _ = std::fs::remove_file(&path);
        let mut log = AuditLog::open(&path).unwrap_or_else(|e| panic!("{e}"));
        log.write(&record()).unwrap_or_else(|e| panic!("{e}"));
        let mut second = record();
        second.outcome = Outcome::DryRunDenied;
        second.dry_run = true;
        log.write(&second).unwrap_or_else(|e| panic!("{e}"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[1].contains("\"outcome\":\"dry-run-denied\""));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
