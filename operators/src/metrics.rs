//! Metrics of a unit: node count, cyclomatic complexity and nesting depth, accumulated during the
//! walk and merged from nested units into their parents; and line counting.
//!
//! Every figure covers the unit's whole span, nested units included (a class's cyclomatic
//! complexity is 1 plus all the decision points of its methods). Nesting counts control
//! structures only (`if`, loops, `switch`/`match`, `try`, `with`), relative to the unit's own
//! level; an `else if` does not nest deeper than its `if`.

use crate::kinds::KindInfo;
use crate::languages::Unless;
use tree_sitter::Node;

/// Shape figures of a unit, first its own, then (after [`Shape::absorb`]) its whole span's.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Shape {
    /// Named nodes.
    pub nodes: u32,
    /// Decision points.
    pub decisions: u32,
    /// Nesting level of the unit's node within the file.
    pub base_nesting: u32,
    /// Deepest nesting level inside the unit, relative to `base_nesting`.
    pub max_nesting: u32,
}

impl Shape {
    /// A unit starting at file nesting level `base_nesting`.
    pub fn at_level(base_nesting: u32) -> Self {
        Shape { base_nesting, ..Shape::default() }
    }

    /// Records a control structure at file nesting level `level`.
    pub fn nest(&mut self, level: u32) {
        self.max_nesting = self.max_nesting.max(level.saturating_sub(self.base_nesting));
    }

    /// Merges a nested unit's figures.
    pub fn absorb(&mut self, child: &Shape) {
        self.nodes += child.nodes;
        self.decisions += child.decisions;
        let offset = child.base_nesting.saturating_sub(self.base_nesting);
        self.max_nesting = self.max_nesting.max(child.max_nesting + offset);
    }
}

/// True when `node` (of kind `info`, inside a node of kind `parent`) is a decision point.
pub(crate) fn is_decision(node: Node, info: &KindInfo, parent: Option<&KindInfo>, src: &[u8]) -> bool {
    if info.decision {
        return true;
    }
    if info.logical_operator {
        return parent.is_some_and(|p| p.logical_parent);
    }
    let Some(guarded) = info.guarded else {
        return false;
    };
    match guarded.unless {
        Unless::ChildToken(token) => {
            let mut cursor = node.walk();
            let found = node.children(&mut cursor).any(|c| !c.is_named() && c.kind() == token);
            !found
        }
        Unless::FieldText(field, text) => {
            node.child_by_field_name(field).is_none_or(|f| f.utf8_text(src).map(str::trim) != Ok(text))
        }
    }
}

/// Number of lines of `bytes`: newlines, plus one for a last line without a newline.
pub fn line_count(bytes: &[u8]) -> u32 {
    let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
    let partial = usize::from(bytes.last().is_some_and(|&b| b != b'\n'));
    u32::try_from(newlines + partial).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(line_count(b""), 0);
        assert_eq!(line_count(b"a"), 1);
        assert_eq!(line_count(b"a\n"), 1);
        assert_eq!(line_count(b"a\nb"), 2);
    }

    #[test]
    fn nesting_offsets() {
        let mut outer = Shape::at_level(0);
        let mut inner = Shape::at_level(2);
        inner.nest(4);
        outer.nest(1);
        outer.absorb(&inner);
        assert_eq!(outer.max_nesting, 4);
    }
}
