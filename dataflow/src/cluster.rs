//! Cluster mode: which process of how many this is, where its peers listen, and the timely
//! communication built from that (ARCHITECTURE §4).
//!
//! The connections are made here with a deadline, using timely's own hand-shake (each process
//! connects to the processes before it and sends its index; it accepts the processes after it),
//! and then handed to timely's networking (`initialize_networking_from_sockets`): timely's own
//! set-up retries forever, while a job must say which peer never showed up. A peer lost later
//! (its connection breaks) ends this process through [`exit_on_lost_peer`], naming the peer.

use crate::traffic::Traffic;
use anyhow::{anyhow, bail, Context};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};
use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::allocator::ProcessBuilder;
use timely::communication::{AllocatorBuilder, Hooks};

/// The first port of the default addresses (`127.0.0.1:2101`, `:2102`, …), as timely's own.
pub const DEFAULT_FIRST_PORT: u16 = 2101;

/// Exit status of a process that lost a peer or never reached one.
pub const EXIT_PEER_LOST: i32 = 3;

/// Where this process stands in a cluster, and how long it waits for its peers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterSettings {
    /// Worker threads in each process.
    pub workers: usize,
    /// This process's index, from 0.
    pub process: usize,
    /// The address (`host:port`) every process listens on, by process index; one entry per process.
    pub addresses: Vec<String>,
    /// How long to wait for every peer at start.
    pub startup_timeout: Duration,
    /// How long a peer may stay silent (no heartbeat) before the job stops.
    pub peer_timeout: Duration,
}

impl ClusterSettings {
    /// One process with `workers` threads.
    pub fn single(workers: usize) -> ClusterSettings {
        ClusterSettings {
            workers: workers.max(1),
            process: 0,
            addresses: vec![String::new()],
            startup_timeout: Duration::from_secs(60),
            peer_timeout: Duration::from_secs(60),
        }
    }

    /// Number of processes.
    pub fn processes(&self) -> usize {
        self.addresses.len()
    }

    /// Whether more than one process takes part.
    pub fn is_cluster(&self) -> bool {
        self.processes() > 1
    }

    /// Whether this process commits the manifest (the one holding worker 0).
    pub fn is_committer(&self) -> bool {
        self.process == 0
    }

    /// The address of process `index`, for messages.
    pub fn address_of(&self, index: usize) -> &str {
        self.addresses.get(index).map(String::as_str).unwrap_or("?")
    }

    /// A one-line description for the start of a run.
    pub fn describe(&self) -> String {
        let peers: Vec<String> = (0..self.processes())
            .filter(|&p| p != self.process)
            .map(|p| format!("process {p} at {}", self.address_of(p)))
            .collect();
        format!(
            "process {} of {} ({} worker{} each, listening on {}); peers: {}",
            self.process,
            self.processes(),
            self.workers,
            if self.workers == 1 { "" } else { "s" },
            self.address_of(self.process),
            peers.join(", ")
        )
    }

    /// Builds timely's allocators: in-process channels for one process; otherwise connects to
    /// every peer within the start-up timeout and hands the sockets to timely's networking,
    /// counting the bytes it exchanges in `traffic`.
    pub fn allocators(
        &self,
        traffic: Arc<Traffic>,
    ) -> anyhow::Result<(Vec<AllocatorBuilder>, Box<dyn std::any::Any + Send>)> {
        if !self.is_cluster() {
            return timely::CommunicationConfig::Process(self.workers).try_build().map_err(|e| anyhow!(e));
        }
        let sockets = connect(&self.addresses, self.process, Instant::now() + self.startup_timeout)?;
        let hooks = Hooks { log_fn: traffic.log_fn(), ..Hooks::default() };
        let local = ProcessBuilder::new_typed_vector(self.workers, hooks.refill.clone(), hooks.spill.clone());
        let (builders, guard) = initialize_networking_from_sockets(local, sockets, self.process, self.workers, hooks)
            .context("starting timely's networking")?;
        Ok((builders.into_iter().map(AllocatorBuilder::Tcp).collect(), Box::new(guard)))
    }
}

/// Reads a hostfile: one `host:port` per process, in process order; blank lines and `#` comments
/// are ignored. It must list at least `processes` addresses; the first `processes` are used.
pub fn read_hostfile(path: &Path, processes: usize) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading hostfile {}", path.display()))?;
    let addresses: Vec<String> = text
        .lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect();
    if addresses.len() < processes {
        bail!(
            "hostfile {} lists {} address(es) for {processes} processes; write one host:port line per process",
            path.display(),
            addresses.len()
        );
    }
    for address in &addresses[..processes] {
        if !address.rsplit_once(':').is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok()) {
            bail!("hostfile {}: {address:?} is not host:port (e.g. 10.0.0.5:2101)", path.display());
        }
    }
    Ok(addresses[..processes].to_vec())
}

/// The default addresses of `processes` processes on one machine: `127.0.0.1:2101` and up.
pub fn loopback_addresses(processes: usize) -> Vec<String> {
    (0..processes).map(|p| format!("127.0.0.1:{}", DEFAULT_FIRST_PORT as usize + p)).collect()
}

/// Connects to every peer before `deadline`: listens on our own address, connects to the
/// processes before us (sending our index, as timely's hand-shake does) and accepts those after
/// us (reading theirs). Names every peer still missing at the deadline.
fn connect(addresses: &[String], me: usize, deadline: Instant) -> anyhow::Result<Vec<Option<TcpStream>>> {
    let listener = TcpListener::bind(resolve(&addresses[me])?.as_slice())
        .with_context(|| format!("process {me} cannot listen on {}", addresses[me]))?;
    listener.set_nonblocking(true).context("configuring the listener")?;
    let mut sockets: Vec<Option<TcpStream>> = (0..addresses.len()).map(|_| None).collect();
    for (peer, address) in addresses.iter().enumerate().take(me) {
        let mut stream = connect_before(address, deadline).ok_or_else(|| missing_peers(addresses, me, &sockets))?;
        stream
            .write_all(&(me as u64).to_be_bytes())
            .with_context(|| format!("greeting process {peer} at {address}"))?;
        sockets[peer] = Some(stream);
    }
    while sockets.iter().enumerate().any(|(p, s)| p > me && s.is_none()) {
        if Instant::now() >= deadline {
            return Err(missing_peers(addresses, me, &sockets));
        }
        match listener.accept() {
            Ok((stream, from)) => match read_greeting(stream, me, addresses.len()) {
                Ok((peer, stream)) if sockets[peer].is_none() => sockets[peer] = Some(stream),
                Ok((peer, _)) => {
                    tracing::warn!("ignoring a second connection claiming to be process {peer} from {from}")
                }
                Err(error) => tracing::warn!("ignoring a connection from {from}: {error:#}"),
            },
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(error) => return Err(error).context("accepting peer connections"),
        }
    }
    for stream in sockets.iter().flatten() {
        stream.set_nodelay(true).context("configuring a peer connection")?;
    }
    Ok(sockets)
}

fn resolve(address: &str) -> anyhow::Result<Vec<SocketAddr>> {
    let resolved: Vec<SocketAddr> =
        address.to_socket_addrs().with_context(|| format!("resolving {address}"))?.collect();
    if resolved.is_empty() {
        bail!("{address} resolves to no address");
    }
    Ok(resolved)
}

/// Retries a connection until it succeeds or the deadline passes.
fn connect_before(address: &str, deadline: Instant) -> Option<TcpStream> {
    loop {
        let attempt = resolve(address).ok().and_then(|targets| {
            targets.iter().find_map(|target| TcpStream::connect_timeout(target, Duration::from_secs(1)).ok())
        });
        if attempt.is_some() {
            return attempt;
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Reads the index a connecting peer sends first; it must be a later process than us.
fn read_greeting(mut stream: TcpStream, me: usize, processes: usize) -> anyhow::Result<(usize, TcpStream)> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut index = [0u8; 8];
    stream.read_exact(&mut index).context("reading the peer's index")?;
    stream.set_read_timeout(None)?;
    let peer = u64::from_be_bytes(index) as usize;
    if peer <= me || peer >= processes {
        bail!("it claims to be process {peer}, which does not connect to process {me}");
    }
    Ok((peer, stream))
}

fn missing_peers(addresses: &[String], me: usize, sockets: &[Option<TcpStream>]) -> anyhow::Error {
    let missing: Vec<String> = (0..addresses.len())
        .filter(|&p| p != me && sockets[p].is_none())
        .map(|p| format!("process {p} ({})", addresses[p]))
        .collect();
    anyhow!(
        "no connection with {} before the start-up timeout; is every process started with the same hostfile?",
        missing.join(", ")
    )
}

/// Makes a broken connection to a peer end this process with a message naming the peer and
/// exit status [`EXIT_PEER_LOST`], instead of a panic in timely's network thread that would
/// leave the workers waiting forever. Installed once per process.
pub fn exit_on_lost_peer(settings: &ClusterSettings) {
    static INSTALL: Once = Once::new();
    let addresses = settings.addresses.clone();
    INSTALL.call_once(move || {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current();
            let peer = thread
                .name()
                .and_then(|name| name.strip_prefix("timely:recv-").or_else(|| name.strip_prefix("timely:send-")))
                .and_then(|index| index.parse::<usize>().ok());
            let message = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied())
                .unwrap_or("");
            match peer {
                Some(peer) if message.contains("timely communication error") => {
                    let address = addresses.get(peer).map(String::as_str).unwrap_or("?");
                    eprintln!("error: lost peer process {peer} ({address}): {message}; stopping");
                    std::process::exit(EXIT_PEER_LOST);
                }
                _ => previous(info),
            }
        }));
    });
}
