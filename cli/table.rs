//! `cpt table`: the periodic table of an output folder as one self-contained HTML page. It reads
//! `elements`, `element_stats` and `mined_elements` (and a replay's `commits`) through the
//! manifest, at the last durable time, and writes the page that [`html::render`] makes of them.

mod html;
mod sparkline;

use clap::Args;
use cpt_connectors::sink::periodic::read_periodic_table;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The page's file name inside the output folder, unless --out names another.
const DEFAULT_PAGE: &str = "periodic-table.html";

/// Options of `cpt table`.
#[derive(Args, Debug)]
pub struct TableArgs {
    /// The output folder of a `cpt scan`, `replay` or `watch`.
    #[arg(default_value = "cpt-out")]
    pub output: PathBuf,
    /// Where to write the page (default: OUTPUT/periodic-table.html).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Runs `cpt table` and returns the exit code: 2 when OUTPUT is no output folder, 1 when its
/// tables cannot be read or the page cannot be written.
pub fn run(args: TableArgs) -> ExitCode {
    let output = &args.output;
    if !output.is_dir() {
        eprintln!(
            "error: {} is not a folder; write the output folder of a `cpt scan`, `replay` or `watch`, e.g. `cpt table cpt-out`",
            output.display()
        );
        return ExitCode::from(2);
    }
    let page = args.out.clone().unwrap_or_else(|| output.join(DEFAULT_PAGE));
    match write_page(output, &page) {
        Ok(elements) => {
            eprintln!("cpt table: {elements} elements written to {}", page.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Reads the periodic table of `output`, writes its page to `page` and returns its number of elements.
fn write_page(output: &Path, page: &Path) -> anyhow::Result<usize> {
    use anyhow::Context;
    let table = read_periodic_table(output)?;
    std::fs::write(page, html::render(&table)).with_context(|| format!("writing {}", page.display()))?;
    Ok(table.elements.len())
}
