//! Sources and sinks of the cpt graph: the directory walker that turns a tree into file events,
//! the git history reader that turns commits into blob changes (filtered like a scan by
//! [`tree_state`], with each commit's own ignore files from [`ignores`]), the file-system
//! watcher whose batches of changed paths are judged again by [`fs_state`], the Parquet sink that
//! writes changelog tables under a manifest (ARCHITECTURE §6), and the durable [`cache`] of
//! analyses that spares a later run the parsing of contents seen before.

pub mod cache;
pub mod config_hash;
pub mod content;
pub mod focus;
pub mod fs_state;
pub mod git;
pub mod ignores;
pub mod renames;
pub mod rows;
pub mod sink;
pub mod tree_state;
pub mod verdicts;
pub mod walk;
pub mod watcher;
