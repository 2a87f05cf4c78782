//! The Go table.

use super::{LanguageTable, NameRule, UnitRule, When, C_LOGICAL};
use crate::model::UnitKind;

/// Go's units, decision points and nesting levels.
pub(super) static TABLE: LanguageTable = LanguageTable {
    units: &[&[
        UnitRule::named("function_declaration", UnitKind::Function),
        UnitRule { node: "method_declaration", kind: UnitKind::Method, name: NameRule::GoMethod, when: When::Always },
        UnitRule {
            node: "type_spec",
            kind: UnitKind::Struct,
            name: NameRule::Field("name"),
            when: When::FieldKind("type", &["struct_type"]),
        },
        UnitRule {
            node: "type_spec",
            kind: UnitKind::Interface,
            name: NameRule::Field("name"),
            when: When::FieldKind("type", &["interface_type"]),
        },
        UnitRule::closure("short_var_declaration", "left", "right", &["func_literal"]),
        UnitRule::closure("var_spec", "name", "value", &["func_literal"]),
        UnitRule::closure("assignment_statement", "left", "right", &["func_literal"]),
    ]],
    decisions: &[&["if_statement", "for_statement", "expression_case", "type_case", "communication_case"]],
    guarded_decisions: &[],
    logical_operators: C_LOGICAL,
    logical_parents: &["binary_expression"],
    nesting: &[&[
        "if_statement",
        "for_statement",
        "expression_switch_statement",
        "type_switch_statement",
        "select_statement",
    ]],
    else_wrappers: &[],
};
