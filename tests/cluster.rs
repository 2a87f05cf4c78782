//! Cluster mode on loopback: two processes of two workers give the same tables as one process of
//! one worker (scan of a real corpus, replay of this repository); a peer that never starts, is
//! killed or is frozen makes the others exit non-zero within the bound, naming it; and
//! `--metrics` serves Prometheus metrics that a real HTTP client scrapes while a replay runs; and
//! a cluster replay that lost a process, restarted whole, resumes to the uninterrupted output.

mod common;

use common::cluster::{loopback_hostfile, run_cluster, Process};
use common::history::{build_long_history, replay};
use common::{corpus, cpt, read_table, repo_root, REPLAY_TABLES as TABLES};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn assert_same_tables(expected: &Path, actual: &Path) {
    for table in TABLES {
        assert_eq!(read_table(expected, table), read_table(actual, table), "table {table} differs");
    }
}

fn args<'a>(command: &'a str, source: &'a Path, out: &'a Path, workers: &'a str) -> Vec<&'a str> {
    vec![command, source.to_str().unwrap(), "--out", out.to_str().unwrap(), "--overwrite", "-q", "-w", workers]
}

#[test]
fn a_scan_on_two_processes_of_two_workers_equals_one_worker() {
    let work = tempfile::tempdir().unwrap();
    let small = corpus("small");
    let (single, cluster) = (work.path().join("single"), work.path().join("cluster"));
    let output = cpt(&args("scan", &small, &single, "1"));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    run_cluster(&args("scan", &small, &cluster, "2"), 2, work.path());
    assert_same_tables(&single, &cluster);
    assert!(!read_table(&cluster, "units").is_empty());
}

#[test]
fn a_replay_on_two_processes_of_two_workers_equals_one_worker() {
    let work = tempfile::tempdir().unwrap();
    let repo = repo_root();
    let (single, cluster) = (work.path().join("single"), work.path().join("cluster"));
    let output = cpt(&args("replay", &repo, &single, "1"));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    run_cluster(&args("replay", &repo, &cluster, "2"), 2, work.path());
    assert_same_tables(&single, &cluster);
    assert!(read_table(&cluster, "commits").len() > 1);
}

#[test]
fn a_peer_that_never_starts_stops_the_others_at_the_start_up_timeout() {
    let work = tempfile::tempdir().unwrap();
    let hostfile = loopback_hostfile(work.path(), 2);
    let (out, small) = (work.path().join("out"), corpus("small"));
    let mut run = args("scan", &small, &out, "1");
    run.extend(["--startup-timeout", "2"]);
    let started = Instant::now();
    let (status, stderr) = Process::start(&run, 0, 2, &hostfile).finish(Duration::from_secs(30));
    let status = status.expect("process 0 exits by itself");
    assert!(!status.success(), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(15), "took {:?}", started.elapsed());
    let address = std::fs::read_to_string(&hostfile).unwrap().lines().nth(1).unwrap().to_string();
    assert!(stderr.contains(&format!("process 1 ({address})")), "the missing peer is not named: {stderr}");
}

/// Starts a two-process scan, waits until both are connected, does `harm` to process 1, and
/// checks that process 0 exits non-zero within `bound`, naming process 1.
fn losing_a_peer_stops_the_other(signal: i32, bound: Duration) {
    let work = tempfile::tempdir().unwrap();
    let hostfile = loopback_hostfile(work.path(), 2);
    let (out, small) = (work.path().join("out"), corpus("small"));
    let mut run = args("scan", &small, &out, "1");
    run.extend(["--peer-timeout", "3"]);
    let mut first = Process::start(&run, 0, 2, &hostfile);
    let mut second = Process::start(&run, 1, 2, &hostfile);
    assert!(first.wait_for_line("connected to every peer", Duration::from_secs(60)), "{}", first.stderr);
    assert!(second.wait_for_line("connected to every peer", Duration::from_secs(60)), "{}", second.stderr);
    second.signal(signal);
    let harmed = Instant::now();
    let (status, stderr) = first.finish(bound + Duration::from_secs(30));
    let waited = harmed.elapsed();
    second.signal(libc::SIGKILL);
    let _ = second.finish(Duration::from_secs(10));
    let status = status.expect("process 0 exits by itself");
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(waited < bound, "process 0 took {waited:?} to stop (bound {bound:?})");
    assert!(stderr.contains("lost peer process 1"), "the lost peer is not named: {stderr}");
}

#[test]
fn a_killed_peer_stops_the_others() {
    losing_a_peer_stops_the_other(libc::SIGKILL, Duration::from_secs(10));
}

#[test]
fn a_frozen_peer_stops_the_others_after_the_peer_timeout() {
    losing_a_peer_stops_the_other(libc::SIGSTOP, Duration::from_secs(15));
}

/// Polls `url` with Python's HTTP client until `cpt` exits; prints every scrape that succeeded.
const SCRAPER: &str = r#"
import sys, time, urllib.request
url, pid = sys.argv[1], int(sys.argv[2])
import os
def alive():
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False
while alive():
    try:
        body = urllib.request.urlopen(url, timeout=2).read().decode()
        print(body)
        print("=== end of scrape")
    except Exception:
        pass
    time.sleep(0.02)
"#;

#[test]
fn metrics_are_scraped_over_http_while_a_replay_runs() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let repo = work.path().join("repo");
    // A history long enough, committed one commit per epoch, that the replay runs for seconds.
    build_long_history(&repo, 150);
    let mut replay = args("replay", &repo, &out, "2");
    replay.extend(["--metrics", "127.0.0.1:0", "--no-cache", "--epoch-commits", "1"]);
    let child = Command::new(env!("CARGO_BIN_EXE_cpt"))
        .args(&replay)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting cpt");
    let mut process = Process::watch(child);
    assert!(process.wait_for_line("metrics at http://", Duration::from_secs(60)), "{}", process.stderr);
    let url = process.stderr.lines().find_map(|l| l.split("metrics at ").nth(1)).unwrap().trim().to_string();
    let scraper = Command::new("python3")
        .args(["-c", SCRAPER, &url, &process.child.id().to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs the scraper");
    let (status, stderr) = process.finish(Duration::from_secs(300));
    assert!(status.is_some_and(|s| s.success()), "{stderr}");
    let scraped = String::from_utf8(scraper.wait_with_output().unwrap().stdout).unwrap();
    let scrapes: Vec<&str> = scraped.split("=== end of scrape").filter(|s| s.contains("# TYPE")).collect();
    assert!(!scrapes.is_empty(), "no scrape succeeded while the replay ran");
    let last = scrapes.last().unwrap();
    for family in [
        "cpt_commits_read_total",
        "cpt_contents_parsed_total",
        "cpt_content_hit_ratio",
        "cpt_stage_seconds_total",
        "cpt_frontier_lag",
        "cpt_network_bytes_sent_total",
        "cpt_rows",
    ] {
        assert!(last.contains(&format!("# TYPE {family} ")), "{family} missing from {last}");
    }
    let commits_read = |scrape: &str| -> f64 {
        let line = scrape.lines().find(|l| l.starts_with("cpt_commits_read_total{")).expect("commits read");
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert!(scrapes.iter().any(|s| commits_read(s) > 0.0), "no scrape saw a commit read: {last}");
    let arranged = |scrape: &str| {
        let sizes = scrape.lines().filter(|l| l.starts_with("cpt_arrangement_updates{"));
        sizes.filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum::<f64>()
    };
    assert!(scrapes.iter().any(|s| arranged(s) > 0.0), "no scrape saw an arrangement's size: {last}");
}

/// The manifest's durable time, if any.
fn durable_time(out: &Path) -> Option<u64> {
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("_manifest.json")).ok()?).ok()?;
    manifest["durable_time"].as_u64()
}

#[test]
fn a_cluster_replay_that_lost_a_process_resumes_when_restarted_whole() {
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    build_long_history(&repo, 120);
    let uninterrupted = work.path().join("uninterrupted");
    replay(&repo, &uninterrupted, &["-w", "1"]);
    let out = work.path().join("cluster");
    let hostfile = loopback_hostfile(work.path(), 2);
    let run = ["replay", repo.to_str().unwrap(), "--out", out.to_str().unwrap(), "-q", "-w", "1"];
    let mut options = run.to_vec();
    options.extend(["--epoch-commits", "4", "--peer-timeout", "5"]);
    let first = Process::start(&options, 0, 2, &hostfile);
    let second = Process::start(&options, 1, 2, &hostfile);
    let started = Instant::now();
    while durable_time(&out).is_none_or(|t| t == 0) {
        assert!(started.elapsed() < Duration::from_secs(120), "nothing durable past time 0 after two minutes");
        std::thread::sleep(Duration::from_millis(5));
    }
    second.signal(libc::SIGKILL);
    let (status, stderr) = first.finish(Duration::from_secs(60));
    let _ = second.finish(Duration::from_secs(10));
    assert_eq!(status.and_then(|s| s.code()), Some(3), "process 0 should stop on the lost peer: {stderr}");
    let killed_at = durable_time(&out).expect("a durable time");

    let hostfile = loopback_hostfile(work.path(), 2);
    let restarted: Vec<Process> = (0..2).map(|i| Process::start(&options, i, 2, &hostfile)).collect();
    for (index, process) in restarted.into_iter().enumerate() {
        let (status, stderr) = process.finish(Duration::from_secs(300));
        assert!(status.is_some_and(|s| s.success()), "restarted process {index} failed: {stderr}");
        if index == 0 {
            assert!(stderr.contains(&format!("resuming after commit {killed_at}")), "{stderr}");
        }
    }
    assert_same_tables(&uninterrupted, &out);
}
