//! Rows of the `lineage` table for one commit's renames: a row per renamed file, and a row per
//! unit found in both its old and its new content (same kind, qualified name and ordinal) with the
//! unit's key at either path. Both contents' units come from the content memo, which the parse
//! stage fills anyway, so a rename costs no extra parse in the common case.

use crate::facts::Fact;
use crate::memo::ContentMemo;
use cpt_connectors::renames::Rename;
use cpt_connectors::rows::{unit_key, LineageRow};
use cpt_operators::model::{ContentKey, LocalUnitId};
use std::collections::BTreeSet;

/// The lineage rows of the renames of commit `sha`. A content whose facts cannot be had (its
/// blob is unreadable) gives its file's row only.
pub fn lineage_rows(sha: &str, renames: &[Rename], memo: &ContentMemo) -> Vec<LineageRow> {
    let mut rows = Vec::new();
    for rename in renames {
        let row = |keys: Option<(i64, i64)>| LineageRow {
            commit: sha.to_string(),
            old_path: rename.old_path.clone(),
            new_path: rename.new_path.clone(),
            similarity: rename.similarity,
            old_unit_key: keys.map(|(old, _)| old),
            new_unit_key: keys.map(|(_, new)| new),
        };
        rows.push(row(None));
        let old_units: BTreeSet<LocalUnitId> = unit_ids(memo, &rename.old, &rename.old_path).collect();
        for id in unit_ids(memo, &rename.new, &rename.new_path).filter(|id| old_units.contains(id)) {
            rows.push(row(Some((unit_key(&rename.old_path, &id), unit_key(&rename.new_path, &id)))));
        }
    }
    rows
}

/// The local ids of the units of content `key` seen at `path` (none when it cannot be read).
fn unit_ids(memo: &ContentMemo, key: &ContentKey, path: &[u8]) -> impl Iterator<Item = LocalUnitId> {
    let facts = memo.facts(key, path).ok();
    facts.into_iter().flat_map(|facts| {
        facts
            .iter()
            .filter_map(|fact| match fact {
                Fact::Unit(unit) => Some(unit.id.clone()),
                _ => None,
            })
            .collect::<Vec<_>>()
    })
}
