//! `vouch gate serve --config FILE`: refuses an unreadable configuration
//! (exit 2) and trust inputs it cannot use (exit 1), and with a complete
//! configuration serves until stopped, ready on its metrics port.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use vouch_test_support::chain::{ChainSpec, build};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vouch-cli-gate-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("bundles")).unwrap();
    d
}

/// A loopback port free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn config(d: &Path, pin: &str) -> String {
    let disp = d.display();
    format!(
        r#"
listen = "127.0.0.1:{}"
metrics-listen = "127.0.0.1:{}"
cluster = "eu-1"
audit-log = "{disp}/audit.jsonl"
[tls]
cert = "{disp}/tls.crt"
key = "{disp}/tls.key"
[trust]
roster = "{disp}/roster.cbor"
roster-pin = "{pin}"
roster-state = "{disp}/roster-state.json"
policy = "{disp}/policy.toml"
[[bundles]]
dir = "{disp}/bundles"
"#,
        free_port(),
        free_port()
    )
}

fn vouch(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn refuses_what_it_cannot_use() {
    let d = dir("refuse");
    let missing = d.join("missing.toml");
    let out = vouch(&["gate", "serve", "--config", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let pin = format!("sha256:{}", "0".repeat(64));
    std::fs::write(d.join("gate.toml"), config(&d, &pin)).unwrap();
    let out = vouch(&[
        "gate",
        "serve",
        "--config",
        d.join("gate.toml").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("policy.toml"), "{stderr}");
}

#[test]
fn serves_and_is_ready() {
    let d = dir("serve");
    let spec = ChainSpec::new(vouch_core::Digest::sha256(b"an image"));
    let chain = build(&spec);
    std::fs::write(d.join("roster.cbor"), &chain.roster).unwrap();
    std::fs::write(d.join("policy.toml"), &chain.policy).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    std::fs::write(d.join("tls.crt"), cert.pem()).unwrap();
    std::fs::write(d.join("tls.key"), key.serialize_pem()).unwrap();
    let text = config(&d, &chain.roster_pin.to_string());
    std::fs::write(d.join("gate.toml"), &text).unwrap();
    let metrics = text
        .lines()
        .find_map(|l| l.strip_prefix("metrics-listen = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_owned();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args([
            "gate",
            "serve",
            "--config",
            d.join("gate.toml").to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut answer = String::new();
    while Instant::now() < deadline {
        if let Ok(mut tcp) = TcpStream::connect(&metrics) {
            tcp.write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            answer.clear();
            let _ = tcp.read_to_string(&mut answer);
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            panic!("vouch gate serve exited with {status}: {stderr}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Without a signing key the gate says at startup that it keeps no
    // admission records.
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.contains("no signing-key configured"), "{stderr}");
    // The pinned roster was recorded in the state.
    assert!(d.join("roster-state.json").is_file());
}
