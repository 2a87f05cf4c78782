//! The incremental oracle: random sequences of edits (add, delete, modify, rename, duplicate)
//! over real files of the `small` corpus are fed to the graph as changes at times 1, 2, …; at
//! every time, the changelog summed up to that time must equal a fresh scan of the tree as it
//! was then, table by table (`elements` depends on history, not on the state: see tests/elements.rs).

mod common;

use common::{corpus, final_state, scan, state_at, STATE_TABLES as TABLES};
use cpt_connectors::content::TreeSource;
use cpt_connectors::sink::{OpenMode, OutputDir, RunInfo};
use cpt_dataflow::cluster::ClusterSettings;
use cpt_dataflow::failure::JobFailure;
use cpt_dataflow::graph::GraphContext;
use cpt_dataflow::job::run_graph;
use cpt_dataflow::memo::ContentMemo;
use cpt_dataflow::mined::MiningRules;
use cpt_dataflow::near_miss::NearMissParams;
use cpt_dataflow::sink::EpochPolicy;
use cpt_dataflow::stats::RunStats;
use cpt_dataflow::telemetry::Telemetry;
use cpt_operators::catalog::builtin::builtin_sources;
use cpt_operators::catalog::load;
use cpt_operators::model::{AnalysisConfig, ContentId, ContentKey, Lang};
use cpt_operators::similarity::JoinBackend;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

const SLOTS: usize = 12;

/// Real files (extension, bytes) from the corpus: small ones of every language, in path order.
fn pool() -> &'static Vec<(String, Vec<u8>)> {
    static POOL: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    POOL.get_or_init(|| {
        let mut found = Vec::new();
        let mut stack = vec![corpus("small")];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
                    let size = fs::metadata(&path).unwrap().len();
                    if Lang::from_path(path.to_str().unwrap().as_bytes()).is_some() && size < 12_000 {
                        found.push((path.clone(), ext.to_string()));
                    }
                }
            }
        }
        found.sort();
        let step = (found.len() / 40).max(1);
        found.into_iter().step_by(step).map(|(path, ext)| (ext, fs::read(path).unwrap())).collect()
    })
}

#[derive(Clone, Debug)]
enum Edit {
    /// Put pool file `file` in slot `slot` (replacing what is there: a modification).
    Put { slot: usize, file: usize },
    /// Delete the file in `slot`.
    Delete { slot: usize },
    /// Move the file in `slot` to `to` (replacing what is there).
    Rename { slot: usize, to: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    let files = pool().len();
    prop_oneof![
        3 => (0..SLOTS, 0..files).prop_map(|(slot, file)| Edit::Put { slot, file }),
        1 => (0..SLOTS).prop_map(|slot| Edit::Delete { slot }),
        1 => (0..SLOTS, 0..SLOTS).prop_map(|(slot, to)| Edit::Rename { slot, to }),
    ]
}

/// Slot → pool file.
type Tree = BTreeMap<usize, usize>;

fn path_of(slot: usize, file: usize) -> String {
    format!("d{}/s{slot}.{}", slot % 3, pool()[file].0)
}

fn apply(tree: &mut Tree, edit: &Edit) {
    match *edit {
        Edit::Put { slot, file } => {
            tree.insert(slot, file);
        }
        Edit::Delete { slot } => {
            tree.remove(&slot);
        }
        Edit::Rename { slot, to } => {
            if let Some(file) = tree.remove(&slot) {
                tree.insert(to, file);
            }
        }
    }
}

/// Path → content key of every file of a tree.
fn keys(tree: &Tree) -> BTreeMap<String, ContentKey> {
    tree.iter()
        .map(|(&slot, &file)| {
            let (path, bytes) = (path_of(slot, file), &pool()[file].1);
            let lang = Lang::from_path(path.as_bytes()).unwrap().of_text(path.as_bytes(), bytes);
            (path, ContentKey { id: ContentId::of_bytes(bytes), lang })
        })
        .collect()
}

fn write_tree(root: &Path, tree: &Tree) {
    let _ = fs::remove_dir_all(root);
    fs::create_dir_all(root).unwrap();
    for (&slot, &file) in tree {
        let path = root.join(path_of(slot, file));
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, &pool()[file].1).unwrap();
    }
}

fn check(steps: Vec<Vec<Edit>>) {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (live, out) = (dir.join("live"), dir.join("out"));
    let mut trees = vec![Tree::new()];
    for step in &steps {
        let mut tree = trees.last().unwrap().clone();
        step.iter().for_each(|edit| apply(&mut tree, edit));
        trees.push(tree);
    }
    fs::create_dir_all(&live).unwrap();
    let info = RunInfo {
        source_kind: "test".into(),
        source: live.display().to_string(),
        config_hash: "test".into(),
        grammar_versions: Vec::new(),
        commits: Vec::new(),
    };
    let catalog = Arc::new(load(&builtin_sources()).catalog);
    let analysis = AnalysisConfig { catalog: catalog.fingerprint().to_string(), ..AnalysisConfig::default() };
    let source = Arc::new(TreeSource::new(&live, 1 << 20));
    let ctx = GraphContext {
        memo: Arc::new(ContentMemo::new(source, analysis, Arc::clone(&catalog))),
        catalog,
        out: OutputDir::open(&out, info, OpenMode::Fresh { overwrite: false }).unwrap(),
        epochs: EpochPolicy { max_times: 1, max_wait: Duration::ZERO },
        min_tokens: 50,
        near_miss: Some(NearMissParams::default()),
        mining: MiningRules::default(),
        join_backend: JoinBackend::Cpu,
        stats: Arc::new(RunStats::default()),
        failure: Arc::new(JobFailure::default()),
        telemetry: Arc::new(Telemetry::new(false)),
        first_process: true,
    };
    let plan = Arc::new(trees.clone());
    let root = live.clone();
    run_graph(&ClusterSettings::single(2), ctx, 0, move |driver| {
        for time in 1..plan.len() {
            driver.advance_to(time as u64);
            if driver.index() == 0 {
                write_tree(&root, &plan[time]);
                let (before, after) = (keys(&plan[time - 1]), keys(&plan[time]));
                for (path, key) in &before {
                    if after.get(path) != Some(key) {
                        driver.file(*key, path.clone().into_bytes(), -1);
                    }
                }
                for (path, key) in &after {
                    if before.get(path) != Some(key) {
                        driver.file(*key, path.clone().into_bytes(), 1);
                    }
                }
            }
            driver.complete_before(time as u64 + 1);
        }
        Ok(())
    })
    .unwrap();

    for (time, tree) in trees.iter().enumerate().skip(1) {
        let snapshot: PathBuf = dir.join(format!("at{time}"));
        write_tree(&snapshot, tree);
        let fresh = dir.join(format!("fresh{time}"));
        scan(&snapshot, &fresh, &["-w", "1"]);
        for table in TABLES {
            let (incremental, expected) = (state_at(&out, table, time as u64), final_state(&fresh, table));
            assert!(
                incremental == expected,
                "table {table} at time {time} differs from a fresh scan:\nincremental only: {:?}\nfresh only: {:?}",
                incremental.iter().filter(|(k, v)| expected.get(*k) != Some(v)).take(3).collect::<Vec<_>>(),
                expected.iter().filter(|(k, v)| incremental.get(*k) != Some(v)).take(3).collect::<Vec<_>>(),
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn changes_over_time_equal_fresh_scans(steps in prop::collection::vec(prop::collection::vec(edit(), 1..7), 1..5)) {
        check(steps);
    }
}

#[test]
fn duplicating_then_removing_a_file_makes_and_unmakes_clone_groups() {
    let file = (0..pool().len()).max_by_key(|&f| pool()[f].1.len()).unwrap();
    check(vec![
        vec![Edit::Put { slot: 0, file }],
        vec![Edit::Put { slot: 1, file }],
        vec![Edit::Rename { slot: 1, to: 2 }],
        vec![Edit::Delete { slot: 0 }],
    ]);
}
