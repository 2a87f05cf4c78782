//! The data model shared by every stage: content ids, languages, units, their fingerprints and
//! metrics, and the reasons an input can be rejected (ARCHITECTURE §3, §7).
//!
//! Every type here is plain data (`Ord`, `Hash`, serde) so that it can sit in a differential
//! collection and cross timely's exchange channels between processes.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Width of the characteristic vector of a unit (ARCHITECTURE §3: D = 128).
pub const VECTOR_DIMS: usize = 128;

/// Identity of a file's bytes: the git blob id (SHA-1 over `"blob <len>\0"` followed by the bytes),
/// so that a scanned file and the same blob met in a replayed history share one cache entry.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ContentId(pub [u8; 20]);

impl ContentId {
    /// The git blob id of `bytes`.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        use sha1::{Digest, Sha1};
        let mut hasher = Sha1::new();
        hasher.update(format!("blob {}\0", bytes.len()).as_bytes());
        hasher.update(bytes);
        ContentId(hasher.finalize().into())
    }

    /// Lower-case hexadecimal form, as `git` prints blob ids.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The id written as 40 hexadecimal digits (as [`ContentId::to_hex`] writes it); `None` for
    /// anything else.
    pub fn from_hex(hex: &str) -> Option<Self> {
        let digits = hex.as_bytes();
        if digits.len() != 40 || !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let mut id = [0u8; 20];
        for (byte, pair) in id.iter_mut().zip(digits.chunks_exact(2)) {
            *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
        }
        Some(ContentId(id))
    }
}

impl fmt::Debug for ContentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentId({})", self.to_hex())
    }
}

/// A language cpt parses. TypeScript and TSX are distinct grammars, hence distinct cache keys.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub enum Lang {
    Rust,
    Python,
    JavaScript,
    TypeScript,
    Tsx,
    Go,
    Java,
    C,
    Cpp,
}

impl Lang {
    /// Every language, in a fixed order.
    pub const ALL: [Lang; 9] = [
        Lang::Rust,
        Lang::Python,
        Lang::JavaScript,
        Lang::TypeScript,
        Lang::Tsx,
        Lang::Go,
        Lang::Java,
        Lang::C,
        Lang::Cpp,
    ];

    /// The name used on the command line and in output tables.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::JavaScript => "javascript",
            Lang::TypeScript => "typescript",
            Lang::Tsx => "tsx",
            Lang::Go => "go",
            Lang::Java => "java",
            Lang::C => "c",
            Lang::Cpp => "cpp",
        }
    }

    /// Parses a command-line name; accepts common aliases (`js`, `ts`, `c++`, `py`, `rs`).
    pub fn from_name(name: &str) -> Option<Lang> {
        let lang = match name.trim().to_ascii_lowercase().as_str() {
            "rust" | "rs" => Lang::Rust,
            "python" | "py" => Lang::Python,
            "javascript" | "js" | "jsx" => Lang::JavaScript,
            "typescript" | "ts" => Lang::TypeScript,
            "tsx" => Lang::Tsx,
            "go" | "golang" => Lang::Go,
            "java" => Lang::Java,
            "c" => Lang::C,
            "cpp" | "c++" | "cxx" => Lang::Cpp,
            _ => return None,
        };
        Some(lang)
    }

    /// The language of a file, from its name's extension; `None` for files cpt does not parse. A
    /// `.h` header is C here, and C++ when its text says so ([`Lang::of_text`]).
    pub fn from_path(path: &[u8]) -> Option<Lang> {
        let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
        let dot = name.iter().rposition(|&b| b == b'.')?;
        let ext = std::str::from_utf8(&name[dot + 1..]).ok()?;
        let lang = match ext {
            "rs" => Lang::Rust,
            "py" | "pyi" => Lang::Python,
            "js" | "mjs" | "cjs" | "jsx" => Lang::JavaScript,
            "ts" | "mts" | "cts" => Lang::TypeScript,
            "tsx" => Lang::Tsx,
            "go" => Lang::Go,
            "java" => Lang::Java,
            "c" | "h" => Lang::C,
            "cc" | "cpp" | "cxx" | "c++" | "hh" | "hpp" | "hxx" | "h++" | "ipp" | "tcc" => Lang::Cpp,
            _ => return None,
        };
        Some(lang)
    }

    /// True for a name whose extension C and C++ share (`.h`), so that the file's text settles its
    /// language ([`Lang::of_text`]); [`Lang::from_path`] says C for it.
    pub fn text_decides(path: &[u8]) -> bool {
        path.ends_with(b".h")
    }

    /// The language of a file named `path` (as [`Lang::from_path`] gives it: `self`) with the text
    /// `bytes`: a `.h` header is C++ when its text uses C++ (see [`crate::languages::is_cpp_header`]).
    pub fn of_text(self, path: &[u8], bytes: &[u8]) -> Lang {
        match self == Lang::C && Lang::text_decides(path) && crate::languages::is_cpp_header(bytes) {
            true => Lang::Cpp,
            false => self,
        }
    }
}

/// The key under which parse results are memoised: a content in a language
/// (the same bytes as `.ts` and `.tsx` parse differently).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct ContentKey {
    /// The bytes' identity.
    pub id: ContentId,
    /// The grammar the bytes are parsed with.
    pub lang: Lang,
}

/// What a unit is.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub enum UnitKind {
    /// A file's top level (everything outside the other units).
    File,
    /// A free function.
    Function,
    /// A function inside a class, struct, impl, trait or interface.
    Method,
    /// A closure or lambda bound to a name (`let f = |x| ..`, `const f = () => ..`, `f = lambda: ..`).
    Closure,
    /// A class.
    Class,
    /// A struct or union.
    Struct,
    /// An enum.
    Enum,
    /// An interface or protocol.
    Interface,
    /// A Rust trait.
    Trait,
    /// A Rust impl block.
    Impl,
    /// A module or namespace.
    Module,
}

impl UnitKind {
    /// True for a file's top level and a module or namespace: scopes that hold other units rather
    /// than code of their own. Near-miss pairs leave them out and compare the units inside them.
    pub fn is_scope(self) -> bool {
        matches!(self, UnitKind::File | UnitKind::Module)
    }

    /// The name used in output tables.
    pub fn name(self) -> &'static str {
        match self {
            UnitKind::File => "file",
            UnitKind::Function => "function",
            UnitKind::Method => "method",
            UnitKind::Closure => "closure",
            UnitKind::Class => "class",
            UnitKind::Struct => "struct",
            UnitKind::Enum => "enum",
            UnitKind::Interface => "interface",
            UnitKind::Trait => "trait",
            UnitKind::Impl => "impl",
            UnitKind::Module => "module",
        }
    }
}

/// A unit's identity inside its file, stable under edits elsewhere in the file:
/// kind, qualified name (`Outer.inner`), and ordinal among units with the same kind and name.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct LocalUnitId {
    /// What the unit is.
    pub kind: UnitKind,
    /// Qualified name, parts joined with `.`; anonymous parts are written `<anon>`.
    pub name: String,
    /// 0 for the first unit with this kind and name in the file, 1 for the second, …
    pub ordinal: u32,
}

/// Size and shape figures of a unit or a file.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug, Default)]
pub struct Metrics {
    /// Leaf tokens, comments excluded.
    pub tokens: u32,
    /// Named syntax nodes.
    pub nodes: u32,
    /// Lines spanned (end − start + 1).
    pub lines: u32,
    /// McCabe's cyclomatic complexity: 1 + decision points.
    pub cyclomatic: u32,
    /// Deepest nesting of blocks/control structures inside the unit.
    pub max_nesting: u32,
}

/// A unit as extracted from one content: where it sits, how big it is, and its fingerprints.
/// It carries no path: the same content at two paths yields the same `UnitFingerprint`s.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct UnitFingerprint {
    /// Identity inside the file.
    pub id: LocalUnitId,
    /// The enclosing unit (the file's top level unit for top-level items), `None` for the file unit.
    pub parent: Option<LocalUnitId>,
    /// First line, 1-based.
    pub start_line: u32,
    /// Last line, 1-based, inclusive.
    pub end_line: u32,
    /// Offset of the unit's first byte in the content (0 for the file unit).
    pub start_byte: u32,
    /// Offset just past the unit's last byte (the content's length for the file unit).
    pub end_byte: u32,
    /// Size and shape.
    pub metrics: Metrics,
    /// Hash of the unit's tokens without whitespace and comments (Type-1 clones).
    pub exact_hash: u64,
    /// Hash of the tokens with identifiers and literals normalised (Type-2 clones).
    pub struct_hash: u64,
    /// Characteristic vector quantised to int8, `VECTOR_DIMS` long (ARCHITECTURE §4a).
    pub vector: Vec<i8>,
    /// The structural value of each token, cut to 32 bits, for the near-miss token check;
    /// empty for the file unit (which never takes part in clones).
    pub token_sequence: Vec<u32>,
}

/// Figures for a whole file's content.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug, Default)]
pub struct FileStats {
    /// Size in bytes.
    pub bytes: u64,
    /// Number of lines.
    pub lines: u32,
    /// Leaf tokens, comments excluded.
    pub tokens: u32,
    /// Units extracted (the file unit included).
    pub units: u32,
    /// tree-sitter ERROR and MISSING nodes (0 for a file that parses cleanly).
    pub error_nodes: u32,
}

/// Why an input could not be analysed, or was analysed only in part (ARCHITECTURE §7).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub enum ErrorReason {
    /// Contains NUL bytes: not source text.
    Binary,
    /// Not valid UTF-8.
    InvalidUtf8,
    /// Larger than `--max-file-size`.
    TooLarge,
    /// Carries an `@generated` / "Code generated … DO NOT EDIT" marker near the top.
    Generated,
    /// Mean line length over the limit, or a `*.min.*` name: minified code.
    Minified,
    /// tree-sitter found ERROR or MISSING nodes; units were still extracted from the rest.
    SyntaxError,
    /// Parsing stopped at the deterministic node budget.
    TooComplex,
    /// Opening or reading failed (permissions, I/O error).
    Unreadable,
    /// A FIFO, socket or device: never opened.
    NotRegularFile,
    /// A symbolic link whose target does not exist.
    BrokenSymlink,
    /// A symbolic link that loops.
    SymlinkLoop,
    /// A symbolic link pointing outside the scanned root: reported, not followed.
    SymlinkEscapesRoot,
    /// The file disappeared between the walk and its reading.
    Vanished,
    /// The file's bytes changed between hashing and parsing.
    ChangedDuringScan,
}

impl ErrorReason {
    /// Every reason, in a fixed order.
    pub const ALL: [ErrorReason; 14] = [
        ErrorReason::Binary,
        ErrorReason::InvalidUtf8,
        ErrorReason::TooLarge,
        ErrorReason::Generated,
        ErrorReason::Minified,
        ErrorReason::SyntaxError,
        ErrorReason::TooComplex,
        ErrorReason::Unreadable,
        ErrorReason::NotRegularFile,
        ErrorReason::BrokenSymlink,
        ErrorReason::SymlinkLoop,
        ErrorReason::SymlinkEscapesRoot,
        ErrorReason::Vanished,
        ErrorReason::ChangedDuringScan,
    ];

    /// The name written in the `errors` table's `reason` column.
    pub fn name(self) -> &'static str {
        match self {
            ErrorReason::Binary => "binary",
            ErrorReason::InvalidUtf8 => "invalid_utf8",
            ErrorReason::TooLarge => "too_large",
            ErrorReason::Generated => "generated",
            ErrorReason::Minified => "minified",
            ErrorReason::SyntaxError => "syntax_error",
            ErrorReason::TooComplex => "too_complex",
            ErrorReason::Unreadable => "unreadable",
            ErrorReason::NotRegularFile => "not_regular_file",
            ErrorReason::BrokenSymlink => "broken_symlink",
            ErrorReason::SymlinkLoop => "symlink_loop",
            ErrorReason::SymlinkEscapesRoot => "symlink_escapes_root",
            ErrorReason::Vanished => "vanished",
            ErrorReason::ChangedDuringScan => "changed_during_scan",
        }
    }

    /// True for files passed over by policy rather than broken: too large, generated, minified.
    pub fn is_policy(self) -> bool {
        matches!(self, ErrorReason::TooLarge | ErrorReason::Generated | ErrorReason::Minified)
    }
}

/// One problem found in one input, with a human-readable detail.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct InputError {
    /// Why.
    pub reason: ErrorReason,
    /// What exactly (an OS error, a line number, a count).
    pub detail: String,
}

/// Everything learnt from one content: a pure function of (bytes, language, configuration).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Debug, Default)]
pub struct ParsedContent {
    /// Figures for the whole file; `None` when the content was rejected (binary, generated, …).
    pub file: Option<FileStats>,
    /// The units, the file unit first, then in source order.
    pub units: Vec<UnitFingerprint>,
    /// Problems found; a rejected content has exactly one, a partially parsed one may have some.
    pub errors: Vec<InputError>,
    /// The catalogue elements found in the units (empty unless analysed with a catalogue), by
    /// unit, then element, a query match before an exemplar match of the same element.
    pub matches: Vec<ElementMatch>,
}

/// How a catalogue element was recognised in a unit.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub enum RecogniserKind {
    /// A tree-sitter query (exact).
    Query,
    /// Vector similarity to an exemplar snippet (fuzzy).
    Exemplar,
}

impl RecogniserKind {
    /// The name written in reports and tables.
    pub fn name(self) -> &'static str {
        match self {
            RecogniserKind::Query => "query",
            RecogniserKind::Exemplar => "exemplar",
        }
    }
}

/// One catalogue element found in one unit of a content (ARCHITECTURE §5).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub struct ElementMatch {
    /// Index of the unit in [`ParsedContent::units`].
    pub unit: u32,
    /// Index of the element in its catalogue (whose fingerprint is [`AnalysisConfig::catalog`]).
    pub element: u32,
    /// How it was found.
    pub kind: RecogniserKind,
    /// 100 for a query; for an exemplar, the best cosine similarity in whole percent.
    pub score: u8,
}

/// The analysis settings that change what a content yields; part of the memo key's configuration.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Debug)]
pub struct AnalysisConfig {
    /// Files whose mean line length exceeds this are rejected as minified (0: never).
    pub max_mean_line_length: u32,
    /// Reject files carrying a generated-code marker in their first lines.
    pub skip_generated: bool,
    /// Deterministic budget on syntax nodes per file; beyond it the file is rejected as too complex.
    pub max_nodes: u64,
    /// Fingerprint of the catalogue whose elements are matched in each unit (empty: none is).
    pub catalog: String,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        AnalysisConfig { max_mean_line_length: 300, skip_generated: true, max_nodes: 5_000_000, catalog: String::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::{ContentId, Lang};

    #[test]
    fn content_ids_read_back_from_hexadecimal() {
        let id = ContentId::of_bytes(b"fn main() {}\n");
        assert_eq!(ContentId::from_hex(&id.to_hex()), Some(id));
        assert_eq!(ContentId::from_hex(&id.to_hex().to_uppercase()), Some(id));
        assert_eq!(ContentId::from_hex(&id.to_hex()[1..]), None);
        assert_eq!(ContentId::from_hex(&format!("+{}", &id.to_hex()[1..])), None);
    }

    #[test]
    fn languages_are_listed_in_declaration_order() {
        for (index, lang) in Lang::ALL.iter().enumerate() {
            assert_eq!(*lang as usize, index, "{lang:?}");
        }
    }
}
