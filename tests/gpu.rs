//! `--gpu`: it never changes a result, `on` without a usable GPU is refused before anything runs
//! (exit 2, with the reason), a misspelt mode is a usage error. On a machine with a usable GPU the
//! same test compares the GPU scan with the CPU scan table by table.

mod common;

use common::{corpus, cpt, read_table, scan, STATE_TABLES};

#[test]
fn the_gpu_flag_changes_no_table_and_on_needs_a_usable_gpu() {
    let dir = tempfile::tempdir().unwrap();
    let small = corpus("small");
    let (off, auto, on) = (dir.path().join("off"), dir.path().join("auto"), dir.path().join("on"));
    scan(&small, &off, &["--gpu", "off"]);
    scan(&small, &auto, &["--gpu", "auto"]);
    let forced = cpt(&["scan", small.to_str().unwrap(), "--out", on.to_str().unwrap(), "--gpu", "on", "-q"]);
    let stderr = String::from_utf8_lossy(&forced.stderr);
    match forced.status.code() {
        Some(0) => {
            for table in STATE_TABLES {
                assert_eq!(read_table(&on, table), read_table(&off, table), "table {table}: --gpu on vs off");
            }
        }
        Some(2) => {
            eprintln!("no usable GPU here, so --gpu on was refused: {stderr}");
            assert!(stderr.contains("--gpu on: no usable GPU") && stderr.contains("--gpu auto"), "{stderr}");
            assert!(!on.join("manifest.json").exists(), "a refused run writes nothing");
        }
        other => panic!("--gpu on exited {other:?}: {stderr}"),
    }
    for table in STATE_TABLES {
        assert_eq!(read_table(&auto, table), read_table(&off, table), "table {table}: --gpu auto vs off");
    }
    let misspelt = cpt(&["scan", small.to_str().unwrap(), "--out", on.to_str().unwrap(), "--gpu", "yes"]);
    assert_eq!(misspelt.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&misspelt.stderr).contains("possible values: auto, on, off"));
}
