//! The C++ table: C's rows plus classes, namespaces, lambdas, range loops and exceptions.

use super::c::{DECISIONS, GUARDED, NESTING, UNITS};
use super::{LanguageTable, UnitRule, C_LOGICAL};
use crate::model::UnitKind;

/// C++'s units, decision points and nesting levels.
pub(super) static TABLE: LanguageTable = LanguageTable {
    units: &[
        UNITS,
        &[
            UnitRule::with_body("class_specifier", UnitKind::Class),
            UnitRule::with_body("namespace_definition", UnitKind::Module),
            UnitRule::closure("init_declarator", "declarator", "value", &["lambda_expression"]),
        ],
    ],
    decisions: &[DECISIONS, &["for_range_loop", "catch_clause"]],
    guarded_decisions: GUARDED,
    logical_operators: C_LOGICAL,
    logical_parents: &["binary_expression"],
    nesting: &[NESTING, &["for_range_loop", "try_statement"]],
    else_wrappers: &["else_clause"],
};
