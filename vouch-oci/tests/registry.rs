//! The registry client against a real registry (test-support's
//! `docker-registry` harness, which has no referrers API, so attach and
//! fetch go through the `sha256-<hex>` tag index) and against tiny
//! in-test TCP stubs that misbehave: an oversize manifest, a never-ending
//! body, a stalled response, a token challenge, a wrong digest; and a
//! routed stub with the OCI 1.1 referrers API (which docker-registry 2.8
//! lacks), serving a good and a tampered layer.
//! A missing tool prints a SKIP notice and passes, except under CI=true.

#![cfg(feature = "registry")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use vouch_core::Digest;
use vouch_oci::layout::descriptor_digest;
use vouch_oci::reference::ImageRef;
use vouch_oci::registry::{Registry, RegistryOptions, Transport};
use vouch_oci::{MAX_MANIFEST, OciError};
use vouch_test_support::registry::Registry as Harness;

fn plain(timeout: Duration) -> RegistryOptions {
    RegistryOptions {
        timeout,
        transport: Transport::PlainHttp,
        ..RegistryOptions::default()
    }
}

#[test]
fn attach_and_fetch_through_the_tag_fallback() {
    if !vouch_test_support::registry::tools_available("the registry client")
        || !vouch_test_support::oci::tools_available("the registry client")
    {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("L");
    vouch_test_support::oci::build_image(&layout, "v1", &[("/f", b"x")]);
    let harness = Harness::start(tmp.path());
    harness.push(&layout, "v1", "team/app");
    let skopeo = vouch_test_support::oci::skopeo_inspect(&layout, "v1");

    let image = ImageRef::parse(&format!("{}/team/app:v1", harness.host())).unwrap();
    let client = Registry::new(&image, plain(Duration::from_secs(10))).unwrap();
    let subject = client.resolve(&image).unwrap();
    let digest = descriptor_digest(&subject).unwrap();
    assert_eq!(skopeo["Digest"], digest.to_string(), "tag resolved");
    assert!(client.fetch_bundles(&image).unwrap().is_empty());

    let first = client.attach(&image, b"bundle one").unwrap();
    assert_eq!(
        client.fetch_bundles(&image).unwrap(),
        vec![b"bundle one".to_vec()]
    );
    client.attach(&image, b"bundle two").unwrap();
    // Re-attaching the first is the same artifact and lists nothing twice.
    assert_eq!(client.attach(&image, b"bundle one").unwrap(), first);
    let by_digest = ImageRef::parse(&format!("{}/team/app@{digest}", harness.host())).unwrap();
    assert_eq!(
        client.fetch_bundles(&by_digest).unwrap(),
        vec![b"bundle one".to_vec(), b"bundle two".to_vec()]
    );
    // The attach left the image itself alone.
    assert_eq!(
        descriptor_digest(&client.resolve(&image).unwrap()).unwrap(),
        digest
    );
    // Another repository of the registry has neither image nor bundles.
    let other = ImageRef::parse(&format!("{}/team/other:v1", harness.host())).unwrap();
    assert!(matches!(
        client.fetch_bundles(&other),
        Err(OciError::Status { status: 404, .. })
    ));
}

#[test]
fn plain_http_to_another_host_is_refused_without_a_connection() {
    // 192.0.2.1 (TEST-NET-1) is never answered: any attempt to connect
    // would wait for the timeout instead of failing at once.
    let start = Instant::now();
    let image = ImageRef::parse("192.0.2.1:5000/team/app:v1").unwrap();
    let err = Registry::new(&image, plain(Duration::from_secs(30)));
    assert!(
        matches!(err, Err(OciError::InsecureTransport(_))),
        "{err:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(1));
}

/// A loopback TCP server that reads each request's head and answers it
/// with `answer`; its threads end with the test process.
/// A request's head (up to the blank line, at most 64 KiB), read byte by
/// byte so that nothing of the body is consumed; `None` when the client
/// went away first.
fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

fn stub(answer: fn(&mut TcpStream)) -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                if read_head(&mut stream).is_some() {
                    answer(&mut stream);
                }
            });
        }
    });
    port
}

fn resolve_from(port: u16, timeout: Duration) -> (Result<(), OciError>, Duration) {
    let image = ImageRef::parse(&format!("127.0.0.1:{port}/team/app:v1")).unwrap();
    let client = Registry::new(&image, plain(timeout)).unwrap();
    let start = Instant::now();
    let result = client.resolve(&image).map(|_| ());
    (result, start.elapsed())
}

#[test]
fn a_declared_oversize_manifest_is_refused_before_reading() {
    let port = stub(|s| {
        let _ = write!(
            s,
            "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: {}\r\n\r\n{{",
            MAX_MANIFEST + 1
        );
        std::thread::sleep(Duration::from_secs(5));
    });
    let (result, took) = resolve_from(port, Duration::from_secs(10));
    assert!(
        matches!(result, Err(OciError::ResponseTooLarge { limit, .. }) if limit == MAX_MANIFEST),
        "{result:?}"
    );
    assert!(
        took < Duration::from_secs(3),
        "waited for the body: {took:?}"
    );
}

#[test]
fn a_never_ending_body_is_cut_at_the_limit() {
    let port = stub(|s| {
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        let chunk = format!("10000\r\n{}\r\n", " ".repeat(0x10000));
        // Until the client hangs up.
        while s.write_all(chunk.as_bytes()).is_ok() {}
    });
    let (result, took) = resolve_from(port, Duration::from_secs(20));
    assert!(
        matches!(result, Err(OciError::ResponseTooLarge { .. })),
        "{result:?}"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn a_stalled_response_times_out() {
    let port = stub(|s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\n");
        std::thread::sleep(Duration::from_secs(10));
    });
    let (result, took) = resolve_from(port, Duration::from_millis(300));
    assert!(
        matches!(result, Err(OciError::Timeout { millis: 300, .. })),
        "{result:?}"
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[test]
fn a_token_challenge_is_a_clear_error() {
    let port = stub(|s| {
        let _ = s.write_all(
            b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"https://auth.example/token\"\r\nContent-Length: 0\r\n\r\n",
        );
    });
    let (result, _) = resolve_from(port, Duration::from_secs(5));
    match result {
        Err(e @ OciError::Unauthorized { .. }) => {
            let text = e.to_string();
            assert!(text.contains("Bearer"), "{text}");
            assert!(text.contains("token authentication is not"), "{text}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_manifest_that_does_not_hash_to_its_digest_is_refused() {
    let port = stub(|s| {
        let body =
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#;
        let _ = write!(
            s,
            "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let _ = s.write_all(body);
    });
    let wanted = Digest::sha256(b"another manifest");
    let image = ImageRef::parse(&format!("127.0.0.1:{port}/team/app@{wanted}")).unwrap();
    let client = Registry::new(&image, plain(Duration::from_secs(5))).unwrap();
    let result = client.resolve(&image);
    assert!(
        matches!(result, Err(OciError::DigestMismatch { expected, .. }) if expected == wanted),
        "{result:?}"
    );
}

/// A loopback registry stub serving `routes(path)` as `(content type,
/// body)`, 404 for `None`: enough of the distribution API to exercise the
/// OCI 1.1 referrers path, which docker-registry 2.8 lacks.
fn routed(routes: impl Fn(&str) -> Option<(&'static str, Vec<u8>)> + Send + Sync + 'static) -> u16 {
    let routes = std::sync::Arc::new(routes);
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let routes = routes.clone();
            std::thread::spawn(move || {
                let Some(head) = read_head(&mut stream) else {
                    return;
                };
                let path = head.split(' ').nth(1).unwrap_or("").to_owned();
                let _ = match routes(&path) {
                    Some((content_type, body)) => {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        );
                        stream.write_all(&body)
                    }
                    None => stream.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    ),
                };
            });
        }
    });
    port
}

/// An image manifest, its artifact carrying `bundle`, and the referrers
/// index listing it (plus a foreign artifact that must be skipped).
fn referrers_fixture(bundle: &[u8]) -> (Vec<u8>, vouch_oci::artifact::Artifact, Vec<u8>) {
    use oci_spec::image::{Descriptor, MediaType};
    let image = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#.to_vec();
    let subject = Descriptor::new(
        MediaType::ImageManifest,
        image.len() as u64,
        vouch_oci::artifact::oci_digest(&Digest::sha256(&image)).unwrap(),
    );
    let artifact = vouch_oci::artifact::Artifact::build(&subject, bundle).unwrap();
    let mut index = vouch_oci::referrers::empty().unwrap();
    let mut signature = Descriptor::new(
        MediaType::ImageManifest,
        3,
        vouch_oci::artifact::oci_digest(&Digest::sha256(b"sig")).unwrap(),
    );
    signature.set_artifact_type(Some(MediaType::Other("application/x-signature".into())));
    vouch_oci::referrers::add(&mut index, signature).unwrap();
    vouch_oci::referrers::add(&mut index, artifact.descriptor().unwrap()).unwrap();
    (
        image,
        artifact,
        vouch_oci::referrers::to_bytes(&index).unwrap(),
    )
}

fn serve_referrers(
    image: Vec<u8>,
    artifact: vouch_oci::artifact::Artifact,
    index: Vec<u8>,
    layer: Vec<u8>,
) -> u16 {
    let subject = Digest::sha256(&image);
    let layer_digest = Digest::sha256(&artifact.layer);
    routed(move |path| {
        if path == "/v2/team/app/manifests/v1" {
            Some(("application/vnd.oci.image.manifest.v1+json", image.clone()))
        } else if path.starts_with(&format!("/v2/team/app/referrers/{subject}?")) {
            Some(("application/vnd.oci.image.index.v1+json", index.clone()))
        } else if path == format!("/v2/team/app/manifests/{}", artifact.digest) {
            Some((
                "application/vnd.oci.image.manifest.v1+json",
                artifact.manifest.clone(),
            ))
        } else if path == format!("/v2/team/app/blobs/{layer_digest}") {
            Some(("application/octet-stream", layer.clone()))
        } else {
            None
        }
    })
}

#[test]
fn bundles_come_from_the_referrers_api_when_it_answers() {
    let (image, artifact, index) = referrers_fixture(b"the bundle");
    let port = serve_referrers(image, artifact, index, b"the bundle".to_vec());
    let reference = ImageRef::parse(&format!("127.0.0.1:{port}/team/app:v1")).unwrap();
    let client = Registry::new(&reference, plain(Duration::from_secs(5))).unwrap();
    assert_eq!(
        client.fetch_bundles(&reference).unwrap(),
        vec![b"the bundle".to_vec()]
    );
    // With the tag fallback forced, the (absent) tag index is read instead.
    let forced = Registry::new(
        &reference,
        RegistryOptions {
            force_tag_fallback: true,
            ..plain(Duration::from_secs(5))
        },
    )
    .unwrap();
    assert!(forced.fetch_bundles(&reference).unwrap().is_empty());
}

#[test]
fn a_layer_that_does_not_match_its_descriptor_is_refused() {
    let (image, artifact, index) = referrers_fixture(b"the bundle");
    // Same length, other bytes: the digest check, not the size, refuses it.
    let port = serve_referrers(image, artifact, index, b"THE BUNDLE".to_vec());
    let reference = ImageRef::parse(&format!("127.0.0.1:{port}/team/app:v1")).unwrap();
    let client = Registry::new(&reference, plain(Duration::from_secs(5))).unwrap();
    let result = client.fetch_bundles(&reference);
    assert!(
        matches!(result, Err(OciError::DigestMismatch { expected, .. }) if expected == Digest::sha256(b"the bundle")),
        "{result:?}"
    );
}
