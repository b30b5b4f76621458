//! End to end over TLS: the webhook on a loopback port with a certificate
//! from a test CA, a rustls client, real AdmissionReview payloads and a
//! real signed chain (vouch-test-support's `chain`). Allowed and denied
//! requests, and the requests that must not take the server down: malformed
//! JSON, a body that is no AdmissionReview, a 100 MB body, a slow client,
//! a connection flood, each refused while a normal request is answered.
//! A policy reload empties the verdict cache; a broken policy keeps the old.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vouch_core::Digest;
use vouch_gate::server::Limits;
use vouch_test_support::chain::ChainSpec;
use vouch_test_support::gate::{self, RunningGate, post, read_response};

/// The image of the fixtures (tests/fixtures/*.json).
const IMAGE: &str = "sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f";

/// Starts the gate with a chain for the fixtures' image, placed as `spec`.
async fn start(name: &str, spec: ChainSpec, limits: Limits) -> RunningGate {
    gate::start_chain(name, &spec, limits).await
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn response(body: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    v["response"].clone()
}

/// Panics unless `body` is a denial whose message contains `needle`.
fn denied_with(body: &str, needle: &str) {
    let resp = response(body);
    assert_eq!(resp["allowed"], false, "{body}");
    assert!(
        resp["status"]["message"].as_str().unwrap().contains(needle),
        "{body}"
    );
}

fn spec() -> ChainSpec {
    ChainSpec::new(IMAGE.parse::<Digest>().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verified_pod_and_deployment_are_allowed_and_the_second_pod_is_a_cache_hit() {
    let r = start("allowed", spec(), Limits::default()).await;
    let (status, body) = post(&r, "/validate", &fixture("pod.json")).await;
    assert_eq!(status, 200, "{body}");
    let resp = response(&body);
    assert_eq!(resp["allowed"], true, "{body}");
    assert_eq!(
        resp["uid"], "3a9c7a51-0f0e-4e0a-9c7e-5d2b1e6f8a01",
        "{body}"
    );
    let (status, body) = post(&r, "/validate", &fixture("deployment.json")).await;
    assert_eq!(status, 200);
    assert_eq!(response(&body)["allowed"], true, "{body}");
    assert!(r.metrics.cache_hits() >= 1);
    // The first admission left its signed record for later re-admissions.
    let records: Vec<_> = std::fs::read_dir(r.dir.join("records"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".vsa"))
        .collect();
    assert_eq!(records.len(), 1, "{records:?}");
    // The metrics port says so, and the webhook is ready.
    let tcp = TcpStream::connect(r.metrics_addr).await.unwrap();
    let (status, text) = get(tcp, "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        text.contains("vouch_gate_decisions_total{outcome=\"allowed\"} 2"),
        "{text}"
    );
    assert!(!text.contains("vouch_gate_cache_hits_total 0\n"), "{text}");
    let (status, _) = get(TcpStream::connect(r.metrics_addr).await.unwrap(), "/readyz").await;
    assert_eq!(status, 200);
    let audit = std::fs::read_to_string(r.dir.join("audit.jsonl")).unwrap();
    assert_eq!(audit.lines().count(), 2, "{audit}");
}

async fn get(mut tcp: TcpStream, path: &str) -> (u16, String) {
    let head = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    tcp.write_all(head.as_bytes()).await.unwrap();
    read_response(&mut tcp).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denials_name_their_reason() {
    // Made for another namespace: the pod in `shop` is denied.
    let mut elsewhere = spec();
    elsewhere.namespace = "billing".into();
    let r = start("namespace", elsewhere, Limits::default()).await;
    let (status, body) = post(&r, "/validate", &fixture("pod.json")).await;
    assert_eq!(status, 200);
    let resp = response(&body);
    assert_eq!(resp["allowed"], false, "{body}");
    assert_eq!(resp["status"]["code"], 403, "{body}");

    // Signed by a key outside the roster.
    let mut outsider = spec();
    outsider.deployer_outside_roster = true;
    let r = start("outsider", outsider, Limits::default()).await;
    let (_, body) = post(&r, "/validate", &fixture("pod.json")).await;
    assert_eq!(response(&body)["allowed"], false, "{body}");

    // The deployment envelope altered after signing.
    let mut tampered = spec();
    tampered.tamper_deployment = true;
    let r = start("tampered", tampered, Limits::default()).await;
    let (_, body) = post(&r, "/validate", &fixture("pod.json")).await;
    denied_with(&body, "does not verify");

    // No statement names the image (the chain is for another image).
    let r = start(
        "other-image",
        ChainSpec::new(Digest::sha256(b"another image")),
        Limits::default(),
    )
    .await;
    let (_, body) = post(&r, "/validate", &fixture("pod.json")).await;
    denied_with(&body, "no bundle");

    // An image by tag (the CronJob fixture).
    let r = start("tag", spec(), Limits::default()).await;
    let (_, body) = post(&r, "/validate", &fixture("cronjob.json")).await;
    denied_with(&body, "by tag");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_a_clear_4xx() {
    let r = start("bad", spec(), Limits::default()).await;
    let (status, body) = post(&r, "/validate", b"{not json").await;
    assert_eq!(status, 400);
    assert!(body.contains("malformed AdmissionReview JSON"), "{body}");
    let (status, body) = post(&r, "/validate", br#"{"apiVersion":"v1","kind":"Pod"}"#).await;
    assert_eq!(status, 400);
    assert!(
        body.contains("not an admission.k8s.io/v1 AdmissionReview"),
        "{body}"
    );
    let (status, _) = post(&r, "/other", b"{}").await;
    assert_eq!(status, 404);
    let (status, _) = post(&r, "/validate", &fixture("pod.json")).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mb_body_gets_413_without_being_read() {
    let r = start("large", spec(), Limits::default()).await;
    let mut tls = gate::connect(&r).await;
    let head = "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Length: 104857600\r\n\r\n";
    tls.write_all(head.as_bytes()).await.unwrap();
    // At most 1 MiB of the 100 MB is sent: the answer comes before the
    // rest, and the server may close while we are still writing.
    let written = tls.write_all(&vec![b' '; 1 << 20]).await;
    let (status, body) = tokio::time::timeout(Duration::from_secs(10), read_response(&mut tls))
        .await
        .unwrap();
    assert!(
        status == 413 || (status == 0 && written.is_err()),
        "{status} {body}"
    );
    let (status, _) = post(&r, "/validate", &fixture("pod.json")).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_is_dropped_while_others_are_answered() {
    let limits = Limits {
        header_timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    let r = start("slow", spec(), limits).await;
    let mut slow = gate::connect(&r).await;
    let head = b"POST /validate HTTP/1.1\r\nHost: localhost\r\n";
    let mut closed = false;
    for byte in head {
        if slow.write_all(&[*byte]).await.is_err() || slow.flush().await.is_err() {
            closed = true;
            break;
        }
        // Meanwhile a normal request is answered.
        let (status, _) = post(&r, "/validate", &fixture("pod.json")).await;
        assert_eq!(status, 200);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !closed {
        let mut rest = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut rest)).await;
        assert!(read.is_ok(), "the slow connection is still open");
        let text = String::from_utf8_lossy(&rest);
        assert!(
            rest.is_empty() || text.starts_with("HTTP/1.1 408"),
            "{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_flood_is_bounded_and_normal_requests_get_through() {
    let limits = Limits {
        header_timeout: Duration::from_secs(1),
        max_connections: 64,
        ..Limits::default()
    };
    let r = start("flood", spec(), limits).await;
    let mut idle = Vec::new();
    for _ in 0..2000 {
        idle.push(TcpStream::connect(r.addr).await.unwrap());
    }
    // Every idle connection is closed by the server: at once past the
    // bound, after the handshake timeout within it.
    for tcp in &mut idle {
        let mut buf = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf)).await;
        assert!(
            matches!(read, Ok(Ok(0) | Err(_))),
            "an idle connection stays open"
        );
    }
    // The flood still open on the client side, a normal request is answered.
    let (status, body) = post(&r, "/validate", &fixture("pod.json")).await;
    assert_eq!(status, 200, "{body}");
    let (_, text) = get(
        TcpStream::connect(r.metrics_addr).await.unwrap(),
        "/metrics",
    )
    .await;
    assert!(
        !text.contains("vouch_gate_refused_connections_total 0\n"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_change_empties_the_cache_and_a_broken_one_keeps_the_old() {
    let r = start("reload", spec(), Limits::default()).await;
    for _ in 0..2 {
        let (_, body) = post(&r, "/validate", &fixture("pod.json")).await;
        assert_eq!(response(&body)["allowed"], true, "{body}");
    }
    // The pod's container and init container run the same image: the
    // second lookup of a request is a hit, and all of the second request.
    assert_eq!(r.metrics.cache_hits(), 3);
    let policy = r.dir.join("policy.toml");
    let text = std::fs::read_to_string(&policy).unwrap();
    let edited = text.replace("max_age = \"7d\"", "max_age = \"10d\"");
    assert_ne!(text, edited);
    std::fs::write(&policy, edited).unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (_, body) = post(&r, "/validate", &fixture("pod.json")).await;
    assert_eq!(response(&body)["allowed"], true, "{body}");
    assert_eq!(r.metrics.cache_hits(), 4, "the reload emptied the cache");
    std::fs::write(&policy, "[deployment\nnot a policy").unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (_, body) = post(&r, "/validate", &fixture("pod.json")).await;
    assert_eq!(response(&body)["allowed"], true, "{body}");
    assert_eq!(
        r.metrics.cache_hits(),
        6,
        "the broken policy kept the old state"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unverified_init_container_denies_the_pod() {
    let r = start("init", spec(), Limits::default()).await;
    let other = Digest::sha256(b"an unverified migration image");
    let pod = String::from_utf8(fixture("pod.json")).unwrap().replace(
        &format!("registry.example/shop/migrate@{IMAGE}"),
        &format!("registry.example/shop/migrate@{other}"),
    );
    assert!(pod.contains(&other.to_string()));
    let (status, body) = post(&r, "/validate", pod.as_bytes()).await;
    assert_eq!(status, 200);
    let resp = response(&body);
    assert_eq!(resp["allowed"], false, "{body}");
    let message = resp["status"]["message"].as_str().unwrap();
    assert!(message.contains("initContainers"), "{message}");
    assert!(message.contains("no bundle"), "{message}");
}
