//! A small OCI distribution client (feature `registry`): resolve a tag,
//! attach a vouch bundle to an image as an OCI 1.1 artifact, and fetch the
//! bundles attached to an image (docs/oci.md).
//!
//! # Why our own client, not `oci-client`
//!
//! `oci-client` reads manifest bodies whole, so a size limit cannot be
//! enforced while reading; it brings oci-spec 0.10 (a duplicate of this
//! crate's 0.8), reqwest 0.13 and chrono, which the build time of the test
//! suite cannot afford. This client is built on what the workspace already
//! compiles for vouch-gate's server: hyper 1 (HTTP/1.1 client connections),
//! hyper-util's tokio glue, http-body-util's [`Limited`] (every body bounded
//! while it is read), tokio (a current-thread runtime, `time` for the
//! timeouts) and tokio-rustls on ring.
//!
//! # Shape
//!
//! The API is synchronous, like the rest of vouch's libraries: a
//! [`Registry`] owns a private current-thread tokio runtime and blocks on
//! it. Its methods must therefore not be called from inside an async
//! runtime (tokio refuses to nest one); call them from a plain thread.
//! Every request opens its own connection (no pooling: a few requests per
//! command, and a stalled connection never outlives its request).
//!
//! # Rules (docs/oci.md, transport rules and limits)
//!
//! - Plain HTTP only to loopback hosts ([`ImageRef::is_loopback`]); asking
//!   for it elsewhere is refused by [`Registry::new`], before any
//!   connection. HTTPS verifies the server against the system bundle
//!   [`DEFAULT_CA_FILE`] or a given CA file.
//! - Every request, connection and body included, runs under the timeout.
//! - Every body is bounded while it is read: manifests and indexes
//!   [`MAX_MANIFEST`], a bundle layer its descriptor's size (itself at most
//!   [`MAX_BUNDLE`]); a `Content-Length` above the limit is refused before
//!   reading.
//! - Nothing the registry says is trusted: a manifest's digest is the
//!   SHA-256 of the bytes read (never the `Docker-Content-Digest` header),
//!   every artifact manifest is checked with [`crate::artifact`] against the
//!   subject, every layer against its descriptor's digest and size.
//! - Authentication: HTTP basic only. A 401 is answered with
//!   [`OciError::Unauthorized`]; token flows (`WWW-Authenticate: Bearer`,
//!   as Docker Hub and most cloud registries use) are not supported.
//! - Redirects are not followed (a blob served from elsewhere is refused
//!   with its status).
//!
//! # Attaching
//!
//! The empty config blob and the bundle layer are pushed (monolithic
//! upload: `POST /v2/<name>/blobs/uploads/`, then `PUT <Location>&digest=`),
//! skipping blobs a `HEAD` finds; the artifact manifest is put by digest.
//! If the referrers API does not answer 200 (docker-registry 2.8 has none),
//! or [`RegistryOptions::force_tag_fallback`] is set, the `sha256-<hex>`
//! tag index is read, the artifact added unless present, and put back.
//! That read-modify-write is not atomic: two concurrent attaches to one
//! image may lose one of them (the later index wins); serialize them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::body::Bytes;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use oci_spec::image::{Descriptor, ImageIndex, MediaType};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use vouch_core::Digest;

use crate::artifact::{self, Artifact, EMPTY_CONFIG, MAX_BUNDLE};
use crate::layout::descriptor_digest;
use crate::reference::{ImageRef, Target};
use crate::{MAX_MANIFEST, OciError, referrers};

/// The system's CA bundle (Debian's `ca-certificates`), used for HTTPS when
/// no CA file is given.
pub const DEFAULT_CA_FILE: &str = "/etc/ssl/certs/ca-certificates.crt";
/// The largest CA file read (the Debian bundle is about 200 KiB).
pub const MAX_CA_FILE: u64 = 16 * 1024 * 1024;
/// The timeout of [`RegistryOptions::default`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The manifest media types asked for (`Accept`) and accepted when
/// resolving an image: OCI manifest and index, Docker v2 manifest and list.
pub const MANIFEST_TYPES: [&str; 4] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// `?artifactType=` of the vouch bundle, percent-encoded (`/` and `+`).
const ARTIFACT_TYPE_QUERY: &str = "artifactType=application%2Fvnd.vouch.bundle.v1%2Bcbor";

/// Plain HTTP or HTTPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    /// TLS, the server verified against the CA bundle.
    #[default]
    Https,
    /// Plain HTTP: loopback registries only (refused otherwise).
    PlainHttp,
}

/// How a [`Registry`] connects.
#[derive(Clone, Default)]
pub struct RegistryOptions {
    /// The limit of each request, from connecting to the body's last
    /// byte; [`DEFAULT_TIMEOUT`] when zero.
    pub timeout: Duration,
    /// Plain HTTP (loopback only) or HTTPS.
    pub transport: Transport,
    /// User and password for HTTP basic authentication.
    pub basic_auth: Option<(String, String)>,
    /// The CA certificates (PEM) for HTTPS; [`DEFAULT_CA_FILE`] when absent.
    pub ca_file: Option<PathBuf>,
    /// Maintain and read the `sha256-<hex>` tag index even when the
    /// registry has the referrers API.
    pub force_tag_fallback: bool,
}

impl fmt::Debug for RegistryOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The password is never printed.
        f.debug_struct("RegistryOptions")
            .field("timeout", &self.timeout)
            .field("transport", &self.transport)
            .field("basic_auth_user", &self.basic_auth.as_ref().map(|(u, _)| u))
            .field("ca_file", &self.ca_file)
            .field("force_tag_fallback", &self.force_tag_fallback)
            .finish()
    }
}

/// A client of one registry (`HOST[:PORT]`).
pub struct Registry {
    host: String,
    port: u16,
    /// `HOST[:PORT]` as in URLs and the `Host` header.
    authority: String,
    scheme: &'static str,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    authorization: Option<HeaderValue>,
    timeout: Duration,
    force_tag_fallback: bool,
    runtime: tokio::runtime::Runtime,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("url", &format_args!("{}://{}", self.scheme, self.authority))
            .field("timeout", &self.timeout)
            .field("basic_auth", &self.authorization.is_some())
            .finish_non_exhaustive()
    }
}

/// A response whose body was read within its limit.
struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

/// Aborts the task driving a connection when the request is done or
/// abandoned (timeout), so that no stalled connection outlives it.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Registry {
    /// A client of the registry `image` names (its host and port).
    ///
    /// # Errors
    ///
    /// [`OciError::InsecureTransport`] for plain HTTP to a host that is not
    /// loopback (no connection is made); [`OciError::CaFile`] or
    /// [`OciError::Io`] when the CA file cannot be used.
    pub fn new(image: &ImageRef, options: RegistryOptions) -> Result<Self, OciError> {
        let authority = image.authority();
        let (scheme, default_port, tls) = match options.transport {
            Transport::PlainHttp => {
                if !image.is_loopback() {
                    return Err(OciError::InsecureTransport(authority));
                }
                ("http", 80, None)
            }
            Transport::Https => {
                let ca = options
                    .ca_file
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(DEFAULT_CA_FILE));
                let name = ServerName::try_from(image.host.clone())
                    .map_err(|_| OciError::ServerName(image.host.clone()))?;
                ("https", 443, Some((tls_connector(&ca)?, name)))
            }
        };
        let authorization = match &options.basic_auth {
            Some((user, password)) => {
                let token =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                let mut value = HeaderValue::from_str(&format!("Basic {token}"))
                    .map_err(|_| OciError::Build("basic authorization header"))?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|source| OciError::Io {
                path: "the registry client's runtime".into(),
                source,
            })?;
        Ok(Self {
            host: image.host.clone(),
            port: image.port.unwrap_or(default_port),
            authority,
            scheme,
            tls,
            authorization,
            timeout: if options.timeout.is_zero() {
                DEFAULT_TIMEOUT
            } else {
                options.timeout
            },
            force_tag_fallback: options.force_tag_fallback,
            runtime,
        })
    }

    /// The descriptor of the manifest `image` names: its media type (one
    /// of [`MANIFEST_TYPES`]), size, and the SHA-256 of the bytes read. A
    /// reference by digest must hash to that digest.
    ///
    /// # Errors
    ///
    /// [`OciError`]: transport, status, limit, media type, digest mismatch.
    pub fn resolve(&self, image: &ImageRef) -> Result<Descriptor, OciError> {
        self.check_registry(image)?;
        let reference = match &image.target {
            Target::Tag(t) => t.clone(),
            Target::Digest(d) => d.to_string(),
        };
        let path = format!("/v2/{}/manifests/{reference}", image.repository);
        let r = self.request(
            Method::GET,
            &path,
            Some(&MANIFEST_TYPES.join(", ")),
            None,
            MAX_MANIFEST,
        )?;
        self.expect(&r, StatusCode::OK, "GET", &path)?;
        let digest = Digest::sha256(&r.body);
        if let Target::Digest(want) = &image.target
            && want != &digest
        {
            return Err(OciError::DigestMismatch {
                expected: *want,
                actual: digest,
            });
        }
        let media_type = content_type(&r.headers)
            .or_else(|| body_media_type(&r.body))
            .unwrap_or_default();
        if !MANIFEST_TYPES.contains(&media_type.as_str()) {
            return Err(OciError::MediaType(media_type));
        }
        Ok(Descriptor::new(
            MediaType::from(media_type.as_str()),
            r.body.len() as u64,
            artifact::oci_digest(&digest)?,
        ))
    }

    /// Attaches `bundle` to the image `image` names and answers the
    /// artifact manifest's digest (see the module docs for the steps).
    /// Re-attaching an identical bundle pushes nothing new.
    ///
    /// # Errors
    ///
    /// [`OciError`]: the image cannot be resolved (or is a Docker
    /// manifest: OCI 1.1 subjects are OCI manifests or indexes), transport,
    /// status, limits.
    pub fn attach(&self, image: &ImageRef, bundle: &[u8]) -> Result<Digest, OciError> {
        let subject = self.resolve(image)?;
        let subject_digest = descriptor_digest(&subject)?;
        let artifact = Artifact::build(&subject, bundle)?;
        let repo = &image.repository;
        self.push_blob(repo, EMPTY_CONFIG)?;
        self.push_blob(repo, &artifact.layer)?;
        let path = format!("/v2/{repo}/manifests/{}", artifact.digest);
        let r = self.request(
            Method::PUT,
            &path,
            None,
            Some((OCI_MANIFEST, artifact.manifest.clone())),
            MAX_MANIFEST,
        )?;
        self.expect(&r, StatusCode::CREATED, "PUT", &path)?;
        let api = !self.force_tag_fallback && self.referrers_api(repo, &subject_digest)?.is_some();
        if !api {
            let mut index = self
                .tag_index(repo, &subject_digest)?
                .map_or_else(referrers::empty, Ok)?;
            if referrers::add(&mut index, artifact.descriptor()?)? {
                let path = format!(
                    "/v2/{repo}/manifests/{}",
                    referrers::fallback_tag(&subject_digest)
                );
                let r = self.request(
                    Method::PUT,
                    &path,
                    None,
                    Some((OCI_INDEX, referrers::to_bytes(&index)?)),
                    MAX_MANIFEST,
                )?;
                self.expect(&r, StatusCode::CREATED, "PUT", &path)?;
            }
        }
        Ok(artifact.digest)
    }

    /// The bundles attached to the image `image` names, in the order the
    /// referrers index lists them, each artifact once: from the referrers
    /// API, else (or with [`RegistryOptions::force_tag_fallback`]) from the
    /// `sha256-<hex>` tag index. Empty when the image has none.
    ///
    /// # Errors
    ///
    /// [`OciError`]: transport, status, limits, and any artifact that is
    /// not a vouch bundle about this image or whose layer does not match
    /// its descriptor (one bad artifact fails the whole fetch: an attacker
    /// able to write to the repository could otherwise hide nothing, but a
    /// reader should know the index is not what vouch wrote).
    pub fn fetch_bundles(&self, image: &ImageRef) -> Result<Vec<Vec<u8>>, OciError> {
        let subject = descriptor_digest(&self.resolve(image)?)?;
        let repo = &image.repository;
        let index = match self.force_tag_fallback {
            false => self.referrers_api(repo, &subject)?,
            true => None,
        };
        let index = match index {
            Some(i) => i,
            None => self
                .tag_index(repo, &subject)?
                .map_or_else(referrers::empty, Ok)?,
        };
        let mut seen = Vec::new();
        let mut bundles = Vec::new();
        for d in referrers::bundles(&index) {
            let digest = descriptor_digest(d)?;
            if seen.contains(&digest) {
                continue;
            }
            seen.push(digest);
            let manifest = self.blob_like(
                &format!("/v2/{repo}/manifests/{digest}"),
                Some(OCI_MANIFEST),
                &digest,
                d.size(),
                MAX_MANIFEST,
            )?;
            let checked = artifact::parse_artifact(&manifest, &subject)?;
            let layer_digest = descriptor_digest(&checked.layer)?;
            let layer = self.blob_like(
                &format!("/v2/{repo}/blobs/{layer_digest}"),
                None,
                &layer_digest,
                checked.layer.size(),
                MAX_BUNDLE,
            )?;
            bundles.push(layer.to_vec());
        }
        Ok(bundles)
    }

    /// Refuses a reference to another registry than this client's.
    fn check_registry(&self, image: &ImageRef) -> Result<(), OciError> {
        if image.authority() != self.authority {
            return Err(OciError::BadReference {
                reference: image.to_string().chars().take(80).collect(),
                why: "names another registry than this client's",
            });
        }
        Ok(())
    }

    /// GETs a content-addressed document (a manifest by digest, a blob),
    /// bounded by its descriptor's size, checked against its digest and size.
    fn blob_like(
        &self,
        path: &str,
        accept: Option<&str>,
        digest: &Digest,
        size: u64,
        max: u64,
    ) -> Result<Bytes, OciError> {
        if size > max {
            return Err(OciError::ResponseTooLarge {
                method: "GET",
                url: self.url(path),
                limit: max,
            });
        }
        let r = self.request(Method::GET, path, accept, None, size)?;
        self.expect(&r, StatusCode::OK, "GET", path)?;
        if r.body.len() as u64 != size {
            return Err(OciError::SizeMismatch {
                digest: *digest,
                expected: size,
                actual: r.body.len() as u64,
            });
        }
        let actual = Digest::sha256(&r.body);
        if &actual != digest {
            return Err(OciError::DigestMismatch {
                expected: *digest,
                actual,
            });
        }
        Ok(r.body)
    }

    /// The referrers API's index of the vouch bundles about `subject`, or
    /// `None` when the registry does not answer 200 (no API).
    fn referrers_api(&self, repo: &str, subject: &Digest) -> Result<Option<ImageIndex>, OciError> {
        let path = format!("/v2/{repo}/referrers/{subject}?{ARTIFACT_TYPE_QUERY}");
        let r = self.request(Method::GET, &path, Some(OCI_INDEX), None, MAX_MANIFEST)?;
        if r.status == StatusCode::UNAUTHORIZED {
            return Err(self.unauthorized(&r, &path));
        }
        if r.status != StatusCode::OK {
            return Ok(None);
        }
        referrers::parse(&r.body).map(Some)
    }

    /// The `sha256-<hex>` tag index of `subject`, `None` when absent (404).
    fn tag_index(&self, repo: &str, subject: &Digest) -> Result<Option<ImageIndex>, OciError> {
        let path = format!("/v2/{repo}/manifests/{}", referrers::fallback_tag(subject));
        let r = self.request(Method::GET, &path, Some(OCI_INDEX), None, MAX_MANIFEST)?;
        if r.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        self.expect(&r, StatusCode::OK, "GET", &path)?;
        referrers::parse(&r.body).map(Some)
    }

    /// Pushes a blob unless the registry has it (monolithic upload).
    fn push_blob(&self, repo: &str, bytes: &[u8]) -> Result<(), OciError> {
        let digest = Digest::sha256(bytes);
        let path = format!("/v2/{repo}/blobs/{digest}");
        let r = self.request(Method::HEAD, &path, None, None, 0)?;
        if r.status == StatusCode::OK {
            return Ok(());
        }
        if r.status == StatusCode::UNAUTHORIZED {
            return Err(self.unauthorized(&r, &path));
        }
        let start = format!("/v2/{repo}/blobs/uploads/");
        let r = self.request(
            Method::POST,
            &start,
            None,
            Some(("application/octet-stream", Vec::new())),
            MAX_MANIFEST,
        )?;
        self.expect(&r, StatusCode::ACCEPTED, "POST", &start)?;
        let location = r
            .headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| self.location_path(l))
            .ok_or_else(|| OciError::BadLocation {
                url: self.url(&start),
            })?;
        let sep = if location.contains('?') { '&' } else { '?' };
        let put = format!("{location}{sep}digest={digest}");
        let r = self.request(
            Method::PUT,
            &put,
            None,
            Some(("application/octet-stream", bytes.to_vec())),
            MAX_MANIFEST,
        )?;
        self.expect(&r, StatusCode::CREATED, "PUT", &put)
    }

    /// The path and query of an upload `Location`: a relative one as is,
    /// an absolute one only on this registry (never sent elsewhere).
    fn location_path(&self, location: &str) -> Option<String> {
        if location.starts_with('/') {
            return Some(location.to_owned());
        }
        let rest = location
            .strip_prefix(self.scheme)?
            .strip_prefix("://")?
            .strip_prefix(self.authority.as_str())?;
        rest.starts_with('/').then(|| rest.to_owned())
    }

    fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme, self.authority)
    }

    /// `Ok` when `r` has the status `want`; a 401 or another status as
    /// their errors.
    fn expect(
        &self,
        r: &Response,
        want: StatusCode,
        method: &'static str,
        path: &str,
    ) -> Result<(), OciError> {
        if r.status == want {
            return Ok(());
        }
        if r.status == StatusCode::UNAUTHORIZED {
            return Err(self.unauthorized(r, path));
        }
        Err(OciError::Status {
            method,
            url: self.url(path),
            status: r.status.as_u16(),
        })
    }

    fn unauthorized(&self, r: &Response, path: &str) -> OciError {
        let challenge = r
            .headers
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_whitespace().next())
            .unwrap_or("")
            .chars()
            .take(32)
            .collect();
        OciError::Unauthorized {
            host: self.authority.clone(),
            url: self.url(path),
            challenge,
        }
    }

    /// One request on a new connection, under the timeout, its body read
    /// up to `limit` bytes.
    fn request(
        &self,
        method: Method,
        path: &str,
        accept: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
        limit: u64,
    ) -> Result<Response, OciError> {
        let name = method_name(&method);
        let url = self.url(path);
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, &self.authority)
            .header(header::USER_AGENT, "vouch-oci");
        if let Some(a) = accept {
            builder = builder.header(header::ACCEPT, a);
        }
        if let Some(auth) = &self.authorization {
            builder = builder.header(header::AUTHORIZATION, auth.clone());
        }
        let payload = match body {
            Some((content_type, bytes)) => {
                builder = builder.header(header::CONTENT_TYPE, content_type);
                bytes
            }
            None => Vec::new(),
        };
        let request = builder
            .body(Full::new(Bytes::from(payload)))
            .map_err(|_| OciError::BadLocation { url: url.clone() })?;
        let exchange = self.exchange(request, name, &url, limit);
        self.runtime.block_on(async {
            match tokio::time::timeout(self.timeout, exchange).await {
                Ok(result) => result,
                Err(_) => Err(OciError::Timeout {
                    method: name,
                    url: url.clone(),
                    millis: self.timeout.as_millis(),
                }),
            }
        })
    }

    async fn exchange(
        &self,
        request: Request<Full<Bytes>>,
        method: &'static str,
        url: &str,
        limit: u64,
    ) -> Result<Response, OciError> {
        let network = |source: Box<dyn std::error::Error + Send + Sync>| OciError::Network {
            method,
            url: url.to_owned(),
            source,
        };
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| network(e.into()))?;
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            Some((connector, name)) => {
                let tls = connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| network(e.into()))?;
                send(TokioIo::new(tls), request, method, url, limit).await
            }
            None => send(TokioIo::new(tcp), request, method, url, limit).await,
        }
    }
}

/// The HTTP/1.1 exchange on an open stream.
async fn send<S>(
    io: TokioIo<S>,
    request: Request<Full<Bytes>>,
    method: &'static str,
    url: &str,
    limit: u64,
) -> Result<Response, OciError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let network = |source: Box<dyn std::error::Error + Send + Sync>| OciError::Network {
        method,
        url: url.to_owned(),
        source,
    };
    let too_large = || OciError::ResponseTooLarge {
        method,
        url: url.to_owned(),
        limit,
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| network(e.into()))?;
    let _driver = AbortOnDrop(tokio::spawn(async move {
        // Its error, if any, surfaces through the response future.
        let _ = connection.await;
    }));
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| network(e.into()))?;
    let (parts, body) = response.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if method != "HEAD" && declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let body = Limited::new(body, usize::try_from(limit).unwrap_or(usize::MAX))
        .collect()
        .await
        .map_err(|e| {
            if e.downcast_ref::<LengthLimitError>().is_some() {
                too_large()
            } else {
                network(e)
            }
        })?
        .to_bytes();
    Ok(Response {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

fn method_name(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::POST => "POST",
        _ => "request",
    }
}

/// The `Content-Type` without parameters.
fn content_type(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let t = v.split(';').next().unwrap_or("").trim();
    (!t.is_empty()).then(|| t.chars().take(256).collect())
}

/// A manifest's own `mediaType` field, when the header said nothing.
fn body_media_type(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("mediaType")?
        .as_str()
        .map(|t| t.chars().take(256).collect())
}

/// A rustls connector trusting the PEM certificates in `ca`.
fn tls_connector(ca: &Path) -> Result<TlsConnector, OciError> {
    let pem = read_bounded(ca)?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|_| OciError::CaFile {
            path: ca.to_owned(),
            why: "malformed PEM",
        })?;
        // A certificate rustls cannot use as a root is skipped, as
        // system bundles carry a few odd ones.
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        return Err(OciError::CaFile {
            path: ca.to_owned(),
            why: "no usable certificate",
        });
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|_| OciError::Build("TLS configuration"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, OciError> {
    use std::io::Read as _;
    let io = |source| OciError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_CA_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_CA_FILE {
        return Err(OciError::TooLarge {
            path: path.to_owned(),
            limit: MAX_CA_FILE,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(transport: Transport) -> RegistryOptions {
        RegistryOptions {
            transport,
            ..RegistryOptions::default()
        }
    }

    #[test]
    fn plain_http_only_to_loopback() -> Result<(), OciError> {
        let far = ImageRef::parse("192.0.2.1:5000/a:v1")?;
        assert!(matches!(
            Registry::new(&far, options(Transport::PlainHttp)),
            Err(OciError::InsecureTransport(h)) if h == "192.0.2.1:5000"
        ));
        let near = ImageRef::parse("127.0.0.1:5000/a:v1")?;
        Registry::new(&near, options(Transport::PlainHttp))?;
        Ok(())
    }

    #[test]
    fn locations_stay_on_the_registry() -> Result<(), OciError> {
        let r = Registry::new(
            &ImageRef::parse("127.0.0.1:5000/a")?,
            options(Transport::PlainHttp),
        )?;
        assert_eq!(
            r.location_path("/v2/a/blobs/uploads/1?x=y").as_deref(),
            Some("/v2/a/blobs/uploads/1?x=y")
        );
        assert_eq!(
            r.location_path("http://127.0.0.1:5000/v2/a/blobs/uploads/1")
                .as_deref(),
            Some("/v2/a/blobs/uploads/1")
        );
        assert_eq!(r.location_path("http://127.0.0.1:50000/v2/x"), None);
        assert_eq!(r.location_path("http://evil.example/v2/x"), None);
        assert_eq!(r.location_path("https://127.0.0.1:5000/v2/x"), None);
        Ok(())
    }

    #[test]
    fn the_password_is_not_printed() -> Result<(), OciError> {
        let o = RegistryOptions {
            basic_auth: Some(("u".into(), "hunter2".into())),
            ..options(Transport::PlainHttp)
        };
        assert!(!format!("{o:?}").contains("hunter2"));
        let r = Registry::new(&ImageRef::parse("127.0.0.1:5000/a")?, o)?;
        assert!(!format!("{r:?}").contains("hunter2"));
        Ok(())
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() -> Result<(), OciError> {
        let dir = std::env::temp_dir().join(format!("vouch-oci-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|source| OciError::Io {
            path: dir.clone(),
            source,
        })?;
        let ca = dir.join("empty.pem");
        std::fs::write(&ca, b"no pem here\n").map_err(|source| OciError::Io {
            path: ca.clone(),
            source,
        })?;
        let o = RegistryOptions {
            ca_file: Some(ca),
            ..options(Transport::Https)
        };
        let err = Registry::new(&ImageRef::parse("registry.example/a")?, o);
        assert!(matches!(err, Err(OciError::CaFile { .. })), "{err:?}");
        // One byte past the limit (a sparse file: no memory, no disk).
        let big = dir.join("big.pem");
        let file = std::fs::File::create(&big).map_err(|source| OciError::Io {
            path: big.clone(),
            source,
        })?;
        file.set_len(MAX_CA_FILE + 1)
            .map_err(|source| OciError::Io {
                path: big.clone(),
                source,
            })?;
        let o = RegistryOptions {
            ca_file: Some(big),
            ..options(Transport::Https)
        };
        let err = Registry::new(&ImageRef::parse("registry.example/a")?, o);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            matches!(err, Err(OciError::TooLarge { limit, .. }) if limit == MAX_CA_FILE),
            "{err:?}"
        );
        Ok(())
    }
}
