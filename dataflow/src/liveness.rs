//! Liveness of the other processes of a cluster. Every worker sends a small heartbeat to every
//! worker about once a second through a dataflow of its own (timely's channels, no other
//! networking); a watchdog thread ends this process, naming the peer, when a peer stays silent
//! longer than the peer timeout: it froze (SIGSTOP, a hung machine), or the network is
//! partitioned. A peer whose connection breaks is caught sooner, by
//! [`crate::cluster::exit_on_lost_peer`].

use crate::cluster::{ClusterSettings, EXIT_PEER_LOST};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::Input;
use timely::dataflow::InputHandle;
use timely::worker::Worker;

/// When each process was last heard from, shared by this process's workers and its watchdog.
#[derive(Debug)]
pub struct Liveness {
    start: Instant,
    heard_ms: Vec<AtomicU64>,
    finished: AtomicBool,
}

impl Liveness {
    /// Every one of `processes` processes counts as heard from now.
    pub fn new(processes: usize) -> Arc<Liveness> {
        Arc::new(Liveness {
            start: Instant::now(),
            heard_ms: (0..processes).map(|_| AtomicU64::new(0)).collect(),
            finished: AtomicBool::new(false),
        })
    }

    fn heard(&self, process: usize) {
        if let Some(slot) = self.heard_ms.get(process) {
            slot.fetch_max(self.start.elapsed().as_millis() as u64, Ordering::Relaxed);
        }
    }

    /// Stops the watchdog: the job ended.
    pub fn finish(&self) {
        self.finished.store(true, Ordering::Relaxed);
    }

    /// The peer (other than `me`) silent for the longest time, if longer than `timeout`.
    fn silent_peer(&self, me: usize, timeout: Duration) -> Option<(usize, Duration)> {
        let now = self.start.elapsed();
        self.heard_ms
            .iter()
            .enumerate()
            .filter(|(process, _)| *process != me)
            .map(|(process, heard)| (process, now.saturating_sub(Duration::from_millis(heard.load(Ordering::Relaxed)))))
            .filter(|(_, silent)| *silent > timeout)
            .max_by_key(|(_, silent)| *silent)
    }
}

/// Starts the thread that ends the process when a peer stays silent past the peer timeout.
pub fn spawn_watchdog(liveness: Arc<Liveness>, cluster: &ClusterSettings) {
    let cluster = cluster.clone();
    let check_every = (cluster.peer_timeout / 8).clamp(Duration::from_millis(50), Duration::from_secs(1));
    std::thread::Builder::new()
        .name("cpt:watchdog".into())
        .spawn(move || loop {
            std::thread::sleep(check_every);
            if liveness.finished.load(Ordering::Relaxed) {
                return;
            }
            if let Some((peer, silent)) = liveness.silent_peer(cluster.process, cluster.peer_timeout) {
                eprintln!(
                    "error: lost peer process {peer} ({}): nothing heard from it for {:.1} s (peer timeout {} s); \
                     it died, froze or is cut off; stopping",
                    cluster.address_of(peer),
                    silent.as_secs_f64(),
                    cluster.peer_timeout.as_secs_f64()
                );
                std::process::exit(EXIT_PEER_LOST);
            }
        })
        .expect("spawning the watchdog thread");
}

/// A heartbeat: (receiving worker, sending process).
type Beat = (usize, usize);

/// One worker's heartbeat sender.
pub struct Heartbeat {
    input: InputHandle<u64, CapacityContainerBuilder<Vec<Beat>>>,
    process: usize,
    workers: usize,
    every: Duration,
    last: Instant,
}

impl Heartbeat {
    /// Installs the heartbeat dataflow in `worker`: beats received are recorded in `liveness`.
    pub fn install(worker: &mut Worker, liveness: Arc<Liveness>, cluster: &ClusterSettings) -> Heartbeat {
        let input = worker.dataflow::<u64, _, _>(|scope| {
            let (input, beats) = scope.new_input::<Vec<Beat>>();
            let to_receiver = Exchange::new(|beat: &Beat| beat.0 as u64);
            beats.sink(to_receiver, "Heartbeat", move |(input, _frontier)| {
                input.for_each(|_time, beats| beats.iter().for_each(|&(_, process)| liveness.heard(process)));
            });
            input
        });
        let every = (cluster.peer_timeout / 4).clamp(Duration::from_millis(20), Duration::from_secs(1));
        let mut heartbeat =
            Heartbeat { input, process: cluster.process, workers: worker.peers(), every, last: Instant::now() };
        heartbeat.send();
        heartbeat
    }

    /// Sends a beat to every worker if the last one is older than the beat interval.
    pub fn beat(&mut self) {
        if self.last.elapsed() >= self.every {
            self.send();
        }
    }

    fn send(&mut self) {
        for receiver in 0..self.workers {
            self.input.send((receiver, self.process));
        }
        let next = self.input.time() + 1;
        self.input.advance_to(next);
        self.last = Instant::now();
    }
}
