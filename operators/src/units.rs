//! Unit extraction: one iterative pre-order walk over the syntax tree that finds the units, names
//! them, and accumulates their tokens, feature counts and metrics; then nested units' figures are
//! merged into their parents and each unit gets its qualified name and ordinal.
//!
//! The walk uses a `TreeCursor` and an explicit stack, never recursion, so that any nesting depth
//! is safe; its cost is linear in the number of nodes, plus `O(units × VECTOR_DIMS)` for merging.

use crate::fingerprint::{FeatureCounts, TokenStream};
use crate::kinds::{Compiled, KindInfo};
use crate::languages::{NameRule, UnitRule, When};
use crate::metrics::{self, Shape};
use crate::model::{LocalUnitId, Metrics, UnitFingerprint, UnitKind};
use std::collections::HashMap;
use tree_sitter::{Node, Tree};

/// The name of an anonymous unit or part of a name.
pub const ANONYMOUS: &str = "<anon>";

/// Units nested deeper than this (counting the file unit) belong to their enclosing unit, which
/// bounds qualified names and the walk's cost on pathological input.
pub const MAX_UNIT_DEPTH: usize = 32;

/// Local names longer than this many characters are cut, with `…` appended.
pub const MAX_NAME_CHARS: usize = 120;

/// What one walk over a file yields.
#[derive(Debug)]
pub(crate) struct Extraction {
    /// The units, the file unit first, then in source order.
    pub units: Vec<UnitFingerprint>,
    /// Each unit's feature counts (its vector before quantisation), in the order of `units`.
    pub counts: Vec<FeatureCounts>,
    /// Leaf tokens of the whole file.
    pub tokens: u32,
    /// ERROR and MISSING nodes.
    pub error_nodes: u32,
    /// Line of the first of them, 1-based.
    pub first_error_line: Option<u32>,
}

/// A unit being built.
struct Draft {
    kind: UnitKind,
    name: String,
    parent: Option<usize>,
    start_line: u32,
    end_line: u32,
    start_byte: u32,
    end_byte: u32,
    first_token: usize,
    end_token: usize,
    shape: Shape,
    counts: FeatureCounts,
}

/// The walk's record of one node on the path from the root.
#[derive(Clone, Copy)]
struct Frame {
    kind: u16,
    nesting: u32,
    opened_unit: bool,
    /// Kind of the latest named child entered so far (0: none yet; id 0 is never a node's).
    last_named_child: u16,
}

struct Walker<'a> {
    table: &'a Compiled,
    src: &'a [u8],
    drafts: Vec<Draft>,
    open: Vec<usize>,
    frames: Vec<Frame>,
    tokens: TokenStream,
    error_nodes: u32,
    first_error_line: Option<u32>,
}

fn line(row: usize) -> u32 {
    u32::try_from(row + 1).unwrap_or(u32::MAX)
}

/// A byte offset as stored in a unit (tree-sitter's own offsets are 32-bit, so this is exact).
fn offset(byte: usize) -> u32 {
    u32::try_from(byte).unwrap_or(u32::MAX)
}

/// The last line a node occupies: a node ending at the start of a line ends on the line before.
fn end_line(node: Node) -> u32 {
    let (start, end) = (node.start_position(), node.end_position());
    if end.column == 0 && end.row > start.row {
        line(end.row - 1)
    } else {
        line(end.row)
    }
}

/// `text` with whitespace runs collapsed, `::` written `.`, and cut to [`MAX_NAME_CHARS`].
fn clean_name(text: &str) -> String {
    let head = text.char_indices().nth(4 * MAX_NAME_CHARS).map_or(text, |(end, _)| &text[..end]);
    let mut name = head.split_whitespace().collect::<Vec<_>>().join(" ").replace("::", ".");
    if let Some((cut, _)) = name.char_indices().nth(MAX_NAME_CHARS) {
        name.truncate(cut);
        name.push('…');
    }
    name
}

fn text<'s>(node: Node, src: &'s [u8]) -> &'s str {
    node.utf8_text(src).unwrap_or("")
}

fn field_name(node: Node, field: &str, src: &[u8]) -> String {
    match node.child_by_field_name(field) {
        Some(child) => clean_name(text(child, src)),
        None => ANONYMOUS.to_string(),
    }
}

/// The node in `field`, or the first element of the expression list there.
fn field_value<'t>(node: Node<'t>, field: &str) -> Option<Node<'t>> {
    let value = node.child_by_field_name(field)?;
    if value.kind() == "expression_list" {
        value.named_child(0)
    } else {
        Some(value)
    }
}

/// The innermost name of a C/C++ declarator chain (a conversion operator is `operator Type`).
fn declarator_name(node: Node, src: &[u8]) -> String {
    let mut current = node.child_by_field_name("declarator");
    while let Some(n) = current {
        current = match n.child_by_field_name("declarator") {
            _ if n.kind() == "operator_cast" || n.kind() == "qualified_identifier" => {
                return qualified_name(n, src);
            }
            Some(inner) => Some(inner),
            None if n.kind().ends_with("_declarator") => n.named_child(0),
            None => return clean_name(text(n, src)),
        };
    }
    ANONYMOUS.to_string()
}

/// A C++ qualified name, scopes joined with `.`, a conversion operator written `operator Type`.
fn qualified_name(mut node: Node, src: &[u8]) -> String {
    let mut parts = Vec::new();
    loop {
        match (node.kind(), node.child_by_field_name("name")) {
            ("operator_cast", _) => {
                parts.push(format!("operator {}", field_name(node, "type", src)));
                break;
            }
            ("qualified_identifier", Some(name)) => {
                if let Some(scope) = node.child_by_field_name("scope") {
                    parts.push(clean_name(text(scope, src)));
                }
                node = name;
            }
            _ => {
                parts.push(clean_name(text(node, src)));
                break;
            }
        }
    }
    parts.join(".")
}

/// The first `type_identifier` under `node`, searched iteratively.
fn first_type_identifier<'t>(node: Node<'t>) -> Option<Node<'t>> {
    let mut cursor = node.walk();
    loop {
        let current = cursor.node();
        if current.kind() == "type_identifier" {
            return Some(current);
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() || cursor.node() == node {
                return None;
            }
        }
    }
}

fn unit_name(rule: &UnitRule, node: Node, src: &[u8]) -> String {
    match rule.name {
        NameRule::Field(field) => field_name(node, field, src),
        NameRule::Declarator => declarator_name(node, src),
        NameRule::RustImpl => {
            let ty = field_name(node, "type", src);
            match node.child_by_field_name("trait") {
                Some(tr) => format!("{} for {ty}", clean_name(text(tr, src))),
                None => ty,
            }
        }
        NameRule::GoMethod => {
            let name = field_name(node, "name", src);
            let receiver = node
                .child_by_field_name("receiver")
                .and_then(first_type_identifier)
                .map_or_else(|| ANONYMOUS.to_string(), |r| clean_name(text(r, src)));
            format!("{receiver}.{name}")
        }
    }
}

fn applies(rule: &UnitRule, node: Node) -> bool {
    match rule.when {
        When::Always => true,
        When::HasField(field) => node.child_by_field_name(field).is_some(),
        When::FieldKind(field, kinds) => field_value(node, field).is_some_and(|v| kinds.contains(&v.kind())),
    }
}

/// Unit kinds whose functions are methods.
fn holds_methods(kind: UnitKind) -> bool {
    matches!(
        kind,
        UnitKind::Class | UnitKind::Struct | UnitKind::Enum | UnitKind::Interface | UnitKind::Trait | UnitKind::Impl
    )
}

impl<'a> Walker<'a> {
    fn new(table: &'a Compiled, src: &'a [u8], file_lines: u32) -> Self {
        let file = Draft {
            kind: UnitKind::File,
            name: String::new(),
            parent: None,
            start_line: 1,
            end_line: file_lines.max(1),
            start_byte: 0,
            end_byte: offset(src.len()),
            first_token: 0,
            end_token: 0,
            shape: Shape::default(),
            counts: FeatureCounts::default(),
        };
        Walker {
            table,
            src,
            drafts: vec![file],
            open: vec![0],
            frames: Vec::new(),
            tokens: TokenStream::default(),
            error_nodes: 0,
            first_error_line: None,
        }
    }

    fn innermost(&self) -> usize {
        self.open.last().copied().unwrap_or(0)
    }

    /// Opens a unit at `node` if a rule says so; true when it did.
    fn open_unit(&mut self, node: Node, info: &KindInfo, nesting: u32) -> bool {
        let Some(rule) = info.rules.iter().find(|rule| applies(rule, node)) else {
            return false;
        };
        let parent = self.innermost();
        let kind = if rule.kind == UnitKind::Function && holds_methods(self.drafts[parent].kind) {
            UnitKind::Method
        } else {
            rule.kind
        };
        self.drafts.push(Draft {
            kind,
            name: unit_name(rule, node, self.src),
            parent: Some(parent),
            start_line: line(node.start_position().row),
            end_line: end_line(node),
            start_byte: offset(node.start_byte()),
            end_byte: offset(node.end_byte()),
            first_token: self.tokens.len(),
            end_token: self.tokens.len(),
            shape: Shape::at_level(nesting),
            counts: FeatureCounts::default(),
        });
        self.open.push(self.drafts.len() - 1);
        true
    }

    /// Accounts for `node` on entry; returns its frame, or `None` for a comment.
    fn enter(&mut self, node: Node) -> Option<Frame> {
        let table = self.table;
        let id = node.kind_id();
        let info = table.info(id);
        if node.is_error() || node.is_missing() {
            self.error_nodes += 1;
            self.first_error_line.get_or_insert(line(node.start_position().row));
        }
        if info.comment {
            return None;
        }
        let parent = self.frames.last().copied();
        let parent_info = parent.map(|p| table.info(p.kind));
        let mut frame =
            Frame { kind: id, nesting: parent.map_or(0, |p| p.nesting), opened_unit: false, last_named_child: 0 };
        let named = node.is_named();
        if named && !info.rules.is_empty() && self.open.len() < MAX_UNIT_DEPTH {
            frame.opened_unit = self.open_unit(node, info, frame.nesting);
        }
        let else_branch = parent_info.is_some_and(|p| p.else_wrapper);
        let nests = info.nesting && parent.is_none_or(|p| p.kind != id) && !else_branch;
        if nests {
            frame.nesting += 1;
        }
        let decision = metrics::is_decision(node, info, parent_info, self.src);
        let unit = self.innermost();
        let draft = &mut self.drafts[unit];
        if nests {
            draft.shape.nest(frame.nesting);
        }
        draft.shape.decisions += u32::from(decision);
        if named {
            draft.shape.nodes += 1;
            let previous = parent.map_or(0, |p| p.last_named_child);
            let parent_kind = parent.map_or(0, |p| p.kind);
            draft.counts.add_node(info.slot, parent_kind, previous, id);
            if let Some(p) = self.frames.last_mut() {
                p.last_named_child = id;
            }
        }
        Some(frame)
    }

    /// Adds a leaf (or a literal read whole) to the token stream.
    fn token(&mut self, node: Node) {
        let (start, end) = (node.start_byte(), node.end_byte());
        if start < end && !node.is_missing() {
            let class = self.table.info(node.kind_id()).token;
            self.tokens.push(&self.src[start..end], class);
            let draft = &mut self.drafts[self.open.last().copied().unwrap_or(0)];
            if let Some(bigram) = self.tokens.last_bigram().filter(|_| self.tokens.len() - 1 > draft.first_token) {
                draft.counts.add_token_bigram(bigram);
            }
        }
    }

    fn leave(&mut self, frame: Option<Frame>) {
        if frame.is_some_and(|f| f.opened_unit) {
            if let Some(unit) = self.open.pop() {
                self.drafts[unit].end_token = self.tokens.len();
            }
        }
    }

    fn walk(&mut self, tree: &Tree) {
        let mut cursor = tree.walk();
        'nodes: loop {
            let node = cursor.node();
            let frame = self.enter(node);
            let info = self.table.info(node.kind_id());
            let whole = info.comment || (info.literal && !node.has_error());
            if let Some(f) = frame.filter(|_| !whole) {
                if cursor.goto_first_child() {
                    self.frames.push(f);
                    continue;
                }
            }
            if !info.comment {
                self.token(node);
            }
            self.leave(frame);
            loop {
                if cursor.goto_next_sibling() {
                    continue 'nodes;
                }
                if !cursor.goto_parent() {
                    break 'nodes;
                }
                let parent = self.frames.pop();
                self.leave(parent);
            }
        }
        self.drafts[0].end_token = self.tokens.len();
    }

    fn finish(mut self) -> Extraction {
        for i in (1..self.drafts.len()).rev() {
            let Some(parent) = self.drafts[i].parent else {
                continue;
            };
            let (before, after) = self.drafts.split_at_mut(i);
            let (parent, child) = (&mut before[parent], &after[0]);
            parent.shape.absorb(&child.shape);
            parent.counts.absorb(&child.counts);
        }
        let mut qualified: Vec<String> = Vec::with_capacity(self.drafts.len());
        let mut ids: Vec<LocalUnitId> = Vec::with_capacity(self.drafts.len());
        let mut seen: HashMap<(UnitKind, String), u32> = HashMap::new();
        let mut units = Vec::with_capacity(self.drafts.len());
        for draft in &self.drafts {
            let name = match draft.parent.map(|p| qualified[p].as_str()) {
                Some("") | None => draft.name.clone(),
                Some(outer) => format!("{outer}.{}", draft.name),
            };
            let ordinal = seen.entry((draft.kind, name.clone())).or_insert(0);
            let id = LocalUnitId { kind: draft.kind, name: name.clone(), ordinal: *ordinal };
            *ordinal += 1;
            let (exact_hash, struct_hash) = self.tokens.hashes(draft.first_token, draft.end_token, draft.kind);
            units.push(UnitFingerprint {
                id: id.clone(),
                parent: draft.parent.map(|p| ids[p].clone()),
                start_line: draft.start_line,
                end_line: draft.end_line,
                start_byte: draft.start_byte,
                end_byte: draft.end_byte,
                metrics: Metrics {
                    tokens: u32::try_from(draft.end_token - draft.first_token).unwrap_or(u32::MAX),
                    nodes: draft.shape.nodes,
                    lines: draft.end_line.saturating_sub(draft.start_line) + 1,
                    cyclomatic: 1 + draft.shape.decisions,
                    max_nesting: draft.shape.max_nesting,
                },
                exact_hash,
                struct_hash,
                vector: draft.counts.quantise(),
                token_sequence: match draft.kind {
                    UnitKind::File => Vec::new(),
                    _ => self.tokens.structural_tokens(draft.first_token, draft.end_token),
                },
            });
            qualified.push(name);
            ids.push(id);
        }
        Extraction {
            units,
            counts: self.drafts.into_iter().map(|draft| draft.counts).collect(),
            tokens: u32::try_from(self.tokens.len()).unwrap_or(u32::MAX),
            error_nodes: self.error_nodes,
            first_error_line: self.first_error_line,
        }
    }
}

/// Extracts the units of a parsed file of `file_lines` lines.
pub(crate) fn extract(tree: &Tree, src: &[u8], table: &Compiled, file_lines: u32) -> Extraction {
    let mut walker = Walker::new(table, src, file_lines);
    walker.walk(tree);
    walker.finish()
}
