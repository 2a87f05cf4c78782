//! Positions in catalogue files and the mistakes found there, printed `FILE:LINE:COL: message`.

use std::fmt;
use std::sync::Arc;

/// A place in a catalogue file; line and column count from 1, the column in characters.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Position {
    /// The file's name as given (a built-in file is named by its path in the repository).
    pub file: Arc<str>,
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1.
    pub column: u32,
}

impl Position {
    /// The position `rows` lines below and `columns` characters right of this one.
    pub fn shifted(&self, rows: usize, columns: usize) -> Position {
        let add = |base: u32, by: usize| base.saturating_add(u32::try_from(by).unwrap_or(u32::MAX));
        Position { file: Arc::clone(&self.file), line: add(self.line, rows), column: add(self.column, columns) }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One mistake in a catalogue.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Diagnostic {
    /// Where it is.
    pub at: Position,
    /// What is wrong, and what to write instead where that is clear.
    pub message: String,
}

impl Diagnostic {
    /// A mistake at `at`.
    pub fn new(at: Position, message: impl Into<String>) -> Self {
        Diagnostic { at, message: message.into() }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}
