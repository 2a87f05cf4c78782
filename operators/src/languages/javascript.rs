//! The JavaScript table; its lists are shared by the TypeScript/TSX table.

use super::{Kinds, LanguageTable, UnitRule};
use crate::model::UnitKind;

/// Expressions that make a declaration or assignment a closure unit.
pub(super) const CLOSURES: Kinds = &["arrow_function", "function_expression", "generator_function"];

/// Units common to JavaScript and TypeScript.
pub(super) const UNITS: &[UnitRule] = &[
    UnitRule::named("function_declaration", UnitKind::Function),
    UnitRule::named("generator_function_declaration", UnitKind::Function),
    UnitRule::named("class_declaration", UnitKind::Class),
    UnitRule::named("method_definition", UnitKind::Function),
    UnitRule::closure("variable_declarator", "name", "value", CLOSURES),
    UnitRule::closure("assignment_expression", "left", "right", CLOSURES),
    UnitRule::closure("pair", "key", "value", CLOSURES),
];

/// Decision points common to JavaScript and TypeScript.
const DECISIONS: Kinds = &[
    "if_statement",
    "for_statement",
    "for_in_statement",
    "while_statement",
    "do_statement",
    "switch_case",
    "catch_clause",
    "ternary_expression",
];

/// Short-circuit operators of JavaScript and TypeScript.
const LOGICAL: Kinds = &["&&", "||", "??"];

/// Nesting control structures common to JavaScript and TypeScript.
const NESTING: Kinds = &[
    "if_statement",
    "for_statement",
    "for_in_statement",
    "while_statement",
    "do_statement",
    "switch_statement",
    "try_statement",
];

/// JavaScript's units, decision points and nesting levels.
pub(super) static TABLE: LanguageTable =
    with_units(&[UNITS, &[UnitRule::closure("field_definition", "property", "value", CLOSURES)]]);

/// A table of the JavaScript family: these units, JavaScript's decision points and nesting.
pub(super) const fn with_units(units: &'static [&'static [UnitRule]]) -> LanguageTable {
    LanguageTable {
        units,
        decisions: &[DECISIONS],
        guarded_decisions: &[],
        logical_operators: LOGICAL,
        logical_parents: &["binary_expression"],
        nesting: &[NESTING],
        else_wrappers: &["else_clause"],
    }
}
