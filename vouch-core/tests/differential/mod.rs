//! What the differential tests share: a seeded generator, the committed list
//! of expected divergences (`divergences.toml` beside this file) and the
//! case-by-case comparison of verdicts.
//!
//! A differential test generates inputs from a seed, mutates many of them,
//! and asks vouch and another implementation for a verdict on each (accept
//! or refuse, per signature for a multi-signature envelope). Where the two
//! differ, the case must carry a *feature* (a property of the input, named
//! by the test's classifier) that `divergences.toml` lists for that tool with
//! the same directions (vouch refuses, the other accepts, or the reverse) and
//! a reason; everywhere else the verdicts must be equal. An unexplained
//! divergence fails the test and prints the case. With the default number of
//! cases, every divergence listed for the tool must also be seen at least
//! once, so the list cannot go stale and the generator keeps reaching it.
//!
//! Environment: `VOUCH_DIFF_SEED` (decimal or `0x` hex) replaces the fixed
//! default seed, `VOUCH_DIFF_CASES` the number of cases. Each test prints
//! both; the pair reproduces a run exactly.

#![allow(dead_code, unreachable_pub, clippy::panic)]

use std::collections::BTreeMap;

use serde::Deserialize;

pub mod keys;

/// The seed when `VOUCH_DIFF_SEED` is not set: fixed, so CI is repeatable.
pub const DEFAULT_SEED: u64 = 0x766f_7563_6864_6966;

/// SplitMix64: small, fast, and the same sequence everywhere for a seed.
pub struct Rng(u64);

impl Rng {
    /// A generator for one test, from the seed and the test's name (so the
    /// tests draw independent sequences from one seed).
    pub fn new(seed: u64, stream: &str) -> Self {
        let mut h = seed;
        for b in stream.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0; the bias is negligible for small n).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }

    /// One to `max` random bytes.
    pub fn some_bytes(&mut self, max: usize) -> Vec<u8> {
        let n = 1 + self.below(max);
        self.bytes(n)
    }

    pub fn array32(&mut self) -> [u8; 32] {
        let mut a = [0u8; 32];
        a.copy_from_slice(&self.bytes(32));
        a
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A length skewed to small values, up to `max`.
    pub fn len(&mut self, max: usize) -> usize {
        match self.below(4) {
            0 => self.below(4.min(max + 1)),
            1 | 2 => self.below(64.min(max + 1)),
            _ => self.below(max + 1),
        }
    }
}

/// The seed and number of cases of a run, printed so it can be repeated.
pub fn seed_and_cases(test: &str, default_cases: usize) -> (u64, usize, bool) {
    let seed = match std::env::var("VOUCH_DIFF_SEED") {
        Err(_) => DEFAULT_SEED,
        Ok(s) => {
            let s = s.trim();
            let parsed = match s.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16),
                None => s.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("VOUCH_DIFF_SEED={s:?} is not a u64"))
        }
    };
    let cases = match std::env::var("VOUCH_DIFF_CASES") {
        Err(_) => default_cases,
        Ok(s) => s
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("VOUCH_DIFF_CASES={s:?} is not a number")),
    };
    println!(
        "{test}: seed {seed:#x}, {cases} cases (reproduce: VOUCH_DIFF_SEED={seed:#x} VOUCH_DIFF_CASES={cases})"
    );
    (seed, cases, cases >= default_cases)
}

/// One entry of `divergences.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Divergence {
    /// The other implementation: `ssh-keygen`, `pycose`, `securesystemslib`.
    pub tool: String,
    /// The feature of the input this divergence is about.
    pub class: String,
    /// vouch's verdict: `accept` or `refuse`.
    pub vouch: String,
    /// The other implementation's verdict.
    pub other: String,
    /// Why vouch's verdict is the right one for vouch.
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    divergence: Vec<Divergence>,
}

/// The divergences listed for `tool`, checked for form.
pub fn divergences(tool: &str) -> Vec<Divergence> {
    let file: File = toml::from_str(include_str!("divergences.toml"))
        .unwrap_or_else(|e| panic!("tests/differential/divergences.toml: {e}"));
    let mut seen = std::collections::BTreeSet::new();
    for d in &file.divergence {
        assert!(
            matches!(
                d.tool.as_str(),
                "ssh-keygen" | "pycose" | "securesystemslib"
            ),
            "divergences.toml: unknown tool {:?}",
            d.tool
        );
        for v in [&d.vouch, &d.other] {
            assert!(
                v == "accept" || v == "refuse",
                "divergences.toml: {}: verdict {v:?} is not accept or refuse",
                d.class
            );
        }
        assert_ne!(
            d.vouch, d.other,
            "divergences.toml: {}: no divergence",
            d.class
        );
        assert!(
            d.reason.trim().len() > 20,
            "divergences.toml: {}: give the reason",
            d.class
        );
        assert!(
            seen.insert((d.tool.clone(), d.class.clone())),
            "divergences.toml: {} {} listed twice",
            d.tool,
            d.class
        );
    }
    file.divergence
        .into_iter()
        .filter(|d| d.tool == tool)
        .collect()
}

/// One case's verdicts: one entry per signature (a single-signature format
/// has one); an empty list is "refused before any signature was checked".
pub struct Outcome {
    pub vouch: Vec<bool>,
    pub other: Vec<bool>,
}

/// The running comparison of one differential test.
pub struct Report {
    test: &'static str,
    tool: String,
    seed: u64,
    all_seen_required: bool,
    listed: Vec<Divergence>,
    cases: usize,
    agreed: usize,
    explained: BTreeMap<String, usize>,
    unexplained: Vec<String>,
    /// Per mutation: cases, vouch accepts, other accepts.
    mutations: BTreeMap<String, (usize, usize, usize)>,
}

fn accepted(v: &[bool]) -> bool {
    !v.is_empty() && v.iter().all(|&b| b)
}

impl Report {
    pub fn new(test: &'static str, tool: &str, seed: u64, all_seen_required: bool) -> Self {
        Report {
            test,
            tool: tool.to_owned(),
            seed,
            all_seen_required,
            listed: divergences(tool),
            cases: 0,
            agreed: 0,
            explained: BTreeMap::new(),
            unexplained: Vec::new(),
            mutations: BTreeMap::new(),
        }
    }

    /// Compares one case. `features` are what the classifier found in the
    /// input; `describe` renders the case (only called when it must be
    /// printed).
    pub fn record(
        &mut self,
        id: usize,
        mutation: &str,
        features: &[String],
        outcome: Outcome,
        describe: impl FnOnce() -> String,
    ) {
        self.cases += 1;
        let m = self.mutations.entry(mutation.to_owned()).or_default();
        m.0 += 1;
        m.1 += usize::from(accepted(&outcome.vouch));
        m.2 += usize::from(accepted(&outcome.other));
        let Outcome {
            mut vouch,
            mut other,
        } = outcome;
        if vouch == other {
            self.agreed += 1;
            return;
        }
        // Refused before any signature = every signature refused.
        if vouch.is_empty() {
            vouch = vec![false; other.len()];
        }
        if other.is_empty() {
            other = vec![false; vouch.len()];
        }
        if vouch == other {
            self.agreed += 1;
            return;
        }
        let directions: Vec<(bool, bool)> = if vouch.len() == other.len() {
            vouch
                .iter()
                .zip(&other)
                .filter(|(v, o)| v != o)
                .map(|(v, o)| (*v, *o))
                .collect()
        } else {
            Vec::new()
        };
        let explanation = (!directions.is_empty())
            .then(|| {
                self.listed.iter().find(|d| {
                    features.contains(&d.class)
                        && directions
                            .iter()
                            .all(|&(v, o)| v == (d.vouch == "accept") && o == (d.other == "accept"))
                })
            })
            .flatten();
        match explanation {
            Some(d) => *self.explained.entry(d.class.clone()).or_default() += 1,
            None => self.unexplained.push(format!(
                "case {id} ({mutation}): vouch {} vs {} {}; features {features:?}\n{}",
                render(&vouch),
                self.tool,
                render(&other),
                describe()
            )),
        }
    }

    /// Prints the summary; fails on any unexplained divergence and, with
    /// the default number of cases, on a listed divergence never seen.
    pub fn finish(self) {
        println!(
            "{}: {} cases, {} agreed, {} explained divergences, {} unexplained (seed {:#x})",
            self.test,
            self.cases,
            self.agreed,
            self.explained.values().sum::<usize>(),
            self.unexplained.len(),
            self.seed
        );
        for (m, (n, v, o)) in &self.mutations {
            println!("  {m:<32} {n:>4} cases, vouch accepts {v:>4}, other accepts {o:>4}");
        }
        for d in &self.listed {
            println!(
                "  divergence {:<32} seen {:>4}x: vouch {}s, {} {}s: {}",
                d.class,
                self.explained.get(&d.class).copied().unwrap_or(0),
                d.vouch,
                d.tool,
                d.other,
                d.reason.split_whitespace().collect::<Vec<_>>().join(" ")
            );
        }
        if !self.unexplained.is_empty() {
            for u in self.unexplained.iter().take(25) {
                println!("UNEXPLAINED {u}\n");
            }
            panic!(
                "{}: {} unexplained divergences (seed {:#x}); see above. Fix vouch, or \
                 list the class in tests/differential/divergences.toml with its reason",
                self.test,
                self.unexplained.len(),
                self.seed
            );
        }
        if self.all_seen_required {
            let never: Vec<&str> = self
                .listed
                .iter()
                .filter(|d| !self.explained.contains_key(&d.class))
                .map(|d| d.class.as_str())
                .collect();
            assert!(
                never.is_empty(),
                "{}: listed divergences never seen: {never:?} (the generator no longer \
                 reaches them, or vouch and the other tool now agree: update \
                 divergences.toml)",
                self.test
            );
        }
    }
}

fn render(v: &[bool]) -> String {
    match v {
        [] => "refuses (before any signature)".to_owned(),
        [b] => if *b { "accepts" } else { "refuses" }.to_owned(),
        many => many
            .iter()
            .map(|b| if *b { "accept" } else { "refuse" })
            .collect::<Vec<_>>()
            .join(","),
    }
}
