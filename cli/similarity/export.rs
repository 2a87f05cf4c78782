//! `cpt similarity export`: an output folder's unit vectors as a vector file.

use super::{file, Failure};
use clap::Args;
use cpt_connectors::sink::vectors::unit_entries;
use std::path::PathBuf;

/// Options of `cpt similarity export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The output folder of a `cpt scan`, `replay` or `watch`.
    pub output: PathBuf,
    /// The vector file to write.
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,
    /// Only the first N units by unit key (a hash, so a random sample).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
}

/// Runs `cpt similarity export`.
pub(super) fn run(args: ExportArgs) -> Result<(), Failure> {
    if !args.output.is_dir() {
        return Err(Failure::Usage(format!(
            "{} is not a folder; write the output folder of a `cpt scan`, `replay` or `watch`, e.g. `cpt similarity export cpt-out --to units.vec`",
            args.output.display()
        )));
    }
    let mut entries = unit_entries(&args.output)?;
    let units = entries.len();
    if let Some(limit) = args.limit {
        entries.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    file::write(&args.to, &entries)?;
    eprintln!("cpt similarity export: {} of {units} unit vectors written to {}", entries.len(), args.to.display());
    Ok(())
}
