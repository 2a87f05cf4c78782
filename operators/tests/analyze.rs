//! Behaviour of `analyze`: unit identity, fingerprints, rejections, partial parses, deep nesting,
//! determinism, and the language tables against their grammars.

use cpt_operators::analyze::analyze;
use cpt_operators::languages::{self, grammar, grammar_versions, table, When};
use cpt_operators::model::{
    AnalysisConfig, ErrorReason, Lang, LocalUnitId, ParsedContent, UnitFingerprint, UnitKind, VECTOR_DIMS,
};
use std::time::Instant;

fn run(src: &str, lang: Lang) -> ParsedContent {
    analyze(src.as_bytes(), lang, &AnalysisConfig::default())
}

fn unit<'a>(parsed: &'a ParsedContent, name: &str) -> &'a UnitFingerprint {
    parsed.units.iter().find(|u| u.id.name == name).unwrap_or_else(|| panic!("no unit {name} in {:#?}", parsed.units))
}

fn ids(parsed: &ParsedContent) -> Vec<(UnitKind, String, u32)> {
    parsed.units.iter().map(|u| (u.id.kind, u.id.name.clone(), u.id.ordinal)).collect()
}

const PY: &str = "def helper(a, b):\n    return a + b\n\nclass Shape:\n    def area(self):\n        if self.w > 0 and self.h > 0:\n            return self.w * self.h\n        return 0\n";

#[test]
fn byte_ranges_cover_each_unit_source() {
    let parsed = run(PY, Lang::Python);
    let source = |name: &str| {
        let unit = unit(&parsed, name);
        &PY[unit.start_byte as usize..unit.end_byte as usize]
    };
    assert_eq!(source(""), PY);
    assert_eq!(source("helper"), "def helper(a, b):\n    return a + b");
    assert!(source("Shape").starts_with("class Shape:") && source("Shape").ends_with("return 0"));
    assert!(source("Shape.area").starts_with("def area(self):"));
}

#[test]
fn file_unit_first_then_source_order_with_parents() {
    let parsed = run(PY, Lang::Python);
    assert_eq!(
        ids(&parsed),
        vec![
            (UnitKind::File, String::new(), 0),
            (UnitKind::Function, "helper".into(), 0),
            (UnitKind::Class, "Shape".into(), 0),
            (UnitKind::Method, "Shape.area".into(), 0),
        ]
    );
    let file = &parsed.units[0];
    assert_eq!((file.parent.clone(), file.start_line, file.end_line), (None, 1, 8));
    assert_eq!(unit(&parsed, "helper").parent.as_ref().unwrap().kind, UnitKind::File);
    assert_eq!(unit(&parsed, "Shape.area").parent.as_ref().unwrap().name, "Shape");
    let area = unit(&parsed, "Shape.area");
    assert_eq!((area.metrics.cyclomatic, area.metrics.max_nesting), (3, 1));
    assert_eq!(area.vector.len(), VECTOR_DIMS);
    let stats = parsed.file.unwrap();
    assert_eq!((stats.units, stats.lines, stats.error_nodes), (4, 8, 0));
    assert!(parsed.errors.is_empty());
}

#[test]
fn unit_ids_are_stable_under_edits_elsewhere() {
    let before = run(PY, Lang::Python);
    let edited = format!("import os\n\ndef other():\n    pass\n\n{}", PY.replace("a + b", "a - b"));
    let after = run(&edited, Lang::Python);
    for name in ["Shape", "Shape.area"] {
        let (b, a) = (unit(&before, name), unit(&after, name));
        assert_eq!((&b.id, &b.parent), (&a.id, &a.parent));
        assert_eq!((b.exact_hash, b.vector.clone()), (a.exact_hash, a.vector.clone()));
    }
    assert_eq!(unit(&before, "helper").id, unit(&after, "helper").id);
    assert_ne!(unit(&before, "helper").exact_hash, unit(&after, "helper").exact_hash);
}

#[test]
fn ordinals_count_equal_names() {
    let parsed = run("if x:\n    def f(): pass\nelse:\n    def f(): return 1\n", Lang::Python);
    let fs: Vec<u32> = parsed.units.iter().filter(|u| u.id.name == "f").map(|u| u.id.ordinal).collect();
    assert_eq!(fs, vec![0, 1]);
}

#[test]
fn struct_hash_ignores_names_and_literals_exact_hash_ignores_layout() {
    let a = run("function f(x) { return x + 1 + \"a\"; }", Lang::JavaScript);
    let renamed = run("function g(y) { return y + 2 + 'b'; }", Lang::JavaScript);
    let relaid = run("function f(x) {\n  // note\n  return x + 1 + \"a\"; /* c */\n}\n", Lang::JavaScript);
    let changed = run("function f(x) { return x - 1 + \"a\"; }", Lang::JavaScript);
    let (ua, ur, ul, uc) = (&a.units[1], &renamed.units[1], &relaid.units[1], &changed.units[1]);
    assert_eq!(ua.struct_hash, ur.struct_hash);
    assert_ne!(ua.exact_hash, ur.exact_hash);
    assert_eq!(ua.exact_hash, ul.exact_hash);
    assert_eq!(ua.struct_hash, ul.struct_hash);
    assert_ne!(ua.struct_hash, uc.struct_hash);
    assert_eq!(ua.vector, ur.vector);
}

#[test]
fn closures_bound_to_names() {
    let cases = [
        (Lang::Rust, "fn main() { let add = |a, b| a + b; }", "main.add"),
        (Lang::Python, "square = lambda x: x * x\n", "square"),
        (Lang::JavaScript, "const f = (a) => a * 2;", "f"),
        (Lang::TypeScript, "let f = function (a: number) { return a; };", "f"),
        (Lang::Tsx, "export const C = () => <div>hi</div>;", "C"),
        (Lang::Go, "package p\nfunc m() { f := func(x int) int { return x } ; _ = f }\n", "m.f"),
        (Lang::Java, "class A { void m() { Runnable r = () -> {}; } }", "A.m.r"),
        (Lang::Cpp, "void m() { auto f = [](int x) { return x; }; }", "m.f"),
    ];
    for (lang, src, name) in cases {
        let parsed = run(src, lang);
        assert_eq!(unit(&parsed, name).id.kind, UnitKind::Closure, "{lang:?}");
    }
}

#[test]
fn names_per_language() {
    let rust = run(
        "mod m { struct S; impl std::fmt::Display for S { fn fmt(&self) {} } impl S { fn new() {} } trait T { fn d() {} } }",
        Lang::Rust,
    );
    for (name, kind) in [
        ("m", UnitKind::Module),
        ("m.S", UnitKind::Struct),
        ("m.std.fmt.Display for S", UnitKind::Impl),
        ("m.std.fmt.Display for S.fmt", UnitKind::Method),
        ("m.S.new", UnitKind::Method),
        ("m.T.d", UnitKind::Method),
    ] {
        assert_eq!(unit(&rust, name).id.kind, kind);
    }
    let go = run("package p\ntype T struct{}\nfunc (t *T) Get() int { return 1 }\n", Lang::Go);
    assert_eq!(unit(&go, "T.Get").id.kind, UnitKind::Method);
    assert_eq!(unit(&go, "T").id.kind, UnitKind::Struct);
    let cpp = run("namespace n { class C { int f() { return 1; } }; int C::g() { return 2; } }", Lang::Cpp);
    assert_eq!(unit(&cpp, "n.C.f").id.kind, UnitKind::Method);
    assert_eq!(unit(&cpp, "n.C.g").id.kind, UnitKind::Function);
    let c = run("static int *get(void) { return 0; }\nstruct P { int x; };\n", Lang::C);
    assert_eq!(unit(&c, "get").id.kind, UnitKind::Function);
    assert_eq!(unit(&c, "P").id.kind, UnitKind::Struct);
    let ts = run("interface I { a: number }\nclass K { m() { return 1 } }\n", Lang::TypeScript);
    assert_eq!(unit(&ts, "I").id.kind, UnitKind::Interface);
    assert_eq!(unit(&ts, "K.m").id.kind, UnitKind::Method);
}

#[test]
fn cyclomatic_and_nesting() {
    let src = "int f(int a, int b) {\n  if (a && b) { while (a) { a--; } } else if (b) { b = a ? 1 : 2; }\n  switch (a) { case 1: break; case 2: break; default: break; }\n  return a;\n}\n";
    let parsed = run(src, Lang::C);
    let f = unit(&parsed, "f");
    // if, &&, while, else-if, ?:, case 1, case 2
    assert_eq!(f.metrics.cyclomatic, 8);
    assert_eq!(f.metrics.max_nesting, 2);
    let rust = run("fn f(x: u8) { match x { 1 => {}, 2 => {}, _ => {} } }", Lang::Rust);
    assert_eq!(unit(&rust, "f").metrics.cyclomatic, 3);
}

fn rejected(bytes: &[u8], cfg: &AnalysisConfig) -> ErrorReason {
    let parsed = analyze(bytes, Lang::JavaScript, cfg);
    assert!(parsed.file.is_none() && parsed.units.is_empty());
    assert_eq!(parsed.errors.len(), 1);
    parsed.errors[0].reason
}

#[test]
fn rejections() {
    let cfg = AnalysisConfig::default();
    assert_eq!(rejected(b"var a\0 = 1;", &cfg), ErrorReason::Binary);
    assert_eq!(rejected(b"var a = '\xff';", &cfg), ErrorReason::InvalidUtf8);
    assert_eq!(rejected(b"// @generated by hand\nvar a;", &cfg), ErrorReason::Generated);
    let go = b"// Code generated by protoc. DO NOT EDIT.\npackage p\n";
    assert_eq!(rejected(go, &cfg), ErrorReason::Generated);
    let minified = format!("var a=[{}];\n", "1,".repeat(400));
    assert_eq!(rejected(minified.as_bytes(), &cfg), ErrorReason::Minified);
    let budget = AnalysisConfig { max_nodes: 10, ..cfg.clone() };
    assert_eq!(rejected(b"var a = [1, 2, 3, 4, 5, 6, 7];", &budget), ErrorReason::TooComplex);
    let lenient = AnalysisConfig { skip_generated: false, max_mean_line_length: 0, ..cfg };
    assert!(analyze(b"// @generated\nvar a;", Lang::JavaScript, &lenient).file.is_some());
    assert!(analyze(minified.as_bytes(), Lang::JavaScript, &lenient).file.is_some());
}

#[test]
fn syntax_errors_keep_units() {
    let src = "def good():\n    return 1\n\ndef bad(:\n    pass\n\nclass Later:\n    def m(self):\n        return 2\n";
    let parsed = run(src, Lang::Python);
    assert!(parsed.file.unwrap().error_nodes > 0);
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].reason, ErrorReason::SyntaxError);
    assert!(parsed.errors[0].detail.contains("first at line 4"), "{}", parsed.errors[0].detail);
    unit(&parsed, "good");
    unit(&parsed, "Later.m");
}

fn deep(lang: Lang, open: &str, middle: &str, close: &str, prefix: &str, suffix: &str) {
    let depth = 100_000;
    let (open, close) = (format!("{open}\n"), format!("{close}\n"));
    let src = format!("{prefix}{}{middle}{}{suffix}", open.repeat(depth), close.repeat(depth));
    let start = Instant::now();
    let parsed = run(&src, lang);
    assert!(parsed.file.is_some(), "{lang:?}: {:?}", parsed.errors);
    assert!(start.elapsed().as_secs() < 20, "{lang:?} took {:?}", start.elapsed());
    eprintln!("{lang:?} {open:?}: {:?}, {} units", start.elapsed(), parsed.units.len());
}

#[test]
fn deep_nesting_does_not_overflow() {
    deep(Lang::Python, "[", "1", "]", "x = ", "\n");
    deep(Lang::JavaScript, "(", "1", ")", "var x = ", ";\n");
    deep(Lang::C, "if (x) {", "y();", "}", "void f(void) {", "}\n");
    deep(Lang::JavaScript, "const f = () => {", "g();", "};", "", "\n");
}

#[test]
fn deterministic_across_threads() {
    let srcs: Vec<(Lang, String)> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/rust"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .map(|p| (Lang::Rust, std::fs::read_to_string(p).unwrap()))
        .chain([(Lang::Python, PY.to_string())])
        .collect();
    let here: Vec<ParsedContent> = srcs.iter().map(|(l, s)| run(s, *l)).collect();
    let there = std::thread::scope(|scope| {
        scope.spawn(|| srcs.iter().map(|(l, s)| run(s, *l)).collect::<Vec<_>>()).join().unwrap()
    });
    assert_eq!(here, there);
}

#[test]
fn tables_name_real_node_kinds() {
    for lang in Lang::ALL {
        let language = grammar(lang);
        let t = table(lang);
        let named = |name: &str| language.id_for_node_kind(name, true) != 0;
        let mut names: Vec<&str> = Vec::new();
        for rules in t.units {
            for rule in *rules {
                names.push(rule.node);
                if let When::FieldKind(_, kinds) = rule.when {
                    names.extend(kinds.iter().copied().filter(|k| *k != "generator_function"));
                }
            }
        }
        names.extend(t.decisions.iter().flat_map(|k| k.iter().copied()));
        names.extend(t.nesting.iter().flat_map(|k| k.iter().copied()));
        names.extend(t.guarded_decisions.iter().map(|g| g.node));
        names.extend(t.logical_parents.iter().copied());
        names.extend(t.else_wrappers.iter().copied());
        for name in names {
            assert!(named(name), "{lang:?}: no node kind {name}");
        }
        for op in t.logical_operators {
            assert!(language.id_for_node_kind(op, false) != 0, "{lang:?}: no token {op}");
        }
        assert!(languages::COMMENTS.iter().any(|c| named(c)), "{lang:?}: no comment kind");
    }
}

#[test]
fn grammar_versions_match_the_workspace() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml")).unwrap();
    for (name, version) in grammar_versions() {
        let line = format!("{name} = \"{version}\"");
        assert!(manifest.contains(&line), "Cargo.toml lacks `{line}`");
    }
}

#[test]
fn file_unit_has_empty_name_and_covers_everything() {
    let parsed = run("", Lang::Rust);
    let file = &parsed.units[0];
    assert_eq!(file.id, LocalUnitId { kind: UnitKind::File, name: String::new(), ordinal: 0 });
    assert_eq!((file.start_line, file.end_line, file.metrics.tokens), (1, 1, 0));
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            for lang in Lang::ALL {
                let cfg = AnalysisConfig::default();
                let first = analyze(&bytes, lang, &cfg);
                prop_assert_eq!(first, analyze(&bytes, lang, &cfg));
            }
        }

        #[test]
        fn on_arbitrary_code_like_text(text in "[a-z(){}\\[\\];:=+<>&|\"' \n\t.,0-9#/*-]{0,400}") {
            for lang in Lang::ALL {
                let cfg = AnalysisConfig::default();
                let first = analyze(text.as_bytes(), lang, &cfg);
                prop_assert_eq!(&first, &analyze(text.as_bytes(), lang, &cfg));
                if let Some(file) = first.file {
                    prop_assert_eq!(file.units as usize, first.units.len());
                    prop_assert_eq!(first.units[0].id.kind, UnitKind::File);
                }
            }
        }
    }
}
