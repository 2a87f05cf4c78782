//! Running `cpt` as several processes of one cluster on loopback, for the cluster tests.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// A hostfile of `processes` free loopback ports, written into `dir`.
pub fn loopback_hostfile(dir: &Path, processes: usize) -> PathBuf {
    let listeners: Vec<TcpListener> = (0..processes).map(|_| TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    let lines: String = listeners.iter().map(|l| format!("{}\n", l.local_addr().unwrap())).collect();
    let path = dir.join("hostfile");
    std::fs::write(&path, lines).unwrap();
    path
}

/// One running `cpt` process whose standard error is read line by line.
pub struct Process {
    /// The child process.
    pub child: Child,
    lines: Receiver<String>,
    /// The standard error seen so far.
    pub stderr: String,
}

impl Process {
    /// Starts `cpt ARGS…` as process `index` of `processes` with `hostfile` (and no content
    /// cache, so that a test never touches the user's).
    pub fn start(args: &[&str], index: usize, processes: usize, hostfile: &Path) -> Process {
        let child = Command::new(env!("CARGO_BIN_EXE_cpt"))
            .args(args)
            .arg("--no-cache")
            .args(["--processes", &processes.to_string(), "--process", &index.to_string()])
            .arg("--hostfile")
            .arg(hostfile)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting cpt");
        Process::watch(child)
    }

    /// Reads the standard error of an already started `child`.
    pub fn watch(mut child: Child) -> Process {
        let stderr = child.stderr.take().expect("piped stderr");
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Process { child, lines, stderr: String::new() }
    }

    /// Waits until a line of standard error contains `text`; false at the timeout.
    pub fn wait_for_line(&mut self, text: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(text);
                    self.stderr.push_str(&line);
                    self.stderr.push('\n');
                    if found {
                        return true;
                    }
                }
                Err(_) => return false,
            }
        }
        false
    }

    /// Waits for the process to exit within `timeout`; its status, and all of its standard error.
    pub fn finish(mut self, timeout: Duration) -> (Option<ExitStatus>, String) {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break Some(status);
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(500)) {
            self.stderr.push_str(&line);
            self.stderr.push('\n');
        }
        (status, self.stderr)
    }

    /// Sends `signal` (e.g. `libc::SIGKILL`) to the process.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on the pid of a child we have not reaped yet.
        let sent = unsafe { libc::kill(self.child.id() as i32, signal) };
        assert_eq!(sent, 0, "sending signal {signal}");
    }
}

/// Runs `cpt ARGS…` as `processes` processes on loopback and asserts that every one exits 0.
pub fn run_cluster(args: &[&str], processes: usize, dir: &Path) {
    let hostfile = loopback_hostfile(dir, processes);
    let running: Vec<Process> = (0..processes).map(|i| Process::start(args, i, processes, &hostfile)).collect();
    for (index, process) in running.into_iter().enumerate() {
        let (status, stderr) = process.finish(Duration::from_secs(300));
        assert!(status.is_some_and(|s| s.success()), "process {index} of cpt {args:?} failed: {stderr}");
    }
}
