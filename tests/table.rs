//! `cpt table` on a scan of the real small corpus: the page has one cell per catalogue element
//! with the occurrences and stage the tables give, and headless Chromium renders it (its DOM
//! holds every cell; its screenshot is a full-size, far from blank picture), and the mined elements
//! are listed, those in the most files first. Also the errors of a
//! folder that is not an output folder.

mod common;

use common::{corpus, cpt, final_state, scan};
use cpt_operators::catalog::builtin::builtin_sources;
use cpt_operators::catalog::load;
use std::collections::{BTreeMap, BTreeSet};
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The size of the window Chromium renders the page in.
const WINDOW: (u32, u32) = (1600, 1000);

/// The attributes of every element cell (`<div class="cell …">`) of an HTML text, by symbol.
fn cells(html: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut cells = BTreeMap::new();
    for (start, _) in html.match_indices(r#"<div class="cell "#) {
        let tag = &html[start..start + html[start..].find('>').expect("the cell's tag ends")];
        let attributes: BTreeMap<String, String> = tag
            .split('"')
            .collect::<Vec<_>>()
            .chunks(2)
            .filter_map(|pair| match pair {
                [name, value] => {
                    Some((name.trim().trim_end_matches('=').rsplit(' ').next()?.to_string(), value.to_string()))
                }
                _ => None,
            })
            .collect();
        let symbol = attributes["data-symbol"].clone();
        assert!(cells.insert(symbol.clone(), attributes).is_none(), "two cells for {symbol}");
    }
    cells
}

/// The symbols of the built-in catalogue.
fn catalogue_symbols() -> BTreeSet<String> {
    let loaded = load(&builtin_sources());
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    loaded.catalog.elements().iter().map(|element| element.symbol.clone()).collect()
}

/// The first `|`-separated field (the symbol) and the field `at` picks of each row of a table's final state.
fn final_fields(out: &Path, table: &str, at: impl Fn(&[&str]) -> String) -> BTreeMap<String, String> {
    final_state(out, table)
        .keys()
        .map(|row| {
            let fields: Vec<&str> = row.split('|').collect();
            (fields[0].to_string(), at(&fields))
        })
        .collect()
}

/// The Chromium executable on PATH; fails saying how to install it when there is none.
fn chromium() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|dir| dir.join("chromium")).find(|candidate| candidate.is_file()).expect(
        "this test renders the page in headless Chromium, which is not installed: \
         run `apt-get install chromium` (.ci/run installs it)",
    )
}

/// Runs headless Chromium (no network, a profile of its own) on `page` with `extra` arguments.
fn headless_chromium(page: &Path, profile: &Path, extra: &[String]) -> Output {
    let output = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--window-size={},{}", WINDOW.0, WINDOW.1))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("running chromium");
    assert!(output.status.success(), "chromium failed: {}", String::from_utf8_lossy(&output.stderr));
    output
}

/// The RGB pixels of a PNG screenshot, with its width and height.
fn decode_png(file: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let reader = BufReader::new(std::fs::File::open(file).expect("the screenshot"));
    let mut decoder = png::Decoder::new(reader);
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buffer = vec![0; reader.output_buffer_size().expect("a sane PNG size")];
    let frame = reader.next_frame(&mut buffer).expect("PNG pixels");
    let channels = frame.color_type.samples();
    assert!(channels >= 3, "a colour screenshot, not {:?}", frame.color_type);
    let pixels = buffer[..frame.buffer_size()].chunks(channels).map(|pixel| [pixel[0], pixel[1], pixel[2]]).collect();
    (frame.width, frame.height, pixels)
}

#[test]
fn the_table_of_a_scan_has_every_element_with_its_figures_and_renders_in_chromium() {
    let out = tempfile::tempdir().expect("output folder");
    scan(&corpus("small"), out.path(), &[]);
    let output = cpt(&["table", out.path().to_str().unwrap()]);
    assert!(output.status.success(), "cpt table failed: {}", String::from_utf8_lossy(&output.stderr));
    let page = out.path().join("periodic-table.html");
    let html = std::fs::read_to_string(&page).expect("the page");

    let cells = cells(&html);
    let symbols = catalogue_symbols();
    assert_eq!(cells.keys().cloned().collect::<BTreeSet<_>>(), symbols, "one cell per catalogue element");
    let occurrences = final_fields(out.path(), "element_stats", |fields| fields[1].to_string());
    let stages = final_fields(out.path(), "elements", |fields| fields[fields.len() - 2].to_string());
    assert!(occurrences.len() >= symbols.len() / 2, "most elements occur in the corpus: {occurrences:?}");
    for (symbol, attributes) in &cells {
        let expected = occurrences.get(symbol).map_or("0", String::as_str);
        assert_eq!(attributes["data-occurrences"], expected, "occurrences of {symbol}");
        assert_eq!(attributes["data-stage"], stages[symbol], "stage of {symbol}");
        assert!(attributes["class"].ends_with(&format!("stage-{}", stages[symbol])), "colour of {symbol}");
    }
    assert!(!html.contains("http://") && !html.contains("https://"), "the page fetches nothing");
    // mined_elements: element_id|class_id|members|files|…; the page lists those in the most files first.
    let mined = final_fields(out.path(), "mined_elements", |fields| fields[3].to_string());
    let most_files = mined.values().map(|files| files.parse::<u64>().unwrap()).max().expect("mined elements");
    let listed: Vec<&str> =
        html.split(r#"<tr data-element=""#).skip(1).filter_map(|row| row.split('"').next()).collect();
    assert_eq!(listed.len(), mined.len().min(30), "the mined elements, at most 30");
    assert_eq!(mined[listed[0]], most_files.to_string(), "the first listed is in the most files");

    let profile = tempfile::tempdir().expect("chromium profile");
    let dom = headless_chromium(&page, profile.path(), &["--dump-dom".to_string()]);
    let rendered: BTreeSet<String> = self::cells(&String::from_utf8_lossy(&dom.stdout)).into_keys().collect();
    assert_eq!(rendered, symbols, "the rendered DOM holds every cell");

    let screenshot = out.path().join("table.png");
    headless_chromium(&page, profile.path(), &[format!("--screenshot={}", screenshot.display())]);
    let (width, height, pixels) = decode_png(&screenshot);
    assert_eq!((width, height), WINDOW);
    let colours: BTreeSet<[u8; 3]> = pixels.iter().copied().collect();
    let painted = pixels.iter().filter(|&&pixel| pixel != [255, 255, 255]).count();
    assert!(colours.len() >= 200, "a screenshot of text and coloured cells has many colours, not {}", colours.len());
    assert!(painted * 5 >= pixels.len(), "cells cover over a fifth of the window, not {painted} of {}", pixels.len());
}

#[test]
fn a_folder_that_is_no_output_folder_is_a_clear_error() {
    let missing = cpt(&["table", "/nonexistent/cpt-out"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("is not a folder; write the output folder"));

    let empty = tempfile::tempdir().expect("an empty folder");
    let unread = cpt(&["table", empty.path().to_str().unwrap()]);
    assert_eq!(unread.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&unread.stderr);
    assert!(stderr.contains("reading the cpt manifest") && !stderr.contains("panicked"), "{stderr}");
}
