//! The catalogue's data model (ARCHITECTURE §5): elements with their family, category and period,
//! and per language the recognisers that find them and the examples that test them. Every text
//! read from a catalogue file keeps its position, so that later stages point at the right line.

use crate::catalog::diagnostic::Position;
use crate::model::Lang;

/// The table's column groups.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Family {
    /// Values: validation, transformation, storage.
    Data,
    /// The flow of execution: conditionals, iteration, concurrency, error handling.
    Control,
    /// How code is put together: encapsulation, composition, abstraction.
    Structural,
    /// How parts interact over time: communication, coordination, state.
    Behavioral,
    /// Authentication, authorization, protection.
    Security,
}

impl Family {
    /// Every family, in the table's column order.
    pub const ALL: [Family; 5] =
        [Family::Data, Family::Control, Family::Structural, Family::Behavioral, Family::Security];

    /// The name written in catalogue files and tables.
    pub fn name(self) -> &'static str {
        match self {
            Family::Data => "Data",
            Family::Control => "Control",
            Family::Structural => "Structural",
            Family::Behavioral => "Behavioral",
            Family::Security => "Security",
        }
    }

    /// The family named `name` (exact spelling).
    pub fn from_name(name: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|family| family.name() == name)
    }
}

/// The table's rows: how much code an element spans.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Period {
    /// 1: a single construct (a null check, a guard clause).
    Atomic,
    /// 2: a few constructs working together (retry with backoff, lock/unlock).
    Molecular,
    /// 3: a whole unit's design (builder, state machine).
    Composite,
    /// 4: a shape spanning units (worker pool, circuit breaker, event bus).
    Architectural,
}

impl Period {
    /// Every period, top row first.
    pub const ALL: [Period; 4] = [Period::Atomic, Period::Molecular, Period::Composite, Period::Architectural];

    /// The row number written in catalogue files: 1 to 4.
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// The period's name.
    pub fn name(self) -> &'static str {
        match self {
            Period::Atomic => "atomic",
            Period::Molecular => "molecular",
            Period::Composite => "composite",
            Period::Architectural => "architectural",
        }
    }

    /// The period of row `number`.
    pub fn from_number(number: i64) -> Option<Period> {
        Period::ALL.into_iter().find(|period| i64::from(period.number()) == number)
    }
}

/// A text read from a catalogue file (a query, a snippet) with a way back to the file's lines.
#[derive(Clone, Debug)]
pub struct SourceText {
    /// The text itself.
    pub text: String,
    /// Where the text's first character stands in the file.
    pub start: Position,
    /// True when every line of the text stands verbatim in the file, one under the other at the
    /// start's column (a literal block scalar, or a one-line scalar); then any offset in the text
    /// maps to its exact file position, otherwise to the start.
    pub verbatim: bool,
}

impl SourceText {
    /// The file position of byte `offset` of the text.
    pub fn position_at(&self, offset: usize) -> Position {
        if !self.verbatim {
            return self.start.clone();
        }
        let before = &self.text[..floor_char_boundary(&self.text, offset)];
        let row = before.matches('\n').count();
        let line_start = before.rfind('\n').map_or(0, |at| at + 1);
        let column = before[line_start..].chars().count();
        self.start.shifted(row, column)
    }

    /// The file position of line `row` (0-based) of the text.
    pub fn position_of_row(&self, row: usize) -> Position {
        let offset = self.text.split_inclusive('\n').take(row).map(str::len).sum();
        self.position_at(offset)
    }
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    (0..=offset.min(text.len())).rev().find(|&at| text.is_char_boundary(at)).unwrap_or(0)
}

/// How one language recognises an element.
#[derive(Clone, Debug)]
pub enum Recogniser {
    /// Exact: a tree-sitter query; each match locates the element at the node of one capture.
    Query {
        /// The grammar the query is written for.
        language: Lang,
        /// The query text.
        query: SourceText,
        /// The capture whose node locates a match (`match` unless the file names another).
        capture: String,
        /// A capture whose text must equal the name of the unit the match is attributed to (its
        /// last part: `fact` for `Math.fact`), as a recursive call names its own function.
        unit_name: Option<String>,
        /// When true (`patterns: all`), a node counts only where every pattern of the query
        /// matched it (at the locating capture); otherwise a match of any pattern counts.
        all_patterns: bool,
    },
    /// Fuzzy: units whose vectors are close enough to one of the snippets' main units.
    Exemplar {
        /// The language of the snippets.
        language: Lang,
        /// Code showing the element.
        snippets: Vec<SourceText>,
        /// The least similarity that matches, in percent of the cosine (1 to 100).
        threshold: u8,
    },
}

impl Recogniser {
    /// The language this recogniser applies to.
    pub fn language(&self) -> Lang {
        match self {
            Recogniser::Query { language, .. } | Recogniser::Exemplar { language, .. } => *language,
        }
    }
}

/// Snippets in one language that must, or must not, be matched by their element.
#[derive(Clone, Debug)]
pub struct Examples {
    /// The snippets' language.
    pub language: Lang,
    /// Each must be matched by the element.
    pub positive: Vec<SourceText>,
    /// None may be matched by the element: near misses.
    pub negative: Vec<SourceText>,
}

/// One entry of the periodic table.
#[derive(Clone, Debug)]
pub struct Element {
    /// One to three letters, a capital then lower case (`Gc`), unique in a catalogue.
    pub symbol: String,
    /// A short name (`Guard clause`).
    pub name: String,
    /// One sentence saying what the element is.
    pub summary: String,
    /// The table's column group.
    pub family: Family,
    /// The category within the family (`Validation`, `Error handling`, …).
    pub category: String,
    /// The table's row.
    pub period: Period,
    /// How the element is recognised, per language (TypeScript entries cover TSX as well).
    pub recognisers: Vec<Recogniser>,
    /// The snippets that test the recognisers, per language.
    pub examples: Vec<Examples>,
    /// Where the element is defined.
    pub at: Position,
}

impl Element {
    /// The languages with a recogniser, in [`Lang::ALL`] order, without repeats.
    pub fn languages(&self) -> Vec<Lang> {
        Lang::ALL.into_iter().filter(|lang| self.recognisers.iter().any(|r| r.language() == *lang)).collect()
    }
}
