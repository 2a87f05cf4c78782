//! Clone classes: the connected components of the units linked by exact clone groups (each
//! member to its group's smallest member) and by near-miss pairs, as each member unit labelled
//! with its class (the rows of `clone_classes`, and what mined elements are made of).
//!
//! Components are maintained by differential's label propagation (`propagate_core`, an `iterate`
//! whose labels' arrangement is the one its join reads, over the links arranged once outside the
//! loop): every linked unit starts with its own key as label, and each round a unit takes the
//! smallest label among its own and its neighbours', until nothing changes. Smaller labels start
//! spreading in earlier rounds ([`flood_order`]), so that few units take a label that a smaller
//! one replaces later. A class is named by its smallest member key, a pure function of its
//! members, and every unit in one has a link, so every class has two members or more. A change of
//! one link changes only the labels it reaches.

use crate::clones::UnitsByKey;
use cpt_connectors::rows::{CloneMemberRow, UnitRow};
use differential_dataflow::algorithms::graphs::propagate::propagate_core;
use differential_dataflow::VecCollection;

/// A class member: the class id (its smallest member's unit key) and the member's `units` row.
pub type ClassMembers<'s> = VecCollection<'s, u64, (i64, UnitRow), i64>;

/// The clone classes of exact group `members` and near-miss pairs by their two keys, `pairs`
/// (none when near-miss clones are off), their members described from `candidates`.
pub fn clone_classes<'s>(
    members: VecCollection<'s, u64, CloneMemberRow, i64>,
    pairs: Option<VecCollection<'s, u64, (i64, i64), i64>>,
    candidates: UnitsByKey<'s>,
) -> ClassMembers<'s> {
    let mut links = members
        .map(|row| (row.group_id, row.member.unit_key))
        .reduce(|_group, keys, output: &mut Vec<((i64, i64), i64)>| {
            let smallest = *keys[0].0;
            output.extend(keys[1..].iter().map(|(key, _)| ((**key, smallest), 1)));
        })
        .map(|(_group, link)| link);
    if let Some(pairs) = pairs {
        links = links.concat(pairs);
    }
    let edges = links.flat_map(|(x, y)| [(x, y), (y, x)]);
    let units = edges.clone().map(|(x, _)| x).distinct_core::<i64>().map(|x| (x, x));
    let labels = propagate_core(edges.arrange_by_key(), units, flood_order);
    labels.join_core(candidates, |_, class, row| Some((*class, row.clone())))
}

/// When a label starts to spread: the later, the more significant bits it has once mapped, in
/// order, from `i64` to `u64`, so that the smallest labels go first.
fn flood_order(label: &i64) -> u64 {
    (*label as u64) ^ (1 << 63)
}
