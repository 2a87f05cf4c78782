//! The watch oracle (ARCHITECTURE §2): `cpt watch` follows real edits of a tree seeded with real
//! files of the `small` corpus — files copied in, a function appended, a file deleted, a folder
//! renamed, a file replaced the way editors save (write a temporary file, rename it over), a
//! `.gitignore` added and removed — and after each edit, once the watch has caught up, the
//! changelog summed up to its durable time must equal a fresh `cpt scan` of the tree, table by
//! table. Then SIGTERM ends it cleanly: exit 0, the output complete, one `times` row per time.
//!
//! A watch stopped by SIGINT or killed by SIGKILL, its tree edited meanwhile, and started again on
//! the same output resumes: its changelog, which the new run extends without writing any row at
//! or before the durable time again, equals a fresh scan at the time after it, and the watch goes
//! on. Another folder or configuration, or a content neither cached nor on disk, is refused.

mod common;

use common::{copy_tree, corpus, cpt, final_state, read_table, scan, state_at};
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const TABLES: [&str; 4] = ["files", "units", "clone_groups", "errors"];

/// How long the watch may take to catch up with one edit, or to stop.
const PATIENCE: Duration = Duration::from_secs(60);

/// How often the output is looked at while waiting.
const POLL: Duration = Duration::from_millis(20);

/// A running `cpt watch`, killed if the test fails before stopping it.
struct Watch {
    child: Option<Child>,
    out: PathBuf,
    log: PathBuf,
}

impl Watch {
    fn start(root: &Path, out: &Path, log: &Path) -> Watch {
        Watch::start_with(root, out, log, &[])
    }

    /// Starts `cpt watch` with `extra` arguments (its log, `log`, is started afresh).
    fn start_with(root: &Path, out: &Path, log: &Path, extra: &[&str]) -> Watch {
        let args = ["watch", root.to_str().unwrap(), "--out", out.to_str().unwrap(), "-q", "-w", "2"];
        let child = Command::new(env!("CARGO_BIN_EXE_cpt"))
            .args(args)
            .args(["--debounce", "50"])
            .args(extra)
            .env("RUST_LOG", "cpt_dataflow::watch=info")
            .stdout(Stdio::null())
            .stderr(fs::File::create(log).unwrap())
            .spawn()
            .expect("starting cpt watch");
        Watch { child: Some(child), out: out.to_path_buf(), log: log.to_path_buf() }
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The manifest's durable time and completeness, once the manifest exists.
    fn manifest(&self) -> Option<(Option<u64>, bool)> {
        let text = fs::read(self.out.join("_manifest.json")).ok()?;
        let manifest: serde_json::Value = serde_json::from_slice(&text).ok()?;
        Some((manifest["durable_time"].as_u64(), manifest["complete"].as_bool().unwrap_or(false)))
    }

    fn durable_time(&self) -> Option<u64> {
        self.manifest().and_then(|(durable, _)| durable)
    }

    /// Polls `done` until it gives a value (or why it still waits); fails after [`PATIENCE`] or
    /// when the watch exits.
    fn wait_for<T>(&mut self, what: &str, mut done: impl FnMut(&Watch) -> Result<T, String>) -> T {
        let started = Instant::now();
        loop {
            let waiting = match done(self) {
                Ok(value) => return value,
                Err(waiting) => waiting,
            };
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("cpt watch exited ({status}) while waiting for {what} ({waiting}):\n{}", self.log());
            }
            assert!(started.elapsed() < PATIENCE, "timed out waiting for {what}: {waiting}\n{}", self.log());
            std::thread::sleep(POLL);
        }
    }

    /// Waits until time `at_least` or a later one is durable; returns the durable time.
    fn wait_durable(&mut self, at_least: u64) -> u64 {
        self.wait_for(&format!("time {at_least} to be durable"), |watch| {
            watch.durable_time().filter(|&t| t >= at_least).ok_or_else(|| format!("durable: {:?}", watch.manifest()))
        })
    }

    /// Sends SIGTERM and waits for the exit.
    fn stop(&mut self) -> ExitStatus {
        self.signal(libc::SIGTERM)
    }

    /// Sends `signal` and waits for the exit.
    fn signal(&mut self, signal: libc::c_int) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        // SAFETY: kill(2) on the pid of a child this test started and has not reaped yet.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
        wait_exit(&mut child, &self.log())
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Waits for `child` to exit, within [`PATIENCE`].
fn wait_exit(child: &mut Child, log: &str) -> ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(started.elapsed() < PATIENCE, "cpt watch did not exit:\n{log}");
        std::thread::sleep(POLL);
    }
}

/// The first top-level Python function of `file`: its `def` line and the lines indented under it.
fn first_python_function(file: &Path) -> String {
    let text = fs::read_to_string(file).unwrap();
    let mut lines = text.lines().skip_while(|line| !line.starts_with("def "));
    let head = lines.next().unwrap_or_else(|| panic!("no function in {}", file.display()));
    let body: Vec<&str> = lines.take_while(|line| line.is_empty() || line.starts_with(' ')).collect();
    format!("\n\n{head}\n{}\n", body.join("\n"))
}

/// Waits until the watch has committed a time after `before` and the changelog summed up to its
/// durable time equals a fresh scan of `root`; returns that durable time.
fn caught_up(watch: &mut Watch, root: &Path, fresh: &Path, step: &str, before: u64) -> u64 {
    scan(root, fresh, &["-w", "1"]);
    let expected: Vec<_> = TABLES.iter().map(|table| final_state(fresh, table)).collect();
    watch.wait_durable(before + 1);
    watch.wait_for(&format!("the watch to catch up with step {step:?}"), |watch| {
        let durable = watch.durable_time().expect("a durable time");
        for (table, expected) in TABLES.iter().zip(&expected) {
            let watched = state_at(&watch.out, table, durable);
            if &watched != expected {
                return Err(format!(
                    "table {table} at time {durable}:\nwatch only: {:?}\nscan only: {:?}",
                    watched.iter().filter(|(k, v)| expected.get(*k) != Some(v)).take(3).collect::<Vec<_>>(),
                    expected.iter().filter(|(k, v)| watched.get(*k) != Some(v)).take(3).collect::<Vec<_>>(),
                ));
            }
        }
        Ok(durable)
    })
}

#[test]
fn watching_real_edits_equals_fresh_scans_after_each() {
    let small = corpus("small");
    let work = tempfile::tempdir().unwrap();
    let (root, out) = (work.path().join("live"), work.path().join("out"));
    copy_tree(&small.join("crates/itoa-1.0.14"), &root.join("itoa"));
    copy_tree(&small.join("pypi/MarkupSafe-3.0.2/src"), &root.join("py"));
    copy_tree(&small.join("npm/react-hot-toast-2.5.1/src"), &root.join("web"));
    let mut watch = Watch::start(&root, &out, &work.path().join("watch.log"));
    watch.wait_durable(0);

    let mut time = 0;
    let mut step = |name: &str, edit: &dyn Fn(), watch: &mut Watch| {
        edit();
        time = caught_up(watch, &root, &work.path().join(format!("fresh-{name}")), name, time);
    };
    step(
        "copy an older version in",
        &|| copy_tree(&small.join("npm/react-hot-toast-2.4.1/src"), &root.join("web-old")),
        &mut watch,
    );
    step(
        "append a function",
        &|| {
            let function = first_python_function(&root.join("py/markupsafe/_native.py"));
            let target = root.join("py/markupsafe/__init__.py");
            let mut text = fs::read_to_string(&target).unwrap();
            text.push_str(&function);
            fs::write(target, text).unwrap();
        },
        &mut watch,
    );
    step("delete a file", &|| fs::remove_file(root.join("web/core/store.ts")).unwrap(), &mut watch);
    step(
        "rename a folder",
        &|| fs::rename(root.join("web-old/core"), root.join("web-old/engine")).unwrap(),
        &mut watch,
    );
    step(
        "replace a file through a temporary file",
        &|| {
            let temp = root.join("itoa/src/.lib.rs.tmp");
            fs::copy(small.join("crates/itoa-1.0.11/src/lib.rs"), &temp).unwrap();
            fs::rename(temp, root.join("itoa/src/lib.rs")).unwrap();
        },
        &mut watch,
    );
    step("ignore a folder", &|| fs::write(root.join(".gitignore"), "/web-old/\n").unwrap(), &mut watch);
    step("stop ignoring it", &|| fs::remove_file(root.join(".gitignore")).unwrap(), &mut watch);

    let status = watch.stop();
    assert!(status.success(), "cpt watch exited with {status}:\n{}", watch.log());
    assert_eq!(watch.manifest(), Some((Some(time), true)), "the output is complete at the last time");
    let log = watch.log();
    assert!(log.contains(&format!("cpt watch: {time} batches after the initial scan")), "{log}");
    let times: Vec<(u64, i64, i64)> = read_table(&out, "times")
        .into_iter()
        .map(|(row, diff)| {
            assert_eq!(diff, 1, "times row {row}");
            let cells: Vec<i64> = row.split('|').map(|cell| cell.parse().unwrap()).collect();
            (cells[0] as u64, cells[1], cells[2])
        })
        .collect();
    assert_eq!(times.iter().map(|(t, _, _)| *t).collect::<Vec<_>>(), (0..=time).collect::<Vec<_>>());
    assert!(times.windows(2).all(|w| w[0].1 < w[1].1), "wall clocks increase: {times:?}");
    assert!(times.iter().all(|(_, _, changed)| *changed > 0), "every time changed some path: {times:?}");
    for line in log.lines().filter(|line| line.contains("durable")) {
        eprintln!("{line}");
    }
}

#[test]
fn the_watch_ends_with_an_error_when_its_folder_disappears() {
    let work = tempfile::tempdir().unwrap();
    let (root, out) = (work.path().join("live"), work.path().join("out"));
    copy_tree(&corpus("small").join("crates/itoa-1.0.14/src"), &root);
    let mut watch = Watch::start(&root, &out, &work.path().join("watch.log"));
    watch.wait_durable(0);
    fs::remove_dir_all(&root).unwrap();
    let mut child = watch.child.take().unwrap();
    let status = wait_exit(&mut child, &watch.log());
    assert_eq!(status.code(), Some(1), "{}", watch.log());
    assert!(watch.log().contains("disappeared"), "{}", watch.log());
    let (durable, complete) = watch.manifest().unwrap();
    assert!(complete && durable.is_some(), "the output is complete: {:?}", watch.manifest());
}

#[test]
fn nonsensical_arguments_are_usage_errors() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let file = work.path().join("file.rs");
    fs::write(&file, fs::read(corpus("small").join("crates/itoa-1.0.14/src/udiv128.rs")).unwrap()).unwrap();
    let out = out.to_str().unwrap();
    let empty = work.path().join("empty");
    fs::create_dir(&empty).unwrap();
    for args in [
        vec!["watch", empty.to_str().unwrap(), "--out", empty.to_str().unwrap()],
        vec!["watch", work.path().join("nope").to_str().unwrap(), "--out", out],
        vec!["watch", file.to_str().unwrap(), "--out", out],
        vec!["watch", work.path().to_str().unwrap(), "--out", out, "--debounce", "0"],
        vec!["watch", work.path().to_str().unwrap(), "--out", out, "--debounce", "soon"],
    ] {
        let output = cpt(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    }
}

/// The part files the manifest of `out` lists, each with the smallest time of its rows.
fn listed_parts(out: &Path) -> BTreeMap<String, u64> {
    let manifest: serde_json::Value = serde_json::from_slice(&fs::read(out.join("_manifest.json")).unwrap()).unwrap();
    let tables = manifest["tables"].as_object().unwrap().values();
    let parts = tables.flat_map(|parts| parts.as_array().unwrap().iter());
    parts.map(|part| (part["file"].as_str().unwrap().to_string(), part["min_time"].as_u64().unwrap())).collect()
}

/// Asserts that a resumed run kept every part listed `before` it and wrote rows only after the
/// durable time it resumed from, and that `times` holds each time once, from 0 to the last.
fn assert_resumed_after(out: &Path, before: &BTreeMap<String, u64>, durable: u64) {
    let now = listed_parts(out);
    for (file, min_time) in &now {
        assert!(
            before.contains_key(file) || *min_time > durable,
            "the resumed run wrote {file} with rows at time {min_time}, not after its durable time {durable}"
        );
    }
    assert!(before.keys().all(|file| now.contains_key(file)), "a part of the stopped run is no longer listed");
    let times = read_table(out, "times");
    assert!(times.values().all(|&diff| diff == 1), "a `times` row was written twice: {times:?}");
    let times: Vec<u64> = times.keys().map(|row| row.split('|').next().unwrap().parse().unwrap()).collect();
    assert_eq!(times, (0..times.len() as u64).collect::<Vec<_>>(), "one `times` row per time");
}

/// A tree of real files for the resume tests: Rust, Python and TypeScript sources (some with
/// syntax errors), files the analysis rejects as minified, and a broken symbolic link (an `errors`
/// row without content).
fn resume_tree(root: &Path) {
    let small = corpus("small");
    copy_tree(&small.join("crates/itoa-1.0.14"), &root.join("itoa"));
    copy_tree(&small.join("pypi/MarkupSafe-3.0.2/src"), &root.join("py"));
    copy_tree(&small.join("npm/react-hot-toast-2.5.1/headless"), &root.join("headless"));
    std::os::unix::fs::symlink("gone.rs", root.join("itoa/src/broken.rs")).unwrap();
}

/// Appends the first function of one Python file of the tree to another.
fn append_python_function(root: &Path) {
    let function = first_python_function(&root.join("py/markupsafe/_native.py"));
    let target = root.join("py/markupsafe/__init__.py");
    let mut text = fs::read_to_string(&target).unwrap();
    text.push_str(&function);
    fs::write(target, text).unwrap();
}

/// Changes made while no watch runs: a folder copied in, a file deleted, the link repaired, and
/// one Rust file replaced by its older version.
fn edit_while_stopped(root: &Path) {
    let small = corpus("small");
    copy_tree(&small.join("npm/react-hot-toast-2.5.1/src"), &root.join("web"));
    fs::remove_file(root.join("py/markupsafe/_native.py")).unwrap();
    fs::copy(root.join("itoa/src/udiv128.rs"), root.join("itoa/src/gone.rs")).unwrap();
    fs::copy(small.join("crates/itoa-1.0.11/src/lib.rs"), root.join("itoa/src/lib.rs")).unwrap();
}

#[test]
fn a_stopped_watch_resumes_with_the_changes_made_meanwhile() {
    let work = tempfile::tempdir().unwrap();
    let (root, out, cache) = (work.path().join("live"), work.path().join("out"), work.path().join("cache"));
    resume_tree(&root);
    let cache = ["--cache", cache.to_str().unwrap()];
    let mut watch = Watch::start_with(&root, &out, &work.path().join("first.log"), &cache);
    watch.wait_durable(0);
    append_python_function(&root);
    let stopped_at = caught_up(&mut watch, &root, &work.path().join("fresh-1"), "append a function", 0);
    let status = watch.signal(libc::SIGINT);
    assert!(status.success(), "cpt watch exited with {status}:\n{}", watch.log());
    let before = listed_parts(&out);

    edit_while_stopped(&root);
    let mut watch = Watch::start_with(&root, &out, &work.path().join("resumed.log"), &cache);
    let fresh = work.path().join("fresh-2");
    let resumed = caught_up(&mut watch, &root, &fresh, "changes made while stopped", stopped_at);
    assert_eq!(resumed, stopped_at + 1, "the changes made while stopped are the next time");
    assert!(watch.log().contains(&format!("resumed at time {stopped_at}")), "{}", watch.log());
    fs::remove_file(root.join("web/core/store.ts")).unwrap();
    let last = caught_up(&mut watch, &root, &work.path().join("fresh-3"), "delete a file", resumed);
    assert!(watch.stop().success(), "{}", watch.log());
    assert_resumed_after(&out, &before, stopped_at);

    let before = listed_parts(&out);
    let mut watch = Watch::start_with(&root, &out, &work.path().join("unchanged.log"), &cache);
    let resumed = format!("resumed at time {last} ");
    watch.wait_for("the watch to resume", |watch| match watch.log().contains(&resumed) {
        true => Ok(()),
        false => Err("no resume logged".into()),
    });
    assert!(watch.log().contains("nothing changed while stopped"), "{}", watch.log());
    assert!(watch.stop().success(), "{}", watch.log());
    assert_eq!(listed_parts(&out), before, "a restart on an unchanged tree writes nothing");
    assert_eq!(watch.manifest(), Some((Some(last), true)));
}

#[test]
fn a_watch_killed_with_sigkill_resumes_to_a_fresh_scan() {
    let work = tempfile::tempdir().unwrap();
    let (root, out, cache) = (work.path().join("live"), work.path().join("out"), work.path().join("cache"));
    resume_tree(&root);
    let cache = ["--cache", cache.to_str().unwrap()];
    let mut watch = Watch::start_with(&root, &out, &work.path().join("first.log"), &cache);
    watch.wait_durable(0);
    let lib = root.join("itoa/src/lib.rs");
    fs::copy(corpus("small").join("crates/itoa-1.0.11/src/lib.rs"), &lib).unwrap();
    let killed_at = caught_up(&mut watch, &root, &work.path().join("fresh-1"), "replace a file", 0);
    let status = watch.signal(libc::SIGKILL);
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{}", watch.log());
    assert_eq!(watch.manifest(), Some((Some(killed_at), false)));
    let before = listed_parts(&out);

    // The content the file held at the durable time is now only in the content cache.
    let mut text = fs::read_to_string(&lib).unwrap();
    text.push_str("\npub fn answer() -> u32 {\n    42\n}\n");
    fs::write(&lib, text).unwrap();
    edit_while_stopped(&root);
    let mut watch = Watch::start_with(&root, &out, &work.path().join("resumed.log"), &cache);
    caught_up(&mut watch, &root, &work.path().join("fresh-2"), "changes made while killed", killed_at);
    assert!(watch.stop().success(), "{}", watch.log());
    assert_resumed_after(&out, &before, killed_at);
}

#[test]
fn a_watch_output_is_resumed_only_by_the_same_watch() {
    let work = tempfile::tempdir().unwrap();
    let (root, other, out) = (work.path().join("live"), work.path().join("other"), work.path().join("out"));
    copy_tree(&corpus("small").join("crates/itoa-1.0.14/src"), &root);
    copy_tree(&corpus("small").join("crates/itoa-1.0.11/src"), &other);
    let cache = work.path().join("cache");
    let cache = ["--cache", cache.to_str().unwrap()];
    let log = work.path().join("watch.log");
    let mut watch = Watch::start_with(&root, &out, &log, &cache);
    watch.wait_durable(0);
    assert!(watch.stop().success(), "{}", watch.log());
    let refusal = |root: &Path, out: &Path, extra: &[&str], says: &str| {
        let mut refused = Watch::start_with(root, out, &log, extra);
        let mut child = refused.child.take().unwrap();
        let status = wait_exit(&mut child, &refused.log());
        let stderr = refused.log();
        assert_eq!(status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(says) && stderr.contains("pass --overwrite"), "{extra:?}: {stderr}");
    };
    refusal(&other, &out, &cache, "the source differs");
    refusal(&root, &out, &[&cache[..], &["--min-tokens", "7"]].concat(), "the configuration differs");

    // Without a content cache, a content changed while stopped cannot be analysed again.
    let uncached = work.path().join("uncached");
    let mut watch = Watch::start_with(&root, &uncached, &log, &["--no-cache"]);
    watch.wait_durable(0);
    assert!(watch.stop().success(), "{}", watch.log());
    fs::copy(corpus("small").join("crates/itoa-1.0.11/src/lib.rs"), root.join("lib.rs")).unwrap();
    refusal(&root, &uncached, &["--no-cache"], "neither in the content cache nor in the file");
}
