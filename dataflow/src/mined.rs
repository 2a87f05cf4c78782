//! Mined elements (ARCHITECTURE §5): the clone classes with at least K members in at least F
//! files, candidate elements of the periodic table that grow from the code rather than from the
//! catalogue, as rows of `mined_elements`.
//!
//! An element is named by the smallest structural hash among its members, a pure function of
//! content, so that runs, worker counts and resumes agree on it. Each class is reduced on its
//! own: a change to one class rewrites that class's row only.

use crate::clone_classes::ClassMembers;
use cpt_connectors::rows::{CloneUnit, MinedElementRow};
use differential_dataflow::VecCollection;
use std::collections::BTreeSet;

/// Which clone classes become elements: at least `min_members` units in at least `min_files` files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MiningRules {
    /// K: the fewest members of a mined element.
    pub min_members: u32,
    /// F: the fewest distinct files its members lie in.
    pub min_files: u32,
}

impl Default for MiningRules {
    /// Three members in three files: a shape repeated across a codebase, not one copy-paste.
    fn default() -> MiningRules {
        MiningRules { min_members: 3, min_files: 3 }
    }
}

/// The mined elements of the clone classes `members`, under `rules`.
pub fn mined_elements<'s>(
    members: ClassMembers<'s>,
    rules: MiningRules,
) -> VecCollection<'s, u64, MinedElementRow, i64> {
    members
        .map(|(class, row)| (class, (row.unit.struct_hash as i64, CloneUnit::of(&row))))
        .reduce(move |class, members: &[(&(i64, CloneUnit), i64)], output: &mut Vec<(MinedElementRow, i64)>| {
            output.extend(mine(*class, members.iter().map(|(member, _)| *member), rules).map(|row| (row, 1)));
        })
        .map(|(_, row)| row)
}

/// The element that class `class_id` is under `rules`, if it is one; `members` come sorted by
/// structural hash, then unit, each once.
fn mine<'a>(
    class_id: i64,
    members: impl ExactSizeIterator<Item = &'a (i64, CloneUnit)>,
    rules: MiningRules,
) -> Option<MinedElementRow> {
    if members.len() < rules.min_members as usize {
        return None;
    }
    let (mut files, mut languages, mut tokens_sum, mut first) = (BTreeSet::new(), BTreeSet::new(), 0u64, None);
    let count = members.len() as u64;
    for (struct_hash, unit) in members {
        first.get_or_insert((*struct_hash, unit));
        files.insert(&unit.path);
        languages.insert(unit.lang.name());
        tokens_sum += u64::from(unit.tokens);
    }
    let (element_id, exemplar) = first?;
    (files.len() >= rules.min_files as usize).then(|| MinedElementRow {
        element_id,
        class_id,
        members: count,
        files: files.len() as u64,
        languages: languages.into_iter().collect::<Vec<_>>().join(","),
        tokens_sum,
        exemplar: exemplar.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::{mine, MiningRules};
    use cpt_connectors::rows::CloneUnit;
    use cpt_operators::model::Lang;

    fn unit(key: i64, path: &str, lang: Lang, tokens: u32) -> CloneUnit {
        CloneUnit {
            unit_key: key,
            path: path.as_bytes().to_vec(),
            lang,
            kind: "function".into(),
            name: format!("f{key}"),
            start_line: 1,
            end_line: 9,
            tokens,
        }
    }

    #[test]
    fn a_class_becomes_an_element_only_with_enough_members_in_enough_files() {
        let rules = MiningRules::default();
        let spread = [
            (-5, unit(40, "b.py", Lang::Python, 60)),
            (-5, unit(41, "c.py", Lang::Python, 62)),
            (7, unit(3, "a.js", Lang::JavaScript, 70)),
        ];
        let row = mine(3, spread.iter(), rules).expect("three members in three files");
        assert_eq!((row.element_id, row.class_id, row.members, row.files), (-5, 3, 3, 3));
        assert_eq!((row.languages.as_str(), row.tokens_sum, row.exemplar.unit_key), ("javascript,python", 192, 40));

        let two_files = [
            (1, unit(1, "a.py", Lang::Python, 60)),
            (1, unit(2, "a.py", Lang::Python, 60)),
            (2, unit(3, "b.py", Lang::Python, 60)),
        ];
        assert_eq!(mine(1, two_files.iter(), rules), None);
        assert!(mine(1, two_files.iter(), MiningRules { min_members: 3, min_files: 2 }).is_some());
        assert_eq!(mine(3, spread[..2].iter(), rules), None);
    }
}
