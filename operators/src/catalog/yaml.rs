//! A typed view over saphyr's marked YAML for the catalogue loader: each read yields the value or
//! records a diagnostic at the node (text, a number or a list expected; a missing or an unknown
//! key), so that one pass over a file finds every mistake in it.

use crate::catalog::diagnostic::{Diagnostic, Position};
use crate::catalog::element::SourceText;
use saphyr::{LoadableYamlNode, MarkedYaml, Marker, Scalar, YamlData};
use std::sync::Arc;

/// A YAML node with its position, borrowing from the file's text.
pub(crate) type Node<'s> = MarkedYaml<'s>;

/// Reads one catalogue file and collects the mistakes found in it.
pub(crate) struct Reader<'s> {
    file: Arc<str>,
    lines: Vec<&'s str>,
    /// The mistakes found so far.
    pub diagnostics: Vec<Diagnostic>,
}

/// The keys of one mapping, checked against the keys it may have.
pub(crate) struct Fields<'n, 'y> {
    at: Position,
    entries: Vec<(&'n str, &'n Node<'y>)>,
}

/// What a node holds, in words, for messages.
fn describe(node: &Node) -> &'static str {
    match &node.data {
        YamlData::Value(Scalar::String(_)) | YamlData::Representation(..) => "text",
        YamlData::Value(Scalar::Integer(_)) => "an integer",
        YamlData::Value(Scalar::FloatingPoint(_)) => "a decimal number",
        YamlData::Value(Scalar::Boolean(_)) => "true or false",
        YamlData::Value(Scalar::Null) => "nothing",
        YamlData::Sequence(_) => "a list",
        YamlData::Mapping(_) => "a mapping",
        YamlData::Tagged(..) => "a tagged node",
        YamlData::Alias(_) | YamlData::BadValue => "an unreadable value",
    }
}

impl<'n, 'y> Fields<'n, 'y> {
    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&'n Node<'y>> {
        self.entries.iter().find(|(name, _)| *name == key).map(|(_, value)| *value)
    }

    /// The value of `key`, or a "missing field" diagnostic at the mapping.
    pub fn require(&self, reader: &mut Reader, key: &str) -> Option<&'n Node<'y>> {
        let value = self.get(key);
        if value.is_none() {
            reader.error(self.at.clone(), format!("missing field `{key}`"));
        }
        value
    }

    /// Where the mapping starts.
    pub fn at(&self) -> &Position {
        &self.at
    }
}

impl<'s> Reader<'s> {
    /// A reader of `source`, the text of the file named `file`.
    pub fn new(file: Arc<str>, source: &'s str) -> Self {
        Reader { file, lines: source.lines().collect(), diagnostics: Vec::new() }
    }

    /// The root of the file's single YAML document, or `None` after a diagnostic (malformed YAML,
    /// an empty file, several documents).
    pub fn document(&mut self, source: &'s str) -> Option<Node<'s>> {
        match Node::load_from_str(source) {
            Err(error) => {
                let at = self.position(*error.marker());
                self.error(at, format!("malformed YAML: {}", error.info()));
                None
            }
            Ok(mut documents) if documents.len() == 1 => documents.pop(),
            Ok(documents) => {
                let at = documents.get(1).map_or_else(|| self.position(Marker::new(0, 1, 0)), |d| self.at(d));
                self.error(at, "write one YAML document holding `elements:`, a list of elements");
                None
            }
        }
    }

    /// The position of a parser marker.
    fn position(&self, marker: Marker) -> Position {
        let number = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Position { file: Arc::clone(&self.file), line: number(marker.line().max(1)), column: number(marker.col() + 1) }
    }

    /// Where `node` starts.
    pub fn at(&self, node: &Node) -> Position {
        self.position(node.span.start)
    }

    /// Records a mistake.
    pub fn error(&mut self, at: Position, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::new(at, message));
    }

    fn expected(&mut self, node: &Node, what: &str, expected: &str) {
        let message = format!("`{what}` must be {expected}, not {}", describe(node));
        self.error(self.at(node), message);
    }

    /// The keys of a mapping; keys not in `known` are reported (the others are still read).
    pub fn mapping<'n, 'y>(&mut self, node: &'n Node<'y>, what: &str, known: &[&str]) -> Option<Fields<'n, 'y>> {
        let YamlData::Mapping(mapping) = &node.data else {
            self.expected(node, what, "a mapping");
            return None;
        };
        let mut entries = Vec::with_capacity(mapping.len());
        for (key, value) in mapping {
            match &key.data {
                YamlData::Value(Scalar::String(name)) if known.contains(&name.as_ref()) => {
                    entries.push((name.as_ref(), value));
                }
                _ => {
                    let name = key.data.as_str().unwrap_or("?");
                    let message = format!("unknown field `{name}` in {what}; write one of {}", known.join(", "));
                    self.error(self.at(key), message);
                }
            }
        }
        Some(Fields { at: self.at(node), entries })
    }

    /// The text of a scalar, which must not be blank.
    pub fn text(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.data {
            YamlData::Value(Scalar::String(text)) if !text.trim().is_empty() => Some(text.to_string()),
            YamlData::Value(Scalar::String(_)) => {
                self.error(self.at(node), format!("`{what}` is blank"));
                None
            }
            _ => {
                self.expected(node, what, "text");
                None
            }
        }
    }

    /// The text of a scalar with its position, marked verbatim when its lines stand in the file as
    /// they are (see [`SourceText::verbatim`]).
    pub fn source_text(&mut self, node: &Node, what: &str) -> Option<SourceText> {
        let text = self.text(node, what)?;
        let start = node.span.start;
        let (row, column) = (start.line().saturating_sub(1), start.col());
        let quoted = matches!(self.lines.get(row).and_then(|line| line.chars().nth(column)), Some('"' | '\''));
        let (column, verbatim) = if self.stands_verbatim(&text, row, column) {
            (column, true)
        } else if quoted {
            (column + 1, self.stands_verbatim(&text, row, column + 1))
        } else {
            (column, false)
        };
        let start = self.position(Marker::new(start.index(), row + 1, column));
        Some(SourceText { text, start, verbatim })
    }

    /// True when line `r` of `text` is found at column `column` of file line `row + r`, for every `r`.
    fn stands_verbatim(&self, text: &str, row: usize, column: usize) -> bool {
        text.trim_end_matches('\n').split('\n').enumerate().all(|(r, expected)| {
            let Some(line) = self.lines.get(row + r) else {
                return false;
            };
            match line.char_indices().nth(column) {
                Some((at, _)) => line[at..].starts_with(expected),
                None => expected.is_empty(),
            }
        })
    }

    /// An integer scalar.
    pub fn integer(&mut self, node: &Node, what: &str) -> Option<i64> {
        match node.data {
            YamlData::Value(Scalar::Integer(value)) => Some(value),
            _ => {
                self.expected(node, what, "an integer");
                None
            }
        }
    }

    /// The value of a decimal-number scalar (`0.9`), `None` for any other node.
    pub fn decimal(node: &Node) -> Option<f64> {
        match node.data {
            YamlData::Value(Scalar::FloatingPoint(value)) => Some(value.into_inner()),
            _ => None,
        }
    }

    /// The items of a list.
    pub fn list<'n, 'y>(&mut self, node: &'n Node<'y>, what: &str) -> Option<&'n [Node<'y>]> {
        match &node.data {
            YamlData::Sequence(items) => Some(items),
            _ => {
                self.expected(node, what, "a list");
                None
            }
        }
    }

    /// The items of a list, or the node itself when it is a single scalar.
    pub fn one_or_many<'n, 'y>(&self, node: &'n Node<'y>) -> &'n [Node<'y>] {
        match &node.data {
            YamlData::Sequence(items) => items,
            _ => std::slice::from_ref(node),
        }
    }
}
