//! `cpt similarity`: `export` writes exactly the units table's vectors (a scan of the `small`
//! corpus), `join` gives `join_all`'s pairs on one thread or two and with `--queries`, `generate`
//! is deterministic and its planted pairs are what the join finds, `delta` reports a batch, and
//! bad input (missing or damaged files, impossible counts) exits with a message saying why.

mod common;

use common::{corpus, cpt, final_state, scan};
use cpt_operators::similarity::vector_file::read_entries;
use cpt_operators::similarity::{join_all, Entry, JoinParams, Kernel, Pair, Vector};
use std::path::Path;
use std::process::Output;

/// Runs `cpt ARGS`, asserts exit 0 and returns stdout.
fn run(args: &[&str]) -> String {
    let output = cpt(args);
    assert!(output.status.success(), "cpt {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// The one JSON line a join or delta prints.
fn figures(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{stdout:?} is not one JSON line: {e}"))
}

/// Asserts that `output` failed with `code` and a message containing every one of `words`.
fn assert_refused(output: &Output, code: i32, words: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    for word in words {
        assert!(stderr.contains(word), "{word:?} not in {stderr:?}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn read_file(path: &Path) -> Vec<Entry> {
    read_entries(std::fs::read(path).expect("vector file").as_slice()).expect("a whole vector file")
}

/// The entries the units table holds for non-file units with a non-zero vector, read from the
/// table's rows as text (unit_key first, parent_unit_key second; tokens eighth from the end and
/// the vector last), sorted by key.
fn units_table_entries(out: &Path) -> Vec<Entry> {
    let mut entries: Vec<Entry> = final_state(out, "units")
        .into_keys()
        .filter_map(|row| {
            let fields: Vec<&str> = row.split('|').collect();
            // The cell is the Debug form of the components: `…[1, -2, …]…`.
            let cell = fields[fields.len() - 1];
            let inner = &cell[cell.rfind('[').expect("a list") + 1..cell.find(']').expect("a list")];
            let components: Vec<i8> = inner.split(", ").map(|c| c.parse().expect("a component")).collect();
            let vector = Vector::from_slice(&components).expect("128 components");
            let size = fields[fields.len() - 8].parse().expect("tokens");
            (fields[1] != "NULL" && vector != Vector::ZERO).then(|| Entry {
                key: fields[0].parse().unwrap(),
                size,
                vector,
            })
        })
        .collect();
    entries.sort_unstable_by_key(|e| e.key);
    entries
}

fn pairs_file(path: &Path) -> Vec<Pair> {
    std::fs::read_to_string(path)
        .expect("pairs file")
        .lines()
        .map(|line| {
            let fields: Vec<i64> = line.split(' ').map(|f| f.parse().expect("a number")).collect();
            Pair { a: fields[0], b: fields[1], score: fields[2] as u16 }
        })
        .collect()
}

#[test]
fn export_round_trips_and_join_equals_join_all_on_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let (out, vectors) = (dir.path().join("out"), dir.path().join("units.vec"));
    scan(&corpus("small"), &out, &[]);
    run(&["similarity", "export", out.to_str().unwrap(), "--to", vectors.to_str().unwrap()]);
    let entries = read_file(&vectors);
    assert!(entries.len() > 1000, "the small corpus has thousands of units");
    assert_eq!(entries, units_table_entries(&out));

    let limited = dir.path().join("limited.vec");
    run(&["similarity", "export", out.to_str().unwrap(), "--to", limited.to_str().unwrap(), "--limit", "100"]);
    assert_eq!(read_file(&limited), entries[..100]);

    let (expected, _) = join_all(Kernel::detect(), JoinParams::default(), &entries).unwrap();
    assert!(!expected.is_empty());
    for threads in ["1", "2"] {
        let pairs = dir.path().join(format!("pairs-{threads}.txt"));
        let stdout =
            run(&["similarity", "join", vectors.to_str().unwrap(), "-w", threads, "--pairs", pairs.to_str().unwrap()]);
        assert_eq!(pairs_file(&pairs), expected, "-w {threads}");
        let json = figures(&stdout);
        assert_eq!(
            (json["n"].as_u64(), json["pairs"].as_u64()),
            (Some(entries.len() as u64), Some(expected.len() as u64))
        );
        assert_eq!(json["device"], "cpu");
    }

    // The first 500 vectors against all: the pairs of join_all that have one of them.
    let queried: std::collections::HashSet<i64> = entries[..500].iter().map(|e| e.key).collect();
    let touching: Vec<Pair> =
        expected.iter().copied().filter(|p| queried.contains(&p.a) || queried.contains(&p.b)).collect();
    let pairs = dir.path().join("queries.txt");
    run(&[
        "similarity",
        "join",
        vectors.to_str().unwrap(),
        "--queries",
        "500",
        "-w",
        "2",
        "--pairs",
        pairs.to_str().unwrap(),
    ]);
    assert_eq!(pairs_file(&pairs), touching);

    let delta = figures(&run(&["similarity", "delta", vectors.to_str().unwrap(), "--changed", "10", "--repeats", "3"]));
    assert_eq!((delta["changed"].as_u64(), delta["repeats"].as_u64()), (Some(10), Some(3)));
    assert!(delta["seconds"].as_f64().is_some_and(|s| s > 0.0), "{delta}");
}

#[test]
fn generate_is_deterministic_and_the_join_finds_its_planted_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let generate = |seed: &str, to: &str| {
        run(&["similarity", "generate", "--count", "3000", "--near-duplicates", "5", "--seed", seed, "--to", to]);
        std::fs::read(to).unwrap()
    };
    let first = generate("11", &file("a.vec"));
    assert_eq!(first, generate("11", &file("b.vec")));
    assert_ne!(first, generate("12", &file("c.vec")));
    let pairs = file("pairs.txt");
    let json = figures(&run(&["similarity", "join", &file("a.vec"), "-w", "2", "--pairs", &pairs]));
    assert_eq!(json["pairs"].as_u64(), Some(150), "5 % of 3,000 planted: {json}");
    // Originals are keys 0..2850, copy i is key 2850 + i of original i.
    let found: Vec<(i64, i64)> = pairs_file(Path::new(&pairs)).iter().map(|p| (p.a, p.b)).collect();
    assert_eq!(found, (0..150).map(|i| (i, 2850 + i)).collect::<Vec<_>>());
}

#[test]
fn a_gpu_join_gives_the_cpu_pairs_or_is_refused_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    run(&[
        "similarity",
        "generate",
        "--count",
        "4000",
        "--near-duplicates",
        "2",
        "--seed",
        "5",
        "--to",
        &file("v.vec"),
    ]);
    run(&["similarity", "join", &file("v.vec"), "--pairs", &file("cpu.txt")]);
    for path in ["tensor", "cublas"] {
        let gpu = cpt(&[
            "similarity",
            "join",
            &file("v.vec"),
            "--device",
            "gpu",
            "--gpu-path",
            path,
            "--pairs",
            &file("gpu.txt"),
        ]);
        if gpu.status.success() {
            let json = figures(&String::from_utf8_lossy(&gpu.stdout));
            assert_eq!(json["device"], "gpu");
            assert_eq!(pairs_file(Path::new(&file("gpu.txt"))), pairs_file(Path::new(&file("cpu.txt"))), "{path}");
        } else {
            eprintln!("SKIPPED the GPU comparison: {}", String::from_utf8_lossy(&gpu.stderr).trim());
            assert_refused(&gpu, 2, &["--device gpu: no usable GPU", "write --device cpu"]);
        }
    }
}

#[test]
fn bad_input_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let missing = cpt(&["similarity", "join", &path("missing.vec")]);
    assert_refused(&missing, 2, &["missing.vec", "is not a file", "cpt similarity export"]);
    assert_refused(&cpt(&["similarity", "export", &path("nowhere"), "--to", &path("x.vec")]), 2, &["not a folder"]);

    std::fs::write(path("parquet.vec"), b"PAR1 this is not a vector file at all").unwrap();
    assert_refused(&cpt(&["similarity", "join", &path("parquet.vec")]), 1, &["parquet.vec", "not a cpt vector file"]);

    run(&["similarity", "generate", "--count", "20", "--seed", "3", "--to", &path("small.vec")]);
    let whole = std::fs::read(path("small.vec")).unwrap();
    std::fs::write(path("cut.vec"), &whole[..whole.len() - 5]).unwrap();
    assert_refused(&cpt(&["similarity", "delta", &path("cut.vec"), "--changed", "1"]), 1, &["cut.vec", "ends inside"]);

    let too_many = cpt(&["similarity", "delta", &path("small.vec"), "--changed", "21"]);
    assert_refused(&too_many, 2, &["--changed 21", "20 vectors", "write --changed 20 or fewer"]);
    let queries = cpt(&["similarity", "join", &path("small.vec"), "--queries", "30"]);
    assert_refused(&queries, 2, &["write --queries 20 or fewer"]);
    assert_refused(&cpt(&["similarity", "join", &path("small.vec"), "--similarity", "0"]), 2, &["--similarity"]);
}
