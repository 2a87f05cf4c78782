//! The periodic table's history oracle: after a replay of this repository, the `elements`
//! changelog must equal a batch recomputation over the `element_stats` changelog by the stage rules
//! as README and `cpt_operators::catalog::stage` state them (adoption in whole parts per million,
//! stage and trend re-evaluated at every commit); and user catalogues are matched, or refused
//! with the line of their mistake.

mod common;

use common::history::{clone_this_repository, first_parent_commits, replay};
use common::{cpt, final_state, read_table, scan};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;

/// One `element_stats` row: (symbol, files, total files).
type Figures = (String, u64, u64);

/// The changelog of `element_stats` as (time, figures) → summed diff.
fn figures_changelog(out: &std::path::Path) -> BTreeMap<(u64, Figures), i64> {
    let mut changes = BTreeMap::new();
    for (row, diff) in read_table(out, "element_stats") {
        let cells: Vec<&str> = row.split('|').collect();
        let figures = (cells[1].to_string(), cells[3].parse().unwrap(), cells[4].parse().unwrap());
        *changes.entry((cells[0].parse().unwrap(), figures)).or_insert(0) += diff;
    }
    changes
}

/// What the rules say at one time: (first seen, peak ppm, stage, trend).
type Standing = (Option<u64>, u64, &'static str, &'static str);

/// The standing of an element at time `t` from its adoption at every time `0..=t`, straight from
/// the documented rules.
fn standing(adoption: &[u64], t: usize) -> Standing {
    let now = adoption[t];
    let seen = t as u64 + 1;
    let first = adoption[..=t].iter().position(|&a| a > 0).map(|f| f as u64);
    let peak = adoption[..=t].iter().copied().max().unwrap_or(0);
    let stage = match first {
        None => "unseen",
        Some(_) if 4 * now <= peak => "deprecated",
        Some(_) if 10 * now < 6 * peak => "legacy",
        Some(f) if 4 * (t as u64 - f + 1) <= seen => "emerging",
        Some(f) if now >= 50_000 && 2 * (t as u64 - f + 1) >= seen => "mature",
        Some(_) => "established",
    };
    let window = seen.div_ceil(10).max(1);
    let trend = if (t as u64) < window {
        "unknown"
    } else {
        let earlier = t - window as usize;
        match first {
            None => "steady",
            Some(f) if f > earlier as u64 => "new",
            Some(_) if 10 * now > 11 * adoption[earlier] => "rising",
            Some(_) if 10 * now < 9 * adoption[earlier] => "falling",
            Some(_) => "steady",
        }
    };
    (first, peak, stage, trend)
}

/// The expected `elements` changes (time, symbol, standing) → diff for `symbols` over `times` times.
fn expected_changes(
    figures: &BTreeMap<(u64, Figures), i64>,
    symbols: &BTreeSet<String>,
    times: usize,
) -> BTreeMap<(u64, String, Standing), i64> {
    let mut expected = BTreeMap::new();
    for symbol in symbols {
        let mut state: BTreeMap<(u64, u64), i64> = BTreeMap::new();
        let mut adoption = Vec::with_capacity(times);
        let mut last: Option<Standing> = None;
        for t in 0..times {
            for ((_, (_, files, total)), diff) in figures
                .range((t as u64, Figures::default())..)
                .take_while(|((at, _), _)| *at == t as u64)
                .filter(|((_, f), _)| &f.0 == symbol)
            {
                *state.entry((*files, *total)).or_insert(0) += diff;
            }
            state.retain(|_, diff| *diff != 0);
            let now =
                state.iter().find(|(_, diff)| **diff > 0).map_or(0, |((files, total), _)| files * 1_000_000 / total);
            adoption.push(now);
            let standing = standing(&adoption, t);
            if last != Some(standing) {
                if let Some(old) = last {
                    *expected.entry((t as u64, symbol.clone(), old)).or_insert(0) -= 1;
                }
                *expected.entry((t as u64, symbol.clone(), standing)).or_insert(0) += 1;
                last = Some(standing);
            }
        }
    }
    expected.retain(|_, diff| *diff != 0);
    expected
}

/// The `elements` changelog as (time, symbol, standing) → diff.
fn actual_changes(out: &std::path::Path) -> BTreeMap<(u64, String, Standing), i64> {
    let stage_names = ["unseen", "emerging", "established", "mature", "legacy", "deprecated"];
    let trend_names = ["unknown", "new", "rising", "steady", "falling"];
    let known = |names: &[&'static str], text: &str| *names.iter().find(|n| **n == text).expect("a known name");
    let mut changes = BTreeMap::new();
    for (row, diff) in read_table(out, "elements") {
        let cells: Vec<&str> = row.split('|').collect();
        let (time, symbol) = (cells[0].parse().unwrap(), cells[1].to_string());
        let tail: Vec<&str> = cells[cells.len() - 4..].to_vec();
        let first = (tail[0] != "NULL").then(|| tail[0].parse().unwrap());
        let peak = (tail[1].parse::<f64>().unwrap() * 1e6).round() as u64;
        let standing = (first, peak, known(&stage_names, tail[2]), known(&trend_names, tail[3]));
        *changes.entry((time, symbol, standing)).or_insert(0) += diff;
    }
    changes
}

#[test]
fn element_stages_over_this_repositorys_history_equal_a_batch_recomputation() {
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("self");
    clone_this_repository(&repo);
    let out = work.path().join("out");
    replay(&repo, &out, &["-w", "2"]);
    let commits = first_parent_commits(&repo).len();
    let symbols: BTreeSet<String> =
        final_state(&out, "elements").keys().map(|row| row.split('|').next().unwrap().to_string()).collect();
    let listed = cpt(&["catalog", "list"]);
    let catalogue = String::from_utf8_lossy(&listed.stdout);
    assert!(catalogue.contains(&format!("{} elements", symbols.len())), "{catalogue}");
    let figures = figures_changelog(&out);
    let (actual, expected) = (actual_changes(&out), expected_changes(&figures, &symbols, commits));
    assert!(
        actual == expected,
        "elements differ from the batch recomputation:\nstreamed only: {:?}\nrecomputed only: {:?}",
        actual.iter().filter(|(k, v)| expected.get(*k) != Some(v)).take(4).collect::<Vec<_>>(),
        expected.iter().filter(|(k, v)| actual.get(*k) != Some(v)).take(4).collect::<Vec<_>>(),
    );
    let stages: BTreeSet<&str> = actual.keys().map(|(_, _, standing)| standing.2).collect();
    assert!(stages.contains("emerging") && stages.len() >= 3, "a history this long shows several stages: {stages:?}");
}

const USER_CATALOGUE: &str = r#"elements:
  - symbol: Zz
    name: Early return of nothing
    summary: A function that returns without a value.
    family: Control
    category: Conditional
    period: 1
    recognisers:
      - language: python
        query: "(return_statement) @match"
        examples:
          positive: ["def f(x):\n    if x:\n        return\n    print(x)\n"]
          negative: ["def f(x):\n    print(x)\n"]
"#;

#[test]
fn a_user_catalogue_is_matched_beside_or_instead_of_the_built_in_one() {
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("tree");
    fs::create_dir_all(&tree).unwrap();
    fs::write(tree.join("a.py"), "def f(x):\n    if x:\n        return\n    print(x)\n\ndef g(y):\n    print(y)\n")
        .unwrap();
    let catalogue = work.path().join("mine.yaml");
    fs::write(&catalogue, USER_CATALOGUE).unwrap();

    let only = work.path().join("only");
    scan(&tree, &only, &["--catalog", catalogue.to_str().unwrap(), "--no-builtin-catalog", "--no-cache"]);
    let matched: Vec<String> = final_state(&only, "matches").into_keys().collect();
    assert_eq!(matched.len(), 1, "{matched:?}");
    assert!(
        matched[0].starts_with("Zz|") && matched[0].contains("|a.py|") && matched[0].contains("|f|"),
        "{matched:?}"
    );
    let elements: Vec<String> = final_state(&only, "elements").into_keys().collect();
    assert_eq!(elements.len(), 1, "{elements:?}");

    let beside = work.path().join("beside");
    scan(&tree, &beside, &["--catalog", catalogue.to_str().unwrap(), "--no-cache"]);
    let symbols: BTreeSet<String> =
        final_state(&beside, "elements").keys().map(|row| row.split('|').next().unwrap().to_string()).collect();
    assert!(symbols.contains("Zz") && symbols.len() > 60, "{symbols:?}");

    let broken = work.path().join("broken.yaml");
    fs::write(&broken, USER_CATALOGUE.replace("period: 1", "period: 7")).unwrap();
    let refused = cpt(&[
        "scan",
        tree.to_str().unwrap(),
        "--out",
        work.path().join("x").to_str().unwrap(),
        "--catalog",
        broken.to_str().unwrap(),
    ]);
    let message = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{message}");
    assert!(message.contains(&format!("{}:7:", broken.display())), "the mistake's line is named: {message}");
    assert!(!work.path().join("x").exists(), "a refused run wrote nothing");
}
