//! Where each catalogue element stands over time: the `elements` changelog, one row per element
//! of the catalogue (found or not) with its first time seen, peak adoption, stage and trend by
//! the rules of [`cpt_operators::catalog::stage`].
//!
//! A stage depends on the whole history, not only on the state at a time, so this is a timely
//! operator with memory rather than a differential one: each worker owns the elements whose
//! symbol hashes to it (timely's exchange sends hash `h` to worker `h mod workers`), receives
//! their adoption figures (from `element_stats`) and every time of the job (the commits of a
//! replay, the batches of a watch, time 0 of any job), and once both inputs have passed a time it
//! records the adoption changes of that time and re-evaluates its elements, emitting a
//! retraction and a new row for each whose standing changed. A resumed job restores each owned
//! element's history up to its durable time from the durable `element_stats` rows instead.

use cpt_connectors::rows::ElementRow;
use cpt_connectors::sink::{AdoptionFigures, Update};
use cpt_operators::catalog::stage::{adoption, History, Ppm};
use cpt_operators::catalog::{Catalog, Element};
use cpt_operators::model::Lang;
use differential_dataflow::{AsCollection, VecCollection};
use std::collections::BTreeMap;
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::Capability;
use timely::dataflow::Stream;

/// The times of a job, broadcast to every worker.
pub type Ticks<'s> = Stream<'s, u64, Vec<u64>>;

/// The hash that places an element on a worker.
fn symbol_hash(symbol: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(symbol.as_bytes())
}

/// One owned element: its row without a standing, its history and the row last emitted.
struct Owned {
    template: ElementRow,
    history: History,
    emitted: Option<ElementRow>,
}

impl Owned {
    fn new(element: &Element) -> Owned {
        let template = ElementRow {
            symbol: element.symbol.clone(),
            name: element.name.clone(),
            family: element.family.name().to_string(),
            category: element.category.clone(),
            period: element.period.number(),
            languages: language_names(element),
            summary: element.summary.clone(),
            standing: History::default().standing(0),
        };
        Owned { template, history: History::default(), emitted: None }
    }

    /// The row at `time`, and the retraction of the last one if it differs.
    fn evaluate(&mut self, time: u64) -> Vec<(ElementRow, i64)> {
        let row = ElementRow { standing: self.history.standing(time), ..self.template.clone() };
        if self.emitted.as_ref() == Some(&row) {
            return Vec::new();
        }
        let mut changes: Vec<(ElementRow, i64)> = self.emitted.take().map(|old| (old, -1)).into_iter().collect();
        self.emitted = Some(row.clone());
        changes.push((row, 1));
        changes
    }
}

/// The languages of an element's recognisers, TSX listed with TypeScript.
fn language_names(element: &Element) -> String {
    let languages = element.languages();
    let shown = languages.iter().filter(|&&l| !(l == Lang::Tsx && languages.contains(&Lang::TypeScript)));
    shown.map(|l| l.name()).collect::<Vec<_>>().join(",")
}

/// The elements a worker owns, by symbol.
struct Ledger {
    owned: BTreeMap<String, Owned>,
}

impl Ledger {
    fn new(catalog: &Catalog, worker: usize, workers: usize) -> Ledger {
        let mine = |e: &&Element| symbol_hash(&e.symbol) % workers as u64 == worker as u64;
        let owned = catalog.elements().iter().filter(mine).map(|e| (e.symbol.clone(), Owned::new(e))).collect();
        Ledger { owned }
    }

    /// Records the adoption changes of `time` (consolidated figures: a symbol with a positive
    /// figure has that adoption from `time` on, one with only retractions has none) and returns
    /// the changed rows of every owned element at `time`.
    fn advance(&mut self, time: u64, figures: &mut Vec<(AdoptionFigures, i64)>) -> Vec<(ElementRow, i64)> {
        let mut by_symbol: BTreeMap<&str, Option<Ppm>> = BTreeMap::new();
        for ((symbol, files, total), diff) in consolidate(figures) {
            let now = by_symbol.entry(symbol.as_str()).or_insert(None);
            if *diff > 0 {
                *now = Some(adoption(*files, *total));
            }
        }
        for (symbol, now) in by_symbol {
            if let Some(owned) = self.owned.get_mut(symbol) {
                owned.history.record(time, now.unwrap_or(0));
            }
        }
        self.owned.values_mut().flat_map(|owned| owned.evaluate(time)).collect()
    }
}

/// Sums the diffs of equal figures and drops those that cancel.
fn consolidate(figures: &mut Vec<(AdoptionFigures, i64)>) -> &[(AdoptionFigures, i64)] {
    figures.sort();
    figures.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0;
        if same {
            earlier.1 += later.1;
        }
        same
    });
    figures.retain(|(_, diff)| *diff != 0);
    figures
}

/// What a time waits with until both inputs have passed it.
struct Pending {
    capability: Capability<u64>,
    figures: Vec<(AdoptionFigures, i64)>,
}

/// Where a resumed job's history comes from.
pub struct Restored {
    /// The durable time: inputs at or before it are already reflected in the output.
    pub through: u64,
    /// The durable `element_stats` adoption figures up to it.
    pub figures: Vec<Update<AdoptionFigures>>,
}

/// The `elements` changelog of `catalog` from the adoption figures of `element_stats` and the
/// job's `ticks`, on worker `worker` of `workers`.
pub fn element_standings<'s>(
    figures: VecCollection<'s, u64, AdoptionFigures, i64>,
    ticks: Ticks<'s>,
    catalog: &Catalog,
    (worker, workers): (usize, usize),
    restored: Option<Restored>,
) -> VecCollection<'s, u64, ElementRow, i64> {
    let mut ledger = Ledger::new(catalog, worker, workers);
    let by_symbol = Exchange::new(|update: &(AdoptionFigures, u64, i64)| symbol_hash(&(update.0).0));
    figures
        .inner
        .binary_frontier(ticks, by_symbol, Pipeline, "ElementStandings", move |initial, _info| {
            let mut pending: BTreeMap<u64, Pending> = BTreeMap::new();
            let through = restored.as_ref().map(|r| r.through);
            match restored {
                Some(restored) => restore(&mut ledger, restored),
                None => {
                    pending.insert(0, Pending { capability: initial, figures: Vec::new() });
                }
            }
            let after_restore = move |time: u64| through.is_none_or(|t| time > t);
            move |(figures_in, figures_frontier), (ticks_in, ticks_frontier), output| {
                figures_in.for_each(|capability, data| {
                    for (figure, time, diff) in data.drain(..).filter(|(_, t, _)| after_restore(*t)) {
                        let slot = pending.entry(time).or_insert_with(|| Pending {
                            capability: capability.delayed(&time, 0),
                            figures: Vec::new(),
                        });
                        slot.figures.push((figure, diff));
                    }
                });
                ticks_in.for_each(|capability, data| {
                    for time in data.drain(..).filter(|t| after_restore(*t)) {
                        pending.entry(time).or_insert_with(|| Pending {
                            capability: capability.delayed(&time, 0),
                            figures: Vec::new(),
                        });
                    }
                });
                let complete = |time: &u64| {
                    !figures_frontier.frontier().less_equal(time) && !ticks_frontier.frontier().less_equal(time)
                };
                while let Some(mut entry) = pending.first_entry().filter(|entry| complete(entry.key())) {
                    let time = *entry.key();
                    let changes = ledger.advance(time, &mut entry.get_mut().figures);
                    let Pending { capability, .. } = entry.remove();
                    let mut session = output.session(&capability);
                    for (row, diff) in changes {
                        session.give((row, time, diff));
                    }
                }
            }
        })
        .as_collection()
}

/// Replays the durable adoption history into the ledger, time by time, and evaluates every owned
/// element at the durable time, so that later changes retract the rows the output holds.
fn restore(ledger: &mut Ledger, restored: Restored) {
    let mut by_time: BTreeMap<u64, Vec<(AdoptionFigures, i64)>> = BTreeMap::new();
    for update in restored.figures.into_iter().filter(|u| ledger.owned.contains_key(&u.row.0)) {
        by_time.entry(update.time).or_default().push((update.row, update.diff));
    }
    for (time, mut figures) in by_time {
        ledger.advance(time, &mut figures);
    }
    ledger.advance(restored.through, &mut Vec::new());
}
