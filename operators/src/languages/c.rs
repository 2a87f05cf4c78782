//! The C table; its lists are shared by the C++ table.

use super::{GuardedDecision, Kinds, LanguageTable, NameRule, UnitRule, When, CASE_UNLESS_DEFAULT, C_LOGICAL};
use crate::model::UnitKind;

/// Units common to C and C++.
pub(super) const UNITS: &[UnitRule] = &[
    UnitRule { node: "function_definition", kind: UnitKind::Function, name: NameRule::Declarator, when: When::Always },
    UnitRule::with_body("struct_specifier", UnitKind::Struct),
    UnitRule::with_body("union_specifier", UnitKind::Struct),
    UnitRule::with_body("enum_specifier", UnitKind::Enum),
];

/// Decision points common to C and C++.
pub(super) const DECISIONS: Kinds =
    &["if_statement", "for_statement", "while_statement", "do_statement", "conditional_expression"];

/// Guarded decision points common to C and C++.
pub(super) const GUARDED: &[GuardedDecision] =
    &[GuardedDecision { node: "case_statement", unless: CASE_UNLESS_DEFAULT }];

/// Nesting control structures common to C and C++.
pub(super) const NESTING: Kinds =
    &["if_statement", "for_statement", "while_statement", "do_statement", "switch_statement"];

/// C's units, decision points and nesting levels.
pub(super) static TABLE: LanguageTable = LanguageTable {
    units: &[UNITS],
    decisions: &[DECISIONS],
    guarded_decisions: GUARDED,
    logical_operators: C_LOGICAL,
    logical_parents: &["binary_expression"],
    nesting: &[NESTING],
    else_wrappers: &["else_clause"],
};
