//! Roster drafts as `vouch roster` reads them (vouch-cli's read_draft): JSON
//! when the text starts with `{`, TOML otherwise, into a Roster; what reads
//! writes back (TOML and JSON) and reads again as the same roster.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_manifest::Roster;

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("roster_draft")), |data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed: Option<Roster> = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).ok()
    } else {
        toml::from_str(text).ok()
    };
    let Some(roster) = parsed else {
        return;
    };
    let json = serde_json::to_string(&roster).expect("a roster writes as JSON");
    let from_json: Roster = serde_json::from_str(&json).expect("its JSON reads back");
    assert_eq!(from_json, roster, "JSON round trip changed the roster");
    if let Ok(toml_text) = toml::to_string_pretty(&roster) {
        let from_toml: Roster = toml::from_str(&toml_text).expect("its TOML reads back");
        assert_eq!(from_toml, roster, "TOML round trip changed the roster");
    }
    let _ = vouch_manifest::Statement::from_predicate(roster);
});
