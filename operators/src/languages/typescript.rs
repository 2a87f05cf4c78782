//! The TypeScript table, shared by TSX: JavaScript's rows plus TypeScript's declarations.

use super::javascript::{CLOSURE_KINDS, DECISIONS, LOGICAL, NESTING, UNITS};
use super::{LanguageTable, UnitRule};
use crate::model::UnitKind;

/// TypeScript's (and TSX's) units, decision points and nesting levels.
pub(super) static TABLE: LanguageTable = LanguageTable {
    units: &[
        UNITS,
        &[
            UnitRule::named("abstract_class_declaration", UnitKind::Class),
            UnitRule::named("interface_declaration", UnitKind::Interface),
            UnitRule::named("enum_declaration", UnitKind::Enum),
            UnitRule::named("internal_module", UnitKind::Module),
            UnitRule::closure("public_field_definition", "name", "value", CLOSURE_KINDS),
        ],
    ],
    decisions: &[DECISIONS],
    guarded_decisions: &[],
    logical_operators: LOGICAL,
    logical_parents: &["binary_expression"],
    nesting: &[NESTING],
    else_wrappers: &["else_clause"],
};
