//! The HTTPS webhook: TLS with rustls, HTTP/1.1 with hyper, and the bounds
//! that keep a hostile or broken client from taking the gate down.
//!
//! - Only `POST /validate` is served (404 elsewhere, 405 for another method).
//! - The body is bounded by [`Limits::max_body`]: a declared
//!   `Content-Length` over it gets 413 before a byte of the body is read,
//!   and a chunked body is cut off (413) as soon as it passes the bound, so
//!   a 100 MB upload costs at most the bound.
//! - The TLS handshake and each request's headers must arrive within
//!   [`Limits::header_timeout`] (a slow client sending byte by byte is
//!   dropped); the body within [`Limits::body_timeout`] (408).
//! - At most [`Limits::max_connections`] connections are served at once;
//!   past that a new connection is closed at once, so a flood of idle
//!   connections holds at most that many sockets, each for at most the
//!   header timeout, and the API server's next connection gets through.
//! - A body that is not JSON, or not an admission.k8s.io/v1
//!   `AdmissionReview`, gets 400 with the reason as plain text.
//!
//! Every bound is configurable in the configuration's `[limits]` table
//! ([`crate::config::LimitsConfig`]), the defaults being [`Limits::default`].
//!
//! The decision itself ([`Gate::review`]) is synchronous (it verifies
//! signatures and waits on bundle fetches), so it runs on tokio's blocking
//! pool, never on the threads that serve connections.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use vouch_core::Timestamp;

use crate::admission::AdmissionRecords;
use crate::audit::AuditLog;
use crate::config::{BundleSourceConfig, Config, LimitsConfig};
use crate::error::RecordError;
use crate::error::ReviewError;
use crate::gate::{Gate, GateSettings};
use crate::metrics::Metrics;
use crate::registry_source::RegistrySource;
use crate::review::{self, MAX_REVIEW_BYTES};
use crate::source::{BundleSource, DirSource};
use crate::trust::{self, TrustError};

/// The largest PEM file (certificate chain or key) read.
pub const MAX_PEM_BYTES: usize = 1 << 20;

/// The bounds the server enforces (see the module docs).
#[derive(Debug, Clone)]
pub struct Limits {
    /// The largest request body.
    pub max_body: usize,
    /// The largest request line and headers (hyper's read buffer; at
    /// least 8192, which hyper requires).
    pub max_header_bytes: usize,
    /// The time for the TLS handshake, and for each request's headers.
    pub header_timeout: Duration,
    /// The time for a request's body.
    pub body_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body: MAX_REVIEW_BYTES,
            max_header_bytes: 64 * 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

impl From<&LimitsConfig> for Limits {
    fn from(c: &LimitsConfig) -> Self {
        Self {
            max_body: c.max_body_bytes,
            // Below hyper's minimum it would panic: the configuration
            // refuses it, and this keeps a hand-built value safe too.
            max_header_bytes: c.max_header_bytes.max(8192),
            header_timeout: Duration::from_millis(c.header_timeout_ms),
            body_timeout: Duration::from_millis(c.body_timeout_ms),
            max_connections: c.max_connections,
        }
    }
}

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The roster, its state or the policy.
    #[error(transparent)]
    Trust(#[from] TrustError),
    /// The TLS certificate or key.
    #[error("TLS: {0}")]
    Tls(String),
    /// The signing key or the directory of admission records (boxed: the
    /// key and statement errors it carries are large).
    #[error(transparent)]
    Records(Box<RecordError>),
    /// The audit log cannot be opened.
    #[error("cannot open the audit log {path}: {source}")]
    Audit {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A `[[bundles]] registry` entry is refused.
    #[error("bundle source registry {repository:?}: {source}")]
    Registry {
        /// The entry's repository (its first 80 characters).
        repository: String,
        /// Why.
        source: vouch_oci::OciError,
    },
    /// A listening socket cannot be bound, or the runtime cannot start.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// The error.
        source: std::io::Error,
    },
}

impl From<RecordError> for ServeError {
    fn from(e: RecordError) -> Self {
        ServeError::Records(Box::new(e))
    }
}

/// Reads a PEM certificate chain and key into a rustls server
/// configuration (TLS 1.2 and 1.3, ring, ALPN `http/1.1`).
///
/// # Errors
///
/// [`ServeError::Tls`] when a file cannot be read, holds no certificate or
/// no key, or the key does not match.
pub fn tls_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, ServeError> {
    let tls = |e: String| ServeError::Tls(e);
    let cert_pem = trust::read_bounded(cert, MAX_PEM_BYTES).map_err(|e| tls(e.to_string()))?;
    let key_pem = trust::read_bounded(key, MAX_PEM_BYTES).map_err(|e| tls(e.to_string()))?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls(format!("{}: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(tls(format!("{} holds no certificate", cert.display())));
    }
    let key_der = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| tls(format!("{}: {e}", key.display())))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| tls(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The shared state of every connection.
struct App {
    gate: Arc<Gate>,
    audit: Mutex<AuditLog>,
    metrics: Arc<Metrics>,
    limits: Limits,
}

/// The bound webhook, ready to [`run`](Webhook::run).
pub struct Webhook {
    listener: TcpListener,
    /// Swapped by the reloader when the certificate changes.
    acceptor: Arc<RwLock<TlsAcceptor>>,
    app: Arc<App>,
    trust_files: crate::config::TrustConfig,
    tls_files: crate::config::TlsConfig,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("listener", &self.listener)
            .finish_non_exhaustive()
    }
}

/// The gate's settings from the configuration.
pub fn settings(config: &Config) -> GateSettings {
    GateSettings {
        cluster: config.cluster.clone(),
        environment: config.environment.clone(),
        workload_label: config.workload_label.clone(),
        dry_run: config.dry_run,
        exempt_namespaces: config.exempt_namespaces.clone(),
        fetch_timeout: Duration::from_millis(config.fetch_timeout_ms),
    }
}

/// The admission records of the configuration: the signing key opened and
/// the directory created, or `None` (said on stderr) when no signing key is
/// configured.
///
/// # Errors
///
/// [`RecordError`] when the key cannot be opened or the directory made.
pub fn records(config: &Config) -> Result<Option<AdmissionRecords>, RecordError> {
    match (&config.signing_key, &config.admission_records) {
        (Some(key), Some(dir)) => {
            let records =
                AdmissionRecords::open(dir, key, &config.cluster, config.environment.clone())?;
            eprintln!(
                "vouch gate: admission records in {}, signed by key {}",
                dir.display(),
                records.public_key().key_id()
            );
            Ok(Some(records))
        }
        _ => {
            eprintln!(
                "vouch gate: no signing-key configured: no admission records are kept, so \
                 pods of an admitted workload are denied once its deployment is older than \
                 the policy's max_age"
            );
            Ok(None)
        }
    }
}

/// The bundle sources of the configuration, in order. A registry source's
/// requests are each limited to the fetch timeout (the whole fetch is too,
/// by [`crate::source::fetch_with_timeout`]).
///
/// # Errors
///
/// [`ServeError::Registry`] when a registry entry is refused (malformed
/// repository, plain HTTP to another host, unusable CA file).
pub fn sources(config: &Config) -> Result<Vec<Arc<dyn BundleSource>>, ServeError> {
    let timeout = Duration::from_millis(config.fetch_timeout_ms);
    config
        .bundles
        .iter()
        .map(|b| match b {
            BundleSourceConfig::Dir(dir) => {
                Ok(Arc::new(DirSource::new(dir)) as Arc<dyn BundleSource>)
            }
            BundleSourceConfig::Registry(r) => {
                RegistrySource::new(&r.repository, r.plain_http, r.ca_file.clone(), timeout)
                    .map(|s| Arc::new(s) as Arc<dyn BundleSource>)
                    .map_err(|source| ServeError::Registry {
                        repository: r.repository.chars().take(80).collect(),
                        source,
                    })
            }
        })
        .collect()
}

impl Webhook {
    /// Loads the trust inputs and the TLS files of `config`, opens the
    /// audit log and binds `config.listen`.
    ///
    /// # Errors
    ///
    /// [`ServeError`] when any of them fails.
    pub async fn bind(
        config: &Config,
        limits: Limits,
        metrics: Arc<Metrics>,
    ) -> Result<Self, ServeError> {
        let trust = trust::load(&config.trust, Timestamp::now())?;
        let acceptor = TlsAcceptor::from(tls_config(&config.tls.cert, &config.tls.key)?);
        let audit = AuditLog::open(&config.audit_log).map_err(|source| ServeError::Audit {
            path: config.audit_log.display().to_string(),
            source,
        })?;
        let mut gate = Gate::new(
            settings(config),
            Arc::new(trust.verifier),
            trust.policy_digest,
            sources(config)?,
            config.cache_size,
        );
        if let Some(records) = records(config)? {
            gate = gate.with_records(records);
        }
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| ServeError::Listen {
                    addr: config.listen.to_string(),
                    source,
                })?;
        metrics.set_ready(true);
        Ok(Self {
            listener,
            acceptor: Arc::new(RwLock::new(acceptor)),
            trust_files: config.trust.clone(),
            tls_files: config.tls.clone(),
            app: Arc::new(App {
                gate: Arc::new(gate),
                audit: Mutex::new(audit),
                metrics,
                limits,
            }),
        })
    }

    /// The address actually bound (for a configuration with port 0).
    ///
    /// # Errors
    ///
    /// When the socket has no address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The task reloading the roster, policy and TLS files of this
    /// webhook when they change, looking every `interval` (see
    /// [`reload`](crate::reload)); spawn it beside [`run`](Webhook::run).
    pub fn reloader(&self, interval: Duration) -> impl Future<Output = ()> + Send + 'static {
        crate::reload::run(
            Arc::clone(&self.app.gate),
            Arc::clone(&self.acceptor),
            self.trust_files.clone(),
            self.tls_files.clone(),
            interval,
        )
    }

    /// Serves connections until the task is dropped.
    pub async fn run(self) {
        let slots = Arc::new(Semaphore::new(self.app.limits.max_connections));
        loop {
            let tcp = match self.listener.accept().await {
                Ok((tcp, _)) => tcp,
                // Out of file descriptors and the like: wait a moment
                // rather than spin, and keep serving.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            };
            let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                // Over the bound: closed at once, without a handshake.
                self.app.metrics.connection_refused();
                drop(tcp);
                continue;
            };
            let acceptor = self
                .acceptor
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            let app = Arc::clone(&self.app);
            tokio::spawn(async move {
                let _slot = slot;
                let timeout = app.limits.header_timeout;
                let max_header = app.limits.max_header_bytes;
                let Ok(Ok(tls)) = tokio::time::timeout(timeout, acceptor.accept(tcp)).await else {
                    return;
                };
                let service = service_fn(move |req| handle(Arc::clone(&app), req));
                let connection = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(timeout)
                    .max_buf_size(max_header)
                    .serve_connection(TokioIo::new(tls), service);
                // A connection error (a client gone, a timeout) ends only
                // this connection.
                let _ = connection.await;
            });
        }
    }
}

/// A plain-text response that closes the connection: after a refused
/// request the rest of what the client sends is not read.
fn plain(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
        .headers_mut()
        .insert(CONNECTION, hyper::header::HeaderValue::from_static("close"));
    response
}

async fn handle(
    app: Arc<App>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let started = Instant::now();
    let response = answer(&app, request).await;
    app.metrics
        .request(response.status().as_u16(), started.elapsed());
    Ok(response)
}

async fn answer(app: &Arc<App>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    if request.uri().path() != "/validate" {
        return plain(StatusCode::NOT_FOUND, "only /validate is served\n".into());
    }
    if request.method() != Method::POST {
        return plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "only POST /validate is served\n".into(),
        );
    }
    let limit = app.limits.max_body;
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(limit);
    }
    let body = Limited::new(request.into_body(), limit);
    let bytes = match tokio::time::timeout(app.limits.body_timeout, body.collect()).await {
        Err(_) => {
            return plain(
                StatusCode::REQUEST_TIMEOUT,
                "the request body did not arrive in time\n".into(),
            );
        }
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => return too_large(limit),
        Ok(Err(e)) => {
            return plain(
                StatusCode::BAD_REQUEST,
                format!("cannot read the request body: {e}\n"),
            );
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let review = match review::decode(&bytes) {
        Ok(r) => r,
        Err(ReviewError::TooLarge { .. }) => return too_large(limit),
        Err(e) => return plain(StatusCode::BAD_REQUEST, format!("{e}\n")),
    };
    let worker = Arc::clone(app);
    let decided = tokio::task::spawn_blocking(move || {
        let reviewed = worker.gate.review(&review.request, Timestamp::now());
        let body = review::respond(&review.request.uid, &reviewed.decision);
        (reviewed, body)
    })
    .await;
    let Ok((reviewed, body)) = decided else {
        // The decision panicked or was cancelled: no answer is an error
        // status, which the API server's failurePolicy Fail turns into a
        // denial.
        return plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the decision failed\n".into(),
        );
    };
    app.metrics
        .decision(reviewed.audit.outcome, reviewed.cache_hits);
    if let Err(e) = app
        .audit
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .write(&reviewed.audit)
    {
        // An unrecorded decision must not be made: fail closed.
        return plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot write the audit log: {e}\n"),
        );
    }
    let mut response = Response::new(Full::new(Bytes::from(body)));
    response.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

fn too_large(limit: usize) -> Response<Full<Bytes>> {
    plain(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the request body is over {limit} bytes\n"),
    )
}

/// Runs the gate as configured: binds the webhook and the metrics port
/// and serves until the process ends. Owns its runtime; blocks.
///
/// # Errors
///
/// [`ServeError`] when something needed to start is missing or refused.
pub fn serve(config: Config) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| ServeError::Listen {
            addr: config.listen.to_string(),
            source,
        })?;
    runtime.block_on(async move {
        let metrics = Arc::new(Metrics::new());
        let limits = Limits::from(&config.limits);
        let webhook = Webhook::bind(&config, limits, Arc::clone(&metrics)).await?;
        let probes = crate::metrics::MetricsServer::bind(config.metrics_listen, metrics).await?;
        tokio::spawn(probes.run());
        tokio::spawn(webhook.reloader(crate::reload::DEFAULT_INTERVAL));
        webhook.run().await;
        Ok(())
    })
}
