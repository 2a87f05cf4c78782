//! The built-in catalogue: free of mistakes, every positive example matched by its element and
//! every negative one not (all failures reported at once), and a table that covers every family
//! and period with elements recognised in at least four languages.

use cpt_operators::catalog::builtin::builtin_sources;
use cpt_operators::catalog::{load, Catalog, Family, Period};
use cpt_operators::model::Lang;
use std::collections::BTreeSet;

fn builtin() -> Catalog {
    let loaded = load(&builtin_sources());
    let mistakes: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
    assert!(mistakes.is_empty(), "the built-in catalogue has mistakes:\n{}", mistakes.join("\n"));
    loaded.catalog
}

/// The language as the table counts it: TSX goes with TypeScript.
fn counted(lang: Lang) -> Lang {
    if lang == Lang::Tsx {
        Lang::TypeScript
    } else {
        lang
    }
}

#[test]
fn every_example_matches_as_it_says() {
    let failures: Vec<String> = builtin().check_examples().iter().map(ToString::to_string).collect();
    assert!(failures.is_empty(), "{} examples fail:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_table_covers_every_family_and_period_in_four_languages() {
    let catalog = builtin();
    let elements = catalog.elements();
    assert!(elements.len() >= 60, "only {} elements", elements.len());
    let families: BTreeSet<Family> = elements.iter().map(|e| e.family).collect();
    let periods: BTreeSet<Period> = elements.iter().map(|e| e.period).collect();
    assert_eq!(families.len(), Family::ALL.len(), "families present: {families:?}");
    assert_eq!(periods.len(), Period::ALL.len(), "periods present: {periods:?}");
    let mut gaps = Vec::new();
    for element in elements {
        let languages: BTreeSet<Lang> = element.languages().into_iter().map(counted).collect();
        if languages.len() < 4 {
            gaps.push(format!("{}: recognised in {languages:?} only", element.symbol));
        }
        for lang in element.languages() {
            let examples = element.examples.iter().filter(|x| x.language == lang);
            let (positive, negative) = examples.fold((0, 0), |(p, n), x| (p + x.positive.len(), n + x.negative.len()));
            if positive == 0 || negative == 0 {
                gaps.push(format!(
                    "{} in {}: {positive} positive, {negative} negative examples",
                    element.symbol,
                    lang.name()
                ));
            }
        }
    }
    assert!(gaps.is_empty(), "{}", gaps.join("\n"));
}
