//! Sources and sinks of the cpt graph: the directory walker that turns a tree into file events,
//! the git history reader that turns commits into blob changes (filtered like a scan by
//! [`tree_state`], with each commit's own ignore files from [`ignores`]), the file-system
//! watcher whose batches of changed paths are judged again by [`fs_state`], and the Parquet sink
//! that writes changelog tables under a manifest (ARCHITECTURE §6).

pub mod content;
pub mod focus;
pub mod fs_state;
pub mod git;
pub mod ignores;
pub mod rows;
pub mod sink;
pub mod tree_state;
pub mod verdicts;
pub mod walk;
pub mod watcher;
