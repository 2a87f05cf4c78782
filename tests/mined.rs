//! Mined elements on real code: the `mined_elements` table of a scan of the `small` corpus equals
//! a recomputation from its `clone_classes` and `units` tables under the mining rules (default and
//! flagged), and an element's id depends on content only: the same files under other paths give
//! the same ids. (The incremental paths are checked with every other state table by the replay,
//! watch, resume and incremental tests.)

mod common;

use common::{copy_tree, corpus, cpt, final_state, scan};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A `units` or `clone_classes` row's cells.
fn cells(row: &str) -> Vec<&str> {
    row.split('|').collect()
}

/// The structural hash of every unit of a scan, by unit key.
fn struct_hashes(out: &Path) -> BTreeMap<i64, i64> {
    // units: unit_key|parent_unit_key|path|path_raw|lang|content_id|kind|name|ordinal|start_line|end_line|
    //        tokens|nodes|lines|cyclomatic|max_nesting|exact_hash|struct_hash|vector
    final_state(out, "units")
        .keys()
        .map(|row| cells(row))
        .map(|c| (c[0].parse().unwrap(), c[17].parse().unwrap()))
        .collect()
}

/// The `mined_elements` rows that `clone_classes` and `units` of `out` imply for classes of at
/// least `min_members` members in `min_files` files, rendered as the table's rows are.
fn recomputed(out: &Path, min_members: usize, min_files: usize) -> BTreeMap<String, i64> {
    let hashes = struct_hashes(out);
    // clone_classes: class_id|unit_key|path|path_raw|lang|kind|name|start_line|end_line|tokens
    let mut classes: BTreeMap<i64, Vec<(i64, Vec<String>)>> = BTreeMap::new();
    for row in final_state(out, "clone_classes").keys() {
        let c = cells(row);
        let unit_key: i64 = c[1].parse().unwrap();
        let member = c[1..].iter().map(|cell| cell.to_string()).collect();
        classes.entry(c[0].parse().unwrap()).or_default().push((hashes[&unit_key], member));
    }
    let mut rows = BTreeMap::new();
    for (class_id, mut members) in classes {
        members.sort_by_key(|(hash, member)| (*hash, member[0].parse::<i64>().unwrap()));
        let files: BTreeSet<&String> = members.iter().map(|(_, member)| &member[1]).collect();
        if members.len() < min_members || files.len() < min_files {
            continue;
        }
        let languages: BTreeSet<&str> = members.iter().map(|(_, member)| member[3].as_str()).collect();
        let tokens: u64 = members.iter().map(|(_, member)| member[8].parse::<u64>().unwrap()).sum();
        let (element_id, exemplar) = &members[0];
        let figures = [
            element_id.to_string(),
            class_id.to_string(),
            members.len().to_string(),
            files.len().to_string(),
            languages.into_iter().collect::<Vec<_>>().join(","),
            format!("{:?}", tokens as f64 / members.len() as f64),
        ];
        rows.insert([&figures[..], exemplar].concat().join("|"), 1);
    }
    rows
}

#[test]
fn mined_elements_of_a_real_corpus_equal_a_recomputation_from_its_clone_classes() {
    let tmp = tempfile::tempdir().unwrap();
    let small = corpus("small");
    let (default, loose) = (tmp.path().join("default"), tmp.path().join("loose"));
    scan(&small, &default, &[]);
    scan(&small, &loose, &["--mine-members", "2", "--mine-files", "1"]);

    let mined = final_state(&default, "mined_elements");
    assert!(mined.len() >= 20, "a real corpus has repeated shapes: {} mined elements", mined.len());
    assert_eq!(mined, recomputed(&default, 3, 3));
    let every_class = final_state(&loose, "mined_elements");
    assert_eq!(every_class, recomputed(&loose, 2, 1));
    let classes = final_state(&loose, "clone_classes");
    let class_ids: BTreeSet<&str> = classes.keys().map(|row| cells(row)[0]).collect();
    assert_eq!(every_class.len(), class_ids.len(), "with K = 2 and F = 1 every class is an element");
    assert!(mined.len() < every_class.len());
}

#[test]
fn element_ids_depend_on_content_not_on_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let source = corpus("small").join("pypi");
    let moved = tmp.path().join("tree/vendored/python");
    copy_tree(&source, &moved);
    let (here, there) = (tmp.path().join("here"), tmp.path().join("there"));
    scan(&source, &here, &[]);
    scan(&tmp.path().join("tree"), &there, &[]);

    let ids = |out: &Path| -> BTreeMap<String, String> {
        // element_id|class_id|members|files|languages|mean_tokens|unit_key|…
        let rows = final_state(out, "mined_elements");
        rows.keys().map(|row| cells(row)).map(|c| (c[0].to_string(), c[2..6].join("|"))).collect()
    };
    let (here_ids, there_ids) = (ids(&here), ids(&there));
    assert!(!here_ids.is_empty());
    assert_eq!(here_ids, there_ids, "the same contents make the same elements with the same figures");
    let class_ids = |out: &Path| -> BTreeSet<String> {
        final_state(out, "mined_elements").keys().map(|row| cells(row)[1].to_string()).collect()
    };
    assert_ne!(class_ids(&here), class_ids(&there), "class ids name units, which depend on paths");
}

#[test]
fn mining_rules_outside_their_range_are_refused_with_the_flag_named() {
    let tmp = tempfile::tempdir().unwrap();
    let output = cpt(&["scan", ".", "--out", tmp.path().to_str().unwrap(), "--mine-members", "1"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--mine-members"), "{stderr}");
}
