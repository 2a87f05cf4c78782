//! The Rust table.

use super::{GuardedDecision, LanguageTable, NameRule, UnitRule, Unless, When, C_LOGICAL};
use crate::model::UnitKind;

/// Rust's units, decision points and nesting levels.
pub(super) static TABLE: LanguageTable = LanguageTable {
    units: &[&[
        UnitRule::named("function_item", UnitKind::Function),
        UnitRule::named("struct_item", UnitKind::Struct),
        UnitRule::named("union_item", UnitKind::Struct),
        UnitRule::named("enum_item", UnitKind::Enum),
        UnitRule::named("trait_item", UnitKind::Trait),
        UnitRule { node: "impl_item", kind: UnitKind::Impl, name: NameRule::RustImpl, when: When::Always },
        UnitRule::with_body("mod_item", UnitKind::Module),
        UnitRule::closure("let_declaration", "pattern", "value", &["closure_expression"]),
    ]],
    decisions: &[&["if_expression", "while_expression", "for_expression"]],
    guarded_decisions: &[GuardedDecision { node: "match_arm", unless: Unless::FieldText("pattern", "_") }],
    logical_operators: C_LOGICAL,
    logical_parents: &["binary_expression"],
    nesting: &[&["if_expression", "match_expression", "for_expression", "while_expression", "loop_expression"]],
    else_wrappers: &["else_clause"],
};
