//! `cpt catalog list` and `cpt catalog check`: the periodic table's catalogue on the command line.
//! `check` prints every mistake as `FILE:LINE:COL: message` and, with `--corpus`, counts the units
//! each element matches in a real tree and warns about suspect elements.

use clap::{Args, Subcommand};
use cpt_connectors::content::{ContentSource, TreeSource};
use cpt_connectors::walk::{ScanPolicy, TreeWalk, WalkItem};
use cpt_operators::catalog::builtin::builtin_sources;
use cpt_operators::catalog::suspects::{suspicion, Suspicion, MAX_SHARE_PERCENT};
use cpt_operators::catalog::{load, Catalog, CatalogSource, Element, Family, Loaded, Period};
use cpt_operators::model::{AnalysisConfig, Lang};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The subcommands of `cpt catalog`.
#[derive(Subcommand, Debug)]
pub enum CatalogCommand {
    /// Print the elements as a table: symbol, name, family, category, period, languages.
    List(ListArgs),
    /// Check catalogue files: every mistake as FILE:LINE:COL: message (exit 1 when there is one),
    /// every example run; with --corpus, the units each element matches in a real tree.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
}

const CHECK_EXAMPLES: &str = "Examples:
  cpt catalog check                                   the built-in catalogue
  cpt catalog check my-elements.yaml                  a catalogue of your own, beside the built-in one
  cpt catalog check --no-builtin a.yaml b.yaml        files on their own
  cpt catalog check --corpus ~/src/app                also count matches in a tree and flag suspect elements";

/// Options of `cpt catalog list`.
#[derive(Args, Debug)]
pub struct ListArgs {
    /// A catalogue file of your own, beside the built-in catalogue (repeatable).
    #[arg(long = "catalog", value_name = "FILE")]
    pub catalogs: Vec<PathBuf>,
    /// Leave the built-in catalogue out (then give at least one --catalog).
    #[arg(long)]
    pub no_builtin: bool,
}

/// Options of `cpt catalog check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The catalogue files to check; none: the built-in catalogue.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Check the files on their own, without the built-in catalogue (whose symbols they may reuse).
    #[arg(long)]
    pub no_builtin: bool,
    /// Also match every unit of this folder's source files and flag elements that match none,
    /// or more than 20 % of them.
    #[arg(long, value_name = "DIR")]
    pub corpus: Option<PathBuf>,
}

/// Runs `cpt catalog …` and returns the exit code.
pub fn run(command: CatalogCommand) -> ExitCode {
    match command {
        CatalogCommand::List(args) => list(args),
        CatalogCommand::Check(args) => check(args),
    }
}

/// A usage error: the message on stderr, exit status 2.
fn usage(message: String) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// The built-in catalogue (unless left out) and the files given, read from disk.
pub(crate) fn sources(files: &[PathBuf], builtin: bool) -> Result<Vec<CatalogSource>, String> {
    let mut sources = if builtin { builtin_sources() } else { Vec::new() };
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|e| {
            format!("cannot read catalogue {}: {e}; write the path of a YAML catalogue file", file.display())
        })?;
        sources.push(CatalogSource { name: file.display().to_string(), text });
    }
    Ok(sources)
}

fn list(args: ListArgs) -> ExitCode {
    if args.no_builtin && args.catalogs.is_empty() {
        return usage("--no-builtin leaves nothing to list; add --catalog FILE or drop --no-builtin".into());
    }
    let sources = match sources(&args.catalogs, !args.no_builtin) {
        Ok(sources) => sources,
        Err(message) => return usage(message),
    };
    let Loaded { catalog, diagnostics } = load(&sources);
    if !diagnostics.is_empty() {
        diagnostics.iter().for_each(|d| eprintln!("{d}"));
        eprintln!("error: the catalogue has {} mistakes; `cpt catalog check FILE` shows them alone", diagnostics.len());
        return ExitCode::FAILURE;
    }
    print!("{}", table(catalog.elements()));
    ExitCode::SUCCESS
}

/// The languages of an element as a table shows them (TSX goes with TypeScript).
fn language_names(element: &Element) -> String {
    let languages = element.languages();
    let shown = languages.iter().filter(|&&l| !(l == Lang::Tsx && languages.contains(&Lang::TypeScript)));
    shown.map(|l| l.name()).collect::<Vec<_>>().join(",")
}

/// The elements as an aligned table, by family, period and symbol, with counts at the end.
fn table(elements: &[Element]) -> String {
    let mut sorted: Vec<&Element> = elements.iter().collect();
    sorted.sort_by(|a, b| (a.family, a.period, &a.symbol).cmp(&(b.family, b.period, &b.symbol)));
    let rows: Vec<[String; 6]> = sorted
        .iter()
        .map(|e| {
            let period = format!("{} {}", e.period.number(), e.period.name());
            [e.symbol.clone(), e.name.clone(), e.family.name().into(), e.category.clone(), period, language_names(e)]
        })
        .collect();
    let header = ["symbol", "name", "family", "category", "period", "languages"].map(String::from);
    let mut widths = [0; 6];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row.iter().zip(widths).map(|(cell, width)| format!("{cell:width$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    let by_family = Family::ALL.map(|f| format!("{} {}", f.name(), elements.iter().filter(|e| e.family == f).count()));
    let by_period = Period::ALL.map(|p| format!("{} {}", p.name(), elements.iter().filter(|e| e.period == p).count()));
    out.push_str(&format!("{} elements: {}; {}\n", elements.len(), by_family.join(", "), by_period.join(", ")));
    out
}

fn check(args: CheckArgs) -> ExitCode {
    if args.no_builtin && args.files.is_empty() {
        return usage(
            "--no-builtin leaves nothing to check; name the catalogue files: cpt catalog check FILE...".into(),
        );
    }
    if let Some(dir) = args.corpus.as_deref().filter(|dir| !dir.is_dir()) {
        return usage(format!("--corpus {} is not a folder; write the folder of source files to match", dir.display()));
    }
    let sources = match sources(&args.files, !args.no_builtin) {
        Ok(sources) => sources,
        Err(message) => return usage(message),
    };
    let Loaded { catalog, mut diagnostics } = load(&sources);
    diagnostics.extend(catalog.check_examples());
    diagnostics.sort();
    diagnostics.iter().for_each(|d| println!("{d}"));
    if let Some(dir) = &args.corpus {
        if let Err(error) = report_corpus(&catalog, dir) {
            eprintln!("error: cannot walk {}: {error}", dir.display());
            return ExitCode::FAILURE;
        }
    }
    let elements = catalog.elements().len();
    if diagnostics.is_empty() {
        eprintln!("cpt catalog check: {elements} elements, no mistakes");
        ExitCode::SUCCESS
    } else {
        eprintln!("cpt catalog check: {} mistakes ({elements} elements free of them)", diagnostics.len());
        ExitCode::FAILURE
    }
}

/// What matching a corpus found.
#[derive(Default)]
struct CorpusCounts {
    files: u64,
    /// Files the walk or the reading could not take (`cpt scan` reports them in `errors`).
    unread: u64,
    units: u64,
    units_by_lang: BTreeMap<Lang, u64>,
    /// Per element: units matched.
    matched: Vec<u64>,
}

/// Matches every unit of every source file under `dir` (walked as `cpt scan` walks it).
fn count_corpus(catalog: &Catalog, dir: &Path) -> std::io::Result<CorpusCounts> {
    let policy = ScanPolicy::default();
    let source = TreeSource::new(dir, policy.max_file_size);
    let config = AnalysisConfig { catalog: catalog.fingerprint().to_string(), ..AnalysisConfig::default() };
    let mut counts = CorpusCounts { matched: vec![0; catalog.elements().len()], ..CorpusCounts::default() };
    for item in TreeWalk::new(dir, policy, 0, 1)? {
        let (path, key) = match item {
            WalkItem::File { path, key, .. } => (path, key),
            WalkItem::Error(_) => {
                counts.unread += 1;
                continue;
            }
            WalkItem::Skipped { .. } => continue,
        };
        let Ok(bytes) = source.read(&path, key.id) else {
            counts.unread += 1;
            continue;
        };
        let parsed = catalog.analyze(&bytes, key.lang, &config);
        counts.files += 1;
        counts.units += parsed.units.len() as u64;
        *counts.units_by_lang.entry(key.lang).or_default() += parsed.units.len() as u64;
        let mut found: Vec<(u32, u32)> = parsed.matches.iter().map(|m| (m.unit, m.element)).collect();
        found.dedup();
        found.into_iter().for_each(|(_, element)| counts.matched[element as usize] += 1);
    }
    Ok(counts)
}

/// Prints the units each element matches in the corpus and a warning per suspect element.
fn report_corpus(catalog: &Catalog, dir: &Path) -> std::io::Result<()> {
    let counts = count_corpus(catalog, dir)?;
    let by_lang: Vec<String> = counts.units_by_lang.iter().map(|(lang, n)| format!("{} {n}", lang.name())).collect();
    let (files, unread, units) = (counts.files, counts.unread, counts.units);
    println!("corpus {}: {files} files ({unread} not read), {units} units ({})", dir.display(), by_lang.join(", "));
    let percent = |n: u64| 100.0 * n as f64 / counts.units.max(1) as f64;
    for (element, &matched) in catalog.elements().iter().zip(&counts.matched) {
        println!("{:<4} {:<32} {matched:>7} units {:>6.2}%", element.symbol, element.name, percent(matched));
    }
    for (element, &matched) in catalog.elements().iter().zip(&counts.matched) {
        let what = match suspicion(matched, counts.units) {
            None => continue,
            Some(Suspicion::Unmatched) => "matches no unit of the corpus".to_string(),
            Some(Suspicion::TooCommon) => format!(
                "matches {matched} units, {:.1}% of the corpus's {}: over {MAX_SHARE_PERCENT}%, too loose to tell anything",
                percent(matched),
                counts.units
            ),
        };
        println!("warning: {}: `{}` ({}) {what}", element.at, element.symbol, element.name);
    }
    Ok(())
}
