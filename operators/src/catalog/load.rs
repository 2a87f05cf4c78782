//! Reads catalogue files into elements. Every field is checked and every mistake recorded with
//! its position, so that one run reports them all; an element with a mistake is left out.
//! Queries and snippets are compiled afterwards ([`super::compile`]).
//!
//! The format (one YAML document per file):
//!
//! ```yaml
//! elements:
//!   - symbol: Gc                # 1–3 letters, a capital then lower case, unique
//!     name: Guard clause
//!     summary: An early exit at the top of a function when a precondition fails.
//!     family: Control           # Data, Control, Structural, Behavioral or Security
//!     category: Conditional
//!     period: 1                 # 1 atomic, 2 molecular, 3 composite, 4 architectural
//!     recognisers:
//!       - language: [javascript, typescript]   # one name or a list; typescript covers tsx
//!         query: |              # a tree-sitter query; @match locates each match
//!           (statement_block . (if_statement consequence: (return_statement)) @match)
//!         capture: match        # optional: the capture that locates a match
//!         unit-name: callee     # optional: a capture whose text must be the unit's own name
//!         patterns: all         # optional: a node counts only where every pattern of the query
//!                               # matched it (default `any`: a match of any pattern counts)
//!         examples:
//!           positive: [...]     # snippets the element must match
//!           negative: [...]     # near misses it must not match
//!       - language: python
//!         exemplars: [...]      # snippets whose main unit's vector is compared
//!         threshold: 90         # least cosine similarity, in percent
//! ```
//!
//! `patterns: all` is how to ask for two children of one node in any order, such as a class with
//! an `execute` method and an `undo` method: write one pattern per child, each locating the class.
//! One pattern with two unanchored sibling steps says the same, but tree-sitter then keeps a
//! match in progress for every candidate first sibling and costs time quadratic in the number of
//! siblings (seconds for a class of a few hundred methods).

use crate::catalog::diagnostic::{Diagnostic, Position};
use crate::catalog::element::{Element, Examples, Family, Period, Recogniser, SourceText};
use crate::catalog::yaml::{Node, Reader};
use crate::model::Lang;
use std::collections::HashMap;
use std::sync::Arc;

/// A catalogue file: its name (as diagnostics print it) and its text.
#[derive(Clone, Debug)]
pub struct CatalogSource {
    /// The file's name or path.
    pub name: String,
    /// The file's YAML text.
    pub text: String,
}

/// The capture that locates a query match unless `capture:` names another.
pub const DEFAULT_CAPTURE: &str = "match";

const TOP_FIELDS: &[&str] = &["elements"];
const ELEMENT_FIELDS: &[&str] = &["symbol", "name", "summary", "family", "category", "period", "recognisers"];
const RECOGNISER_FIELDS: &[&str] =
    &["language", "query", "capture", "unit-name", "patterns", "exemplars", "threshold", "examples"];
const EXAMPLE_FIELDS: &[&str] = &["positive", "negative"];

/// The language names a catalogue accepts, as listed in messages.
const LANGUAGE_NAMES: &str = "rust, python, javascript, typescript (with tsx), tsx, go, java, c, cpp";

/// Reads the elements of one file; the second list holds every mistake found.
pub(crate) fn read_source(source: &CatalogSource) -> (Vec<Element>, Vec<Diagnostic>) {
    let mut reader = Reader::new(Arc::from(source.name.as_str()), &source.text);
    let elements = reader.document(&source.text).map(|root| read_root(&mut reader, &root)).unwrap_or_default();
    (elements, reader.diagnostics)
}

fn read_root(reader: &mut Reader, root: &Node) -> Vec<Element> {
    let Some(fields) = reader.mapping(root, "a catalogue file", TOP_FIELDS) else {
        return Vec::new();
    };
    let Some(items) = fields.require(reader, "elements").and_then(|list| reader.list(list, "elements")) else {
        return Vec::new();
    };
    items.iter().filter_map(|item| read_element(reader, item)).collect()
}

fn read_element(reader: &mut Reader, node: &Node) -> Option<Element> {
    let fields = reader.mapping(node, "an element", ELEMENT_FIELDS)?;
    let symbol = fields.require(reader, "symbol").and_then(|n| read_symbol(reader, n));
    let name = fields.require(reader, "name").and_then(|n| reader.text(n, "name"));
    let summary = fields.require(reader, "summary").and_then(|n| reader.text(n, "summary"));
    let family = fields.require(reader, "family").and_then(|n| read_family(reader, n));
    let category = fields.require(reader, "category").and_then(|n| reader.text(n, "category"));
    let period = fields.require(reader, "period").and_then(|n| read_period(reader, n));
    let recognisers = fields.require(reader, "recognisers").and_then(|n| read_recognisers(reader, n));
    let (recognisers, examples) = recognisers?;
    Some(Element {
        symbol: symbol?,
        name: name?,
        summary: summary?,
        family: family?,
        category: category?,
        period: period?,
        recognisers,
        examples,
        at: fields.at().clone(),
    })
}

/// True for one to three ASCII letters, a capital then lower case.
fn is_symbol(text: &str) -> bool {
    let mut chars = text.chars();
    (1..=3).contains(&text.len())
        && chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_lowercase())
}

fn read_symbol(reader: &mut Reader, node: &Node) -> Option<String> {
    let symbol = reader.text(node, "symbol")?;
    if is_symbol(&symbol) {
        return Some(symbol);
    }
    let message = format!("symbol `{symbol}` must be 1 to 3 letters, a capital then lower case, like `Gc` or `Rty`");
    reader.error(reader.at(node), message);
    None
}

fn read_family(reader: &mut Reader, node: &Node) -> Option<Family> {
    let name = reader.text(node, "family")?;
    let family = Family::from_name(&name);
    if family.is_none() {
        let known: Vec<&str> = Family::ALL.iter().map(|f| f.name()).collect();
        reader.error(reader.at(node), format!("unknown family `{name}`; write one of {}", known.join(", ")));
    }
    family
}

fn read_period(reader: &mut Reader, node: &Node) -> Option<Period> {
    let number = reader.integer(node, "period")?;
    let period = Period::from_number(number);
    if period.is_none() {
        let known: Vec<String> = Period::ALL.iter().map(|p| format!("{} ({})", p.number(), p.name())).collect();
        reader.error(reader.at(node), format!("unknown period {number}; write {}", known.join(", ")));
    }
    period
}

/// The recognisers of an element and the examples given with them, one per language.
fn read_recognisers(reader: &mut Reader, node: &Node) -> Option<(Vec<Recogniser>, Vec<Examples>)> {
    let items = reader.list(node, "recognisers")?;
    if items.is_empty() {
        reader.error(reader.at(node), "an element needs at least one recogniser");
        return None;
    }
    let mut recognisers = Vec::new();
    let mut examples = Vec::new();
    let mut complete = true;
    for item in items {
        complete &= read_recogniser(reader, item, &mut recognisers, &mut examples).is_some();
    }
    complete.then_some((recognisers, examples))
}

/// Reads one recogniser entry into one recogniser (and examples) per language it names.
fn read_recogniser(
    reader: &mut Reader,
    node: &Node,
    recognisers: &mut Vec<Recogniser>,
    examples: &mut Vec<Examples>,
) -> Option<()> {
    let fields = reader.mapping(node, "a recogniser", RECOGNISER_FIELDS)?;
    let languages = fields.require(reader, "language").and_then(|n| read_languages(reader, n));
    let query = fields.get("query").map(|n| reader.source_text(n, "query"));
    let capture_name = |reader: &mut Reader, key: &str| {
        fields.get(key).map(|n| reader.text(n, key).map(|name| name.trim_start_matches('@').to_string()))
    };
    let capture = capture_name(reader, "capture").unwrap_or_else(|| Some(DEFAULT_CAPTURE.to_string()));
    let unit_name = capture_name(reader, "unit-name");
    let all_patterns = fields.get("patterns").map(|n| read_pattern_rule(reader, n));
    let exemplars = fields.get("exemplars").map(|n| read_snippets(reader, n, "exemplars"));
    let threshold = fields.get("threshold").map(|n| read_threshold(reader, n));
    let given = fields.get("examples").map(|n| read_examples(reader, n));
    let mut valid = true;
    let mut misplaced = |reader: &mut Reader, key: &str, message: &str| {
        if let Some(node) = fields.get(key) {
            reader.error(reader.at(node), message);
            valid = false;
        }
    };
    if query.is_none() {
        misplaced(reader, "capture", "`capture` names a capture of the `query`, and this recogniser has none");
        misplaced(reader, "unit-name", "`unit-name` names a capture of the `query`, and this recogniser has none");
        misplaced(
            reader,
            "patterns",
            "`patterns` says how the `query`'s patterns combine, and this recogniser has none",
        );
    }
    if exemplars.is_none() {
        misplaced(reader, "threshold", "`threshold` applies to `exemplars`, and this recogniser has none");
    }
    if query.is_none() && exemplars.is_none() {
        reader.error(fields.at().clone(), "a recogniser needs a `query` or `exemplars` (with a `threshold`)");
        valid = false;
    }
    if let (Some(_), None) = (&exemplars, &threshold) {
        let message = "`exemplars` need a `threshold`: the least similarity in percent, e.g. 90";
        reader.error(fields.at().clone(), message);
        valid = false;
    }
    if !valid {
        return None;
    }
    let exemplars = match (read_if_present(exemplars)?, threshold.flatten()) {
        (Some(snippets), Some(threshold)) => Some((snippets, threshold)),
        (None, _) => None,
        (Some(_), None) => return None,
    };
    let (languages, query, capture, unit_name) =
        (languages?, read_if_present(query)?, capture?, read_if_present(unit_name)?);
    let all_patterns = read_if_present(all_patterns)?.unwrap_or(false);
    let (positive, negative) = read_if_present(given)?.unwrap_or_default();
    for &language in &languages {
        if let Some(query) = &query {
            let (query, capture, unit_name) = (query.clone(), capture.clone(), unit_name.clone());
            recognisers.push(Recogniser::Query { language, query, capture, unit_name, all_patterns });
        }
        if let Some((snippets, threshold)) = &exemplars {
            recognisers.push(Recogniser::Exemplar { language, snippets: snippets.clone(), threshold: *threshold });
        }
        if !positive.is_empty() || !negative.is_empty() {
            examples.push(Examples { language, positive: positive.clone(), negative: negative.clone() });
        }
    }
    Some(())
}

/// `patterns: any` (false, the default) or `patterns: all` (true).
fn read_pattern_rule(reader: &mut Reader, node: &Node) -> Option<bool> {
    match reader.text(node, "patterns")?.as_str() {
        "any" => Some(false),
        "all" => Some(true),
        other => {
            let message = format!(
                "unknown `patterns: {other}`; write `any` (a match of any pattern counts) or `all` \
                 (a node counts where every pattern matched it)"
            );
            reader.error(reader.at(node), message);
            None
        }
    }
}

/// An optional field as read: `Some(None)` when absent, `None` when present but unreadable.
fn read_if_present<T>(field: Option<Option<T>>) -> Option<Option<T>> {
    field.map_or(Some(None), |read| read.map(Some))
}

/// The languages a recogniser names; `typescript` stands for TypeScript and TSX.
fn read_languages(reader: &mut Reader, node: &Node) -> Option<Vec<Lang>> {
    let mut languages = Vec::new();
    let mut known = true;
    for item in reader.one_or_many(node) {
        let Some(name) = reader.text(item, "language") else {
            known = false;
            continue;
        };
        match Lang::from_name(&name) {
            Some(Lang::TypeScript) => languages.extend([Lang::TypeScript, Lang::Tsx]),
            Some(lang) => languages.push(lang),
            None => {
                reader.error(reader.at(item), format!("unknown language `{name}`; write one of {LANGUAGE_NAMES}"));
                known = false;
            }
        }
    }
    languages.sort();
    languages.dedup();
    known.then_some(languages)
}

fn read_threshold(reader: &mut Reader, node: &Node) -> Option<u8> {
    if let Some(fraction) = Reader::decimal(node) {
        let message = format!("threshold {fraction} is out of range: write a percent from 1 to 100, e.g. 90");
        reader.error(reader.at(node), message);
        return None;
    }
    let percent = reader.integer(node, "threshold")?;
    match u8::try_from(percent) {
        Ok(percent @ 1..=100) => Some(percent),
        _ => {
            reader
                .error(reader.at(node), format!("threshold {percent} is out of range: write a percent from 1 to 100"));
            None
        }
    }
}

/// A non-empty list of snippets.
fn read_snippets(reader: &mut Reader, node: &Node, what: &str) -> Option<Vec<SourceText>> {
    let items = reader.list(node, what)?;
    if items.is_empty() {
        reader.error(reader.at(node), format!("`{what}` is an empty list"));
        return None;
    }
    let snippets: Vec<Option<SourceText>> = items.iter().map(|item| reader.source_text(item, what)).collect();
    snippets.into_iter().collect()
}

fn read_examples(reader: &mut Reader, node: &Node) -> Option<(Vec<SourceText>, Vec<SourceText>)> {
    let fields = reader.mapping(node, "examples", EXAMPLE_FIELDS)?;
    let mut read = |key: &str| fields.get(key).map_or(Some(Vec::new()), |list| read_snippets(reader, list, key));
    let positive = read("positive");
    let negative = read("negative");
    positive.zip(negative)
}

/// Diagnostics for symbols defined twice (the later definition is the mistake); the elements
/// defined first are kept.
pub(crate) fn remove_duplicate_symbols(elements: &mut Vec<Element>) -> Vec<Diagnostic> {
    let mut first: HashMap<String, Position> = HashMap::new();
    let mut diagnostics = Vec::new();
    elements.retain(|element| match first.get(&element.symbol) {
        Some(at) => {
            let message = format!("duplicate symbol `{}`: already defined at {at}", element.symbol);
            diagnostics.push(Diagnostic::new(element.at.clone(), message));
            false
        }
        None => {
            first.insert(element.symbol.clone(), element.at.clone());
            true
        }
    });
    diagnostics
}
