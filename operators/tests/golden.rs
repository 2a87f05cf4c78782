//! Golden tests: every real source file under `tests/golden/<lang>/` is analysed and its units
//! compared line by line with `<file>.units`. Set `CPT_BLESS=1` to rewrite the expected files.

use cpt_operators::analyze::analyze;
use cpt_operators::model::{AnalysisConfig, Lang, ParsedContent};
use std::fs;
use std::path::{Path, PathBuf};

/// One line per unit: kind, qualified name, ordinal, lines, parent, tokens, cyclomatic, nesting.
fn render(parsed: &ParsedContent) -> String {
    let mut out = String::new();
    for error in &parsed.errors {
        out.push_str(&format!("! {} {}\n", error.reason.name(), error.detail));
    }
    for unit in &parsed.units {
        let parent = match &unit.parent {
            Some(p) if p.name.is_empty() => p.kind.name().to_string(),
            Some(p) => format!("{} {}#{}", p.kind.name(), p.name, p.ordinal),
            None => "-".to_string(),
        };
        out.push_str(&format!(
            "{} {:?}#{} L{}-{} parent={} tokens={} cc={} nest={}\n",
            unit.id.kind.name(),
            unit.id.name,
            unit.id.ordinal,
            unit.start_line,
            unit.end_line,
            parent,
            unit.metrics.tokens,
            unit.metrics.cyclomatic,
            unit.metrics.max_nesting,
        ));
    }
    out
}

fn sources() -> Vec<(PathBuf, Lang)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files = Vec::new();
    for lang in Lang::ALL {
        let dir = root.join(lang.name());
        let mut entries: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x != "units"))
            .collect();
        entries.sort();
        assert!(!entries.is_empty(), "no golden source for {}", lang.name());
        files.extend(entries.into_iter().map(|p| (p, lang)));
    }
    files
}

#[test]
fn golden_units() {
    let bless = std::env::var_os("CPT_BLESS").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    for (path, lang) in sources() {
        let bytes = fs::read(&path).unwrap();
        let actual = render(&analyze(&bytes, lang, &AnalysisConfig::default()));
        let expected_path = PathBuf::from(format!("{}.units", path.display()));
        if bless {
            fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        if actual != expected {
            failures.push(format!("{}:\n{actual}", path.display()));
        }
    }
    assert!(failures.is_empty(), "golden mismatch (CPT_BLESS=1 to rewrite):\n{}", failures.join("\n"));
}
