//! The Python table.

use super::{LanguageTable, UnitRule};
use crate::model::UnitKind;

/// Python's units, decision points and nesting levels.
pub(super) static TABLE: LanguageTable = LanguageTable {
    units: &[&[
        UnitRule::named("function_definition", UnitKind::Function),
        UnitRule::named("class_definition", UnitKind::Class),
        UnitRule::closure("assignment", "left", "right", &["lambda"]),
    ]],
    decisions: &[&[
        "if_statement",
        "elif_clause",
        "for_statement",
        "while_statement",
        "except_clause",
        "conditional_expression",
        "case_clause",
        "for_in_clause",
        "if_clause",
    ]],
    guarded_decisions: &[],
    logical_operators: &["and", "or"],
    logical_parents: &["boolean_operator"],
    nesting: &[&[
        "if_statement",
        "for_statement",
        "while_statement",
        "try_statement",
        "with_statement",
        "match_statement",
    ]],
    else_wrappers: &[],
};
