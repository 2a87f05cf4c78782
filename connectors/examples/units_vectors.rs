//! Writes the unit vectors of a `cpt` output folder as a vector file (the format of
//! `cpt_operators::similarity::vector_file`), for the similarity recall tool and the GPU check:
//!
//! `cargo run -p cpt-connectors --example units_vectors -- OUT FILE [TIME]`
//!
//! It reads the `units` part files that the manifest lists and keeps the units present at `TIME`
//! (default: the last time): `unit_key`, `tokens` as the size, `vector`; sorted by key.

use anyhow::{bail, ensure, Context};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, Int8Type};
use arrow_array::RecordBatch;
use cpt_connectors::sink::{read_manifest, MANIFEST_FILE};
use cpt_operators::similarity::vector_file::write_entries;
use cpt_operators::similarity::{Entry, Vector};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

/// A unit's (key, size, vector) with its summed diff.
type Diffs = BTreeMap<(i64, u32, Vector), i64>;

/// Adds the rows of `batch` with `time ≤ until` to `diffs`.
fn add_batch(batch: &RecordBatch, until: u64, diffs: &mut Diffs) -> anyhow::Result<()> {
    let column = |name: &str| batch.column_by_name(name).with_context(|| format!("no column {name}"));
    let times = column("time")?.as_primitive::<Int64Type>();
    let signs = column("diff")?.as_primitive::<Int64Type>();
    let keys = column("unit_key")?.as_primitive::<Int64Type>();
    let tokens = column("tokens")?.as_primitive::<Int32Type>();
    let vectors = column("vector")?.as_fixed_size_list();
    for row in 0..batch.num_rows() {
        if u64::try_from(times.value(row)).is_ok_and(|t| t > until) {
            continue;
        }
        let components = vectors.value(row);
        let vector = Vector::from_slice(components.as_primitive::<Int8Type>().values())
            .with_context(|| format!("unit {} has a vector of {} components", keys.value(row), components.len()))?;
        let size = u32::try_from(tokens.value(row)).unwrap_or(0);
        *diffs.entry((keys.value(row), size, vector)).or_insert(0) += signs.value(row);
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (out, file, until) = match args.as_slice() {
        [out, file] => (PathBuf::from(out), PathBuf::from(file), u64::MAX),
        [out, file, time] => (PathBuf::from(out), PathBuf::from(file), time.parse().context("TIME is a number")?),
        _ => bail!("usage: units_vectors OUT FILE [TIME]"),
    };
    let manifest = read_manifest(&out.join(MANIFEST_FILE))?;
    let mut diffs = Diffs::new();
    for part in manifest.tables.get("units").into_iter().flatten() {
        let path = out.join(&part.file);
        let reader =
            ParquetRecordBatchReaderBuilder::try_new(File::open(&path).with_context(|| path.display().to_string())?)?
                .build()?;
        for batch in reader {
            add_batch(&batch?, until, &mut diffs)?;
        }
    }
    let mut entries = Vec::new();
    for ((key, size, vector), diff) in diffs {
        ensure!(diff == 0 || diff == 1, "unit {key} is counted {diff} times");
        if diff == 1 {
            entries.push(Entry { key, size, vector });
        }
    }
    ensure!(entries.windows(2).all(|w| w[0].key < w[1].key), "a unit key is present twice");
    write_entries(BufWriter::new(File::create(&file)?), &entries)?;
    println!("{} units written to {}", entries.len(), file.display());
    Ok(())
}
