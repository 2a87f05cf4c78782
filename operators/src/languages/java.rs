//! The Java table.

use super::{GuardedDecision, LanguageTable, UnitRule, CASE_UNLESS_DEFAULT, C_LOGICAL};
use crate::model::UnitKind;

/// Java's units, decision points and nesting levels.
pub(super) static TABLE: LanguageTable = LanguageTable {
    units: &[&[
        UnitRule::named("class_declaration", UnitKind::Class),
        UnitRule::named("record_declaration", UnitKind::Class),
        UnitRule::named("interface_declaration", UnitKind::Interface),
        UnitRule::named("annotation_type_declaration", UnitKind::Interface),
        UnitRule::named("enum_declaration", UnitKind::Enum),
        UnitRule::named("method_declaration", UnitKind::Method),
        UnitRule::named("constructor_declaration", UnitKind::Method),
        UnitRule::closure("variable_declarator", "name", "value", &["lambda_expression"]),
    ]],
    decisions: &[&[
        "if_statement",
        "for_statement",
        "enhanced_for_statement",
        "while_statement",
        "do_statement",
        "catch_clause",
        "ternary_expression",
    ]],
    guarded_decisions: &[GuardedDecision { node: "switch_label", unless: CASE_UNLESS_DEFAULT }],
    logical_operators: C_LOGICAL,
    logical_parents: &["binary_expression"],
    nesting: &[&[
        "if_statement",
        "for_statement",
        "enhanced_for_statement",
        "while_statement",
        "do_statement",
        "switch_expression",
        "try_statement",
        "try_with_resources_statement",
    ]],
    else_wrappers: &[],
};
