//! The one timely/differential graph of cpt and the jobs that drive it.
//!
//! [`graph`] builds the graph (parse stage, join of events with parse facts, exact clone groups,
//! near-miss pairs through the [`similar_pairs`] join operator, clone classes and the elements
//! [`mined`] from them, the periodic table's [`element_stats`] and [`element_history`], sinks); [`job`] runs it on worker threads for a
//! source that drives it; [`scan`] is the source that walks a directory tree, [`replay`] the one
//! that replays a git history ([`feed`] feeds its commits, [`lineage`] records its renames),
//! [`watch`] the one that follows a live tree's changes ([`restore`] rebuilds a resumed watch's
//! state); [`resume`] decides where a replay or a watch starts. [`cluster`] places a process in a
//! cluster of timely processes, [`liveness`] watches its peers, and [`metrics`] serves what
//! [`telemetry`] and [`traffic`] record. The per-record work lives in `cpt-operators` and the I/O
//! in `cpt-connectors`, so that this crate, where timely and differential generics are
//! monomorphised, stays small.

pub mod clone_classes;
pub mod clones;
pub mod cluster;
pub mod element_history;
pub mod element_stats;
pub mod facts;
pub mod failure;
pub mod feed;
pub mod graph;
pub mod history_reader;
pub mod job;
pub mod lineage;
pub mod liveness;
pub mod memo;
pub mod metrics;
pub mod mined;
pub mod near_miss;
pub mod parse;
pub mod progress;
pub mod replay;
pub mod restore;
pub mod resume;
pub mod resumed_join;
pub mod scan;
pub mod settings;
pub mod similar_pairs;
pub mod sink;
pub mod stats;
pub mod summary;
pub mod telemetry;
pub mod traffic;
pub mod watch;
