"""Checks of datasets/clones.py on a small sample drawn from the `small` corpus: every file it writes parses,
each operator keeps to its type, the truth file points at the right lines, and the output is a function of
the seed.

    scripts/.peers/clones-venv/bin/python -m unittest datasets/test_clones.py   # ~10 s

(any Python with the packages of datasets/clones-requirements.txt will do; scripts/bench-clones.sh
installs them into scripts/.peers/clones-venv).
"""

from __future__ import annotations

import dataclasses
import math
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import clones  # noqa: E402
import fetch  # noqa: E402

# Real sources of each language in the `small` corpus (the benchmark itself draws from `bench`); `small`
# holds no TypeScript function of 15 to 80 lines, so TypeScript is left out here.
SMALL_SOURCES = {
    "python": "pypi/JPype1-1.5.0/jpype",
    "javascript": "npm/zod-3.23.8/lib",
    "java": "pypi/JPype1-1.5.0/native/java",
    "c": "pypi/Pygments-2.18.0/tests/examplefiles/c",
    "rust": "crates/cxx-1.0.130/src",
}
PER_LANGUAGE = 2


def build(out: Path, seed: int) -> dict:
    """The benchmark of PER_LANGUAGE functions per language from `small`, as clones.main writes it."""
    root = fetch.build_corpus(fetch.load_manifest(fetch.DEFAULT_MANIFEST), "small", fetch.DEFAULT_CACHE, jobs=4)
    pairs, negatives = [], []
    for lang in clones.LANGUAGES:
        if lang.name not in SMALL_SOURCES:
            continue
        small = dataclasses.replace(lang, sources=(SMALL_SOURCES[lang.name],))
        p, n, _ = clones.build_language(small, root, out, PER_LANGUAGE, seed)
        pairs += p
        negatives += n
    return {"pairs": pairs, "negatives": negatives}


class GeneratorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = Path(cls.tmp.name) / "a"
        cls.truth = build(cls.out, seed=7)
        cls.langs = {lang.name: lang for lang in clones.LANGUAGES}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def function(self, path: str) -> tuple[clones.Language, str]:
        """A benchmark file's language and its function, wrapper removed."""
        lang = self.langs[path.split("/")[0]]
        text = (self.out / path).read_text()
        self.assertTrue(text.startswith(lang.wrapper[0]) and text.endswith(lang.wrapper[1]), path)
        return lang, text[len(lang.wrapper[0]):len(text) - len(lang.wrapper[1])]

    def test_every_family_has_all_operators_in_every_language(self):
        families = {}
        for p in self.truth["pairs"]:
            families.setdefault(p["family"], set()).add(p["operator"])
            self.assertEqual(p["type"], clones.OPERATORS[p["operator"]])
        self.assertEqual({f.split("/")[0] for f in families}, set(SMALL_SOURCES))
        self.assertEqual(len(families), PER_LANGUAGE * len(SMALL_SOURCES))
        for family, ops in families.items():
            self.assertEqual(ops, set(clones.OPERATORS), family)

    def test_every_file_parses_and_each_operator_keeps_to_its_type(self):
        for p in self.truth["pairs"]:
            lang, original = self.function(p["original"])
            _, mutant = self.function(p["mutant"])
            a, b = clones.Code(lang, original), clones.Code(lang, mutant)
            self.assertTrue(a.valid and b.valid, p["mutant"])
            self.assertNotEqual(original, mutant, p["mutant"])
            if p["type"] == "T1":
                self.assertEqual(a.code_tokens(), b.code_tokens(), p["mutant"])
            elif p["type"] == "T2":
                self.assertEqual([k for k, _ in a.code_tokens()], [k for k, _ in b.code_tokens()], p["mutant"])
                self.assertNotEqual(a.code_tokens(), b.code_tokens(), p["mutant"])
            else:
                self.assertNotEqual(a.normalised(), b.normalised(), p["mutant"])
                lines = sum(1 for ln in original.splitlines() if ln.strip())
                fewest = max(1, math.ceil(lines * clones.T3_MIN_FRACTION))
                self.assertLessEqual(fewest, p["changed_lines"], p["mutant"])
                self.assertLessEqual(p["changed_lines"], max(fewest, math.floor(lines * clones.T3_MAX_FRACTION)))
            self.assertEqual(p["lcs_percent"], clones.lcs_percent(a.normalised(), b.normalised()))

    def test_original_lines_are_the_functions_lines(self):
        for p in self.truth["pairs"]:
            _, function = self.function(p["original"])
            first, last = p["original_lines"]
            lines = (self.out / p["original"]).read_text().splitlines()
            self.assertEqual(lines[first - 1:last], function.splitlines(), p["original"])

    def test_negatives_are_distinct_from_their_original(self):
        originals = {p["family"]: p["original"] for p in self.truth["pairs"]}
        self.assertTrue(self.truth["negatives"])
        for n in self.truth["negatives"]:
            lang, negative = self.function(n["path"])
            _, original = self.function(originals[n["negative_of"]])
            a, b = clones.Code(lang, original).normalised(), clones.Code(lang, negative).normalised()
            self.assertTrue(clones.Code(lang, negative).valid, n["path"])
            self.assertLess(clones.lcs_length(a, b), clones.DISTINCT_BELOW * max(len(a), len(b)), n["path"])

    def test_the_same_seed_gives_the_same_benchmark(self):
        again = Path(self.tmp.name) / "b"
        self.assertEqual(build(again, seed=7), self.truth)
        for path in sorted(self.out.rglob("*")):
            if path.is_file():
                self.assertEqual(path.read_bytes(), (again / path.relative_to(self.out)).read_bytes(), path)


class LcsTest(unittest.TestCase):
    def test_lcs_length(self):
        self.assertEqual(clones.lcs_length(list("ABCBDAB"), list("BDCABA")), 4)
        self.assertEqual(clones.lcs_length(list("abc"), list("abc")), 3)
        self.assertEqual(clones.lcs_length(list("abc"), list("xyz")), 0)
        self.assertEqual(clones.lcs_length([], list("xyz")), 0)


if __name__ == "__main__":
    unittest.main()
