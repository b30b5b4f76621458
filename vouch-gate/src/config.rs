//! The gate's configuration file (TOML).
//!
//! ```toml
//! listen = "0.0.0.0:8443"            # the webhook (HTTPS)
//! metrics-listen = "0.0.0.0:9090"    # /healthz, /readyz, /metrics (HTTP)
//! cluster = "eu-1"                   # must equal the statements' target.cluster
//! environment = "production"         # optional: must equal target environment
//! workload-label = "app.kubernetes.io/name"
//! dry-run = false                    # true: allow, with warnings
//! exempt-namespaces = ["kube-system"]
//! cache-size = 10000
//! fetch-timeout-ms = 2000
//! audit-log = "/var/log/vouch-gate/audit.jsonl"
//! admission-records = "/var/lib/vouch-gate/records"
//! signing-key = "file:/etc/vouch-gate/gate.key"
//!
//! [tls]
//! cert = "/etc/vouch-gate/tls/tls.crt"
//! key = "/etc/vouch-gate/tls/tls.key"
//!
//! [trust]
//! roster = "/etc/vouch-gate/roster.cbor"
//! roster-pin = "sha256:..."          # optional once the state knows it
//! roster-state = "/var/lib/vouch-gate/roster-state.json"
//! policy = "/etc/vouch-gate/policy.toml"
//!
//! [[bundles]]
//! dir = "/var/lib/vouch-gate/bundles"
//! ```
//!
//! Unknown keys are refused, so a misspelt `dry-run` or
//! `exempt-namespaces` fails at startup rather than silently checking
//! nothing or everything.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::workload::DEFAULT_WORKLOAD_LABEL;

/// The largest configuration file read.
pub const MAX_CONFIG_BYTES: usize = 64 * 1024;

/// The gate's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Config {
    /// Where the webhook listens (HTTPS).
    pub listen: SocketAddr,
    /// Where health and metrics are served (plain HTTP, a separate port so
    /// the kubelet's probes and Prometheus need no client certificate).
    pub metrics_listen: SocketAddr,
    /// The cluster this gate guards.
    pub cluster: String,
    /// The environment, when statements must name one.
    #[serde(default)]
    pub environment: Option<String>,
    /// The label naming a pod's workload.
    #[serde(default = "default_label")]
    pub workload_label: String,
    /// Warn only: every request is allowed, denials become warnings.
    #[serde(default)]
    pub dry_run: bool,
    /// Namespaces not checked at all.
    #[serde(default)]
    pub exempt_namespaces: Vec<String>,
    /// The verdict cache's capacity (0 disables it).
    #[serde(default = "default_cache_size")]
    pub cache_size: usize,
    /// The timeout of each bundle fetch, in milliseconds.
    #[serde(default = "default_fetch_timeout")]
    pub fetch_timeout_ms: u64,
    /// The audit log file.
    pub audit_log: PathBuf,
    /// The directory of signed admission records.
    pub admission_records: PathBuf,
    /// The gate's signing key (a vouch-keys key reference, `file:PATH`).
    pub signing_key: String,
    /// The TLS certificate and key.
    pub tls: TlsConfig,
    /// The roster, its state file and the policy.
    pub trust: TrustConfig,
    /// Where bundles come from, tried in order.
    pub bundles: Vec<BundleSourceConfig>,
}

/// PEM files of the serving certificate chain and its key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain (PEM).
    pub cert: PathBuf,
    /// The private key (PEM).
    pub key: PathBuf,
}

/// The trust inputs, reloaded on change.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct TrustConfig {
    /// The signed roster chain.
    pub roster: PathBuf,
    /// The statement digest of the roster version trust starts from,
    /// known out of band. Without it, the anchor recorded in the roster
    /// state for this roster is used, and a state without one refuses to
    /// start (never trust whoever supplied the file).
    #[serde(default)]
    pub roster_pin: Option<vouch_core::Digest>,
    /// The roster state (newest verified version, rollback protection).
    pub roster_state: PathBuf,
    /// The policy (TOML or JSON).
    pub policy: PathBuf,
}

/// One bundle source.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[non_exhaustive]
pub enum BundleSourceConfig {
    /// A directory of bundles.
    Dir(PathBuf),
}

fn default_label() -> String {
    DEFAULT_WORKLOAD_LABEL.to_owned()
}

fn default_cache_size() -> usize {
    10_000
}

fn default_fetch_timeout() -> u64 {
    2_000
}

/// Why a configuration is refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read the configuration {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Over [`MAX_CONFIG_BYTES`].
    #[error("the configuration {path} is over {MAX_CONFIG_BYTES} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// Not valid TOML for [`Config`].
    #[error("the configuration is invalid: {0}")]
    Toml(String),
    /// A value out of range.
    #[error("the configuration is invalid: {0}")]
    Invalid(&'static str),
}

impl Config {
    /// Parses a configuration from TOML text.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] on invalid TOML, unknown keys or values out of range.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        if text.len() > MAX_CONFIG_BYTES {
            return Err(ConfigError::Invalid("the configuration is too large"));
        }
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))?;
        if config.cluster.is_empty() {
            return Err(ConfigError::Invalid("cluster is empty"));
        }
        if config.workload_label.is_empty() {
            return Err(ConfigError::Invalid("workload-label is empty"));
        }
        // A fetch that may take longer than the API server waits (at most
        // 30 s) would turn a fail-closed denial into a webhook timeout.
        if config.fetch_timeout_ms == 0 || config.fetch_timeout_ms > 25_000 {
            return Err(ConfigError::Invalid("fetch-timeout-ms must be 1..=25000"));
        }
        if config.bundles.is_empty() {
            return Err(ConfigError::Invalid("no bundle source ([[bundles]])"));
        }
        if config.listen == config.metrics_listen {
            return Err(ConfigError::Invalid(
                "listen and metrics-listen are the same address",
            ));
        }
        Ok(config)
    }

    /// Reads and parses a configuration file.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when the file cannot be read or is refused.
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        let bytes = std::fs::read(path).map_err(|source| ConfigError::Io {
            path: path.to_owned(),
            source,
        })?;
        if bytes.len() > MAX_CONFIG_BYTES {
            return Err(ConfigError::TooLarge {
                path: path.to_owned(),
            });
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| ConfigError::Invalid("the configuration is not UTF-8"))?;
        Self::from_toml(&text)
    }

    /// Whether `namespace` is exempt from checks.
    pub fn is_exempt(&self, namespace: &str) -> bool {
        self.exempt_namespaces.iter().any(|n| n == namespace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
listen = "0.0.0.0:8443"
metrics-listen = "0.0.0.0:9090"
cluster = "eu-1"
environment = "production"
exempt-namespaces = ["kube-system"]
audit-log = "/var/log/vouch-gate/audit.jsonl"
admission-records = "/var/lib/vouch-gate/records"
signing-key = "file:/etc/vouch-gate/gate.key"

[tls]
cert = "/etc/vouch-gate/tls/tls.crt"
key = "/etc/vouch-gate/tls/tls.key"

[trust]
roster = "/etc/vouch-gate/roster.cbor"
roster-state = "/var/lib/vouch-gate/roster-state.json"
policy = "/etc/vouch-gate/policy.toml"

[[bundles]]
dir = "/var/lib/vouch-gate/bundles"
"#;

    #[test]
    fn reads_the_documented_example_with_defaults() {
        let c = Config::from_toml(EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.cluster, "eu-1");
        assert_eq!(c.environment.as_deref(), Some("production"));
        assert_eq!(c.workload_label, DEFAULT_WORKLOAD_LABEL);
        assert!(!c.dry_run);
        assert_eq!(c.cache_size, 10_000);
        assert_eq!(c.fetch_timeout_ms, 2_000);
        assert!(c.is_exempt("kube-system"));
        assert!(!c.is_exempt("shop"));
        assert_eq!(
            c.bundles,
            vec![BundleSourceConfig::Dir(
                "/var/lib/vouch-gate/bundles".into()
            )]
        );
    }

    #[test]
    fn refuses_unknown_keys_and_bad_values() {
        let misspelt = EXAMPLE.replace("exempt-namespaces", "exempt-namespace");
        assert!(matches!(
            Config::from_toml(&misspelt),
            Err(ConfigError::Toml(_))
        ));
        let zero = format!("fetch-timeout-ms = 0\n{EXAMPLE}");
        assert!(matches!(
            Config::from_toml(&zero),
            Err(ConfigError::Invalid(_))
        ));
        let same = EXAMPLE.replace("0.0.0.0:9090", "0.0.0.0:8443");
        assert!(matches!(
            Config::from_toml(&same),
            Err(ConfigError::Invalid(_))
        ));
        let no_bundles =
            EXAMPLE.replace("[[bundles]]\ndir = \"/var/lib/vouch-gate/bundles\"\n", "");
        assert!(matches!(
            Config::from_toml(&no_bundles),
            Err(ConfigError::Toml(_) | ConfigError::Invalid(_))
        ));
        assert!(Config::from_toml(&"#".repeat(MAX_CONFIG_BYTES + 1)).is_err());
    }
}
