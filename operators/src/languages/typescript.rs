//! The TypeScript table, shared by TSX: JavaScript's rows plus TypeScript's declarations.

use super::javascript::{with_units, CLOSURES, UNITS};
use super::{LanguageTable, UnitRule};
use crate::model::UnitKind;

/// TypeScript's (and TSX's) units, decision points and nesting levels.
pub(super) static TABLE: LanguageTable = with_units(&[
    UNITS,
    &[
        UnitRule::named("abstract_class_declaration", UnitKind::Class),
        UnitRule::named("interface_declaration", UnitKind::Interface),
        UnitRule::named("enum_declaration", UnitKind::Enum),
        UnitRule::named("internal_module", UnitKind::Module),
        UnitRule::closure("public_field_definition", "name", "value", CLOSURES),
    ],
]);
