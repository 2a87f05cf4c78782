//! The one dataflow graph of cpt (ARCHITECTURE §1): file events and source errors in; `files`,
//! `units`, `clone_groups` and `errors` changelogs out, through the parse stage, a join of events
//! with parse facts, and the exact-clone computation.

use crate::clones::{duplicated_lines, exact_clone_groups};
use crate::failure::JobFailure;
use crate::memo::ContentMemo;
use crate::parse::{parse_contents, Fact};
use crate::sink::{commit_parts, write_table};
use crate::stats::RunStats;
use cpt_connectors::rows::{unit_key, ErrorRow, FileRow, PathBytes, UnitRow};
use cpt_connectors::sink::OutputDir;
use cpt_operators::model::ContentKey;
use differential_dataflow::input::{Input, InputSession};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use timely::dataflow::operators::{Concatenate, Probe};
use timely::dataflow::ProbeHandle;
use timely::worker::Worker;

/// What every worker's copy of the graph shares.
#[derive(Clone)]
pub struct GraphContext {
    /// Parse results of this process.
    pub memo: Arc<ContentMemo>,
    /// Where the tables go.
    pub out: OutputDir,
    /// Minimum tokens of a unit for exact clone groups.
    pub min_tokens: u32,
    /// Running totals.
    pub stats: Arc<RunStats>,
    /// First fatal failure.
    pub failure: Arc<JobFailure>,
}

/// The inputs of one worker's copy of the graph.
pub struct GraphInputs {
    /// File events: (content key, path) ± 1 at a time.
    pub events: InputSession<u64, (ContentKey, PathBytes), i64>,
    /// Inputs that never reached parsing (unreadable, FIFOs, symlink problems, …).
    pub errors: InputSession<u64, ErrorRow, i64>,
}

/// A row of one of the per-path outputs of the join of events with facts.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Debug)]
enum PathRow {
    File(FileRow),
    Unit(UnitRow),
    Error(ErrorRow),
}

/// Builds the graph in `worker` and returns its inputs, with a probe that passes a time once
/// every table's part files for earlier times are written.
pub fn build(worker: &mut Worker, ctx: &GraphContext) -> (GraphInputs, ProbeHandle<u64>) {
    let ctx = ctx.clone();
    let index = worker.index();
    worker.dataflow::<u64, _, _>(move |scope| {
        let (events_in, events) = scope.new_collection::<(ContentKey, PathBytes), i64>();
        let (errors_in, source_errors) = scope.new_collection::<ErrorRow, i64>();

        let (events, facts) = parse_contents(events, Arc::clone(&ctx.memo));
        let rows = events.arrange_by_key().join_core(facts, |key, path, fact| Some(path_row(key, path, fact)));
        let files = rows.clone().flat_map(|row| match row {
            PathRow::File(file) => Some(file),
            _ => None,
        });
        let units = rows.clone().flat_map(|row| match row {
            PathRow::Unit(unit) => Some(unit),
            _ => None,
        });
        let errors = rows
            .flat_map(|row| match row {
                PathRow::Error(error) => Some(error),
                _ => None,
            })
            .concat(source_errors);
        let members = exact_clone_groups(units.clone(), ctx.min_tokens);

        let stats = Arc::clone(&ctx.stats);
        let files = files.inspect(move |(file, _, diff)| {
            RunStats::add(&stats.files, *diff);
            RunStats::add(&stats.lines, i64::from(file.stats.lines) * diff);
        });
        let stats = Arc::clone(&ctx.stats);
        let units = units.inspect(move |(_, _, diff)| RunStats::add(&stats.units, *diff));
        let stats = Arc::clone(&ctx.stats);
        let errors = errors.inspect(move |(error, _, diff)| stats.error(error.reason, *diff));
        let stats = Arc::clone(&ctx.stats);
        members
            .clone()
            .map(|member| member.group_id)
            .distinct_core::<i64>()
            .inspect(move |(_, _, diff)| RunStats::add(&stats.clone_groups, *diff));
        let stats = Arc::clone(&ctx.stats);
        duplicated_lines(members.clone())
            .inspect(move |((_, lines), _, diff)| RunStats::add(&stats.duplicated_lines, *lines as i64 * diff));

        let (out, failure) = (&ctx.out, &ctx.failure);
        let parts = scope.concatenate([
            write_table(files, index, out.clone(), Arc::clone(failure)),
            write_table(units, index, out.clone(), Arc::clone(failure)),
            write_table(members, index, out.clone(), Arc::clone(failure)),
            write_table(errors, index, out.clone(), Arc::clone(failure)),
        ]);
        let probe = ProbeHandle::new();
        commit_parts(parts.probe_with(&probe), out.clone(), Arc::clone(failure));
        (GraphInputs { events: events_in, errors: errors_in }, probe)
    })
}

fn path_row(key: &ContentKey, path: &PathBytes, fact: &Fact) -> PathRow {
    match fact {
        Fact::File(stats) => {
            PathRow::File(FileRow { path: path.clone(), lang: key.lang, content_id: key.id, stats: *stats })
        }
        Fact::Unit(unit) => PathRow::Unit(UnitRow {
            unit_key: unit_key(path, &unit.id),
            parent_unit_key: unit.parent.as_ref().map(|parent| unit_key(path, parent)),
            path: path.clone(),
            lang: key.lang,
            content_id: key.id,
            unit: unit.clone(),
        }),
        Fact::Error(error) => PathRow::Error(ErrorRow {
            path: path.clone(),
            reason: error.reason,
            detail: error.detail.clone(),
            content_id: Some(key.id),
        }),
    }
}
