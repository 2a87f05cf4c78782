//! The one dataflow graph of cpt (ARCHITECTURE §1): file events, source errors, a replay's
//! commits and rename lineage, and a watch's batches in; `files`, `units`, `clone_groups`,
//! `similar_pairs`, `clone_pairs`, `clone_classes`, `matches`, `element_stats`, `elements`,
//! `mined_elements`, `errors`, `commits`, `lineage` and `times` changelogs out, through the parse
//! stage, joins of the events with the parse facts (re-keyed by path and unit), the clone
//! computations (exact groups, near-miss pairs, classes, mined elements) and the periodic table's
//! figures.

use crate::clone_classes::clone_classes;
use crate::clones::{clone_candidates, duplicated_lines, exact_clone_groups};
use crate::element_history::{element_standings, Restored};
use crate::element_stats::element_stats;
use crate::facts::Fact;
use crate::failure::JobFailure;
use crate::memo::ContentMemo;
use crate::mined::{mined_elements, MiningRules};
use crate::near_miss::{clone_pairs, NearMissParams};
use crate::parse::parse_contents;
use crate::resumed_join::ResumedJoin;
use crate::similar_pairs::RestoredLinks;
use crate::sink::{commit_parts, write_table, EpochPolicy, SinkContext};
use crate::stats::RunStats;
use crate::telemetry::Telemetry;
use cpt_connectors::rows::{
    unit_key, CloneClassRow, CloneMemberRow, ClonePairRow, CloneUnit, CommitRow, ElementRow, ElementStatsRow, ErrorRow,
    FileRow, LineageRow, MatchRow, MinedElementRow, PathBytes, TimeRow, UnitRow,
};
use cpt_connectors::sink::{read_adoption, OutputDir};
use cpt_operators::catalog::Catalog;
use cpt_operators::model::ContentKey;
use cpt_operators::similarity::{JoinBackend, Pair};
use differential_dataflow::input::{Input, InputSession};
use std::sync::Arc;
use timely::dataflow::operators::vec::{Broadcast, Map};
use timely::dataflow::operators::{Concat, Concatenate, Probe};
use timely::dataflow::ProbeHandle;
use timely::worker::Worker;

/// What every worker's copy of the graph shares.
#[derive(Clone)]
pub struct GraphContext {
    /// Parse results of this process.
    pub memo: Arc<ContentMemo>,
    /// Where the tables go.
    pub out: OutputDir,
    /// How times are grouped into epochs of part files.
    pub epochs: EpochPolicy,
    /// Minimum tokens of a unit for clones (exact groups, near-miss pairs, classes).
    pub min_tokens: u32,
    /// The periodic table's catalogue, whose matches the memo's analyses record.
    pub catalog: Arc<Catalog>,
    /// How near-miss clone pairs are found; `None`: they are not.
    pub near_miss: Option<NearMissParams>,
    /// Which clone classes become mined elements.
    pub mining: MiningRules,
    /// The device of the similarity joins (`--gpu`).
    pub join_backend: JoinBackend,
    /// Running totals.
    pub stats: Arc<RunStats>,
    /// First fatal failure.
    pub failure: Arc<JobFailure>,
    /// Progress, stage times and traffic, for `--metrics`.
    pub telemetry: Arc<Telemetry>,
    /// True in the process of worker 0 (the only one in a single process), which emits what is
    /// restored once for the whole cluster.
    pub first_process: bool,
}

/// The inputs of one worker's copy of the graph.
pub struct GraphInputs {
    /// File events: (content key, path) ± 1 at a time.
    pub events: InputSession<u64, (ContentKey, PathBytes), i64>,
    /// Inputs that never reached parsing (unreadable, FIFOs, symlink problems, …).
    pub errors: InputSession<u64, ErrorRow, i64>,
    /// Replayed commits, one row at each commit's time.
    pub commits: InputSession<u64, CommitRow, i64>,
    /// Renamed files and their units, at the renaming commit's time.
    pub lineage: InputSession<u64, LineageRow, i64>,
    /// Watched batches, one row at each batch's time.
    pub times: InputSession<u64, TimeRow, i64>,
}

/// Probes of one worker's copy of the graph.
pub struct GraphProbes {
    /// Passes a time once every table's part files for earlier times are written.
    pub written: ProbeHandle<u64>,
    /// Passes a time once every table's rows for earlier times are computed (they may still wait
    /// in a sink for their epoch).
    pub computed: ProbeHandle<u64>,
}

/// Builds the graph in `worker` and returns its inputs and probes.
pub fn build(worker: &mut Worker, ctx: &GraphContext) -> (GraphInputs, GraphProbes) {
    let ctx = ctx.clone();
    let (index, peers) = (worker.index(), worker.peers());
    worker.dataflow::<u64, _, _>(move |scope| {
        let (events_in, events) = scope.new_collection::<(ContentKey, PathBytes), i64>();
        let (errors_in, source_errors) = scope.new_collection::<ErrorRow, i64>();
        let (commits_in, commits) = scope.new_collection::<CommitRow, i64>();
        let (lineage_in, lineage) = scope.new_collection::<LineageRow, i64>();
        let (times_in, times) = scope.new_collection::<TimeRow, i64>();

        let parsed = parse_contents(events, Arc::clone(&ctx.memo));
        let events = parsed.events.arrange_by_key();
        let files = events.clone().join_core(parsed.facts.clone(), |key, path, fact| match fact {
            Fact::File(stats) => {
                Some(FileRow { path: path.clone(), lang: key.lang, content_id: key.id, stats: *stats })
            }
            _ => None,
        });
        let units = events.clone().join_core(parsed.facts.clone(), |key, path, fact| match fact {
            Fact::Unit(unit) => Some(UnitRow {
                unit_key: unit_key(path, &unit.id),
                parent_unit_key: unit.parent.as_ref().map(|parent| unit_key(path, parent)),
                path: path.clone(),
                lang: key.lang,
                content_id: key.id,
                unit: Arc::clone(unit),
            }),
            _ => None,
        });
        let catalog = Arc::clone(&ctx.catalog);
        let matches = events.clone().join_core(parsed.facts.clone(), move |key, path, fact| match fact {
            Fact::Match(found) => Some(MatchRow {
                symbol: catalog.elements().get(found.element as usize)?.symbol.clone(),
                unit_key: unit_key(path, &found.unit.id),
                path: path.clone(),
                lang: key.lang,
                recogniser: found.kind,
                score: found.score,
                unit: Arc::clone(&found.unit),
            }),
            _ => None,
        });
        let content_errors = events.join_core(parsed.facts, |key, path, fact| match fact {
            Fact::Error(error) => Some(ErrorRow {
                path: path.clone(),
                reason: error.reason,
                detail: error.detail.clone(),
                content_id: Some(key.id),
            }),
            _ => None,
        });
        let errors = content_errors.concat(parsed.unread).concat(source_errors);
        let candidates = clone_candidates(units.clone(), ctx.min_tokens);
        let members = exact_clone_groups(candidates.clone());
        let candidates = candidates.map(|row| (row.unit_key, row)).arrange_by_key();
        let near_miss = ctx.near_miss.map(|params| {
            let backend = ctx.join_backend.clone();
            let restored = restored_links(&ctx, index);
            let stats = Arc::clone(&ctx.stats);
            clone_pairs(candidates.clone(), params, backend, restored, stats, Arc::clone(&ctx.failure))
        });
        let (similar, pairs, links) = match near_miss {
            Some(found) => (Some(found.similar), Some(found.verified), Some(found.links)),
            None => (None, None, None),
        };
        let class_members = clone_classes(members.clone(), links, candidates);
        let mined = mined_elements(class_members.clone(), ctx.mining);
        let classes = class_members.map(|(class_id, row)| CloneClassRow { class_id, member: CloneUnit::of(&row) });
        let stats_rows = element_stats(matches.clone(), files.clone());
        let ticks = commits.inner.clone().map(|(_, time, _)| time).concat(times.inner.clone().map(|(_, time, _)| time));
        let figures = stats_rows.clone().map(|row| (row.symbol, row.files, row.total_files));
        let standings = element_standings(
            figures,
            ticks.broadcast(),
            &ctx.catalog,
            (index, peers),
            restored_history(&ctx.out, &ctx.failure),
        );

        let stats = Arc::clone(&ctx.stats);
        let files = files.inspect(move |(file, _, diff)| {
            RunStats::add(&stats.files, *diff);
            RunStats::add(&stats.lines, i64::from(file.stats.lines) * diff);
        });
        let stats = Arc::clone(&ctx.stats);
        let units = units.inspect(move |(_, _, diff)| RunStats::add(&stats.units, *diff));
        let stats = Arc::clone(&ctx.stats);
        let errors = errors.inspect(move |(error, _, diff)| stats.error(error, *diff));
        let stats = Arc::clone(&ctx.stats);
        members
            .clone()
            .map(|member| member.group_id)
            .distinct_core::<i64>()
            .inspect(move |(_, _, diff)| RunStats::add(&stats.clone_groups, *diff));
        let stats = Arc::clone(&ctx.stats);
        duplicated_lines(members.clone())
            .inspect(move |((_, lines), _, diff)| RunStats::add(&stats.duplicated_lines, *lines as i64 * diff));

        let computed = ProbeHandle::new();
        files.inner.clone().probe_with(&computed);
        units.inner.clone().probe_with(&computed);
        members.inner.clone().probe_with(&computed);
        classes.inner.clone().probe_with(&computed);
        mined.inner.clone().probe_with(&computed);
        if let Some(pairs) = &pairs {
            pairs.inner.clone().probe_with(&computed);
        }
        if let Some(similar) = &similar {
            similar.inner.clone().probe_with(&computed);
        }
        errors.inner.clone().probe_with(&computed);
        matches.inner.clone().probe_with(&computed);
        stats_rows.inner.clone().probe_with(&computed);
        standings.inner.clone().probe_with(&computed);
        commits.inner.clone().probe_with(&computed);
        lineage.inner.clone().probe_with(&computed);
        times.inner.clone().probe_with(&computed);

        let sink = || SinkContext {
            worker: index,
            out: ctx.out.clone(),
            epochs: ctx.epochs,
            failure: Arc::clone(&ctx.failure),
            // A resumed run's output already holds every row up to its durable time.
            suppress_through: ctx.out.durable_time(),
            telemetry: Arc::clone(&ctx.telemetry),
        };
        let mut parts = vec![
            write_table(files, sink(), |row: &FileRow| path_hash(&row.path)),
            write_table(units, sink(), |row: &UnitRow| row.unit_key as u64),
            write_table(members, sink(), |row: &CloneMemberRow| row.member.unit_key as u64),
            write_table(classes, sink(), |row: &CloneClassRow| row.member.unit_key as u64),
            write_table(errors, sink(), |row: &ErrorRow| path_hash(&row.path)),
            write_table(commits, sink(), |row: &CommitRow| path_hash(row.sha.as_bytes())),
            write_table(lineage, sink(), |row: &LineageRow| path_hash(&row.new_path)),
            write_table(times, sink(), |row: &TimeRow| row.wall_clock_ms as u64),
            write_table(matches, sink(), |row: &MatchRow| row.unit_key as u64),
            write_table(stats_rows, sink(), |row: &ElementStatsRow| path_hash(row.symbol.as_bytes())),
            write_table(standings, sink(), |row: &ElementRow| path_hash(row.symbol.as_bytes())),
            write_table(mined, sink(), |row: &MinedElementRow| row.class_id as u64),
        ];
        if let Some(pairs) = pairs {
            parts.push(write_table(pairs, sink(), |row: &ClonePairRow| row.a.unit_key as u64));
        }
        if let Some(similar) = similar {
            parts.push(write_table(similar, sink(), |pair: &Pair| pair.a as u64));
        }
        let parts = scope.concatenate(parts);
        let written = ProbeHandle::new();
        let memo = Arc::clone(&ctx.memo);
        commit_parts(parts.probe_with(&written), sink(), move || memo.flush_cache());
        let inputs = GraphInputs {
            events: events_in,
            errors: errors_in,
            commits: commits_in,
            lineage: lineage_in,
            times: times_in,
        };
        (inputs, GraphProbes { written, computed })
    })
}

/// A resumed job's element history: the durable `element_stats` figures up to the durable time
/// (a failure to read them fails the job).
fn restored_history(out: &OutputDir, failure: &JobFailure) -> Option<Restored> {
    let through = out.durable_time()?;
    match read_adoption(out.path(), through) {
        Ok(figures) => Some(Restored { through, figures }),
        Err(error) => {
            failure.record(format!("reading the durable element_stats of {}: {error:#}", out.path().display()));
            None
        }
    }
}

/// A resumed job's near-miss pairs at its durable time, from the durable `clone_pairs` rows
/// (read and emitted by the first worker of the first process; the others only learn the time),
/// with the run's totals of similar and near-miss pairs starting from the durable ones
/// ([`ResumedJoin`]). A failure to read them fails the job.
fn restored_links(ctx: &GraphContext, index: usize) -> Option<RestoredLinks> {
    let time = ctx.out.durable_time()?;
    if !(ctx.first_process && index == 0) {
        return Some(RestoredLinks { time, links: Vec::new() });
    }
    let resumed = ResumedJoin::read(&ctx.out, time).unwrap_or_else(|error| {
        ctx.failure.record(format!("reading the durable near-miss pairs of {}: {error:#}", ctx.out.path().display()));
        ResumedJoin::default()
    });
    let (similar, links) = (resumed.similar, resumed.links.len());
    RunStats::add(&ctx.stats.similar_pairs, similar as i64);
    RunStats::add(&ctx.stats.clone_pairs, links as i64);
    ctx.stats.restored_pairs.fetch_add(similar, std::sync::atomic::Ordering::Relaxed);
    Some(RestoredLinks { time, links: resumed.links })
}

fn path_hash(path: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(path)
}
