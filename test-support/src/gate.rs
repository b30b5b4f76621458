//! The gate (`vouch_gate`'s webhook) running over TLS on a loopback port,
//! for vouch-gate's end-to-end tests and the gate's load bench: a test CA
//! and a `localhost` certificate (rcgen), a configuration file in a fresh
//! directory, the roster, policy and bundles written beside it, the webhook
//! and its metrics port started on the current tokio runtime, and two
//! clients: [`post`] (one request per connection) and [`Client`] (one
//! keep-alive connection, the way the API server talks to a webhook).
//!
//! Behind test-support's `gate` feature, so that crates that do not test
//! the gate do not build it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use vouch_core::Digest;
use vouch_gate::config::Config;
use vouch_gate::metrics::{Metrics, MetricsServer};
use vouch_gate::server::{Limits, Webhook};

use crate::chain::{ChainSpec, build};

/// The trust inputs and bundles a gate is started with.
pub struct GateInputs {
    /// The signed roster chain file.
    pub roster: Vec<u8>,
    /// The digest of the roster version trust starts from.
    pub roster_pin: Digest,
    /// The policy text (TOML).
    pub policy: String,
    /// Bundle files, each under the image digest it is for.
    pub bundles: Vec<(Digest, Vec<u8>)>,
    /// The verdict cache's capacity (`cache-size`; 0 disables it).
    pub cache_size: usize,
}

impl GateInputs {
    /// The inputs of a [`ChainSpec`]'s chain (vouch-test-support's
    /// [`chain`](crate::chain)), with the gate's default cache.
    pub fn from_chain(spec: &ChainSpec) -> Self {
        let chain = build(spec);
        GateInputs {
            roster: chain.roster,
            roster_pin: chain.roster_pin,
            policy: chain.policy,
            bundles: vec![(spec.image, chain.bundle.to_bytes().unwrap())],
            cache_size: 10_000,
        }
    }
}

/// A started gate: where it listens and a client configuration trusting
/// its certificate.
pub struct RunningGate {
    /// The webhook (HTTPS).
    pub addr: SocketAddr,
    /// The metrics and probes port (plain HTTP).
    pub metrics_addr: SocketAddr,
    /// A TLS client trusting the test CA that issued the server's
    /// certificate.
    pub connector: TlsConnector,
    /// The gate's counters.
    pub metrics: Arc<Metrics>,
    /// The directory of its configuration, trust files, bundles and logs.
    pub dir: PathBuf,
}

/// A fresh, empty directory for the gate called `name` (with a `bundles`
/// folder), unique to this process.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vouch-gate-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("bundles")).unwrap();
    dir
}

/// A test CA and a certificate for `localhost` it issued, written to
/// `dir` as `tls.crt` and `tls.key`; the client trusting that CA.
pub fn tls(dir: &Path) -> TlsConnector {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    std::fs::write(dir.join("tls.crt"), cert.pem()).unwrap();
    std::fs::write(dir.join("tls.key"), key.serialize_pem()).unwrap();
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca_cert.pem().as_bytes()).unwrap())
        .unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// Starts the gate `name` on the current tokio runtime for cluster `eu-1`
/// and environment `production`, `kube-system` exempt, with `inputs`
/// written to its directory, and its reloader looking every 100 ms.
pub async fn start(name: &str, inputs: &GateInputs, limits: Limits) -> RunningGate {
    start_with(name, inputs, limits, "").await
}

/// [`start`], with `extra` appended to the gate's configuration: more
/// `[[bundles]]` sources after its directory (one without the image's
/// file is "not here", so the next source answers), for example a
/// registry.
pub async fn start_with(
    name: &str,
    inputs: &GateInputs,
    limits: Limits,
    extra: &str,
) -> RunningGate {
    let dir = temp_dir(name);
    let connector = tls(&dir);
    std::fs::write(dir.join("roster.cbor"), &inputs.roster).unwrap();
    std::fs::write(dir.join("policy.toml"), &inputs.policy).unwrap();
    for (image, bundle) in &inputs.bundles {
        std::fs::write(
            dir.join("bundles")
                .join(vouch_gate::source::file_name(image)),
            bundle,
        )
        .unwrap();
    }
    // The gate's own key, for its admission records.
    vouch_keys::FileKey::generate(vouch_core::Algorithm::Ed25519)
        .unwrap()
        .save(dir.join("gate.key"), None)
        .unwrap();
    let d = dir.display();
    let config = Config::from_toml(&format!(
        r#"
listen = "127.0.0.1:0"
metrics-listen = "127.0.0.2:0"
cluster = "eu-1"
environment = "production"
exempt-namespaces = ["kube-system"]
cache-size = {cache}
audit-log = "{d}/audit.jsonl"
admission-records = "{d}/records"
signing-key = "file:{d}/gate.key"
[tls]
cert = "{d}/tls.crt"
key = "{d}/tls.key"
[trust]
roster = "{d}/roster.cbor"
roster-pin = "{pin}"
roster-state = "{d}/roster-state.json"
policy = "{d}/policy.toml"
[[bundles]]
dir = "{d}/bundles"
{extra}
"#,
        cache = inputs.cache_size,
        pin = inputs.roster_pin
    ))
    .unwrap();
    let metrics = Arc::new(Metrics::new());
    let webhook = Webhook::bind(&config, limits, Arc::clone(&metrics))
        .await
        .unwrap();
    let addr = webhook.local_addr().unwrap();
    tokio::spawn(webhook.reloader(Duration::from_millis(100)));
    tokio::spawn(webhook.run());
    let probes = MetricsServer::bind("127.0.0.1:0".parse().unwrap(), Arc::clone(&metrics))
        .await
        .unwrap();
    let metrics_addr = probes.local_addr().unwrap();
    tokio::spawn(probes.run());
    RunningGate {
        addr,
        metrics_addr,
        connector,
        metrics,
        dir,
    }
}

/// Starts the gate `name` with the chain of `spec` for its image.
pub async fn start_chain(name: &str, spec: &ChainSpec, limits: Limits) -> RunningGate {
    start(name, &GateInputs::from_chain(spec), limits).await
}

/// A TLS connection to the gate.
pub async fn connect(gate: &RunningGate) -> TlsStream<TcpStream> {
    let tcp = TcpStream::connect(gate.addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    gate.connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap()
}

/// One HTTPS request with `Connection: close`: the status and the body.
pub async fn post(gate: &RunningGate, path: &str, body: &[u8]) -> (u16, String) {
    let mut tls = connect(gate).await;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.write_all(body).await.unwrap();
    read_response(&mut tls).await
}

/// Reads a whole response up to the end of the stream: the status (0 when
/// there is none) and the body.
pub async fn read_response(stream: &mut (impl AsyncRead + Unpin)) -> (u16, String) {
    let mut out = Vec::new();
    // A peer that closes without close_notify is an error for rustls;
    // what was read until then is the response.
    let _ = stream.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// One keep-alive HTTPS connection sending requests one after the other,
/// as the API server does to a webhook.
pub struct Client {
    stream: BufReader<TlsStream<TcpStream>>,
}

/// The largest response body [`Client`] reads.
const MAX_RESPONSE: usize = 1 << 20;

impl Client {
    /// Connects to `gate` (TCP and the TLS handshake).
    pub async fn connect(gate: &RunningGate) -> Self {
        Client {
            stream: BufReader::new(connect(gate).await),
        }
    }

    /// `POST path` with `body` on this connection: the status and the
    /// response body (read by its `Content-Length`).
    ///
    /// # Panics
    ///
    /// When the server closes the connection or answers without a
    /// `Content-Length`.
    pub async fn post(&mut self, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        );
        let tls = self.stream.get_mut();
        tls.write_all(head.as_bytes()).await.unwrap();
        tls.write_all(body).await.unwrap();
        tls.flush().await.unwrap();
        let mut line = String::new();
        self.stream.read_line(&mut line).await.unwrap();
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line: {line:?}"));
        let mut length = None;
        loop {
            line.clear();
            self.stream.read_line(&mut line).await.unwrap();
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse::<usize>().ok();
            }
        }
        let length = length.unwrap_or_else(|| panic!("a response without Content-Length"));
        assert!(length <= MAX_RESPONSE, "a response of {length} bytes");
        let mut out = vec![0; length];
        self.stream.read_exact(&mut out).await.unwrap();
        (status, out)
    }
}

/// An `AdmissionReview` (admission.k8s.io/v1) asking to create a Pod in
/// `namespace` labelled `app.kubernetes.io/name: workload`, running
/// `image` (a reference by digest) as its one container, with request
/// `uid`: what the API server sends when a ReplicaSet makes a pod.
pub fn pod_review(uid: &str, namespace: &str, workload: &str, image: &str) -> Vec<u8> {
    serde_json::json!({
        "kind": "AdmissionReview",
        "apiVersion": "admission.k8s.io/v1",
        "request": {
            "uid": uid,
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": namespace,
            "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller"},
            "object": {
                "kind": "Pod",
                "apiVersion": "v1",
                "metadata": {
                    "generateName": format!("{workload}-7d4b9c8f6-"),
                    "namespace": namespace,
                    "labels": {"app.kubernetes.io/name": workload},
                },
                "spec": {
                    "containers": [{"name": workload, "image": image}],
                },
            },
            "dryRun": false,
        },
    })
    .to_string()
    .into_bytes()
}
