//! Sources and sinks of the cpt graph: the directory walker that turns a tree into file events,
//! and the Parquet sink that writes changelog tables under a manifest (ARCHITECTURE §6).

pub mod content;
pub mod rows;
pub mod sink;
pub mod walk;
