//! The one timely/differential graph of cpt and the jobs that drive it.
//!
//! [`graph`] builds the graph (parse stage, join of events with parse facts, exact clone groups,
//! sinks); [`job`] runs it on worker threads for a source that drives it; [`scan`] is the
//! source that walks a directory tree, [`replay`] the one that replays a git history, [`watch`]
//! the one that follows a live tree's changes. The per-record work lives in `cpt-operators` and
//! the I/O in `cpt-connectors`, so that this crate, where timely and differential generics are
//! monomorphised, stays small.

pub mod clones;
pub mod facts;
pub mod failure;
pub mod graph;
pub mod job;
pub mod memo;
pub mod parse;
pub mod progress;
pub mod replay;
pub mod scan;
pub mod settings;
pub mod sink;
pub mod stats;
pub mod summary;
pub mod watch;
