//! A catalogue file with one mistake of each kind yields exactly those diagnostics, each at the
//! line and column of the mistake (tree-sitter's query error offsets translated to the YAML line).

use cpt_operators::catalog::{load, CatalogSource};

#[test]
fn every_mistake_is_reported_at_its_line() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/catalog/mistakes.yaml"))
        .expect("the fixture");
    let loaded = load(&[CatalogSource { name: "mistakes.yaml".into(), text }]);
    let mut diagnostics = loaded.diagnostics;
    diagnostics.extend(loaded.catalog.check_examples());
    diagnostics.sort();
    let found: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    let expected = [
        "mistakes.yaml:13:23: positive python example is not matched by `Ok`",
        "mistakes.yaml:15:5: duplicate symbol `Ok`: already defined at mistakes.yaml:3:5",
        "mistakes.yaml:24:13: symbol `TOOLONG` must be 1 to 3 letters, a capital then lower case, like `Gc` or `Rty`",
        "mistakes.yaml:27:13: unknown family `Kontrol`; write one of Data, Control, Structural, Behavioral, Security",
        "mistakes.yaml:29:13: unknown period 7; write 1 (atomic), 2 (molecular), 3 (composite), 4 (architectural)",
        "mistakes.yaml:31:19: unknown language `cobol`; write one of rust, python, javascript, typescript (with tsx), \
         tsx, go, java, c, cpp",
        "mistakes.yaml:33:5: missing field `category`",
        "mistakes.yaml:33:5: missing field `name`",
        "mistakes.yaml:36:5: unknown field `categroy` in an element; write one of symbol, name, summary, family, \
         category, period, recognisers",
        "mistakes.yaml:51:20: unknown node kind \"blok\" in the rust grammar",
        "mistakes.yaml:53:58: query syntax error",
        "mistakes.yaml:56:11: the java query has no @match capture: mark the node that locates a match with @match, \
         or name its capture with `capture:`",
        "mistakes.yaml:67:13: the snippet does not parse as python: syntax error on this line",
        "mistakes.yaml:70:13: the python snippet holds no unit: write a function, method or class around it",
        "mistakes.yaml:81:20: threshold 150 is out of range: write a percent from 1 to 100",
        "mistakes.yaml:84:20: threshold 0.9 is out of range: write a percent from 1 to 100, e.g. 90",
        "mistakes.yaml:94:19: unknown `patterns: every`; write `any` (a match of any pattern counts) or `all` (a \
         node counts where every pattern matched it)",
        "mistakes.yaml:103:16: the go query has one pattern, so `patterns: all` changes nothing: write one pattern \
         per part that must match, or leave `patterns` out",
    ];
    assert_eq!(found, expected, "diagnostics:\n{}", found.join("\n"));
    let symbols: Vec<&str> = loaded.catalog.elements().iter().map(|e| e.symbol.as_str()).collect();
    assert_eq!(symbols, ["Ok"], "only the element free of mistakes is compiled");
}

#[test]
fn malformed_yaml_is_one_diagnostic_at_its_position() {
    let text = "elements:\n  - symbol: Gc\n    name: [unclosed\n".to_string();
    let loaded = load(&[CatalogSource { name: "broken.yaml".into(), text }]);
    let found: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("broken.yaml:4:1: malformed YAML:"), "{found:?}");
    assert!(loaded.catalog.elements().is_empty());
}
