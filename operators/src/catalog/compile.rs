//! Compiles elements into a [`Catalog`]: per language, every query joined into one tree-sitter
//! query (so that one pass over a file finds every element) with each pattern mapped back to its
//! element and locating capture; every exemplar snippet fingerprinted into the vector of its main
//! unit. A query that does not compile or lacks a capture it names, and a snippet that does not
//! parse or holds no unit, is a diagnostic at its own line; its element is left out.

use crate::analyze::analyze_with;
use crate::catalog::diagnostic::Diagnostic;
use crate::catalog::element::{Element, Recogniser, SourceText};
use crate::languages::grammar;
use crate::model::{AnalysisConfig, Lang, ParsedContent, UnitFingerprint, UnitKind};
use std::collections::HashSet;
use tree_sitter::{CaptureQuantifier, Query, QueryError, QueryErrorKind, Tree};

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

/// One query recogniser of one element, before joining.
#[derive(Clone, Copy)]
struct QueryPart<'e> {
    /// Index of the element in the list being compiled.
    element: usize,
    query: &'e SourceText,
    capture: &'e str,
    unit_name: Option<&'e str>,
    all_patterns: bool,
}

/// One element's exemplar vectors: per recogniser, its language, the vector of each snippet and the
/// threshold.
type ElementExemplars = Vec<(Lang, Vec<Vec<i8>>, u8)>;

/// One language's query recognisers, checked: the number of patterns of each, or its mistake;
/// and their joined query when it compiled.
struct LanguageCheck<'e> {
    parts: Vec<QueryPart<'e>>,
    patterns: Vec<Result<usize, Diagnostic>>,
    joined: Option<Query>,
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
    ///
    /// Compiling a query is most of a job's start (tree-sitter analyses every pattern against its
    /// grammar), so each language's queries are compiled once, joined, on a thread per language;
    /// each recogniser is compiled alone only to place a mistake when the joined query fails.
    pub(crate) fn compile(elements: Vec<Element>) -> (Catalog, Vec<Diagnostic>) {
        let checks: Vec<LanguageCheck> = std::thread::scope(|scope| {
            let elements = &elements;
            let threads: Vec<_> =
                Lang::ALL.map(|lang| scope.spawn(move || check_language(lang, query_parts(elements, lang)))).into();
            threads.into_iter().map(|thread| thread.join().expect("a query check does not panic")).collect()
        });
        let mut diagnostics: Vec<Diagnostic> =
            checks.iter().flat_map(|check| check.patterns.iter().filter_map(|p| p.clone().err())).collect();
        let mut flawed = vec![false; elements.len()];
        for check in &checks {
            for (part, patterns) in check.parts.iter().zip(&check.patterns) {
                flawed[part.element] |= patterns.is_err();
            }
        }
        let exemplars: Vec<ElementExemplars> = elements
            .iter()
            .zip(&mut flawed)
            .map(|(element, flawed)| {
                let found = diagnostics.len();
                let vectors = exemplar_vectors(element, &mut diagnostics);
                *flawed |= diagnostics.len() > found;
                vectors
            })
            .collect();
        // The index of each element among those kept.
        let mut kept_index = vec![None; elements.len()];
        let mut next = 0;
        for (index, flawed) in flawed.iter().enumerate() {
            if !flawed {
                kept_index[index] = Some(next);
                next += 1;
            }
        }
        let queries = checks
            .into_iter()
            .zip(Lang::ALL)
            .map(|(check, lang)| join_kept(lang, check, &kept_index, &elements, &mut diagnostics))
            .collect();
        let mut catalog = Catalog {
            elements: Vec::new(),
            queries,
            exemplars: vec![Vec::new(); Lang::ALL.len()],
            fingerprint: String::new(),
        };
        for ((element, vectors), kept) in elements.into_iter().zip(exemplars).zip(kept_index) {
            let Some(kept) = kept else { continue };
            for (lang, vectors, threshold) in vectors {
                catalog.exemplars[lang as usize].push(ExemplarVectors { element: kept, vectors, threshold });
            }
            catalog.elements.push(element);
        }
        (catalog, diagnostics)
    }
}

/// The query recognisers of `lang` of every element, in element order.
fn query_parts(elements: &[Element], lang: Lang) -> Vec<QueryPart<'_>> {
    let recognisers =
        elements.iter().enumerate().flat_map(|(element, e)| e.recognisers.iter().map(move |r| (element, r)));
    recognisers
        .filter_map(|(element, recogniser)| match recogniser {
            Recogniser::Query { language, query, capture, unit_name, all_patterns } if *language == lang => {
                let (capture, unit_name, all_patterns) = (capture.as_str(), unit_name.as_deref(), *all_patterns);
                Some(QueryPart { element, query, capture, unit_name, all_patterns })
            }
            _ => None,
        })
        .collect()
}

/// Each part's texts one after another, and the byte offset where each starts.
fn joined_source(parts: &[QueryPart]) -> (String, Vec<usize>) {
    let mut source = String::new();
    let mut starts = Vec::with_capacity(parts.len());
    for part in parts {
        starts.push(source.len());
        source.push_str(&part.query.text);
        source.push('\n');
    }
    (source, starts)
}

/// Compiles the parts of `lang` joined; when that fails, each alone, to find and place the mistakes.
fn check_language(lang: Lang, parts: Vec<QueryPart>) -> LanguageCheck {
    let (source, starts) = joined_source(&parts);
    let joined = (!parts.is_empty()).then(|| Query::new(&grammar(lang), &source).ok()).flatten();
    let patterns = match &joined {
        Some(query) => {
            // Which part each pattern came from, by where it starts in the joined text.
            let mut of_part = vec![Vec::new(); parts.len()];
            for pattern in 0..query.pattern_count() {
                let start = query.start_byte_for_pattern(pattern);
                of_part[starts.partition_point(|&at| at <= start) - 1].push(pattern);
            }
            let has_capture = |patterns: &[usize], name: &str| {
                query.capture_index_for_name(name).is_some_and(|capture| {
                    patterns.iter().any(|&p| query.capture_quantifiers(p)[capture as usize] != CaptureQuantifier::Zero)
                })
            };
            parts
                .iter()
                .zip(&of_part)
                .map(|(part, patterns)| check_part(lang, part, patterns.len(), |name| has_capture(patterns, name)))
                .collect()
        }
        None => parts
            .iter()
            .map(|part| {
                let compiled =
                    Query::new(&grammar(lang), &part.query.text).map_err(|e| query_error(lang, part.query, &e))?;
                check_part(lang, part, compiled.pattern_count(), |name| compiled.capture_names().contains(&name))
            })
            .collect(),
    };
    LanguageCheck { parts, patterns, joined }
}

/// The number of patterns of a compiled query, or its mistake: it lacks a capture it is said to
/// have (`has_capture` says which it has), or has one pattern where `patterns: all` asks for several.
fn check_part(
    lang: Lang,
    part: &QueryPart,
    patterns: usize,
    has_capture: impl Fn(&str) -> bool,
) -> Result<usize, Diagnostic> {
    let message = if !has_capture(part.capture) {
        let capture = part.capture;
        format!(
            "the {} query has no @{capture} capture: mark the node that locates a match with @{capture}, \
             or name its capture with `capture:`",
            lang.name()
        )
    } else if let Some(name) = part.unit_name.filter(|name| !has_capture(name)) {
        format!("the {} query has no @{name} capture, which `unit-name` names", lang.name())
    } else if part.all_patterns && patterns < 2 {
        format!(
            "the {} query has one pattern, so `patterns: all` changes nothing: write one pattern per \
             part that must match, or leave `patterns` out",
            lang.name()
        )
    } else {
        return Ok(patterns);
    };
    Err(Diagnostic::new(part.query.start.clone(), message))
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

/// The joined query of the kept elements' parts of `lang` (`kept_index` maps an element to its
/// index among those kept): the checked joined query itself when no part was left out, compiled
/// again otherwise; `None` when there are none.
fn join_kept(
    lang: Lang,
    check: LanguageCheck,
    kept_index: &[Option<usize>],
    elements: &[Element],
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<LanguageQuery> {
    let kept: Vec<(usize, QueryPart, usize)> = check
        .parts
        .iter()
        .zip(&check.patterns)
        .filter_map(|(part, patterns)| Some((kept_index[part.element]?, *part, *patterns.as_ref().ok()?)))
        .collect();
    let (_, first, _) = *kept.first()?;
    let query = match check.joined.filter(|_| kept.len() == check.parts.len()) {
        Some(query) => Ok(query),
        None => {
            let parts: Vec<QueryPart> = kept.iter().map(|&(_, part, _)| part).collect();
            Query::new(&grammar(lang), &joined_source(&parts).0).map_err(|error| error.message)
        }
    };
    let joined = query.and_then(|query| {
        let index = |name: &str| query.capture_index_for_name(name).ok_or(format!("capture @{name} is lost"));
        let mut owners = Vec::with_capacity(query.pattern_count());
        for (position, &(element, part, patterns)) in kept.iter().enumerate() {
            let capture = index(part.capture)?;
            let unit_name = part.unit_name.map(index).transpose()?;
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
            diagnostics.push(Diagnostic::new(elements[first.element].at.clone(), message));
        })
        .ok()
}

/// The exemplar vectors of `element` per language (with each threshold); a snippet that does not
/// parse or holds no unit is a diagnostic.
fn exemplar_vectors(element: &Element, diagnostics: &mut Vec<Diagnostic>) -> ElementExemplars {
    let mut found = Vec::new();
    for recogniser in &element.recognisers {
        if let Recogniser::Exemplar { language, snippets, threshold } = recogniser {
            let vectors: Vec<Option<Vec<i8>>> = snippets
                .iter()
                .map(|snippet| main_unit_vector(*language, snippet).map_err(|e| diagnostics.push(e)).ok())
                .collect();
            if let Some(vectors) = vectors.into_iter().collect() {
                found.push((*language, vectors, *threshold));
            }
        }
    }
    found
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
