//! Compiles elements into a [`Catalog`]: per language, every query joined into one tree-sitter
//! query (so that one pass over a file finds every element) with each pattern mapped back to its
//! element and locating capture; every exemplar snippet fingerprinted into the vector of its main
//! unit. A query that does not compile, and a snippet that does not parse or holds no unit, is a
//! diagnostic at its own line; its element is left out.

use crate::analyze::analyze_with;
use crate::catalog::diagnostic::Diagnostic;
use crate::catalog::element::{Element, Recogniser, SourceText};
use crate::languages::grammar;
use crate::model::{AnalysisConfig, Lang, ParsedContent, UnitFingerprint, UnitKind};
use std::collections::HashSet;
use tree_sitter::{Query, QueryError, QueryErrorKind, Tree};

/// Which element and capture a pattern of a language's joined query stands for.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PatternOwner {
    /// Index of the element in the catalogue.
    pub element: usize,
    /// Index of the locating capture in the joined query.
    pub capture: u32,
    /// Index of the capture whose text must be the owning unit's name, if any.
    pub unit_name: Option<u32>,
    /// For a pattern of a `patterns: all` query, its place among the query's patterns.
    pub all_of: Option<AllOf>,
}

/// A pattern's place in a query whose patterns must all match the same node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AllOf {
    /// Which query of the language (its index among the joined queries).
    pub query: u32,
    /// Which of that query's patterns this is.
    pub pattern: u32,
    /// How many patterns the query has.
    pub patterns: u32,
}

/// The queries of one language, joined.
#[derive(Debug)]
pub(crate) struct LanguageQuery {
    /// Every pattern of every element, in element order.
    pub query: Query,
    /// Owner of each pattern, by pattern index.
    pub owners: Vec<PatternOwner>,
}

/// The exemplar vectors of one element in one language.
#[derive(Clone, Debug)]
pub(crate) struct ExemplarVectors {
    /// Index of the element in the catalogue.
    pub element: usize,
    /// The main unit's vector of each snippet.
    pub vectors: Vec<Vec<i8>>,
    /// The least similarity that matches, in percent.
    pub threshold: u8,
}

/// A compiled catalogue: its elements, and per language their joined query and exemplar vectors.
#[derive(Debug)]
pub struct Catalog {
    pub(crate) elements: Vec<Element>,
    pub(crate) queries: Vec<Option<LanguageQuery>>,
    pub(crate) exemplars: Vec<Vec<ExemplarVectors>>,
    /// What the catalogue was compiled from (see [`Catalog::fingerprint`]).
    pub(crate) fingerprint: String,
}

/// One query recogniser's parts.
#[derive(Clone, Debug)]
struct ElementQuery {
    lang: Lang,
    text: String,
    capture: String,
    unit_name: Option<String>,
    all_patterns: bool,
}

/// An element's recognisers, compiled but not yet joined.
struct CompiledElement {
    /// Each query of the element, with its number of patterns.
    queries: Vec<(ElementQuery, usize)>,
    exemplars: Vec<(Lang, Vec<Vec<i8>>, u8)>,
}

impl Catalog {
    /// The elements, in catalogue order (a match names its element by index into this list).
    pub fn elements(&self) -> &[Element] {
        &self.elements
    }

    /// A fingerprint of the catalogue's source texts, in order, as 16 hex digits: two catalogues
    /// with the same fingerprint match the same units, under the same engine.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Compiles `elements`; those with a mistake are left out and each mistake is returned.
    pub(crate) fn compile(elements: Vec<Element>) -> (Catalog, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let mut kept = Vec::new();
        let mut compiled = Vec::new();
        for element in elements {
            let found = diagnostics.len();
            let parts = compile_element(&element, &mut diagnostics);
            if diagnostics.len() == found {
                kept.push(element);
                compiled.push(parts);
            }
        }
        let mut catalog = Catalog {
            elements: kept,
            queries: Lang::ALL.iter().map(|_| None).collect(),
            exemplars: vec![Vec::new(); Lang::ALL.len()],
            fingerprint: String::new(),
        };
        for lang in Lang::ALL {
            catalog.queries[lang as usize] = join_queries(lang, &compiled, &catalog.elements, &mut diagnostics);
        }
        for (element, parts) in compiled.into_iter().enumerate() {
            for (lang, vectors, threshold) in parts.exemplars {
                catalog.exemplars[lang as usize].push(ExemplarVectors { element, vectors, threshold });
            }
        }
        (catalog, diagnostics)
    }
}

fn compile_element(element: &Element, diagnostics: &mut Vec<Diagnostic>) -> CompiledElement {
    let mut parts = CompiledElement { queries: Vec::new(), exemplars: Vec::new() };
    for recogniser in &element.recognisers {
        match recogniser {
            Recogniser::Query { language, query, capture, unit_name, all_patterns } => {
                match check_query(*language, query, capture, unit_name.as_deref(), *all_patterns) {
                    Ok(patterns) => {
                        let (lang, text, all_patterns) = (*language, query.text.clone(), *all_patterns);
                        let (capture, unit_name) = (capture.clone(), unit_name.clone());
                        parts.queries.push((ElementQuery { lang, text, capture, unit_name, all_patterns }, patterns));
                    }
                    Err(error) => diagnostics.push(error),
                }
            }
            Recogniser::Exemplar { language, snippets, threshold } => {
                let vectors: Vec<Option<Vec<i8>>> = snippets
                    .iter()
                    .map(|snippet| main_unit_vector(*language, snippet).map_err(|e| diagnostics.push(e)).ok())
                    .collect();
                if let Some(vectors) = vectors.into_iter().collect() {
                    parts.exemplars.push((*language, vectors, *threshold));
                }
            }
        }
    }
    parts
}

/// The number of patterns of a query, or its mistake: it does not compile for `lang`, lacks a
/// capture it is said to have, or has one pattern where `patterns: all` asks for several.
fn check_query(
    lang: Lang,
    query: &SourceText,
    capture: &str,
    unit_name: Option<&str>,
    all_patterns: bool,
) -> Result<usize, Diagnostic> {
    let compiled = Query::new(&grammar(lang), &query.text).map_err(|error| query_error(lang, query, &error))?;
    let missing = |name: &str| !compiled.capture_names().contains(&name);
    let message = if missing(capture) {
        format!(
            "the {} query has no @{capture} capture: mark the node that locates a match with @{capture}, \
             or name its capture with `capture:`",
            lang.name()
        )
    } else if let Some(name) = unit_name.filter(|name| missing(name)) {
        format!("the {} query has no @{name} capture, which `unit-name` names", lang.name())
    } else if all_patterns && compiled.pattern_count() < 2 {
        format!(
            "the {} query has one pattern, so `patterns: all` changes nothing: write one pattern per \
             part that must match, or leave `patterns` out",
            lang.name()
        )
    } else {
        return Ok(compiled.pattern_count());
    };
    Err(Diagnostic::new(query.start.clone(), message))
}

/// tree-sitter's error, placed at its line in the catalogue file.
fn query_error(lang: Lang, query: &SourceText, error: &QueryError) -> Diagnostic {
    let grammar = lang.name();
    let message = match error.kind {
        QueryErrorKind::NodeType => format!("unknown node kind {} in the {grammar} grammar", error.message),
        QueryErrorKind::Field => format!("unknown field {} in the {grammar} grammar", error.message),
        QueryErrorKind::Capture => format!("unknown capture {} in the {grammar} query", error.message),
        QueryErrorKind::Structure => format!("this pattern cannot occur in the {grammar} grammar"),
        QueryErrorKind::Syntax => "query syntax error".to_string(),
        QueryErrorKind::Predicate => format!("bad predicate in the {grammar} query: {}", error.message),
        QueryErrorKind::Language => format!("the {grammar} grammar cannot take queries: {}", error.message),
    };
    Diagnostic::new(query.position_at(error.offset), message)
}

/// The language's queries of all kept elements joined into one; `None` when there are none.
fn join_queries(
    lang: Lang,
    compiled: &[CompiledElement],
    elements: &[Element],
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<LanguageQuery> {
    let parts: Vec<(usize, &ElementQuery, usize)> = compiled
        .iter()
        .enumerate()
        .flat_map(|(element, parts)| {
            let of_lang = parts.queries.iter().filter(move |(query, _)| query.lang == lang);
            of_lang.map(move |(query, patterns)| (element, query, *patterns))
        })
        .collect();
    let (first_element, ..) = *parts.first()?;
    let source: String = parts.iter().map(|(_, query, _)| format!("{}\n", query.text)).collect();
    let joined = Query::new(&grammar(lang), &source).map_err(|error| error.message).and_then(|query| {
        let index = |name: &str| query.capture_index_for_name(name).ok_or(format!("capture @{name} is lost"));
        let mut owners = Vec::with_capacity(query.pattern_count());
        for (position, &(element, part, patterns)) in parts.iter().enumerate() {
            let capture = index(&part.capture)?;
            let unit_name = part.unit_name.as_deref().map(index).transpose()?;
            owners.extend((0..patterns).map(|pattern| {
                let place = AllOf { query: position as u32, pattern: pattern as u32, patterns: patterns as u32 };
                let all_of = part.all_patterns.then_some(place);
                PatternOwner { element, capture, unit_name, all_of }
            }));
        }
        Ok(LanguageQuery { query, owners })
    });
    joined
        .map_err(|reason| {
            let message = format!("the {} queries do not compile together: {reason}", lang.name());
            diagnostics.push(Diagnostic::new(elements[first_element].at.clone(), message));
        })
        .ok()
}

/// The vector of a snippet's main unit: the largest unit (by syntax nodes) that holds no other
/// unit, the file's top level aside; an error when the snippet does not parse or holds no unit.
pub(crate) fn main_unit_vector(lang: Lang, snippet: &SourceText) -> Result<Vec<i8>, Diagnostic> {
    let (parsed, ()) = analyze_snippet(lang, snippet, |_, _| ())?;
    let parents: HashSet<_> = parsed.units.iter().filter_map(|unit| unit.parent.as_ref()).collect();
    parsed
        .units
        .iter()
        .filter(|unit| unit.id.kind != UnitKind::File && !parents.contains(&unit.id))
        .max_by_key(|unit: &&UnitFingerprint| (unit.metrics.nodes, std::cmp::Reverse(unit.start_byte)))
        .map(|unit| unit.vector.clone())
        .ok_or_else(|| {
            let message =
                format!("the {} snippet holds no unit: write a function, method or class around it", lang.name());
            Diagnostic::new(snippet.start.clone(), message)
        })
}

/// A snippet analysed in `lang`, with what `then` computes from its syntax tree; a diagnostic
/// when the snippet is rejected or does not parse cleanly (at the line of its first syntax error).
pub(crate) fn analyze_snippet<R>(
    lang: Lang,
    snippet: &SourceText,
    then: impl FnOnce(&Tree, &ParsedContent) -> R,
) -> Result<(ParsedContent, R), Diagnostic> {
    let (parsed, outcome) = analyze_with(snippet.text.as_bytes(), lang, &AnalysisConfig::default(), |tree, parsed| {
        (tree.root_node().has_error().then(|| first_error_row(tree)), then(tree, parsed))
    });
    let language = lang.name();
    match outcome {
        None => {
            let reason =
                parsed.errors.first().map_or_else(String::new, |e| format!("{}, {}", e.reason.name(), e.detail));
            Err(Diagnostic::new(snippet.start.clone(), format!("the {language} snippet is rejected: {reason}")))
        }
        Some((Some(row), _)) => {
            let message = format!("the snippet does not parse as {language}: syntax error on this line");
            Err(Diagnostic::new(snippet.position_of_row(row), message))
        }
        Some((None, result)) => Ok((parsed, result)),
    }
}

/// The 0-based row of the first ERROR or MISSING node of a tree.
fn first_error_row(tree: &Tree) -> usize {
    let mut node = tree.root_node();
    loop {
        if node.is_error() || node.is_missing() {
            return node.start_position().row;
        }
        let mut cursor = node.walk();
        let Some(child) = node.children(&mut cursor).find(|child| child.has_error()) else {
            return node.start_position().row;
        };
        node = child;
    }
}
