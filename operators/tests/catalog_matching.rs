//! Per-unit matching: a query match counts for the innermost unit holding its node, a `unit-name`
//! capture must be the unit's own name, a `patterns: all` query counts only where all its patterns
//! located the same node, and exemplars match by the integer cosine of vectors.

use cpt_operators::analyze::{analyze, analyze_with};
use cpt_operators::catalog::{load, Catalog, CatalogSource, RecogniserKind};
use cpt_operators::model::{AnalysisConfig, Lang};
use cpt_operators::similarity::similarity_percent;

const CATALOGUE: &str = r#"
elements:
  - symbol: Rn
    name: Return
    summary: Any return statement.
    family: Control
    category: Conditional
    period: 1
    recognisers:
      - language: python
        query: (return_statement) @match
  - symbol: Sc
    name: Self call
    summary: A call of the function it stands in.
    family: Control
    category: Iteration
    period: 2
    recognisers:
      - language: python
        query: '(call function: (identifier) @callee) @match'
        unit-name: callee
  - symbol: Cm
    name: Command
    summary: A class with an execute method and an undo method, in any order.
    family: Behavioral
    category: Coordination
    period: 3
    recognisers:
      - language: python
        query: |
          ((class_definition body: (block (function_definition name: (identifier) @execute))) @match (#eq? @execute "execute"))
          ((class_definition body: (block (function_definition name: (identifier) @undo))) @match (#eq? @undo "undo"))
        patterns: all
  - symbol: Sum
    name: Summing loop
    summary: A loop adding items into an accumulator.
    family: Data
    category: Transformation
    period: 1
    recognisers:
      - language: python
        exemplars:
          - |
            def total(items):
                acc = 0
                for item in items:
                    acc += item
                return acc
        threshold: 90
"#;

/// The exemplar snippet of `Sum`, as the YAML above holds it.
const EXEMPLAR: &str = "def total(items):\n    acc = 0\n    for item in items:\n        acc += item\n    return acc\n";

const SOURCE: &str = "\
def outer(n):
    def inner():
        return outer(n - 1)
    return inner

def fact(n):
    return n * fact(n - 1) if n else 1

class Tally:
    def total(self, xs):
        s = 0
        for x in xs:
            s += x
        return s

class Reverted:
    def undo(self):
        pass
    def describe(self):
        pass
    def execute(self):
        pass

class Outer:
    def execute(self):
        pass
    class Inner:
        def undo(self):
            pass
";

fn catalogue() -> Catalog {
    let loaded = load(&[CatalogSource { name: "test.yaml".into(), text: CATALOGUE.into() }]);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    loaded.catalog
}

/// (unit name, element symbol, recogniser kind, score) for every match in SOURCE.
fn matches(catalog: &Catalog) -> Vec<(String, String, RecogniserKind, u8)> {
    let (parsed, found) = analyze_with(SOURCE.as_bytes(), Lang::Python, &AnalysisConfig::default(), |tree, parsed| {
        catalog.match_units(Lang::Python, tree, SOURCE.as_bytes(), &parsed.units)
    });
    let mut out = Vec::new();
    for (unit, unit_matches) in parsed.units.iter().zip(found.expect("parsed")) {
        for m in unit_matches {
            let symbol = catalog.elements()[m.element].symbol.clone();
            out.push((unit.id.name.clone(), symbol, m.kind, m.score));
        }
    }
    out
}

fn units_matching(found: &[(String, String, RecogniserKind, u8)], symbol: &str) -> Vec<String> {
    found.iter().filter(|m| m.1 == symbol).map(|m| m.0.clone()).collect()
}

#[test]
fn a_query_match_counts_for_the_innermost_unit() {
    let found = matches(&catalogue());
    assert_eq!(units_matching(&found, "Rn"), ["outer", "outer.inner", "fact", "Tally.total"], "{found:?}");
}

#[test]
fn a_unit_name_capture_must_be_the_units_own_name() {
    let found = matches(&catalogue());
    // `outer(n - 1)` sits in `inner`, whose name it is not; `fact(n - 1)` sits in `fact`.
    assert_eq!(units_matching(&found, "Sc"), ["fact"], "{found:?}");
}

#[test]
fn an_all_patterns_query_counts_where_every_pattern_located_the_same_node() {
    let found = matches(&catalogue());
    // `Outer` has `execute` and `Inner` has `undo`: two classes, neither with both.
    assert_eq!(units_matching(&found, "Cm"), ["Reverted"], "{found:?}");
}

#[test]
fn exemplars_match_by_integer_cosine_above_the_threshold() {
    let found = matches(&catalogue());
    let summing: Vec<(&str, RecogniserKind, u8)> =
        found.iter().filter(|m| m.1 == "Sum").map(|m| (m.0.as_str(), m.2, m.3)).collect();
    let config = AnalysisConfig::default();
    let exemplar = analyze(EXEMPLAR.as_bytes(), Lang::Python, &config);
    let exemplar = &exemplar.units.iter().find(|u| u.id.name == "total").expect("the exemplar's function").vector;
    let parsed = analyze(SOURCE.as_bytes(), Lang::Python, &config);
    let score = |name: &str| {
        let unit = parsed.units.iter().find(|u| u.id.name == name).expect("a unit");
        similarity_percent(&unit.vector, exemplar)
    };
    // The method, and its class that holds nothing else; `fact` and `outer` fall below 90.
    let expected = [("Tally", score("Tally")), ("Tally.total", score("Tally.total"))]
        .map(|(unit, score)| (unit, RecogniserKind::Exemplar, score));
    assert_eq!(summing, expected, "{found:?}");
    assert!(score("Tally.total") > score("Tally") && score("Tally") >= 90 && score("fact") < 90);
}
