//! A language table compiled against its grammar: one entry per node kind id, so that the walk
//! classifies a node with one array lookup. Compiled once per language, on first use.

use crate::fingerprint::{self, LiteralClass, TokenClass};
use crate::languages::{self, GuardedDecision, Kinds, LanguageTable, UnitRule};
use crate::model::Lang;
use std::sync::OnceLock;
use tree_sitter::Language;

/// What the walk needs to know about one node kind.
#[derive(Clone, Debug, Default)]
pub(crate) struct KindInfo {
    /// A comment: skipped with its subtree.
    pub comment: bool,
    /// How a leaf of this kind enters the token stream.
    pub token: TokenClass,
    /// A literal read as one token (its parts are not descended into).
    pub literal: bool,
    /// A decision point.
    pub decision: bool,
    /// A decision point with an exception.
    pub guarded: Option<&'static GuardedDecision>,
    /// A short-circuit operator token.
    pub logical_operator: bool,
    /// A node whose short-circuit operator tokens count.
    pub logical_parent: bool,
    /// A control structure adding a nesting level.
    pub nesting: bool,
    /// A node wrapping an `else` branch.
    pub else_wrapper: bool,
    /// The unit rules for this kind, in table order.
    pub rules: Vec<&'static UnitRule>,
    /// The vector slot of this kind's unigram feature.
    pub slot: fingerprint::Slot,
}

/// A language table compiled against its grammar.
pub(crate) struct Compiled {
    /// The grammar.
    pub language: Language,
    /// Indexed by node kind id.
    infos: Vec<KindInfo>,
    /// Returned for ids beyond the grammar's (never met in a tree of this grammar).
    unknown: KindInfo,
}

impl Compiled {
    /// What the table says about node kind `id`.
    pub fn info(&self, id: u16) -> &KindInfo {
        self.infos.get(usize::from(id)).unwrap_or(&self.unknown)
    }

    fn build(lang: Lang) -> Self {
        let language = languages::grammar(lang);
        let table = languages::table(lang);
        let count = u16::try_from(language.node_kind_count()).unwrap_or(u16::MAX);
        let infos = (0..count)
            .map(|id| {
                let name = language.node_kind_for_id(id).unwrap_or("");
                classify(table, name, language.node_kind_is_named(id), id)
            })
            .collect();
        Compiled { language, infos, unknown: KindInfo::default() }
    }
}

fn any(lists: &[Kinds], name: &str) -> bool {
    lists.iter().any(|list| list.contains(&name))
}

fn classify(table: &'static LanguageTable, name: &str, named: bool, id: u16) -> KindInfo {
    let mut info = KindInfo { slot: fingerprint::feature_slot(1, id, 0), ..KindInfo::default() };
    if !named {
        info.logical_operator = table.logical_operators.contains(&name);
        return info;
    }
    let literal = if languages::STRINGS.contains(&name) {
        Some(LiteralClass::String)
    } else if languages::NUMBERS.contains(&name) {
        Some(LiteralClass::Number)
    } else if languages::CHARS.contains(&name) {
        Some(LiteralClass::Char)
    } else {
        None
    };
    info.comment = languages::COMMENTS.contains(&name);
    info.literal = literal.is_some();
    info.token = match literal {
        Some(class) => TokenClass::Literal(class),
        None if languages::IDENTIFIERS.contains(&name) => TokenClass::Identifier,
        None => TokenClass::Plain,
    };
    info.decision = any(table.decisions, name);
    info.guarded = table.guarded_decisions.iter().find(|g| g.node == name);
    info.logical_parent = table.logical_parents.contains(&name);
    info.nesting = any(table.nesting, name);
    info.else_wrapper = table.else_wrappers.contains(&name);
    info.rules = table.units.iter().flat_map(|rules| rules.iter()).filter(|rule| rule.node == name).collect();
    info
}

/// The compiled table of `lang`.
pub(crate) fn compiled(lang: Lang) -> &'static Compiled {
    static TABLES: [OnceLock<Compiled>; Lang::ALL.len()] = [const { OnceLock::new() }; Lang::ALL.len()];
    TABLES[lang as usize].get_or_init(|| Compiled::build(lang))
}
