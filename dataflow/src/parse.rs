//! The parse stage: file events are exchanged by content key, each distinct content is analysed
//! once (through the [`ContentMemo`]), and the facts are arranged by content key.
//!
//! Parsing happens eagerly as events stream in, so that it overlaps the walk, on the worker that
//! owns the content key. An event whose file cannot be read there (it vanished or changed since
//! the walk) becomes an error row for its path and goes no further; a later retraction of that
//! event retracts the error row. The arrangement of facts is then built from the memo: a
//! retraction, or a second path with the same bytes, finds its content there and never parses.

use crate::facts::{Fact, ParsedFacts};
use crate::memo::ContentMemo;
use cpt_connectors::rows::{ErrorRow, PathBytes};
use cpt_operators::model::ContentKey;
use differential_dataflow::operators::arrange::{Arranged, TraceAgent};
use differential_dataflow::trace::implementations::ValSpine;
use differential_dataflow::{AsCollection, Hashable, VecCollection};
use std::collections::HashMap;
use std::sync::Arc;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::Operator;

/// File events: a path holds a content (in a language) from a time on, with a signed diff.
pub type Events<'s> = VecCollection<'s, u64, (ContentKey, PathBytes), i64>;

/// Parse facts, arranged by content key.
pub type Facts<'s> = Arranged<'s, TraceAgent<ValSpine<ContentKey, Fact, u64, i64>>>;

/// What the parse stage makes of the events.
pub struct Parsed<'s> {
    /// The events whose content was read, partitioned by content key.
    pub events: Events<'s>,
    /// Facts by content key.
    pub facts: Facts<'s>,
    /// Events whose file could not be read, as error rows.
    pub unread: VecCollection<'s, u64, ErrorRow, i64>,
}

type Outcome = Result<(ContentKey, PathBytes), ErrorRow>;

/// Parses every content the events mention, once each.
pub fn parse_contents<'s>(events: Events<'s>, memo: Arc<ContentMemo>) -> Parsed<'s> {
    let eager = Arc::clone(&memo);
    let by_content = Exchange::new(|update: &((ContentKey, PathBytes), u64, i64)| (update.0).0.hashed());
    let outcomes = events
        .inner
        .unary(by_content, "Parse", move |_capability, _info| {
            let mut unread: HashMap<(ContentKey, PathBytes), (ErrorRow, i64)> = HashMap::new();
            move |input, output| {
                input.for_each(|capability, data| {
                    let mut session = output.session(&capability);
                    for ((key, path), time, diff) in data.drain(..) {
                        let earlier_unread =
                            if unread.is_empty() { None } else { unread.get_mut(&(key, path.clone())) };
                        let outcome: Outcome = match earlier_unread {
                            Some((row, count)) => {
                                *count += diff;
                                let row = row.clone();
                                if *count == 0 {
                                    unread.remove(&(key, path));
                                }
                                Err(row)
                            }
                            None if diff < 0 => Ok((key, path)),
                            None => match eager.facts(&key, &path) {
                                Ok(_) => Ok((key, path)),
                                Err(error) => {
                                    let row = ErrorRow {
                                        path: path.clone(),
                                        reason: error.reason,
                                        detail: error.detail,
                                        content_id: Some(key.id),
                                    };
                                    unread.insert((key, path), (row.clone(), diff));
                                    Err(row)
                                }
                            },
                        };
                        session.give((outcome, time, diff));
                    }
                });
            }
        })
        .as_collection();
    let events = outcomes.clone().flat_map(|outcome: Outcome| outcome.ok());
    let unread = outcomes.flat_map(|outcome: Outcome| outcome.err());
    let facts = events
        .clone()
        .reduce(|_key, paths, output: &mut Vec<(PathBytes, i64)>| output.push((paths[0].0.clone(), 1)))
        .flat_map(move |(key, path)| facts_of(key, memo.facts(&key, &path)))
        .arrange_by_key();
    Parsed { events, facts, unread }
}

fn facts_of(
    key: ContentKey,
    facts: Result<Arc<ParsedFacts>, cpt_operators::model::InputError>,
) -> Vec<(ContentKey, Fact)> {
    match facts {
        Ok(facts) => facts.iter().map(|fact| (key, fact.clone())).collect(),
        Err(error) => vec![(key, Fact::Error(error))],
    }
}
