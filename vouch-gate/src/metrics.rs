//! Health and metrics on a separate plain-HTTP port: `/healthz` (the
//! process serves), `/readyz` (the webhook is bound with its trust inputs
//! loaded), and `/metrics` in the Prometheus text format: requests by
//! status code, decisions by outcome, a latency histogram and cache hits.
//!
//! The handful of counters and one histogram are kept as atomics and
//! written out here (the text format is a few lines per metric), rather
//! than pull in a metrics crate with its lock and derive dependencies.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::audit::Outcome;
use crate::server::ServeError;

/// The latency histogram's upper bounds, in seconds.
pub const LATENCY_BUCKETS: [f64; 10] =
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// The status codes counted separately; any other counts as `other`.
const CODES: [u16; 8] = [200, 400, 404, 405, 408, 413, 500, 503];

const OUTCOMES: [(&str, Outcome); 5] = [
    ("allowed", Outcome::Allowed),
    ("readmitted", Outcome::Readmitted),
    ("exempt", Outcome::Exempt),
    ("denied", Outcome::Denied),
    ("dry-run-denied", Outcome::DryRunDenied),
];

/// The gate's counters, shared by the webhook and the metrics port.
#[derive(Debug, Default)]
pub struct Metrics {
    ready: AtomicBool,
    requests: [AtomicU64; CODES.len() + 1],
    decisions: [AtomicU64; OUTCOMES.len()],
    latency: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    latency_micros: AtomicU64,
    cache_hits: AtomicU64,
    refused_connections: AtomicU64,
}

impl Metrics {
    /// All zero, not ready.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks the webhook ready (or not).
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
    }

    /// Whether the webhook is ready.
    pub fn ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Counts one answered request with its status and latency.
    pub fn request(&self, status: u16, took: Duration) {
        let i = CODES
            .iter()
            .position(|c| *c == status)
            .unwrap_or(CODES.len());
        if let Some(c) = self.requests.get(i) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        let seconds = took.as_secs_f64();
        let bucket = LATENCY_BUCKETS
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(LATENCY_BUCKETS.len());
        if let Some(c) = self.latency.get(bucket) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.latency_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Counts one decision and the images answered from the cache.
    pub fn decision(&self, outcome: Outcome, cache_hits: usize) {
        if let Some(i) = OUTCOMES.iter().position(|(_, o)| *o == outcome)
            && let Some(c) = self.decisions.get(i)
        {
            c.fetch_add(1, Ordering::Relaxed);
        }
        self.cache_hits
            .fetch_add(cache_hits as u64, Ordering::Relaxed);
    }

    /// Counts a connection closed because the connection bound was reached.
    pub fn connection_refused(&self) {
        self.refused_connections.fetch_add(1, Ordering::Relaxed);
    }

    /// How many images were answered from the cache so far.
    pub fn cache_hits(&self) -> u64 {
        self.cache_hits.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut out = String::new();
        out.push_str(
            "# HELP vouch_gate_requests_total Webhook requests answered, by HTTP status.\n",
        );
        out.push_str("# TYPE vouch_gate_requests_total counter\n");
        for (i, counter) in self.requests.iter().enumerate() {
            let code = CODES
                .get(i)
                .map_or_else(|| "other".to_owned(), u16::to_string);
            let _ = writeln!(
                out,
                "vouch_gate_requests_total{{code=\"{code}\"}} {}",
                load(counter)
            );
        }
        out.push_str("# HELP vouch_gate_decisions_total Admission decisions, by outcome.\n");
        out.push_str("# TYPE vouch_gate_decisions_total counter\n");
        for ((name, _), counter) in OUTCOMES.iter().zip(&self.decisions) {
            let _ = writeln!(
                out,
                "vouch_gate_decisions_total{{outcome=\"{name}\"}} {}",
                load(counter)
            );
        }
        out.push_str(
            "# HELP vouch_gate_request_duration_seconds Time to answer a webhook request.\n",
        );
        out.push_str("# TYPE vouch_gate_request_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (bound, counter) in LATENCY_BUCKETS.iter().zip(&self.latency) {
            cumulative += load(counter);
            let _ = writeln!(
                out,
                "vouch_gate_request_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += self.latency.last().map_or(0, load);
        let _ = writeln!(
            out,
            "vouch_gate_request_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}"
        );
        let _ = writeln!(
            out,
            "vouch_gate_request_duration_seconds_sum {}",
            load(&self.latency_micros) as f64 / 1e6
        );
        let _ = writeln!(
            out,
            "vouch_gate_request_duration_seconds_count {cumulative}"
        );
        out.push_str(
            "# HELP vouch_gate_cache_hits_total Images answered from the verdict cache.\n",
        );
        out.push_str("# TYPE vouch_gate_cache_hits_total counter\n");
        let _ = writeln!(
            out,
            "vouch_gate_cache_hits_total {}",
            load(&self.cache_hits)
        );
        out.push_str(
            "# HELP vouch_gate_refused_connections_total Connections closed at the connection bound.\n",
        );
        out.push_str("# TYPE vouch_gate_refused_connections_total counter\n");
        let _ = writeln!(
            out,
            "vouch_gate_refused_connections_total {}",
            load(&self.refused_connections)
        );
        out
    }
}

/// The bound metrics port, ready to [`run`](MetricsServer::run).
#[derive(Debug)]
pub struct MetricsServer {
    listener: TcpListener,
    metrics: Arc<Metrics>,
}

/// Connections the metrics port serves at once (probes and a scraper).
const MAX_METRICS_CONNECTIONS: usize = 64;

impl MetricsServer {
    /// Binds `addr`.
    ///
    /// # Errors
    ///
    /// [`ServeError::Listen`] when it cannot be bound.
    pub async fn bind(addr: SocketAddr, metrics: Arc<Metrics>) -> Result<Self, ServeError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Listen {
                addr: addr.to_string(),
                source,
            })?;
        Ok(Self { listener, metrics })
    }

    /// The address actually bound.
    ///
    /// # Errors
    ///
    /// When the socket has no address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until the task is dropped.
    pub async fn run(self) {
        let slots = Arc::new(Semaphore::new(MAX_METRICS_CONNECTIONS));
        loop {
            let Ok((tcp, _)) = self.listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            };
            let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                continue;
            };
            let metrics = Arc::clone(&self.metrics);
            tokio::spawn(async move {
                let _slot = slot;
                let service = service_fn(move |req| probe(Arc::clone(&metrics), req));
                let _ = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(5))
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
            });
        }
    }
}

async fn probe(
    metrics: Arc<Metrics>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, body) = match (request.method(), request.uri().path()) {
        (&Method::GET, "/healthz") => (StatusCode::OK, "ok\n".to_owned()),
        (&Method::GET, "/readyz") if metrics.ready() => (StatusCode::OK, "ready\n".to_owned()),
        (&Method::GET, "/readyz") => (StatusCode::SERVICE_UNAVAILABLE, "not ready\n".to_owned()),
        (&Method::GET, "/metrics") => (StatusCode::OK, metrics.render()),
        _ => (
            StatusCode::NOT_FOUND,
            "GET /healthz, /readyz or /metrics\n".to_owned(),
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_a_cumulative_histogram() {
        let m = Metrics::new();
        m.request(200, Duration::from_micros(500));
        m.request(200, Duration::from_millis(30));
        m.request(413, Duration::from_secs(9));
        m.decision(Outcome::Allowed, 2);
        m.decision(Outcome::Denied, 0);
        let text = m.render();
        assert!(
            text.contains("vouch_gate_requests_total{code=\"200\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("vouch_gate_requests_total{code=\"413\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("vouch_gate_decisions_total{outcome=\"allowed\"} 1\n"));
        assert!(text.contains("vouch_gate_decisions_total{outcome=\"denied\"} 1\n"));
        assert!(text.contains("vouch_gate_request_duration_seconds_bucket{le=\"0.001\"} 1\n"));
        assert!(text.contains("vouch_gate_request_duration_seconds_bucket{le=\"0.05\"} 2\n"));
        assert!(text.contains("vouch_gate_request_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("vouch_gate_request_duration_seconds_count 3\n"));
        assert!(text.contains("vouch_gate_cache_hits_total 2\n"));
    }
}
