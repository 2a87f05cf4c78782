//! The periodic table as one self-contained HTML page (inline CSS and SVG, nothing fetched): a
//! header naming the source and the time shown, a legend of stages, and a grid with the families
//! as column groups and the periods as rows. Each cell shows an element's symbol, name,
//! occurrences, stage (its colour) and a sparkline of its occurrences; hovering or focusing it
//! shows the rest of what `elements` and `element_stats` say. Below the grid, the elements mined
//! from the code's clone classes, those spread over the most files first. Every text from the
//! tables is escaped.

use super::sparkline::sparkline;
use cpt_connectors::sink::periodic::{ElementEntry, ElementFigures, MinedElement, PeriodicTable};
use cpt_operators::catalog::stage::Stage;
use cpt_operators::catalog::{Family, Period};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Most cells side by side in one family's block; more elements wrap onto further lines.
const MAX_BLOCK_COLUMNS: usize = 4;

/// Most mined elements listed below the grid.
const MAX_MINED_ROWS: usize = 30;

/// The page's style sheet.
const STYLE: &str = r#"
:root { --cell: 4.4rem; font-family: system-ui, sans-serif; color: #1f2328; background: #fff; }
body { margin: 1rem 1.25rem; }
h1 { font-size: 1.35rem; margin: 0 0 .2rem; }
.source { margin: 0 0 .5rem; font-size: .85rem; color: #57606a; }
.legend { display: flex; gap: .4rem; list-style: none; padding: 0; margin: 0 0 .8rem; font-size: .75rem; }
.legend li { padding: .1rem .5rem; border-radius: .25rem; border: 1px solid #0002; }
.table { display: grid; gap: .5rem .6rem; align-items: start; }
.family { font-weight: 600; font-size: .85rem; border-bottom: 3px solid #8c959f; padding-bottom: .15rem; }
.period { font-size: .8rem; color: #57606a; padding-top: .3rem; }
.period b { display: block; font-size: 1.3rem; color: #1f2328; }
.block { display: grid; gap: .25rem; grid-template-columns: repeat(var(--columns), var(--cell)); }
.cell { position: relative; height: 4.6rem; padding: .15rem .25rem; box-sizing: border-box; border-radius: .3rem;
  border: 1px solid #0002; display: flex; flex-direction: column; overflow: visible; outline: none; }
.cell:hover, .cell:focus { box-shadow: 0 0 0 2px #1f2328; z-index: 2; }
.top { display: flex; justify-content: space-between; align-items: baseline; }
.symbol { font-size: 1.25rem; font-weight: 700; }
.occurrences { font-size: .7rem; font-variant-numeric: tabular-nums; }
.name, .stage { font-size: .6rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.stage { color: #0009; }
.sparkline { margin-top: auto; width: 100%; }
.sparkline path { fill: none; stroke: #1f2328; stroke-width: 1.2; vector-effect: non-scaling-stroke; }
.details { display: none; position: absolute; top: 0; left: calc(100% + .4rem); width: 19rem; z-index: 3;
  background: #fff; border: 1px solid #8c959f; border-radius: .3rem; padding: .5rem .6rem;
  box-shadow: 0 4px 12px #0003; font-size: .75rem; }
.flip .details { left: auto; right: calc(100% + .4rem); }
.cell:hover .details, .cell:focus .details { display: block; }
.details p { margin: .2rem 0 .4rem; }
.details dl { display: grid; grid-template-columns: auto 1fr; gap: .1rem .6rem; margin: 0; }
.details dt { color: #57606a; }
.details dd { margin: 0; }
.stage-unseen { background: #f6f8fa; color: #8c959f; }
.stage-unseen .sparkline path { stroke: #d0d7de; stroke-dasharray: 2 2; }
.stage-emerging { background: #d3f5d0; }
.stage-established { background: #cfe4fa; }
.stage-mature { background: #ddd2f7; }
.stage-legacy { background: #fde6c4; }
.stage-deprecated { background: #f9d0d0; }
.mined { margin-top: 1.5rem; font-size: .8rem; }
.mined h2 { font-size: 1.1rem; margin: 0 0 .2rem; }
.mined p { margin: 0 0 .5rem; color: #57606a; }
.mined table { border-collapse: collapse; }
.mined th, .mined td { text-align: left; padding: .15rem .6rem .15rem 0; border-bottom: 1px solid #d0d7de; }
.mined td.number { text-align: right; font-variant-numeric: tabular-nums; }
"#;

/// The page for `table`.
pub fn render(table: &PeriodicTable) -> String {
    let families = families(&table.elements);
    let periods = periods(&table.elements);
    let mut page = String::new();
    let title = format!("Code Periodic Table: {}", table.source.location);
    let _ = write!(
        page,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{}</title><style>{STYLE}</style></head><body>"#,
        escape(&title)
    );
    page.push_str(&header(table));
    let columns: String = families
        .iter()
        .map(|(_, columns)| format!(" calc({columns} * var(--cell) + {} * .25rem)", columns - 1))
        .collect();
    let _ = write!(page, r#"<main class="table" style="grid-template-columns: 4.5rem{columns}"><div></div>"#);
    for (family, _) in &families {
        let _ = write!(page, r#"<div class="family">{}</div>"#, escape(family));
    }
    for (number, name) in &periods {
        let _ = write!(page, r#"<div class="period"><b>{number}</b>{}</div>"#, escape(name));
        for (index, (family, columns)) in families.iter().enumerate() {
            let flip = if 2 * index >= families.len() { " flip" } else { "" };
            let _ = write!(page, r#"<div class="block{flip}" style="--columns: {columns}">"#);
            for element in in_block(&table.elements, family, *number) {
                page.push_str(&cell(table, element));
            }
            page.push_str("</div>");
        }
    }
    page.push_str("</main>");
    page.push_str(&mined_section(table));
    page.push_str("</body></html>\n");
    page
}

/// The elements mined from clone classes, those in the most files first (then the most members).
fn mined_section(table: &PeriodicTable) -> String {
    if table.mined.is_empty() {
        return String::new();
    }
    let mut mined: Vec<&MinedElement> = table.mined.iter().collect();
    mined.sort_by_key(|m| (std::cmp::Reverse((m.entry.files, m.entry.members)), m.entry.element_id));
    let units: i64 = mined.iter().map(|m| m.entry.members).sum();
    let shown = mined.len().min(MAX_MINED_ROWS);
    let rows: String = mined[..shown]
        .iter()
        .map(|m| {
            let e = &m.entry;
            format!(
                r#"<tr data-element="{id}"><td><code>M{label:06x}</code></td><td>{kind} <b>{name}</b></td><td>{languages}</td><td class="number">{members}</td><td class="number">{files}</td><td class="number">{tokens:.0}</td><td>{first}</td><td><code>{path}:{line}</code></td></tr>"#,
                id = e.element_id,
                label = (e.element_id as u64) >> 40,
                kind = escape(&e.kind),
                name = escape(&e.name),
                languages = escape(&e.languages.replace(',', ", ")),
                members = e.members,
                files = e.files,
                tokens = e.mean_tokens.0,
                first = escape(&table.describe_time(m.first_seen)),
                path = escape(&e.path),
                line = e.start_line,
            )
        })
        .collect();
    format!(
        r#"<section class="mined"><h2>Mined elements</h2><p>{count} clone classes repeated across files ({units} units) are elements grown from the code; the {shown} in the most files, each named by its exemplar:</p><table><thead><tr><th>element</th><th>exemplar</th><th>languages</th><th>members</th><th>files</th><th>mean tokens</th><th>first seen</th><th>where</th></tr></thead><tbody>{rows}</tbody></table></section>"#,
        count = mined.len(),
    )
}

/// The title, the source and time shown, the counts and the legend of stages.
fn header(table: &PeriodicTable) -> String {
    let found = table.figures.len();
    let occurrences: i64 = table.figures.values().map(|figures| figures.occurrences).sum();
    let state = if table.complete { "complete" } else { "in progress" };
    let legend: String =
        Stage::ALL.iter().map(|stage| format!(r#"<li class="stage-{0}">{0}</li>"#, stage.name())).collect();
    format!(
        r#"<header><h1>Code Periodic Table</h1><p class="source">{} of <code>{}</code> · state at {} ({state}) · {found} of {} elements found, {occurrences} occurrences</p><ul class="legend">{legend}</ul></header>"#,
        escape(&table.source.kind),
        escape(&table.source.location),
        escape(&table.describe_time(table.durable_time)),
        table.elements.len(),
    )
}

/// The families present, in the catalogue's column order (others after, by name), each with the
/// number of cells its block has side by side.
fn families(elements: &[ElementEntry]) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<(usize, &str), BTreeMap<i32, usize>> = BTreeMap::new();
    for element in elements {
        let order = Family::from_name(&element.family).map_or(Family::ALL.len(), |family| family as usize);
        *counts.entry((order, &element.family)).or_default().entry(element.period).or_insert(0) += 1;
    }
    counts
        .into_iter()
        .map(|((_, family), by_period)| {
            let most = by_period.into_values().max().unwrap_or(1);
            let lines = most.div_ceil(MAX_BLOCK_COLUMNS);
            (family.to_string(), most.div_ceil(lines))
        })
        .collect()
}

/// The periods present, top row first, with their names.
fn periods(elements: &[ElementEntry]) -> BTreeMap<i32, String> {
    elements.iter().map(|element| (element.period, period_name(element.period))).collect()
}

/// The name of the period numbered `number` (`period N` for a number the catalogue does not know).
fn period_name(number: i32) -> String {
    let known = Period::ALL.into_iter().find(|period| i32::from(period.number()) == number);
    known.map_or_else(|| format!("period {number}"), |period| period.name().to_string())
}

/// The elements of one family in one period, by category, then symbol.
fn in_block<'e>(elements: &'e [ElementEntry], family: &str, period: i32) -> Vec<&'e ElementEntry> {
    let mut block: Vec<&ElementEntry> =
        elements.iter().filter(|element| element.family == family && element.period == period).collect();
    block.sort_by(|a, b| (&a.category, &a.symbol).cmp(&(&b.category, &b.symbol)));
    block
}

/// The stage's style class: `stage-NAME` for a known stage.
fn stage_class(stage: &str) -> String {
    match Stage::ALL.iter().find(|known| known.name() == stage) {
        Some(known) => format!("stage-{}", known.name()),
        None => "stage-other".to_string(),
    }
}

/// One element's cell, with its details.
fn cell(table: &PeriodicTable, element: &ElementEntry) -> String {
    let figures = table.figures.get(&element.symbol);
    let occurrences = figures.map_or(0, |figures| figures.occurrences);
    let history = table.history.get(&element.symbol).map_or(&[][..], Vec::as_slice);
    let symbol = escape(&element.symbol);
    format!(
        r#"<div class="cell {class}" tabindex="0" data-symbol="{symbol}" data-occurrences="{occurrences}" data-stage="{stage}"><div class="top"><span class="symbol">{symbol}</span><span class="occurrences">{occurrences}</span></div><span class="name">{name}</span><span class="stage">{stage}</span>{spark}{details}</div>"#,
        class = stage_class(&element.stage),
        stage = escape(&element.stage),
        name = escape(&element.name),
        spark = sparkline(history, table.durable_time),
        details = details(table, element, figures, history),
    )
}

/// What hovering a cell shows: the summary and every figure of the element.
fn details(
    table: &PeriodicTable,
    element: &ElementEntry,
    figures: Option<&ElementFigures>,
    history: &[(u64, i64)],
) -> String {
    let percent = |share: f64| format!("{:.1} %", 100.0 * share);
    let mut rows = vec![
        ("family", format!("{} · {}", element.family, element.category)),
        ("period", format!("{} {}", element.period, period_name(element.period))),
        ("recognised in", element.languages.replace(',', ", ")),
    ];
    match figures {
        Some(figures) => rows.extend([
            ("found in", figures.languages.replace(',', ", ")),
            ("occurrences", format!("{} units in {} files", figures.occurrences, figures.files)),
            ("adoption", format!("{} of {} files", percent(figures.adoption.0), figures.total_files)),
            ("mean unit", format!("cyclomatic {:.1}, {:.0} tokens", figures.mean_cyclomatic.0, figures.mean_tokens.0)),
        ]),
        None => rows.push(("occurrences", "none".to_string())),
    }
    let first_seen = element.first_seen.map_or_else(|| "never".to_string(), |time| table.describe_time(time));
    let most = history.iter().max_by_key(|&&(time, occurrences)| (occurrences, std::cmp::Reverse(time)));
    let most = most.map_or_else(|| "none".to_string(), |&(time, n)| format!("{n} at {}", table.describe_time(time)));
    rows.extend([
        ("first seen", first_seen),
        ("peak adoption", percent(element.peak_adoption.0)),
        ("most occurrences", most),
        ("stage", element.stage.clone()),
        ("trend", element.trend.clone()),
    ]);
    let listed: String =
        rows.iter().map(|(term, value)| format!("<dt>{term}</dt><dd>{}</dd>", escape(value))).collect();
    format!(
        r#"<div class="details" role="tooltip"><b>{} · {}</b><p>{}</p><dl>{listed}</dl></div>"#,
        escape(&element.symbol),
        escape(&element.name),
        escape(&element.summary)
    )
}

/// `text` with the characters HTML gives a meaning escaped, for element content and attribute values.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::{escape, render};
    use cpt_connectors::sink::periodic::{ElementEntry, ElementFigures, MinedElement, MinedEntry, PeriodicTable};
    use cpt_connectors::sink::read::Float64;
    use cpt_connectors::sink::SourceRecord;
    use std::collections::BTreeMap;

    fn element(symbol: &str, family: &str, period: i32, stage: &str) -> ElementEntry {
        ElementEntry {
            symbol: symbol.into(),
            name: format!("<{symbol}> & co"),
            family: family.into(),
            category: "Category".into(),
            period,
            languages: "rust,python".into(),
            summary: "Says \"what\" it is".into(),
            first_seen: None,
            peak_adoption: Float64(0.0),
            stage: stage.into(),
            trend: "unknown".into(),
        }
    }

    fn table() -> PeriodicTable {
        let figures = ElementFigures {
            symbol: "Lp".into(),
            occurrences: 12,
            files: 3,
            total_files: 40,
            adoption: Float64(0.075),
            languages: "rust".into(),
            mean_cyclomatic: Float64(2.5),
            mean_tokens: Float64(80.0),
        };
        PeriodicTable {
            source: SourceRecord { kind: "replay".into(), location: "/src/<app>".into(), tip: None },
            durable_time: 3,
            complete: true,
            elements: vec![
                ElementEntry { first_seen: Some(1), ..element("Lp", "Control", 1, "emerging") },
                element("Gd", "Control", 2, "unseen"),
                element("Xx", "Custom", 1, "unseen"),
            ],
            figures: BTreeMap::from([("Lp".to_string(), figures)]),
            history: BTreeMap::from([("Lp".to_string(), vec![(1, 5), (3, 12)])]),
            time_labels: BTreeMap::from([(1, "abc1234 2024-05-01".to_string())]),
            mined: vec![mined(-3, 4, 3, 2), mined(11, 9, 5, 0), mined(12, 3, 3, 1)],
        }
    }

    fn mined(element_id: i64, members: i64, files: i64, first_seen: u64) -> MinedElement {
        let entry = MinedEntry {
            element_id,
            members,
            files,
            languages: "go,rust".into(),
            mean_tokens: Float64(64.4),
            kind: "function".into(),
            name: format!("run<{element_id}>"),
            path: "src/a.rs".into(),
            start_line: 7,
        };
        MinedElement { entry, first_seen }
    }

    #[test]
    fn escapes_what_html_gives_a_meaning() {
        assert_eq!(escape(r#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }

    #[test]
    fn every_element_has_a_cell_with_its_figures_and_every_text_is_escaped() {
        let page = render(&table());
        for (symbol, occurrences, stage) in [("Lp", 12, "emerging"), ("Gd", 0, "unseen"), ("Xx", 0, "unseen")] {
            let cell = format!(
                r#"<div class="cell stage-{stage}" tabindex="0" data-symbol="{symbol}" data-occurrences="{occurrences}" data-stage="{stage}">"#
            );
            assert_eq!(page.matches(&cell).count(), 1, "{cell}");
        }
        assert!(page.contains("&lt;Lp&gt; &amp; co") && !page.contains("<Lp>"));
        assert!(page.contains("/src/&lt;app&gt;") && page.contains("Says &quot;what&quot; it is"));
        assert!(page.contains("time 1 (abc1234 2024-05-01)"), "first seen is labelled with its commit");
        assert!(page.contains("7.5 % of 40 files") && page.contains("12 at time 3"));
    }

    #[test]
    fn families_are_column_groups_in_catalogue_order_and_periods_rows() {
        let page = render(&table());
        let control = page.find(r#"<div class="family">Control</div>"#).expect("Control heading");
        let custom = page.find(r#"<div class="family">Custom</div>"#).expect("a family outside the catalogue");
        assert!(control < custom);
        let atomic = page.find("<b>1</b>atomic").expect("period 1");
        let molecular = page.find("<b>2</b>molecular").expect("period 2");
        let cell = |symbol: &str| page.find(&format!(r#"data-symbol="{symbol}""#)).expect("cell");
        assert!(atomic < cell("Lp") && cell("Lp") < cell("Xx") && cell("Xx") < molecular && molecular < cell("Gd"));
    }

    #[test]
    fn mined_elements_are_listed_by_files_then_members_with_their_exemplar() {
        let page = render(&table());
        let row = |id: i64| page.find(&format!(r#"<tr data-element="{id}">"#)).expect("a row per mined element");
        assert!(row(11) < row(-3) && row(-3) < row(12), "5 files first, then 3 files with 4 members, then 3 members");
        assert!(page.contains("3 clone classes repeated across files (16 units)"));
        assert!(page.contains("function <b>run&lt;11&gt;</b>") && page.contains("<code>src/a.rs:7</code>"));
        assert!(page.contains("<td>time 1 (abc1234 2024-05-01)</td>"), "first seen is labelled with its commit");
        let empty = PeriodicTable { mined: Vec::new(), ..table() };
        assert!(!render(&empty).contains("Mined elements"));
    }
}
