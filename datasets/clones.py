#!/usr/bin/env python3
"""Build a clone benchmark after Roy & Cordy's mutation framework from real functions of pinned packages.

Real functions (15-80 lines) are taken from the `bench` corpus of corpora.json (Django, three.js,
tldraw's editor (TypeScript), React Native's Java, libgit2's C, tokio's Rust), each written to a file of its own, and
mutated by named operators into other files:

  T1  t1_spacing          whitespace inside lines added or removed
      t1_layout           indentation doubled, braces moved (K&R <-> Allman), blank lines inserted
      t1_comments         the function's comments removed, real comments of the language added
  T2  t2_rename_consistent every identifier renamed, one new name per old name
      t2_rename_arbitrary  every identifier occurrence renamed independently
      t2_literals         number and string literals replaced
  T3  t3_insert           10-30 % of the lines: real statements of the language inserted
      t3_delete           10-30 % of the lines: single-line statements deleted
      t3_modify           10-30 % of the lines: an operator changed, or the statement replaced by a real one
                          (a seeded number of one-line edits between 10 % and 30 % of the non-blank lines)

Plus one hard negative per original: a distinct real function of the same language with the closest
shape (cosine of node-kind counts) among those of similar size. Originals and negatives are pairwise
distinct: the longest common subsequence of their normalised token sequences (identifiers and
literals replaced by their class) is under 60 % of the longer one; NiCad calls a pair a near-miss
clone from 70 %, so no two of them are clones by that measure, with a margin.

Every mutant is checked: it parses without an error node with the grammar versions cpt uses, T1
mutants keep the exact code-token sequence (comments aside), T2 mutants keep the token kinds, and
each operator changes something. A function is used only when all nine operators succeed. Edits are
proposed in a seeded order and kept one by one while the result stays valid, so the corpus is a pure
function of the pinned packages and the seed.

    python3 datasets/clones.py --out DIR [--per-language 60] [--seed 1]

writes DIR/<lang>/fNNN/{orig,<operator>}.<ext>, DIR/<lang>/neg/nNNN.<ext> and DIR/truth.json; the
last stdout line is DIR. Needs the Python tree-sitter bindings and grammars pinned in
datasets/clones-requirements.txt (scripts/bench-clones.sh installs them in a virtual environment).
"""

from __future__ import annotations

import argparse
import collections
import difflib
import itertools
import json
import math
import random
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter
import tree_sitter_c
import tree_sitter_java
import tree_sitter_javascript
import tree_sitter_python
import tree_sitter_rust
import tree_sitter_typescript

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import fetch  # noqa: E402  (datasets/fetch.py: builds and verifies the pinned corpus)

CORPUS = "bench"
MIN_LINES, MAX_LINES = 15, 80
MIN_TOKENS = 60
T3_MIN_FRACTION, T3_MAX_FRACTION = 0.10, 0.30
DISTINCT_BELOW = 0.6  # originals and negatives share less than this fraction of the longer token sequence
OPERATORS = {
    "t1_spacing": "T1", "t1_layout": "T1", "t1_comments": "T1",
    "t2_rename_consistent": "T2", "t2_rename_arbitrary": "T2", "t2_literals": "T2",
    "t3_insert": "T3", "t3_delete": "T3", "t3_modify": "T3",
}
COMMENT_TYPES = {"comment", "line_comment", "block_comment"}
# Swapped by t3_modify: each operator and the one that replaces it.
OPERATOR_SWAPS = {"+": "-", "-": "+", "<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==",
                  "&&": "||", "||": "&&", "and": "or", "or": "and", "*": "/", "===": "!==", "!==": "==="}


@dataclass(frozen=True)
class Language:
    """How one language's functions are found, wrapped into a file that parses, and mutated."""
    name: str
    ext: str
    grammar: object
    sources: tuple[str, ...]  # directories under the corpus root whose files are read
    source_exts: tuple[str, ...]
    functions: frozenset[str]  # node kinds taken as functions
    blocks: frozenset[str]  # node kinds whose named children are statements
    identifiers: frozenset[str]  # leaf kinds renamed by T2
    numbers: frozenset[str]
    string_parts: frozenset[str]  # leaf kinds holding a string literal's text
    comment: tuple[str, str]  # how a one-line comment opens and closes
    wrapper: tuple[str, str] = ("", "")  # text around the function (a class or impl for methods)
    braces: bool = True
    statement_end: str = ";"  # what a harvested single-line statement must end with


LANGUAGES = [
    Language("python", ".py", tree_sitter_python.language(), ("pypi/Django-5.1.4/django",), (".py",),
             frozenset({"function_definition"}), frozenset({"block"}), frozenset({"identifier"}),
             frozenset({"integer", "float"}), frozenset({"string_content"}), ("#", ""), braces=False,
             statement_end=""),
    Language("javascript", ".js", tree_sitter_javascript.language(), ("npm/three-0.171.0/src",), (".js",),
             frozenset({"function_declaration", "method_definition"}), frozenset({"statement_block"}),
             frozenset({"identifier", "property_identifier", "shorthand_property_identifier"}),
             frozenset({"number"}), frozenset({"string_fragment"}), ("//", ""), wrapper=("class Bench {\n", "}\n")),
    Language("typescript", ".ts", tree_sitter_typescript.language_typescript(),
             ("npm/tldraw__editor-3.6.1/src",), (".ts",),
             frozenset({"function_declaration", "method_definition"}), frozenset({"statement_block"}),
             frozenset({"identifier", "property_identifier", "shorthand_property_identifier", "type_identifier"}),
             frozenset({"number"}), frozenset({"string_fragment"}), ("//", ""), wrapper=("class Bench {\n", "}\n"),
             statement_end=""),
    Language("java", ".java", tree_sitter_java.language(), ("npm/react-native-0.76.5/ReactAndroid",), (".java",),
             frozenset({"method_declaration"}), frozenset({"block"}), frozenset({"identifier", "type_identifier"}),
             frozenset({"decimal_integer_literal", "decimal_floating_point_literal"}), frozenset({"string_fragment"}),
             ("//", ""), wrapper=("class Bench {\n", "}\n")),
    Language("c", ".c", tree_sitter_c.language(), ("crates/libgit2-sys-0.17.0+1.8.1/libgit2/src",), (".c",),
             frozenset({"function_definition"}), frozenset({"compound_statement"}),
             frozenset({"identifier", "field_identifier", "type_identifier"}), frozenset({"number_literal"}),
             frozenset({"string_content"}), ("/*", "*/")),
    Language("rust", ".rs", tree_sitter_rust.language(), ("crates/tokio-1.42.0/src",), (".rs",),
             frozenset({"function_item"}), frozenset({"block"}),
             frozenset({"identifier", "field_identifier", "type_identifier"}),
             frozenset({"integer_literal", "float_literal"}), frozenset({"string_content"}), ("//", ""),
             wrapper=("impl Bench {\n", "}\n")),
]


# --------------------------------------------------------------------------- parsing

class Code:
    """A function's text as it stands in its benchmark file, parsed, with its tokens."""

    def __init__(self, lang: Language, text: str):
        self.lang = lang
        self.text = text
        self.prefix = lang.wrapper[0]
        self.source = (self.prefix + text + lang.wrapper[1]).encode()
        self.tree = parser_for(lang).parse(self.source)
        self.offset = len(self.prefix.encode())
        self.tokens = [t for t in leaves(self.tree.root_node) if t.start_byte >= self.offset
                       and t.end_byte <= len(self.source) - len(lang.wrapper[1].encode())]

    @property
    def valid(self) -> bool:
        """Whether the file parses without an error or missing node."""
        return not self.tree.root_node.has_error

    def span(self, node) -> tuple[int, int]:
        """A node's character span in `text` (the function without its wrapper)."""
        return (len(self.source[self.offset:node.start_byte].decode()),
                len(self.source[self.offset:node.end_byte].decode()))

    def code_tokens(self) -> list[tuple[str, str]]:
        """(kind, text) of every token but comments."""
        return [(t.type, t.text.decode()) for t in self.tokens if t.type not in COMMENT_TYPES]

    def normalised(self) -> list[str]:
        """The code tokens with identifiers and literals replaced by their class (for distinctness)."""
        lang = self.lang
        return ["ID" if k in lang.identifiers else "LIT" if k in lang.numbers or k in lang.string_parts else s
                for k, s in self.code_tokens()]

    def shape(self) -> collections.Counter:
        """Counts of named node kinds: the function's shape."""
        counts: collections.Counter = collections.Counter()
        stack = [self.tree.root_node]
        while stack:
            n = stack.pop()
            if n.is_named:
                counts[n.type] += 1
            stack.extend(n.children)
        return counts

    def nodes(self, kinds) -> list:
        """Nodes of the given kinds inside the function, in source order."""
        out, stack = [], [self.tree.root_node]
        while stack:
            n = stack.pop()
            if n.type in kinds and n.start_byte >= self.offset:
                out.append(n)
            stack.extend(reversed(n.children))
        return out


_PARSERS: dict[str, tree_sitter.Parser] = {}


def parser_for(lang: Language) -> tree_sitter.Parser:
    """One parser per language, made on first use."""
    if lang.name not in _PARSERS:
        _PARSERS[lang.name] = tree_sitter.Parser(tree_sitter.Language(lang.grammar))
    return _PARSERS[lang.name]


def leaves(node) -> list:
    """The tokens under node: leaves, with comments taken whole."""
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if n.child_count == 0 or n.type in COMMENT_TYPES:
            if n.end_byte > n.start_byte:
                out.append(n)
        else:
            stack.extend(reversed(n.children))
    return out


# --------------------------------------------------------------------------- harvesting real functions

@dataclass
class Candidate:
    """A real function of the corpus, ready to be written to a benchmark file."""
    lang: Language
    origin: str  # package-relative path and first line, for the truth file
    code: Code
    norm: list[str] = field(default_factory=list)
    shape: collections.Counter = field(default_factory=collections.Counter)

    @property
    def lines(self) -> int:
        return self.code.text.count("\n")


@dataclass
class Pools:
    """Real material of one language for the mutation operators, taken from the corpus."""
    names: list[str]  # identifiers
    comments: list[str]  # single-line comment texts
    statements: list[str]  # single-line statements


def function_text(source: bytes, node) -> str:
    """The function's text with the indentation of its first line removed from every line."""
    line_start = source.rfind(b"\n", 0, node.start_byte) + 1
    indent = source[line_start:node.start_byte]
    if indent.strip():
        indent = b""
    lines = source[node.start_byte:node.end_byte].split(b"\n")
    body = [lines[0]] + [ln.removeprefix(indent) for ln in lines[1:]]
    return b"\n".join(body).decode("utf-8") + "\n"


def harvest(lang: Language, root: Path) -> tuple[list[Candidate], Pools]:
    """Every top-level function of 15-80 lines of the language's sources, and the pools for mutations."""
    parser = parser_for(lang)
    candidates, names, comments, statements = [], set(), set(), set()
    files = sorted(p for d in lang.sources for p in (root / d).rglob("*") if p.suffix in lang.source_exts
                   and p.is_file() and not p.name.endswith(".d.ts"))
    for path in files:
        source = path.read_bytes()
        tree = parser.parse(source)
        stack = [(tree.root_node, False)]
        while stack:
            node, inside = stack.pop()
            is_fn = node.type in lang.functions
            if is_fn and not inside and not has_descendant(node, lang.functions):
                candidates.append((path, source, node))
            for child in node.children:
                stack.append((child, inside or is_fn))
            collect_pools(lang, source, node, names, comments, statements)
    out = []
    for path, source, node in candidates:
        try:
            text = function_text(source, node)
        except UnicodeDecodeError:
            continue
        if not MIN_LINES <= text.count("\n") <= MAX_LINES:
            continue
        code = Code(lang, text)
        if not code.valid or len(code.code_tokens()) < MIN_TOKENS:
            continue
        origin = f"{path.relative_to(root)}:{node.start_point[0] + 1}"
        out.append(Candidate(lang, origin, code, code.normalised(), code.shape()))
    if not (candidates and names and comments and statements):
        raise SystemExit(f"clones: {lang.name}: the sources hold too little to mutate with (functions, names, "
                         f"comments, statements: {len(candidates)}, {len(names)}, {len(comments)}, {len(statements)})")
    # Names that are keywords or special in one of the languages are never given to an identifier.
    keywords = {"self", "this", "super", "new", "print", "exec", "async", "await", "match", "case", "type"}
    pools = Pools(sorted(n for n in names if n not in keywords), sorted(comments), sorted(statements))
    return out, pools


def has_descendant(node, kinds) -> bool:
    """Whether a node strictly below node is of one of the kinds."""
    stack = list(node.children)
    while stack:
        n = stack.pop()
        if n.type in kinds:
            return True
        stack.extend(n.children)
    return False


def collect_pools(lang: Language, source: bytes, node, names: set, comments: set, statements: set) -> None:
    """Add a node's identifier, comment or single-line statement text to the pools."""
    text = node.text.decode("utf-8", "replace")
    if node.type in lang.identifiers and re.fullmatch(r"[a-z][a-zA-Z0-9_]{2,15}", text):
        names.add(text)
    elif (node.type in COMMENT_TYPES and text.startswith(lang.comment[0]) and text.endswith(lang.comment[1])
          and "\n" not in text):
        body = text[len(lang.comment[0]):len(text) - len(lang.comment[1])].strip()
        if re.fullmatch(r"[A-Za-z][A-Za-z0-9 ,.'()_-]{9,60}", body):
            comments.add(body)
    elif (node.type == "expression_statement" and node.start_point[0] == node.end_point[0]
          and 10 <= len(text) <= 70 and text.endswith(lang.statement_end) and node.parent is not None
          and node.parent.type in lang.blocks and "\\" not in text and node.named_children
          and node.named_children[0].type not in ("string", "concatenated_string")):
        statements.add(text)


def distinct(a: list[str], b: list[str]) -> bool:
    """Whether the longest common subsequence of two normalised token sequences is under DISTINCT_BELOW of
    the longer."""
    bound = DISTINCT_BELOW * max(len(a), len(b))
    shared = collections.Counter(a) & collections.Counter(b)  # an upper bound of the LCS, cheap
    return sum(shared.values()) < bound or lcs_length(a, b) < bound


def lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence, bit-parallel (Allison & Dix): one bit per token of a."""
    masks: dict[str, int] = {}
    for i, token in enumerate(a):
        masks[token] = masks.get(token, 0) | (1 << i)
    full = (1 << len(a)) - 1
    v = full
    for token in b:
        u = v & masks.get(token, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - v.bit_count()


def cosine(a: collections.Counter, b: collections.Counter) -> float:
    """Cosine similarity of two count vectors."""
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    return dot / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))


# --------------------------------------------------------------------------- mutation

class Edits:
    """Non-overlapping replacements of character spans of a function's text, kept one group at a time
    while the edited function stays valid for the operator's type."""

    def __init__(self, original: Code, kind: str):
        self.original = original
        self.kind = kind
        self.kept: list[tuple[int, int, str]] = []
        self.groups = 0

    def render(self, edits) -> str:
        text = self.original.text
        for start, end, new in sorted(edits, reverse=True):
            text = text[:start] + new + text[end:]
        return text

    def try_group(self, group: list[tuple[int, int, str]]) -> bool:
        """Keep the group's replacements when they overlap none kept and the result is valid. Two insertions
        at one place count as overlapping (their order would be ambiguous)."""
        if any(s < ke and ks < e or s == e == ks for s, e, _ in group for ks, ke, _ in self.kept):
            return False
        trial = self.kept + group
        code = Code(self.original.lang, self.render(trial))
        if not code.valid or not self.keeps_invariant(code):
            return False
        self.kept = trial
        self.groups += 1
        return True

    def keeps_invariant(self, code: Code) -> bool:
        if self.kind == "T1":
            return code.code_tokens() == self.original.code_tokens()
        if self.kind == "T2":
            return [k for k, _ in code.code_tokens()] == [k for k, _ in self.original.code_tokens()]
        return True

    def result(self) -> str | None:
        text = self.render(self.kept)
        return text if text != self.original.text else None


class Mutator:
    """The nine operators over one function; each returns the mutated text, or None when it cannot apply."""

    def __init__(self, code: Code, pools: Pools, rng: random.Random):
        self.code, self.pools, self.rng = code, pools, rng
        self.text = code.text
        self.line_starts = [0] + [i + 1 for i, ch in enumerate(self.text) if ch == "\n"][:-1]
        self.multiline = [code.span(t) for t in code.tokens if t.start_point[0] != t.end_point[0]]
        self.statements = [n for block in code.nodes(code.lang.blocks) for n in block.named_children
                           if n.type not in COMMENT_TYPES]

    # -- helpers

    def line_of(self, pos: int) -> int:
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= pos:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def line_span(self, i: int) -> tuple[int, int]:
        """Start of line i and the position of its newline."""
        return self.line_starts[i], self.text.index("\n", self.line_starts[i])

    def indent(self, i: int) -> str:
        s, e = self.line_span(i)
        line = self.text[s:e]
        return line[:len(line) - len(line.lstrip())]

    def in_multiline_token(self, pos: int) -> bool:
        return any(s < pos < e for s, e in self.multiline)

    def statement_lines(self) -> list[int]:
        """Lines (after the first) on which a statement of a block starts, first on its line."""
        out = []
        for n in self.statements:
            s, _ = self.code.span(n)
            i = self.line_of(s)
            if i > 0 and self.text[self.line_starts[i]:s].strip() == "":
                out.append(i)
        return sorted(set(out))

    def single_line_statements(self) -> list[tuple[int, object]]:
        """(line, node) of statements alone on their line, in blocks of two statements or more."""
        out = []
        for n in self.statements:
            siblings = [c for c in n.parent.named_children if c.type not in COMMENT_TYPES]
            s, e = self.code.span(n)
            i = self.line_of(s)
            ls, le = self.line_span(i)
            if (len(siblings) >= 2 and i > 0 and self.line_of(e) == i and self.text[ls:s].strip() == ""
                    and self.text[e:le].strip() == ""):
                out.append((i, n))
        return out

    def t3_range(self) -> tuple[int, int]:
        """The fewest and most lines a T3 operator changes: 10 % and 30 % of the non-blank lines."""
        lines = sum(1 for ln in self.text.splitlines() if ln.strip())
        fewest = max(1, math.ceil(lines * T3_MIN_FRACTION))
        return fewest, max(fewest, math.floor(lines * T3_MAX_FRACTION))

    def apply(self, kind: str, groups) -> str | None:
        """The function with as many groups kept as stay valid; a T3 operator keeps a seeded number of
        one-line edits in its range, or gives up when fewer apply."""
        edits = Edits(self.code, kind)
        fewest, most = self.t3_range() if kind == "T3" else (0, None)
        want = self.rng.randint(fewest, most) if most is not None else None
        for group in groups:
            if want is not None and edits.groups >= want:
                break
            edits.try_group(group)
        return edits.result() if edits.groups >= fewest else None

    # -- T1

    def t1_spacing(self) -> str | None:
        groups = []
        tokens = self.code.tokens
        for a, b in itertools.pairwise(tokens):
            if a.end_point[0] != b.start_point[0] or a.type in COMMENT_TYPES or b.type in COMMENT_TYPES:
                continue
            (_, ae), (bs, _) = self.code.span(a), self.code.span(b)
            gap = self.text[ae:bs]
            if self.rng.random() < 0.5:
                continue
            if gap == "":
                groups.append([(ae, bs, " ")])
            elif gap == " " and (self.text[ae - 1] in "()[]{},;" or self.text[bs] in "()[]{},;"):
                groups.append([(ae, bs, "")])
        return self.apply("T1", groups)

    def t1_layout(self) -> str | None:
        reindent = []  # one group: every line's indentation doubled, so that Python's blocks stay consistent
        for i in range(1, len(self.line_starts)):
            s, e = self.line_span(i)
            ind = self.indent(i)
            if ind and self.text[s:e].strip() and not self.in_multiline_token(s):
                reindent.append((s, s + len(ind), ind + ind))
        groups = [reindent] if reindent else []
        if self.code.lang.braces:
            for t in self.code.tokens:
                if t.type != "{":
                    continue
                s, e = self.code.span(t)
                i = self.line_of(s)
                ls, le = self.line_span(i)
                before, after = self.text[ls:s], self.text[e:le]
                if before.strip() and not after.strip():
                    # K&R -> Allman: the brace on a line of its own.
                    j = len(before.rstrip())
                    groups.append([(ls + j, s, "\n" + self.indent(i))])
                elif not before.strip() and i > 0:
                    # Allman -> K&R: the brace back on the line before.
                    prev_end = self.line_starts[i] - 1
                    groups.append([(prev_end, s, " ")])
        for i in self.statement_lines():
            if self.rng.random() < 0.25:
                groups.append([(self.line_starts[i], self.line_starts[i], "\n")])
        self.rng.shuffle(groups)
        return self.apply("T1", groups)

    def t1_comments(self) -> str | None:
        groups = []
        for t in self.code.tokens:
            if t.type not in COMMENT_TYPES:
                continue
            s, e = self.code.span(t)
            i, j = self.line_of(s), self.line_of(e)
            ls, le = self.line_starts[i], self.line_span(j)[1]
            if not self.text[ls:s].strip() and not self.text[e:le].strip():
                groups.append([(ls, le + 1, "")])  # the comment's lines
            else:
                k = len(self.text[:s].rstrip())
                groups.append([(k, e, "")])
        opening, closing = self.code.lang.comment
        for i in self.statement_lines():
            if self.rng.random() < 0.3:
                note = f"{opening} {self.rng.choice(self.pools.comments)} {closing}".rstrip()
                groups.append([(self.line_starts[i], self.line_starts[i], f"{self.indent(i)}{note}\n")])
        return self.apply("T1", groups)

    # -- T2

    def identifier_tokens(self) -> list:
        return [t for t in self.code.tokens if t.type in self.code.lang.identifiers]

    def fresh_names(self) -> list[str]:
        used = {t.text.decode() for t in self.code.tokens}
        names = [n for n in self.pools.names if n not in used]
        self.rng.shuffle(names)
        return names

    def t2_rename_consistent(self) -> str | None:
        by_name: dict[str, list] = collections.defaultdict(list)
        for t in self.identifier_tokens():
            by_name[t.text.decode()].append(self.code.span(t))
        fresh = iter(self.fresh_names())
        groups = [[(s, e, new) for s, e in spans] for (_, spans), new in zip(sorted(by_name.items()), fresh)]
        return self.apply("T2", groups)

    def t2_rename_arbitrary(self) -> str | None:
        fresh = iter(self.fresh_names())
        groups = [[(*self.code.span(t), new)] for t, new in zip(self.identifier_tokens(), fresh)]
        return self.apply("T2", groups)

    def t2_literals(self) -> str | None:
        groups = []
        lang = self.code.lang
        for t in self.code.tokens:
            s, e = self.code.span(t)
            old = self.text[s:e]
            if t.type in lang.numbers and re.fullmatch(r"\d+", old):
                groups.append([(s, e, str(self.rng.choice([n for n in range(2, 200) if str(n) != old])))])
            elif t.type in lang.numbers and re.fullmatch(r"\d+\.\d+", old):
                groups.append([(s, e, f"{self.rng.randint(1, 99)}.{self.rng.randint(1, 99)}")])
            elif t.type in lang.string_parts and re.fullmatch(r"[\w .,:;=/-]+", old):
                new = "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in old).strip() or "x"
                groups.append([(s, e, new)])
        return self.apply("T2", groups)

    # -- T3

    def t3_insert(self) -> str | None:
        lines = self.statement_lines()
        self.rng.shuffle(lines)
        groups = []
        for i in lines:
            statement = self.rng.choice(self.pools.statements)
            groups.append([(self.line_starts[i], self.line_starts[i], f"{self.indent(i)}{statement}\n")])
        return self.apply("T3", groups)

    def t3_delete(self) -> str | None:
        found = self.single_line_statements()
        self.rng.shuffle(found)
        groups = []
        for i, _ in found:
            s, e = self.line_span(i)
            groups.append([(s, e + 1, "")])
        return self.apply("T3", groups)

    def t3_modify(self) -> str | None:
        found = self.single_line_statements()
        self.rng.shuffle(found)
        groups = []
        for _, node in found:
            swaps = [t for t in leaves(node) if t.type in OPERATOR_SWAPS]
            if swaps:
                t = swaps[0]
                groups.append([(*self.code.span(t), OPERATOR_SWAPS[t.type])])
            else:
                groups.append([(*self.code.span(node), self.rng.choice(self.pools.statements))])
        return self.apply("T3", groups)

    def run(self) -> dict[str, str] | None:
        """All nine mutants, or None when one operator cannot apply."""
        out = {}
        for op in OPERATORS:
            text = getattr(self, op)()
            if text is None:
                return None
            out[op] = text
        return out


# --------------------------------------------------------------------------- the benchmark

def changed_lines(original: str, mutant: str) -> int:
    """Lines of the original deleted or replaced, plus lines inserted (a line diff)."""
    m = difflib.SequenceMatcher(None, original.splitlines(), mutant.splitlines(), autojunk=False)
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in m.get_opcodes() if tag != "equal")


def lcs_percent(a: list[str], b: list[str]) -> int:
    """The longest common subsequence in whole percent of the longer sequence (as cpt's `lcs_percent`)."""
    return lcs_length(a, b) * 100 // max(len(a), len(b))


def build_language(lang: Language, root: Path, out: Path, per_language: int, seed: int) -> tuple[list, list, dict]:
    """Pick, mutate and write one language's families and negatives; their truth rows and counts."""
    candidates, pools = harvest(lang, root)
    rng = random.Random(f"{seed}:{lang.name}")
    order = list(range(len(candidates)))
    rng.shuffle(order)
    chosen: list[tuple[Candidate, dict[str, str]]] = []
    taken: list[Candidate] = []
    rejected = collections.Counter()
    for idx in order:
        if len(chosen) == per_language:
            break
        cand = candidates[idx]
        if not all(distinct(cand.norm, other.norm) for other in taken):
            rejected["not distinct"] += 1
            continue
        mutants = Mutator(cand.code, pools, random.Random(f"{seed}:{lang.name}:{cand.origin}")).run()
        if mutants is None:
            rejected["an operator could not apply"] += 1
            continue
        chosen.append((cand, mutants))
        taken.append(cand)
    pairs, negatives = [], []
    chosen_ids = {id(c) for c, _ in chosen}
    rest = [c for c in candidates if id(c) not in chosen_ids]
    first = lang.wrapper[0].count("\n") + 1  # the function's first line in its file
    for n, (cand, mutants) in enumerate(chosen):
        family = f"{lang.name}/f{n:03d}"
        orig = f"{family}/orig{lang.ext}"
        write(out / orig, lang, cand.code.text)
        for op, text in mutants.items():
            path = f"{family}/{op}{lang.ext}"
            write(out / path, lang, text)
            pairs.append({"family": family, "lang": lang.name, "original": orig, "mutant": path,
                          "type": OPERATORS[op], "operator": op,
                          "original_lines": [first, first + cand.lines - 1],
                          "changed_lines": changed_lines(cand.code.text, text),
                          "lcs_percent": lcs_percent(cand.norm, Code(lang, text).normalised()),
                          "source": cand.origin})
        neg = hard_negative(cand, rest, taken)
        if neg is None:
            rejected["no hard negative"] += 1
            continue
        taken.append(neg)
        path = f"{lang.name}/neg/n{n:03d}{lang.ext}"
        write(out / path, lang, neg.code.text)
        negatives.append({"path": path, "lang": lang.name, "negative_of": family, "source": neg.origin,
                          "shape_cosine": round(cosine(cand.shape, neg.shape), 3),
                          "lines": neg.lines, "original_lines": cand.lines})
    stats = {"functions found": len(candidates), "families": len(chosen), "negatives": len(negatives),
             **{f"skipped: {k}": v for k, v in rejected.items()}}
    return pairs, negatives, stats


def hard_negative(cand: Candidate, rest: list[Candidate], taken: list[Candidate]) -> Candidate | None:
    """The unused function of closest shape among those within 25 % of the original's lines and tokens
    that is distinct from every function already in the benchmark."""
    size = len(cand.norm)
    near = [c for c in rest if abs(c.lines - cand.lines) <= 0.25 * cand.lines
            and abs(len(c.norm) - size) <= 0.25 * size and all(c is not t for t in taken)]
    near.sort(key=lambda c: (-cosine(cand.shape, c.shape), c.origin))
    for c in near[:40]:
        if all(distinct(c.norm, t.norm) for t in taken):
            return c
    return None


def write(path: Path, lang: Language, text: str) -> None:
    """Write a function to its benchmark file, inside the language's wrapper."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(lang.wrapper[0] + text + lang.wrapper[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="folder to write the benchmark to (replaced)")
    ap.add_argument("--per-language", type=int, default=60, help="original functions per language (default 60)")
    ap.add_argument("--seed", type=int, default=1, help="seed of every random choice (default 1)")
    ap.add_argument("--languages", default=",".join(lang.name for lang in LANGUAGES),
                    help="comma-separated subset of: " + ", ".join(lang.name for lang in LANGUAGES))
    ap.add_argument("--cache", type=Path, default=fetch.DEFAULT_CACHE, help="datasets cache (default datasets/cache)")
    args = ap.parse_args()
    wanted = args.languages.split(",")
    unknown = set(wanted) - {lang.name for lang in LANGUAGES}
    if unknown:
        ap.error(f"unknown language(s): {', '.join(sorted(unknown))}")
    root = fetch_corpus(args.cache)
    if args.out.exists():
        shutil.rmtree(args.out)
    pairs, negatives, stats = [], [], {}
    for lang in LANGUAGES:
        if lang.name not in wanted:
            continue
        p, n, s = build_language(lang, root, args.out, args.per_language, args.seed)
        pairs += p
        negatives += n
        stats[lang.name] = s
        print(f"clones: {lang.name}: {s}", file=sys.stderr, flush=True)
    truth = {"format": 1, "corpus": CORPUS, "seed": args.seed, "per_language": args.per_language,
             "operators": OPERATORS, "stats": stats, "pairs": pairs, "negatives": negatives}
    (args.out / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    print(args.out)


def fetch_corpus(cache: Path) -> Path:
    """Build or verify the pinned corpus with fetch.py; its root."""
    return fetch.build_corpus(fetch.load_manifest(fetch.DEFAULT_MANIFEST), CORPUS, cache, jobs=4)


if __name__ == "__main__":
    main()
