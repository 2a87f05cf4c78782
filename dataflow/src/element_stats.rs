//! What each catalogue element amounts to at each time, from the `matches` and `files`
//! changelogs: the units it is found in (a unit matched by a query and an exemplar counts once),
//! their files and languages, the sums of their complexity and size, and the files analysed in
//! all (adoption's denominator).
//!
//! Every figure is kept by an operator whose work per change is small: counts of single keys,
//! `distinct` over (element, path) and (element, language), and one reduce per element over the
//! distinct (complexity, tokens) profiles of its units, not over the units themselves.

use cpt_connectors::rows::{ElementStatsRow, FileRow, MatchRow};
use cpt_operators::model::Lang;
use differential_dataflow::VecCollection;

/// The `element_stats` changelog of `matches` over the analysed `files`.
pub fn element_stats<'s>(
    matches: VecCollection<'s, u64, MatchRow, i64>,
    files: VecCollection<'s, u64, FileRow, i64>,
) -> VecCollection<'s, u64, ElementStatsRow, i64> {
    let units = matches
        .map(|m| (m.symbol, m.unit_key, m.path, m.lang, m.unit.metrics.cyclomatic, m.unit.metrics.tokens))
        .distinct_core::<i64>();
    let profile = units.clone().map(|(symbol, _, _, _, cyclomatic, tokens)| (symbol, (cyclomatic, tokens))).reduce(
        |_symbol, profiles, output: &mut Vec<((u64, u64, u64), i64)>| {
            let (mut occurrences, mut cyclomatic_sum, mut tokens_sum) = (0u64, 0u64, 0u64);
            for ((cyclomatic, tokens), count) in profiles {
                let count = *count as u64;
                occurrences += count;
                cyclomatic_sum += count * u64::from(*cyclomatic);
                tokens_sum += count * u64::from(*tokens);
            }
            output.push(((occurrences, cyclomatic_sum, tokens_sum), 1));
        },
    );
    let files_with = units
        .clone()
        .map(|(symbol, _, path, _, _, _)| (symbol, path))
        .distinct_core::<i64>()
        .map(|(symbol, _)| symbol)
        .count_core::<i64>();
    let languages = units.map(|(symbol, _, _, lang, _, _)| (symbol, lang)).distinct_core::<i64>().reduce(
        |_symbol, langs: &[(&Lang, i64)], output: &mut Vec<(String, i64)>| {
            let names: Vec<&str> = langs.iter().map(|(lang, _)| lang.name()).collect();
            output.push((names.join(","), 1));
        },
    );
    let total_files = files.map(|_| ()).count_core::<i64>().map(|((), total)| ((), total as u64));
    profile
        .join(files_with)
        .join(languages)
        .map(|(symbol, (((occurrences, cyclomatic_sum, tokens_sum), files), languages))| {
            (
                (),
                ElementStatsRow {
                    symbol,
                    occurrences,
                    files: files as u64,
                    languages,
                    total_files: 0,
                    cyclomatic_sum,
                    tokens_sum,
                },
            )
        })
        .join_map(total_files, |(), row, total| ElementStatsRow { total_files: *total, ..row.clone() })
}
