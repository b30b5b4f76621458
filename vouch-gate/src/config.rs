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
//! admission-records = "/var/lib/vouch-gate/records"   # optional, with signing-key
//! signing-key = "file:/etc/vouch-gate/gate.key"       # optional, with admission-records
//!
//! [limits]                           # optional; these are the defaults
//! max-body-bytes = 3211264           # the largest AdmissionReview body
//! max-header-bytes = 65536           # the request line and headers
//! header-timeout-ms = 10000          # TLS handshake, and each request's headers
//! body-timeout-ms = 10000            # each request's body
//! max-connections = 1024             # connections served at once
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
//!
//! [[bundles]]                        # tried after the directory
//! registry = { repository = "registry.example.com/shop/api" }
//! ```
//!
//! Unknown keys are refused, so a misspelt `dry-run` or
//! `exempt-namespaces` fails at startup rather than silently checking
//! nothing or everything.
//!
//! `signing-key` and `admission-records` go together: with both, the gate
//! signs an admission record on each first admission and re-admits the
//! workload's later pods after the deployment's `max_age` (see
//! [`crate::admission`]); with neither, it keeps no records and says so at
//! startup; one without the other is refused.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::review::MAX_REVIEW_BYTES;
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
    /// The directory of signed admission records (see
    /// [`crate::admission`]); set together with `signing-key`.
    #[serde(default)]
    pub admission_records: Option<PathBuf>,
    /// The gate's signing key for admission records (a vouch-keys key
    /// reference, `file:PATH`); set together with `admission-records`.
    #[serde(default)]
    pub signing_key: Option<String>,
    /// The server's bounds on clients.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// The TLS certificate and key.
    pub tls: TlsConfig,
    /// The roster, its state file and the policy.
    pub trust: TrustConfig,
    /// Where bundles come from, tried in order.
    pub bundles: Vec<BundleSourceConfig>,
}

/// The bounds the HTTPS server enforces on each client (see
/// [`crate::server`]). Every field has a default, the value the gate was
/// built with; each is checked against a range at startup.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// The largest request body, in bytes (1024 ..= [`MAX_REVIEW_BYTES`]:
    /// the decoder refuses more anyway). Default [`MAX_REVIEW_BYTES`].
    pub max_body_bytes: usize,
    /// The largest request line and headers, in bytes (8192 ..= 1 MiB;
    /// hyper needs at least 8192). Default 64 KiB.
    pub max_header_bytes: usize,
    /// The time for the TLS handshake and for each request's headers, in
    /// milliseconds (1 ..= 30000). Default 10000.
    pub header_timeout_ms: u64,
    /// The time for a request's body, in milliseconds (1 ..= 30000: the
    /// API server waits at most 30 s for a webhook). Default 10000.
    pub body_timeout_ms: u64,
    /// Connections served at once (1 ..= 65536). Default 1024.
    pub max_connections: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: MAX_REVIEW_BYTES,
            max_header_bytes: 64 * 1024,
            header_timeout_ms: 10_000,
            body_timeout_ms: 10_000,
            max_connections: 1024,
        }
    }
}

impl LimitsConfig {
    fn check(&self) -> Result<(), ConfigError> {
        if !(1024..=MAX_REVIEW_BYTES).contains(&self.max_body_bytes) {
            return Err(ConfigError::Invalid(
                "limits.max-body-bytes must be 1024..=3211264",
            ));
        }
        if !(8192..=1024 * 1024).contains(&self.max_header_bytes) {
            return Err(ConfigError::Invalid(
                "limits.max-header-bytes must be 8192..=1048576",
            ));
        }
        if !(1..=30_000).contains(&self.header_timeout_ms) {
            return Err(ConfigError::Invalid(
                "limits.header-timeout-ms must be 1..=30000",
            ));
        }
        if !(1..=30_000).contains(&self.body_timeout_ms) {
            return Err(ConfigError::Invalid(
                "limits.body-timeout-ms must be 1..=30000",
            ));
        }
        if !(1..=65_536).contains(&self.max_connections) {
            return Err(ConfigError::Invalid(
                "limits.max-connections must be 1..=65536",
            ));
        }
        Ok(())
    }
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
    /// A repository of an OCI registry (the bundles attached to the image
    /// there; see [`crate::source`]'s registry section).
    Registry(RegistrySourceConfig),
}

/// `[[bundles]] registry = { repository = "HOST[:PORT]/REPO", ... }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RegistrySourceConfig {
    /// `HOST[:PORT]/REPO`, without tag or digest: the image is asked for by
    /// the digest the pod is pinned to.
    pub repository: String,
    /// Plain HTTP (refused unless the host is loopback).
    #[serde(default)]
    pub plain_http: bool,
    /// CA certificates (PEM) for HTTPS, instead of the system bundle.
    pub ca_file: Option<PathBuf>,
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
        // A key without a directory would sign records nobody keeps; a
        // directory without a key would hold records nobody can check.
        if config.signing_key.is_some() != config.admission_records.is_some() {
            return Err(ConfigError::Invalid(
                "signing-key and admission-records must be set together",
            ));
        }
        config.limits.check()?;
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
    fn reads_registry_sources_after_a_directory() {
        let text = format!(
            "{EXAMPLE}\n[[bundles]]\nregistry = {{ repository = \"registry.example.com/shop/api\" }}\n\n[[bundles]]\nregistry = {{ repository = \"127.0.0.1:5000/shop/api\", plain-http = true, ca-file = \"/etc/ca.pem\" }}\n"
        );
        let c = Config::from_toml(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.bundles[1..],
            [
                BundleSourceConfig::Registry(RegistrySourceConfig {
                    repository: "registry.example.com/shop/api".into(),
                    plain_http: false,
                    ca_file: None,
                }),
                BundleSourceConfig::Registry(RegistrySourceConfig {
                    repository: "127.0.0.1:5000/shop/api".into(),
                    plain_http: true,
                    ca_file: Some("/etc/ca.pem".into()),
                }),
            ]
        );
        let misspelt = format!(
            "{EXAMPLE}\n[[bundles]]\nregistry = {{ repository = \"h/r\", plain_http = true }}\n"
        );
        assert!(matches!(
            Config::from_toml(&misspelt),
            Err(ConfigError::Toml(_))
        ));
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

    #[test]
    fn limits_default_to_the_built_in_bounds_and_can_be_set() {
        let c = Config::from_toml(EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.limits, LimitsConfig::default());
        // The defaults are the server's own.
        let built_in = crate::server::Limits::default();
        let from_config = crate::server::Limits::from(&c.limits);
        assert_eq!(from_config.max_body, built_in.max_body);
        assert_eq!(from_config.max_header_bytes, built_in.max_header_bytes);
        assert_eq!(from_config.header_timeout, built_in.header_timeout);
        assert_eq!(from_config.body_timeout, built_in.body_timeout);
        assert_eq!(from_config.max_connections, built_in.max_connections);

        let set = format!(
            "{EXAMPLE}\n[limits]\nmax-body-bytes = 65536\nheader-timeout-ms = 1500\n\
             max-connections = 16\n"
        );
        let c = Config::from_toml(&set).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.limits.max_body_bytes, 65_536);
        assert_eq!(c.limits.header_timeout_ms, 1_500);
        assert_eq!(c.limits.max_connections, 16);
        // Unset fields keep their defaults.
        assert_eq!(c.limits.body_timeout_ms, 10_000);
        assert_eq!(c.limits.max_header_bytes, 64 * 1024);
        let l = crate::server::Limits::from(&c.limits);
        assert_eq!(l.header_timeout, std::time::Duration::from_millis(1_500));

        for bad in [
            "max-body-bytes = 0",
            "max-body-bytes = 104857600",
            "max-header-bytes = 4096",
            "header-timeout-ms = 0",
            "body-timeout-ms = 60000",
            "max-connections = 0",
        ] {
            let text = format!("{EXAMPLE}\n[limits]\n{bad}\n");
            assert!(
                matches!(Config::from_toml(&text), Err(ConfigError::Invalid(_))),
                "{bad}"
            );
        }
        let misspelt = format!("{EXAMPLE}\n[limits]\nmax-conections = 5\n");
        assert!(matches!(
            Config::from_toml(&misspelt),
            Err(ConfigError::Toml(_))
        ));
    }

    #[test]
    fn signing_key_and_records_go_together() {
        let c = Config::from_toml(EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.signing_key.as_deref(),
            Some("file:/etc/vouch-gate/gate.key")
        );
        let neither = EXAMPLE
            .replace("admission-records = \"/var/lib/vouch-gate/records\"\n", "")
            .replace("signing-key = \"file:/etc/vouch-gate/gate.key\"\n", "");
        let c = Config::from_toml(&neither).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((c.signing_key, c.admission_records), (None, None));
        let key_only = EXAMPLE.replace("admission-records = \"/var/lib/vouch-gate/records\"\n", "");
        assert!(matches!(
            Config::from_toml(&key_only),
            Err(ConfigError::Invalid(_))
        ));
        let dir_only = EXAMPLE.replace("signing-key = \"file:/etc/vouch-gate/gate.key\"\n", "");
        assert!(matches!(
            Config::from_toml(&dir_only),
            Err(ConfigError::Invalid(_))
        ));
    }
}
