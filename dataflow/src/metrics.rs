//! `--metrics ADDR`: this process's figures in the Prometheus text format, served over HTTP at
//! `/metrics` while the job runs — rows and inputs processed and per second, per-stage time,
//! output frontier lag, arrangement sizes, content memo hit rate, errors by reason and bytes
//! exchanged. Every series carries the `process` label, so one scrape config covers a cluster.

use crate::memo::ContentMemo;
use crate::stats::RunStats;
use crate::telemetry::{Stage, Telemetry};
use anyhow::{anyhow, Context};
use std::fmt::Write;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// Everything the metrics are read from.
#[derive(Clone)]
pub struct MetricSources {
    /// This process's index.
    pub process: usize,
    /// Processes in the job.
    pub processes: usize,
    /// Row and input totals.
    pub stats: Arc<RunStats>,
    /// Parse counters.
    pub memo: Arc<ContentMemo>,
    /// Progress, stage times, arrangements, traffic.
    pub telemetry: Arc<Telemetry>,
    /// When the job started.
    pub started: Instant,
}

/// The address process `process` serves on: the given port plus the process index, so that the
/// processes of one machine (`scripts/cluster-local.sh`) do not collide. A port of 0 picks any.
pub fn address_for(base: SocketAddr, process: usize) -> anyhow::Result<SocketAddr> {
    if base.port() == 0 {
        return Ok(base);
    }
    let port = u16::try_from(base.port() as usize + process)
        .map_err(|_| anyhow!("metrics port {} + process {process} is above 65535", base.port()))?;
    Ok(SocketAddr::new(base.ip(), port))
}

/// Serves `/metrics` on `address` from a thread of its own until the process ends; returns the
/// bound address.
pub fn serve(address: SocketAddr, sources: MetricSources) -> anyhow::Result<SocketAddr> {
    let server = tiny_http::Server::http(address)
        .map_err(|e| anyhow!("{e}"))
        .with_context(|| format!("serving metrics on {address}"))?;
    let bound = server.server_addr().to_ip().ok_or_else(|| anyhow!("metrics server bound to no IP address"))?;
    std::thread::Builder::new()
        .name("cpt:metrics".into())
        .spawn(move || {
            for request in server.incoming_requests() {
                let response = if request.url() == "/metrics" {
                    let content_type = tiny_http::Header::from_bytes("Content-Type", "text/plain; version=0.0.4")
                        .expect("a valid header");
                    tiny_http::Response::from_string(render(&sources)).with_header(content_type)
                } else {
                    tiny_http::Response::from_string("cpt serves /metrics\n").with_status_code(404)
                };
                if let Err(error) = request.respond(response) {
                    tracing::debug!("answering a metrics request: {error}");
                }
            }
        })
        .context("spawning the metrics thread")?;
    Ok(bound)
}

/// The Prometheus text exposition of every figure.
pub fn render(sources: &MetricSources) -> String {
    let mut text = Exposition { text: String::new(), process: sources.process };
    let stats = &sources.stats;
    let memo = &sources.memo;
    let telemetry = &sources.telemetry;
    let seconds = sources.started.elapsed().as_secs_f64().max(1e-9);
    let load = |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed) as f64;

    text.family("cpt_processes", "gauge", "Processes in the job.");
    text.sample("cpt_processes", "", sources.processes as f64);
    text.family("cpt_uptime_seconds", "gauge", "Seconds since the job started.");
    text.sample("cpt_uptime_seconds", "", seconds);

    let files_found = load(&stats.files_found);
    let commits = load(&stats.commits_read);
    text.counter("cpt_files_found_total", "Source files found and fed (this process's share).", files_found);
    text.counter("cpt_commits_read_total", "Commits fed by a replay.", commits);
    text.family("cpt_files_per_second", "gauge", "Files found per second since the start.");
    text.sample("cpt_files_per_second", "", files_found / seconds);
    text.family("cpt_commits_per_second", "gauge", "Commits fed per second since the start.");
    text.sample("cpt_commits_per_second", "", commits / seconds);

    let lookups = memo.lookups() as f64;
    let parsed = memo.parsed_files() as f64;
    text.counter("cpt_contents_parsed_total", "Contents analysed (parsed) by this process.", parsed);
    text.counter("cpt_content_bytes_parsed_total", "Bytes of the contents analysed.", memo.parsed_bytes() as f64);
    text.counter("cpt_content_lookups_total", "Content analyses asked for (memo hits and parses).", lookups);
    text.family("cpt_content_hit_ratio", "gauge", "Share of content look-ups answered without parsing.");
    text.sample("cpt_content_hit_ratio", "", if lookups > 0.0 { (lookups - parsed) / lookups } else { 0.0 });

    text.family("cpt_rows", "gauge", "Net rows of a table in this process's share of the output.");
    for (table, counter) in [("files", &stats.files), ("units", &stats.units), ("clone_groups", &stats.clone_groups)] {
        text.sample("cpt_rows", &format!("table=\"{table}\""), counter.load(Ordering::Relaxed) as f64);
    }
    text.family("cpt_errors", "gauge", "Net error rows by reason.");
    for (reason, count) in stats.errors_by_reason() {
        text.sample("cpt_errors", &format!("reason=\"{}\"", reason.name()), count as f64);
    }

    text.family("cpt_stage_seconds_total", "counter", "Seconds spent per stage, summed over worker threads.");
    text.sample("cpt_stage_seconds_total", "stage=\"parse\"", memo.parse_seconds());
    text.sample("cpt_stage_seconds_total", "stage=\"write\"", telemetry.seconds(Stage::Write));
    text.sample("cpt_stage_seconds_total", "stage=\"commit\"", telemetry.seconds(Stage::Commit));

    let input = load(&telemetry.input_time);
    let output = load(&telemetry.output_frontier);
    text.family("cpt_input_time", "gauge", "The time (commit or batch index) the inputs have reached.");
    text.sample("cpt_input_time", "", input);
    text.family("cpt_output_frontier", "gauge", "The earliest time whose output is not yet written.");
    text.sample("cpt_output_frontier", "", output);
    text.family("cpt_frontier_lag", "gauge", "Times fed but not yet written (input time minus output frontier).");
    text.sample("cpt_frontier_lag", "", (input - output).max(0.0));
    text.family("cpt_durable_time", "gauge", "Last durable time of the manifest (-1: none; committer only).");
    text.sample("cpt_durable_time", "", telemetry.durable_time.load(Ordering::Relaxed) as f64);

    text.family("cpt_arrangement_updates", "gauge", "Updates held by an arrangement, by operator id.");
    for (operator, size) in telemetry.arrangement_sizes() {
        text.sample("cpt_arrangement_updates", &format!("operator=\"{operator}\""), size as f64);
    }

    let traffic = &telemetry.traffic;
    text.counter("cpt_network_bytes_sent_total", "Bytes sent to other processes.", load(&traffic.bytes_sent));
    text.counter(
        "cpt_network_bytes_received_total",
        "Bytes received from other processes.",
        load(&traffic.bytes_received),
    );
    text.counter("cpt_network_messages_sent_total", "Messages sent to other processes.", load(&traffic.messages_sent));
    text.counter(
        "cpt_network_messages_received_total",
        "Messages received from other processes.",
        load(&traffic.messages_received),
    );
    text.text
}

/// A Prometheus text exposition being written.
struct Exposition {
    text: String,
    process: usize,
}

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.text, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &str, value: f64) {
        let separator = if labels.is_empty() { "" } else { "," };
        let _ = writeln!(self.text, "{name}{{process=\"{}\"{separator}{labels}}} {value}", self.process);
    }

    fn counter(&mut self, name: &str, help: &str, value: f64) {
        self.family(name, "counter", help);
        self.sample(name, "", value);
    }
}
