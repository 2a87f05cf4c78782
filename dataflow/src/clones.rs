//! Exact clone groups: units sharing a structural hash (identifiers and literals normalised), of
//! at least a minimum number of tokens (the clone candidates, which near-miss pairs and clone
//! classes take too), in groups of two or more.
//!
//! Group sizes come from `count`, membership from a semijoin of the members with the groups that
//! have two or more of them; no operator ever rebuilds a member list, so a unit joining or leaving
//! a group changes only that unit's row (or, when a group appears or vanishes, its members' rows).

use cpt_connectors::rows::{CloneMemberRow, CloneUnit, PathBytes, UnitRow};
use differential_dataflow::operators::arrange::{Arranged, TraceAgent};
use differential_dataflow::trace::implementations::ValSpine;
use differential_dataflow::VecCollection;

/// Units as rows of the `units` table.
pub type Units<'s> = VecCollection<'s, u64, UnitRow, i64>;

/// Units arranged by unit key.
pub type UnitsByKey<'s> = Arranged<'s, TraceAgent<ValSpine<i64, UnitRow, u64, i64>>>;

/// The units that take part in clones: those of at least `min_tokens` tokens.
pub fn clone_candidates<'s>(units: Units<'s>, min_tokens: u32) -> Units<'s> {
    units.filter(move |row| row.unit.metrics.tokens >= min_tokens)
}

/// Members of exact clone groups among `candidates`, as rows of the `clone_groups` table.
pub fn exact_clone_groups<'s>(candidates: Units<'s>) -> VecCollection<'s, u64, CloneMemberRow, i64> {
    let candidates = candidates.map(|row| (row.unit.struct_hash as i64, member_row(&row)));
    let groups = candidates
        .clone()
        .map(|(group, _)| group)
        .count_core::<i64>()
        .filter(|(_, members)| *members >= 2)
        .map(|(group, _)| group);
    candidates.semijoin(groups).map(|(_, member)| member)
}

fn member_row(row: &UnitRow) -> CloneMemberRow {
    CloneMemberRow {
        group_id: row.unit.struct_hash as i64,
        member: CloneUnit::of(row),
        exact_hash: row.unit.exact_hash as i64,
    }
}

/// Per file, the number of lines covered by at least one clone-group member.
pub fn duplicated_lines<'s>(
    members: VecCollection<'s, u64, CloneMemberRow, i64>,
) -> VecCollection<'s, u64, (PathBytes, u64), i64> {
    members.map(|row| (row.member.path, (row.member.start_line, row.member.end_line))).reduce(
        |_path, ranges, output: &mut Vec<(u64, i64)>| {
            let spans: Vec<(u32, u32)> = ranges.iter().map(|(span, _)| **span).collect();
            output.push((covered_lines(&spans), 1));
        },
    )
}

/// Number of lines in the union of inclusive, sorted line ranges.
fn covered_lines(sorted: &[(u32, u32)]) -> u64 {
    let mut covered = 0u64;
    let mut reach = 0u32;
    for &(start, end) in sorted {
        let from = start.max(reach + 1);
        if end >= from {
            covered += u64::from(end - from + 1);
            reach = end;
        }
    }
    covered
}

#[cfg(test)]
mod tests {
    use super::covered_lines;

    #[test]
    fn union_of_overlapping_and_nested_ranges() {
        assert_eq!(covered_lines(&[(1, 10), (3, 5), (8, 12), (20, 20)]), 13);
        assert_eq!(covered_lines(&[]), 0);
    }
}
