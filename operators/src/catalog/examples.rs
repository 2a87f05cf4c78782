//! Runs every element's examples through the whole matching path (analysis, query attribution,
//! exemplar vectors): each positive snippet must be matched by its element in some unit, each
//! negative snippet in none. A TypeScript example runs as TypeScript and as TSX.

use crate::catalog::compile::{analyze_snippet, Catalog};
use crate::catalog::diagnostic::Diagnostic;
use crate::catalog::element::SourceText;
use crate::catalog::matching::Match;
use crate::model::Lang;

/// Whether a snippet must match its element.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Expectation {
    Positive,
    Negative,
}

impl Catalog {
    /// One diagnostic per example that fails: a positive snippet its element does not match, a
    /// negative one it matches (pointing at the line of the matching unit), or a snippet that does
    /// not parse.
    pub fn check_examples(&self) -> Vec<Diagnostic> {
        let mut failures = Vec::new();
        for (index, element) in self.elements.iter().enumerate() {
            for examples in &element.examples {
                let cases = examples.positive.iter().map(|s| (s, Expectation::Positive));
                let cases = cases.chain(examples.negative.iter().map(|s| (s, Expectation::Negative)));
                for (snippet, expectation) in cases {
                    if let Err(failure) = self.check_example(index, examples.language, snippet, expectation) {
                        failures.push(failure);
                    }
                }
            }
        }
        failures
    }

    fn check_example(
        &self,
        element: usize,
        lang: Lang,
        snippet: &SourceText,
        expectation: Expectation,
    ) -> Result<(), Diagnostic> {
        let (parsed, matches) = analyze_snippet(lang, snippet, |tree, parsed| {
            self.match_units(lang, tree, snippet.text.as_bytes(), &parsed.units)
        })?;
        let symbol = &self.elements[element].symbol;
        let language = lang.name();
        let matched: Vec<(usize, &Match)> = matches
            .iter()
            .enumerate()
            .flat_map(|(unit, found)| found.iter().filter(|m| m.element == element).map(move |m| (unit, m)))
            .collect();
        match (expectation, matched.first()) {
            (Expectation::Positive, None) => {
                let message = format!("positive {language} example is not matched by `{symbol}`");
                Err(Diagnostic::new(snippet.start.clone(), message))
            }
            (Expectation::Negative, Some(&(unit, found))) => {
                let row = parsed.units[unit].start_line.saturating_sub(1) as usize;
                let message = format!(
                    "negative {language} example is matched by `{symbol}` ({}, score {})",
                    found.kind.name(),
                    found.score
                );
                Err(Diagnostic::new(snippet.position_of_row(row), message))
            }
            _ => Ok(()),
        }
    }
}
