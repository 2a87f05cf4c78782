//! The parse stage: file events are exchanged by content key, each distinct content is analysed
//! once (through the [`ContentMemo`]), and the results are arranged by content key as facts.
//!
//! Parsing happens eagerly as events stream in (so that it overlaps the walk), on the worker that
//! owns the content key; the arrangement of facts is then built from the memo. A retraction, or
//! a second path with the same bytes, finds its content in the memo and never parses again.

use crate::memo::ContentMemo;
use cpt_connectors::rows::PathBytes;
use cpt_operators::model::{ContentKey, FileStats, InputError, ParsedContent, UnitFingerprint};
use differential_dataflow::operators::arrange::{Arranged, TraceAgent};
use differential_dataflow::trace::implementations::ValSpine;
use differential_dataflow::{AsCollection, Hashable, VecCollection};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::Operator;

/// File events: a path holds a content (in a language) from a time on, with a signed diff.
pub type Events<'s> = VecCollection<'s, u64, (ContentKey, PathBytes), i64>;

/// Parse results, arranged by content key.
pub type Facts<'s> = Arranged<'s, TraceAgent<ValSpine<ContentKey, Fact, u64, i64>>>;

/// One thing learnt about a content.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
pub enum Fact {
    /// Figures for the whole file (absent when the content was rejected).
    File(FileStats),
    /// One unit with its fingerprints.
    Unit(UnitFingerprint),
    /// One problem.
    Error(InputError),
}

/// Parses every content the events mention (once each) and returns the events, now partitioned
/// by content key, together with the arrangement of facts by content key.
pub fn parse_contents<'s>(events: Events<'s>, memo: Arc<ContentMemo>) -> (Events<'s>, Facts<'s>) {
    let eager = Arc::clone(&memo);
    let by_content = Exchange::new(|update: &((ContentKey, PathBytes), u64, i64)| (update.0).0.hashed());
    let parsed = events
        .inner
        .unary(by_content, "Parse", move |_capability, _info| {
            move |input, output| {
                input.for_each(|capability, data| {
                    for ((key, path), _time, diff) in data.iter() {
                        if *diff > 0 {
                            eager.get_or_parse(key, path);
                        }
                    }
                    output.session(&capability).give_container(data);
                });
            }
        })
        .as_collection();
    let facts = parsed
        .clone()
        .reduce(|_key, paths, output: &mut Vec<(PathBytes, i64)>| output.push((paths[0].0.clone(), 1)))
        .flat_map(move |(key, path)| facts_of(key, &memo.get_or_parse(&key, &path)))
        .arrange_by_key();
    (parsed, facts)
}

fn facts_of(key: ContentKey, parsed: &ParsedContent) -> Vec<(ContentKey, Fact)> {
    let file = parsed.file.iter().map(|stats| Fact::File(*stats));
    let units = parsed.units.iter().cloned().map(Fact::Unit);
    let errors = parsed.errors.iter().cloned().map(Fact::Error);
    file.chain(units).chain(errors).map(|fact| (key, fact)).collect()
}
