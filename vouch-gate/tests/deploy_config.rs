//! The gate.toml in deploy/gate.yaml's ConfigMap is a configuration the gate
//! accepts. (The Kubernetes objects themselves are not yet parsed as
//! k8s-openapi types; see the crate notes.) The block is cut out by its
//! YAML literal indentation, as no YAML crate is a dependency yet.

#![allow(clippy::unwrap_used, clippy::panic)]

use vouch_gate::config::{BundleSourceConfig, Config};

#[test]
fn the_deployed_configuration_is_accepted() {
    let path = format!("{}/../deploy/gate.yaml", env!("CARGO_MANIFEST_DIR"));
    let yaml = std::fs::read_to_string(&path).unwrap();
    let start = yaml
        .find("  gate.toml: |\n")
        .unwrap_or_else(|| panic!("{path}: no gate.toml"));
    let toml: String = yaml[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with("    "))
        .map(|l| format!("{}\n", l.strip_prefix("    ").unwrap_or(l)))
        .collect();
    let config = Config::from_toml(&toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    assert_eq!(config.cluster, "eu-1");
    assert!(
        config.is_exempt("vouch-gate"),
        "the gate never reviews its own namespace"
    );
    assert!(matches!(
        config.bundles.first(),
        Some(BundleSourceConfig::Dir(_))
    ));
}
