//! Language tables: which syntax nodes are units and how they are named, which node kinds are
//! decision points (cyclomatic complexity) and nesting levels; one file per language.
//!
//! A table only names node kinds; the private `kinds` module compiles it once per grammar into
//! a lookup by node kind id. Names a grammar does not have are ignored there, which lets the token classes
//! below ([`COMMENTS`], [`IDENTIFIERS`], …) be shared by every language; the per-language lists are
//! checked against their grammar by a test.
//!
//! Naming conventions, beyond "the `name` field":
//! - C and C++ functions are named by the innermost name of their declarator chain, with `::`
//!   written `.` (`void Foo::bar()` is the function `Foo.bar`).
//! - A Rust impl is named `Type` (inherent) or `Trait for Type`, its methods `Trait for Type.fmt`.
//! - A Go method is named `Receiver.name`, the receiver's type name without pointer or generics.
//! - A closure is named by what it is bound to: the left side of the declaration or assignment
//!   (`EventEmitter.prototype.emit = function …` is the closure `EventEmitter.prototype.emit`).

mod c;
mod cpp;
mod go;
mod header;
mod java;
mod javascript;
mod python;
mod rust;
mod typescript;

pub use header::is_cpp_header;

use crate::model::{Lang, UnitKind};

/// A list of node kind names.
pub type Kinds = &'static [&'static str];

/// How a unit's own (unqualified) name is read from its node.
#[derive(Clone, Copy, Debug)]
pub enum NameRule {
    /// The text of the child in this field (`<anon>` when absent).
    Field(&'static str),
    /// C/C++: follow the `declarator` field chain down to the name.
    Declarator,
    /// Rust: `Type` or `Trait for Type`, from the `trait` and `type` fields.
    RustImpl,
    /// Go: `Receiver.name`, from the `receiver` and `name` fields.
    GoMethod,
}

/// When a node of the rule's kind is a unit.
#[derive(Clone, Copy, Debug)]
pub enum When {
    /// Always.
    Always,
    /// Only when the field is present (a struct with a body, not a mere reference).
    HasField(&'static str),
    /// Only when the field's node (or the first element of an expression list there) has one
    /// of these kinds: a declaration whose value is a closure.
    FieldKind(&'static str, Kinds),
}

/// One row of a language table: a node kind that is a unit.
#[derive(Clone, Copy, Debug)]
pub struct UnitRule {
    /// The node kind.
    pub node: &'static str,
    /// The unit kind; a `Function` directly inside a class-like unit becomes a `Method`.
    pub kind: UnitKind,
    /// Where its name comes from.
    pub name: NameRule,
    /// The condition under which the node is a unit.
    pub when: When,
}

impl UnitRule {
    /// A unit named by its `name` field, whenever the node occurs.
    pub const fn named(node: &'static str, kind: UnitKind) -> Self {
        UnitRule { node, kind, name: NameRule::Field("name"), when: When::Always }
    }

    /// A unit named by its `name` field that counts only when it has a `body`.
    pub const fn with_body(node: &'static str, kind: UnitKind) -> Self {
        UnitRule { node, kind, name: NameRule::Field("name"), when: When::HasField("body") }
    }

    /// A closure: a declaration or assignment named by field `name` whose field `value` holds
    /// one of `closures`.
    pub const fn closure(node: &'static str, name: &'static str, value: &'static str, closures: Kinds) -> Self {
        UnitRule { node, kind: UnitKind::Closure, name: NameRule::Field(name), when: When::FieldKind(value, closures) }
    }
}

/// What makes an otherwise decision-point node not count.
#[derive(Clone, Copy, Debug)]
pub enum Unless {
    /// It has a direct child token of this kind (`default` of a `case`).
    ChildToken(&'static str),
    /// The text of this field equals the string (a `_ =>` match arm).
    FieldText(&'static str, &'static str),
}

/// A decision point that does not count in one case (a switch's default arm).
#[derive(Clone, Copy, Debug)]
pub struct GuardedDecision {
    /// The node kind.
    pub node: &'static str,
    /// When it does not count.
    pub unless: Unless,
}

/// Everything cpt knows about one language's syntax.
#[derive(Debug)]
pub struct LanguageTable {
    /// Node kinds that are units (several lists, so that related languages share rows).
    pub units: &'static [&'static [UnitRule]],
    /// Node kinds that are decision points: branches, loops, arms, handlers, ternaries.
    pub decisions: &'static [Kinds],
    /// Decision points with an exception.
    pub guarded_decisions: &'static [GuardedDecision],
    /// Short-circuit operator tokens, decision points inside a [`Self::logical_parents`] node.
    pub logical_operators: Kinds,
    /// Node kinds whose short-circuit operator tokens count.
    pub logical_parents: Kinds,
    /// Control structures that add a nesting level.
    pub nesting: &'static [Kinds],
    /// Node kinds that wrap an `else` branch: an `if` directly inside one (`else if`) or directly
    /// inside an `if` adds no nesting level.
    pub else_wrappers: Kinds,
}

/// Comment node kinds: skipped with their whole subtree.
pub const COMMENTS: Kinds = &["comment", "line_comment", "block_comment"];

/// Identifier-like leaf kinds, replaced by one placeholder in the structural hash.
pub const IDENTIFIERS: Kinds = &[
    "identifier",
    "field_identifier",
    "type_identifier",
    "property_identifier",
    "private_property_identifier",
    "shorthand_property_identifier",
    "shorthand_property_identifier_pattern",
    "shorthand_field_identifier",
    "package_identifier",
    "namespace_identifier",
    "statement_identifier",
    "label_name",
];

/// String literal kinds: one token each (their parts are not descended into).
pub const STRINGS: Kinds = &[
    "string",
    "string_literal",
    "raw_string_literal",
    "interpreted_string_literal",
    "template_string",
    "text_block",
    "system_lib_string",
];

/// Numeric literal kinds.
pub const NUMBERS: Kinds = &[
    "integer",
    "float",
    "number",
    "integer_literal",
    "float_literal",
    "int_literal",
    "imaginary_literal",
    "number_literal",
    "decimal_integer_literal",
    "hex_integer_literal",
    "octal_integer_literal",
    "binary_integer_literal",
    "decimal_floating_point_literal",
    "hex_floating_point_literal",
];

/// Character literal kinds.
pub const CHARS: Kinds = &["char_literal", "character_literal", "rune_literal"];

/// The short-circuit operators of the C family.
pub const C_LOGICAL: Kinds = &["&&", "||"];

/// A `case`/`default` label: counts unless it is the `default`.
pub const CASE_UNLESS_DEFAULT: Unless = Unless::ChildToken("default");

/// The language table of `lang`.
pub fn table(lang: Lang) -> &'static LanguageTable {
    match lang {
        Lang::Rust => &rust::TABLE,
        Lang::Python => &python::TABLE,
        Lang::JavaScript => &javascript::TABLE,
        Lang::TypeScript | Lang::Tsx => &typescript::TABLE,
        Lang::Go => &go::TABLE,
        Lang::Java => &java::TABLE,
        Lang::C => &c::TABLE,
        Lang::Cpp => &cpp::TABLE,
    }
}

/// The tree-sitter grammar of `lang`.
pub fn grammar(lang: Lang) -> tree_sitter::Language {
    match lang {
        Lang::Rust => tree_sitter_rust::LANGUAGE.into(),
        Lang::Python => tree_sitter_python::LANGUAGE.into(),
        Lang::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
        Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
        Lang::Go => tree_sitter_go::LANGUAGE.into(),
        Lang::Java => tree_sitter_java::LANGUAGE.into(),
        Lang::C => tree_sitter_c::LANGUAGE.into(),
        Lang::Cpp => tree_sitter_cpp::LANGUAGE.into(),
    }
}

/// The grammar crates' versions, for the output manifest: (crate, version), as pinned in the
/// workspace `Cargo.toml` (a test checks the two agree).
pub fn grammar_versions() -> Vec<(&'static str, &'static str)> {
    vec![
        ("tree-sitter", "0.27.1"),
        ("tree-sitter-rust", "0.24.2"),
        ("tree-sitter-python", "0.25.0"),
        ("tree-sitter-javascript", "0.25.0"),
        ("tree-sitter-typescript", "0.23.2"),
        ("tree-sitter-go", "0.25.0"),
        ("tree-sitter-java", "0.23.5"),
        ("tree-sitter-c", "0.24.2"),
        ("tree-sitter-cpp", "0.23.4"),
    ]
}
