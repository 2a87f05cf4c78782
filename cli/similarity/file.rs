//! Reading and writing vector files for `cpt similarity`, with messages that name the file.

use super::Failure;
use anyhow::Context;
use cpt_operators::similarity::vector_file::{read_entries, write_entries};
use cpt_operators::similarity::Entry;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::Path;

/// The entries of the vector file `path`: a usage error when there is no such file, a run error
/// saying what is wrong when it is not a whole vector file.
pub(super) fn read(path: &Path) -> Result<Vec<Entry>, Failure> {
    if !path.is_file() {
        return Err(Failure::Usage(format!(
            "{} is not a file; write a vector file made by `cpt similarity export` or `cpt similarity generate`",
            path.display()
        )));
    }
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    Ok(read_entries(BufReader::new(file)).with_context(|| format!("reading the vector file {}", path.display()))?)
}

/// Writes `entries` to the vector file `path`.
pub(super) fn write(path: &Path, entries: &[Entry]) -> Result<(), Failure> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    Ok(write_entries(BufWriter::new(file), entries).with_context(|| format!("writing {}", path.display()))?)
}
