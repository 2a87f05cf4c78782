//! The Parquet sink against real files: round trips through the parquet crate's Arrow reader,
//! the commit protocol (staging, manifest, orphan clean-up) and the refusals of `OutputDir::open`.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, Int8Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use cpt_connectors::rows::{
    CloneClassRow, CloneMemberRow, ClonePairRow, CloneUnit, CommitRow, ElementRow, ElementStatsRow, ErrorRow, FileRow,
    LineageRow, MatchRow, MinedElementRow, TimeRow, UnitRow,
};
use cpt_connectors::sink::{
    clone_links_at, read_manifest, table_names, table_size_at, OpenMode, OutputDir, OutputRefused, PartFile, RunInfo,
    TableRow, Update, MANIFEST_FILE,
};
use cpt_operators::catalog::stage::{History, Stage, Trend};
use cpt_operators::model::{
    ContentId, ErrorReason, FileStats, Lang, LocalUnitId, Metrics, RecogniserKind, UnitFingerprint, UnitKind,
    VECTOR_DIMS,
};
use cpt_operators::similarity::Pair;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, LogicalType, ZstdLevel};
use parquet::file::reader::{FileReader, SerializedFileReader};
use std::fs;
use std::path::{Path, PathBuf};

const FRESH: OpenMode = OpenMode::Fresh { overwrite: false };
const NON_UTF8: &[u8] = b"dir/\xff.rs";

fn info(config_hash: &str) -> RunInfo {
    RunInfo {
        source_kind: "scan".to_string(),
        source: "/src/tree".to_string(),
        config_hash: config_hash.to_string(),
        grammar_versions: vec![
            ("rust".to_string(), "0.24.2".to_string()),
            ("python".to_string(), "0.25.0".to_string()),
        ],
        commits: Vec::new(),
    }
}

fn out_dir(tmp: &tempfile::TempDir) -> PathBuf {
    tmp.path().join("out")
}

fn file_row(path: &[u8], content: &[u8]) -> FileRow {
    FileRow {
        path: path.to_vec(),
        lang: Lang::Rust,
        content_id: ContentId::of_bytes(content),
        stats: FileStats { bytes: content.len() as u64, lines: 3, tokens: 17, units: 2, error_nodes: 0 },
    }
}

fn vector(seed: i8) -> Vec<i8> {
    (0..VECTOR_DIMS).map(|i| (i as i8).wrapping_mul(seed)).collect()
}

fn unit_row(path: &[u8], parent: Option<i64>, exact_hash: u64) -> UnitRow {
    UnitRow {
        unit_key: -42,
        parent_unit_key: parent,
        path: path.to_vec(),
        lang: Lang::Python,
        content_id: ContentId::of_bytes(b"def run():\n    pass\n"),
        unit: std::sync::Arc::new(UnitFingerprint {
            id: LocalUnitId { kind: UnitKind::Method, name: "Outer.run".to_string(), ordinal: 1 },
            parent: None,
            start_line: 10,
            end_line: 12,
            start_byte: 40,
            end_byte: 95,
            metrics: Metrics { tokens: 9, nodes: 14, lines: 3, cyclomatic: 2, max_nesting: 1 },
            exact_hash,
            struct_hash: 1 << 63,
            vector: vector(3),
            token_sequence: vec![7; 9],
        }),
    }
}

fn at<R>(row: R, time: u64, diff: i64) -> Update<R> {
    Update { row, time, diff }
}

/// Every batch of the part file at `path`, read with the parquet crate's Arrow reader, after
/// checking that no Parquet column carries an unsigned integer type.
fn read_part(path: &Path) -> Vec<RecordBatch> {
    let file = fs::File::open(path).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    for column in builder.parquet_schema().columns() {
        if let Some(LogicalType::Integer(int)) = column.logical_type_ref() {
            assert!(int.is_signed, "unsigned Parquet column {}", column.name());
        }
        let converted = format!("{:?}", column.converted_type());
        assert!(!converted.starts_with("UINT"), "{}", column.name());
    }
    builder.build().unwrap().map(|b| b.unwrap()).collect()
}

/// The single batch of the committed part `part`.
fn read_single(out: &Path, part: &PartFile) -> RecordBatch {
    let mut batches = read_part(&out.join(&part.file));
    assert_eq!(batches.len(), 1);
    batches.pop().unwrap()
}

fn assert_reader_friendly(data_type: &DataType) {
    match data_type {
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
            panic!("unsigned type {data_type}")
        }
        DataType::Dictionary(..) => panic!("dictionary type {data_type}"),
        DataType::FixedSizeList(item, _) | DataType::List(item) => assert_reader_friendly(item.data_type()),
        _ => {}
    }
}

fn column_names(batch: &RecordBatch) -> Vec<String> {
    batch.schema().fields().iter().map(|f| f.name().clone()).collect()
}

fn i64s(batch: &RecordBatch, name: &str) -> Vec<i64> {
    let column = batch.column_by_name(name).unwrap().as_primitive::<Int64Type>();
    column.values().to_vec()
}

fn i32s(batch: &RecordBatch, name: &str) -> Vec<i32> {
    let column = batch.column_by_name(name).unwrap().as_primitive::<Int32Type>();
    column.values().to_vec()
}

fn strs(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let column = batch.column_by_name(name).unwrap().as_string::<i32>();
    column.iter().map(|s| s.map(str::to_string)).collect()
}

fn raw_paths(batch: &RecordBatch) -> Vec<Option<Vec<u8>>> {
    let column = batch.column_by_name("path_raw").unwrap().as_binary::<i32>();
    column.iter().map(|b| b.map(<[u8]>::to_vec)).collect()
}

/// Writes and commits one part of every table; returns the parts by table.
fn write_all_tables(dir: &OutputDir) -> Vec<PartFile> {
    let content_hex = ContentId::of_bytes(b"fn main() {}\n").to_hex();
    assert_eq!(content_hex.len(), 40);
    let files = [at(file_row(b"src/main.rs", b"fn main() {}\n"), 0, 1), at(file_row(NON_UTF8, b"fn f() {}\n"), 0, 1)];
    let units = [at(unit_row(b"a.py", None, u64::MAX - 5), 0, 1), at(unit_row(NON_UTF8, Some(-7), 5), 0, 2)];
    let clones = [at(
        CloneMemberRow {
            group_id: (u64::MAX - 1) as i64,
            member: CloneUnit {
                unit_key: 99,
                path: NON_UTF8.to_vec(),
                lang: Lang::Go,
                kind: "function".to_string(),
                name: "handler".to_string(),
                start_line: 4,
                end_line: 20,
                tokens: 120,
            },
            exact_hash: i64::MIN,
        },
        0,
        -1,
    )];
    let errors = [
        at(
            ErrorRow {
                path: b"bin/blob.rs".to_vec(),
                reason: ErrorReason::Binary,
                detail: "NUL byte at offset 12".to_string(),
                content_id: Some(ContentId::of_bytes(b"\0\0")),
            },
            0,
            1,
        ),
        at(
            ErrorRow {
                path: NON_UTF8.to_vec(),
                reason: ErrorReason::Unreadable,
                detail: "permission denied".to_string(),
                content_id: None,
            },
            0,
            1,
        ),
    ];
    let commits = [at(
        CommitRow {
            sha: "6b17bf9d0c6a1e2f3b4c5d6e7f8091a2b3c4d5e6".to_string(),
            author_time: 1_700_000_000,
            author: "Zoë".to_string(),
            subject: "Benchmarks: side-by-side cold scan".to_string(),
        },
        0,
        1,
    )];
    let renamed = |old_unit_key, new_unit_key| LineageRow {
        commit: "6b17bf9d0c6a1e2f3b4c5d6e7f8091a2b3c4d5e6".to_string(),
        old_path: NON_UTF8.to_vec(),
        new_path: b"src/moved.rs".to_vec(),
        similarity: 87,
        old_unit_key,
        new_unit_key,
    };
    let lineage = [at(renamed(None, None), 0, 1), at(renamed(Some(-3), Some(i64::MAX)), 0, 1)];
    let times = [at(TimeRow { wall_clock_ms: 1_700_000_000_123, changed_paths: 3 }, 0, 1)];
    let clone_unit = |unit_key, path: &[u8], name: &str| CloneUnit {
        unit_key,
        path: path.to_vec(),
        lang: Lang::Java,
        kind: "method".to_string(),
        name: name.to_string(),
        start_line: 3,
        end_line: 30,
        tokens: 210,
    };
    let pairs = [at(
        ClonePairRow {
            a: clone_unit(-8, NON_UTF8, "A.run").into(),
            b: clone_unit(12, b"B.java", "B.run").into(),
            score: 934,
            lcs_percent: 81,
        },
        0,
        1,
    )];
    let similar = [at(Pair { a: -8, b: 12, score: 934 }, 0, 1), at(Pair { a: -8, b: i64::MAX, score: 900 }, 0, 1)];
    let classes = [at(CloneClassRow { class_id: -8, member: clone_unit(12, b"B.java", "B.run") }, 0, 1)];
    let matched = unit_row(NON_UTF8, Some(-7), 5);
    let matches = [at(
        MatchRow {
            symbol: "Gc".to_string(),
            unit_key: matched.unit_key,
            path: matched.path.clone(),
            lang: Lang::Rust,
            recogniser: RecogniserKind::Exemplar,
            score: 93,
            unit: matched.unit,
        },
        0,
        1,
    )];
    let stats = [at(
        ElementStatsRow {
            symbol: "Gc".to_string(),
            occurrences: 4,
            files: 1,
            languages: "go,rust".to_string(),
            total_files: 4,
            cyclomatic_sum: 10,
            tokens_sum: 401,
        },
        0,
        1,
    )];
    let mut history = History::default();
    history.record(0, 250_000);
    let elements = [at(
        ElementRow {
            symbol: "Gc".to_string(),
            name: "Guard clause".to_string(),
            family: "Control".to_string(),
            category: "Conditional".to_string(),
            period: 1,
            languages: "go,rust".to_string(),
            summary: "A function opens with a test that leaves early.".to_string(),
            standing: history.standing(0),
        },
        0,
        1,
    )];
    let mined = [at(
        MinedElementRow {
            element_id: i64::MIN + 3,
            class_id: -8,
            members: 3,
            files: 2,
            languages: "java".to_string(),
            tokens_sum: 631,
            exemplar: clone_unit(12, b"B.java", "B.run"),
        },
        0,
        1,
    )];
    vec![
        dir.write_part(0, &files).unwrap().unwrap(),
        dir.write_part(1, &units).unwrap().unwrap(),
        dir.write_part(0, &clones).unwrap().unwrap(),
        dir.write_part(1, &errors).unwrap().unwrap(),
        dir.write_part(0, &commits).unwrap().unwrap(),
        dir.write_part(1, &lineage).unwrap().unwrap(),
        dir.write_part(0, &times).unwrap().unwrap(),
        dir.write_part(1, &pairs).unwrap().unwrap(),
        dir.write_part(0, &classes).unwrap().unwrap(),
        dir.write_part(1, &matches).unwrap().unwrap(),
        dir.write_part(0, &stats).unwrap().unwrap(),
        dir.write_part(1, &elements).unwrap().unwrap(),
        dir.write_part(0, &mined).unwrap().unwrap(),
        dir.write_part(1, &similar).unwrap().unwrap(),
    ]
}

#[test]
fn every_table_round_trips_with_reader_friendly_types() {
    let tmp = tempfile::tempdir().unwrap();
    let out = out_dir(&tmp);
    let dir = OutputDir::open(&out, info("c1"), FRESH).unwrap();
    assert_eq!(dir.durable_time(), None);
    let parts = write_all_tables(&dir);
    dir.commit(parts.clone(), 0, true).unwrap();

    for part in &parts {
        let batch = read_single(&out, part);
        assert_eq!(batch.num_rows() as u64, part.rows);
        for field in batch.schema().fields() {
            assert_reader_friendly(field.data_type());
        }
        assert_eq!(&column_names(&batch)[..2], ["time", "diff"]);
        assert_eq!(batch.column(0).data_type(), &DataType::Int64);
        assert_eq!(batch.column(1).data_type(), &DataType::Int64);
        assert!(part.file.starts_with(&format!("{}/", part.table)));
    }

    let files = read_single(&out, &parts[0]);
    assert_eq!(
        column_names(&files),
        ["time", "diff", "path", "path_raw", "lang", "content_id", "bytes", "lines", "tokens", "units", "error_nodes"]
    );
    assert_eq!(strs(&files, "path"), [Some("src/main.rs".into()), Some("dir/\u{fffd}.rs".into())]);
    assert_eq!(raw_paths(&files), [None, Some(NON_UTF8.to_vec())]);
    assert_eq!(
        strs(&files, "content_id")[0].as_deref(),
        Some(ContentId::of_bytes(b"fn main() {}\n").to_hex().as_str())
    );
    assert_eq!(i64s(&files, "bytes"), [13, 10]);
    assert_eq!(i32s(&files, "tokens"), [17, 17]);
    assert_eq!(strs(&files, "lang")[0].as_deref(), Some("rust"));

    let units = read_single(&out, &parts[1]);
    assert_eq!(
        column_names(&units)[2..],
        [
            "unit_key",
            "parent_unit_key",
            "path",
            "path_raw",
            "lang",
            "content_id",
            "kind",
            "name",
            "ordinal",
            "start_line",
            "end_line",
            "tokens",
            "nodes",
            "lines",
            "cyclomatic",
            "max_nesting",
            "exact_hash",
            "struct_hash",
            "vector"
        ]
    );
    assert_eq!(i64s(&units, "diff"), [1, 2]);
    let parents = units.column_by_name("parent_unit_key").unwrap().as_primitive::<Int64Type>();
    assert_eq!(parents.iter().collect::<Vec<_>>(), [None, Some(-7)]);
    assert_eq!(i64s(&units, "exact_hash"), [-6, 5]);
    assert_eq!(i64s(&units, "struct_hash"), [i64::MIN, i64::MIN]);
    assert_eq!(strs(&units, "kind")[0].as_deref(), Some("method"));
    assert_eq!(strs(&units, "name")[0].as_deref(), Some("Outer.run"));
    assert_eq!(i32s(&units, "ordinal"), [1, 1]);
    assert_eq!(i32s(&units, "cyclomatic"), [2, 2]);
    assert_eq!(raw_paths(&units), [None, Some(NON_UTF8.to_vec())]);
    let vectors = units.column_by_name("vector").unwrap();
    match vectors.data_type() {
        DataType::FixedSizeList(item, 128) => assert_eq!(item.data_type(), &DataType::Int8),
        other => panic!("vector is {other}"),
    }
    let second = vectors.as_fixed_size_list().value(1);
    assert_eq!(second.as_primitive::<Int8Type>().values().to_vec(), vector(3));

    let clones = read_single(&out, &parts[2]);
    assert_eq!(
        column_names(&clones)[2..],
        [
            "group_id",
            "unit_key",
            "path",
            "path_raw",
            "lang",
            "kind",
            "name",
            "start_line",
            "end_line",
            "tokens",
            "exact_hash"
        ]
    );
    assert_eq!(i64s(&clones, "group_id"), [-2]);
    assert_eq!(i64s(&clones, "diff"), [-1]);
    assert_eq!(i64s(&clones, "exact_hash"), [i64::MIN]);
    assert_eq!(raw_paths(&clones), [Some(NON_UTF8.to_vec())]);

    let errors = read_single(&out, &parts[3]);
    assert_eq!(column_names(&errors)[2..], ["path", "path_raw", "reason", "detail", "content_id"]);
    assert_eq!(strs(&errors, "reason"), [Some("binary".into()), Some("unreadable".into())]);
    let ids = strs(&errors, "content_id");
    assert_eq!(ids[0].as_ref().map(String::len), Some(40));
    assert_eq!(ids[1], None);

    let commits = read_single(&out, &parts[4]);
    assert_eq!(column_names(&commits)[2..], ["sha", "author_time", "author", "subject"]);
    assert_eq!(i64s(&commits, "author_time"), [1_700_000_000]);
    assert_eq!(strs(&commits, "author"), [Some("Zoë".into())]);

    let lineage = read_single(&out, &parts[5]);
    assert_eq!(
        column_names(&lineage)[2..],
        [
            "commit",
            "old_path",
            "old_path_raw",
            "new_path",
            "new_path_raw",
            "similarity",
            "old_unit_key",
            "new_unit_key"
        ]
    );
    assert_eq!(lineage.column_by_name("old_path_raw").unwrap().as_binary::<i32>().value(0), NON_UTF8);
    assert_eq!(lineage.column_by_name("new_path_raw").unwrap().null_count(), 2);
    assert_eq!(i32s(&lineage, "similarity"), [87, 87]);
    let keys = |name| lineage.column_by_name(name).unwrap().as_primitive::<Int64Type>().iter().collect::<Vec<_>>();
    assert_eq!((keys("old_unit_key"), keys("new_unit_key")), (vec![None, Some(-3)], vec![None, Some(i64::MAX)]));
    let times = read_single(&out, &parts[6]);
    assert_eq!(column_names(&times)[2..], ["wall_clock_ms", "changed_paths"]);
    assert_eq!(i64s(&times, "wall_clock_ms"), [1_700_000_000_123]);
    assert_eq!(i32s(&times, "changed_paths"), [3]);
    let pairs = read_single(&out, &parts[7]);
    let unit_columns = |s: &str| {
        let names = ["unit_key", "path", "path_raw", "lang", "kind", "name", "start_line", "end_line", "tokens"];
        names.map(|name| match name {
            "path_raw" => format!("path{s}_raw"),
            _ => format!("{name}{s}"),
        })
    };
    assert_eq!(
        column_names(&pairs)[2..],
        [&unit_columns("_a")[..], &unit_columns("_b"), &["score".into(), "lcs_percent".into()]].concat()
    );
    assert_eq!((i64s(&pairs, "unit_key_a"), i64s(&pairs, "unit_key_b")), (vec![-8], vec![12]));
    assert_eq!(pairs.column_by_name("path_a_raw").unwrap().null_count(), 0);
    assert_eq!(strs(&pairs, "name_b"), [Some("B.run".into())]);
    assert_eq!((i32s(&pairs, "score"), i32s(&pairs, "lcs_percent")), (vec![934], vec![81]));
    let similar = read_single(&out, &parts[13]);
    assert_eq!(column_names(&similar)[2..], ["a_unit_key", "b_unit_key", "score"]);
    assert_eq!((i64s(&similar, "b_unit_key"), i32s(&similar, "score")), (vec![12, i64::MAX], vec![934, 900]));
    let manifest = read_manifest(&out).unwrap();
    assert_eq!(table_size_at(&out, &manifest, "similar_pairs", 0).unwrap(), 2);
    assert_eq!(clone_links_at(&out, &manifest, 0).unwrap(), [(-8, 12)]);
    let classes = read_single(&out, &parts[8]);
    assert_eq!(column_names(&classes)[2..], [&["class_id".to_string()][..], &unit_columns("")].concat());
    assert_eq!((i64s(&classes, "class_id"), i64s(&classes, "unit_key")), (vec![-8], vec![12]));
    assert_eq!(strs(&classes, "lang"), [Some("java".into())]);

    let matches = read_single(&out, &parts[9]);
    assert_eq!(
        (strs(&matches, "symbol"), strs(&matches, "recogniser")),
        (vec![Some("Gc".into())], vec![Some("exemplar".into())])
    );
    assert_eq!((i32s(&matches, "score"), raw_paths(&matches)), (vec![93], vec![Some(NON_UTF8.to_vec())]));
    let stats = read_single(&out, &parts[10]);
    let float =
        |batch: &RecordBatch, name: &str| batch.column_by_name(name).unwrap().as_primitive::<Float64Type>().value(0);
    assert_eq!(
        (float(&stats, "adoption"), float(&stats, "mean_cyclomatic"), float(&stats, "mean_tokens")),
        (0.25, 2.5, 100.25)
    );
    let elements = read_single(&out, &parts[11]);
    assert_eq!((i64s(&elements, "first_seen"), float(&elements, "peak_adoption")), (vec![0], 0.25));
    assert_eq!(
        (strs(&elements, "stage"), strs(&elements, "trend")),
        (vec![Some(Stage::Mature.name().into())], vec![Some(Trend::Unknown.name().into())])
    );
    let mined = read_single(&out, &parts[12]);
    let mined_figures = ["element_id", "class_id", "members", "files", "languages", "mean_tokens"].map(String::from);
    assert_eq!(column_names(&mined)[2..], [&mined_figures[..], &unit_columns("")].concat());
    assert_eq!((i64s(&mined, "element_id"), i64s(&mined, "members")), (vec![i64::MIN + 3], vec![3]));
    assert_eq!((float(&mined, "mean_tokens"), strs(&mined, "name")), (631.0 / 3.0, vec![Some("B.run".into())]));

    let manifest = read_manifest(&out).unwrap();
    assert_eq!(manifest.durable_time, Some(0));
    assert!(manifest.complete);
    let mut listed: Vec<PartFile> = manifest.parts().collect();
    listed.sort();
    let mut expected = parts.clone();
    expected.sort();
    assert_eq!(listed, expected);
}

#[test]
fn schemas_start_with_time_and_diff_and_match_batches() {
    fn check<R: TableRow>() {
        let schema = R::schema();
        assert_eq!(schema.field(0).name(), "time");
        assert_eq!(schema.field(1).name(), "diff");
        let batch = R::to_batch(&[]).unwrap();
        assert_eq!(batch.schema(), schema);
        assert_eq!(batch.num_rows(), 0);
    }
    check::<FileRow>();
    check::<UnitRow>();
    check::<CloneMemberRow>();
    check::<ErrorRow>();
    check::<CommitRow>();
    check::<LineageRow>();
    check::<TimeRow>();
    check::<ClonePairRow>();
    check::<Pair>();
    check::<CloneClassRow>();
    check::<MatchRow>();
    check::<ElementStatsRow>();
    check::<ElementRow>();
    check::<MinedElementRow>();
    assert_eq!(
        table_names(),
        [
            FileRow::TABLE,
            UnitRow::TABLE,
            CloneMemberRow::TABLE,
            ErrorRow::TABLE,
            CommitRow::TABLE,
            LineageRow::TABLE,
            TimeRow::TABLE,
            MatchRow::TABLE,
            ElementStatsRow::TABLE,
            ElementRow::TABLE,
            ClonePairRow::TABLE,
            Pair::TABLE,
            CloneClassRow::TABLE,
            MinedElementRow::TABLE
        ]
    );
    assert_eq!(
        table_names(),
        [
            "files",
            "units",
            "clone_groups",
            "errors",
            "commits",
            "lineage",
            "times",
            "matches",
            "element_stats",
            "elements",
            "clone_pairs",
            "similar_pairs",
            "clone_classes",
            "mined_elements"
        ]
    );
}

#[test]
fn many_times_in_one_part_set_its_time_range() {
    let tmp = tempfile::tempdir().unwrap();
    let out = out_dir(&tmp);
    let dir = OutputDir::open(&out, info("c1"), FRESH).unwrap();
    let updates =
        [at(file_row(b"a.rs", b"1"), 7, 1), at(file_row(b"a.rs", b"1"), 3, -1), at(file_row(b"b.rs", b"2"), 12, 1)];
    let part = dir.write_part(2, &updates).unwrap().unwrap();
    assert_eq!((part.min_time, part.max_time, part.rows), (3, 12, 3));
    assert_eq!(part.worker, 2);
    assert_eq!(part.table, "files");
    let batch = read_single(&out, &part);
    assert_eq!(i64s(&batch, "time"), [7, 3, 12]);
    assert_eq!(i64s(&batch, "diff"), [1, -1, 1]);
}

/// The codec of every column chunk of the Parquet file at `path`.
fn codecs(path: &Path) -> Vec<Compression> {
    let reader = SerializedFileReader::new(fs::File::open(path).unwrap()).unwrap();
    let row_groups = reader.metadata().row_groups();
    row_groups.iter().flat_map(|group| group.columns().iter().map(|column| column.compression())).collect()
}

#[test]
fn small_parts_are_written_plainly_and_large_ones_with_zstd() {
    let tmp = tempfile::tempdir().unwrap();
    let out = out_dir(&tmp);
    let dir = OutputDir::open(&out, info("c1"), FRESH).unwrap();
    let paths: Vec<String> = (0..5_000).map(|i| format!("src/file{i}.rs")).collect();
    let large: Vec<_> = paths.iter().map(|path| at(file_row(path.as_bytes(), b"x"), 1, 1)).collect();
    for (updates, codec) in
        [(&large[..3], Compression::UNCOMPRESSED), (&large[..], Compression::ZSTD(ZstdLevel::default()))]
    {
        let part = dir.write_part(0, updates).unwrap().unwrap();
        let used = codecs(&out.join(&part.file));
        assert!(!used.is_empty() && used.iter().all(|&c| c == codec), "{} rows: {used:?}", updates.len());
        let read: Vec<Option<String>> =
            read_part(&out.join(&part.file)).iter().flat_map(|batch| strs(batch, "path")).collect();
        let written: Vec<Option<String>> = paths[..updates.len()].iter().cloned().map(Some).collect();
        assert_eq!(read, written);
    }
}

#[test]
fn an_empty_slice_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = out_dir(&tmp);
    let dir = OutputDir::open(&out, info("c1"), FRESH).unwrap();
    let none: &[Update<UnitRow>] = &[];
    assert_eq!(dir.write_part(0, none).unwrap(), None);
    assert_eq!(fs::read_dir(out.join("units")).unwrap().count(), 0);
    assert_eq!(fs::read_dir(out.join("_staging")).unwrap().count(), 0);
}

#[test]
fn commit_gives_each_empty_table_one_readable_zero_row_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = out_dir(&tmp);
    let dir = OutputDir::open(&out, info("c1"), FRESH).unwrap();
    let part = dir.write_part(0, &[at(file_row(b"a.rs", b"x"), 0, 1)]).unwrap().unwrap();
    dir.commit(vec![part], 0, true).unwrap();
    let manifest = dir.manifest().unwrap();
    for table in table_names() {
        let parts = &manifest.tables[*table];
        assert_eq!(parts.len(), 1, "{table}");
        let batches = read_part(&out.join(&parts[0].file));
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(rows as u64, parts[0].rows);
        assert_eq!(rows, usize::from(*table == "files"));
    }
    // A second commit adds no further empty files.
    dir.commit(Vec::new(), 1, true).unwrap();
    let again = dir.manifest().unwrap();
    assert_eq!(again.tables, manifest.tables);
    assert_eq!(again.durable_time, Some(1));
}

#[test]
fn resume_removes_orphans_and_keeps_committed_parts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = out_dir(&tmp);
    let dir = OutputDir::open(&out, info("c1"), FRESH).unwrap();
    let parts = write_all_tables(&dir);
    dir.commit(parts.clone(), 0, false).unwrap();
    // Work that never reached the manifest, as a killed run leaves it.
    let uncommitted = dir.write_part(0, &[at(file_row(b"late.rs", b"late"), 1, 1)]).unwrap().unwrap();
    let stray = out.join("units/part-5-5-w9-0.parquet");
    fs::write(&stray, b"torn").unwrap();
    let staged = out.join("_staging/files-w0-77.parquet");
    fs::write(&staged, b"half").unwrap();
    let temp = out.join("_manifest.json.tmp");
    fs::write(&temp, b"{").unwrap();
    drop(dir);

    let dir = OutputDir::open(&out, info("c1"), OpenMode::Resume).unwrap();
    assert_eq!(dir.durable_time(), Some(0));
    assert!(!out.join(&uncommitted.file).exists());
    assert!(!stray.exists());
    assert!(!staged.exists());
    assert!(!temp.exists());
    assert_eq!(fs::read_dir(out.join("_staging")).unwrap().count(), 0);
    let manifest = dir.manifest().unwrap();
    for part in manifest.parts() {
        assert!(out.join(&part.file).is_file(), "{} lost", part.file);
    }
    for part in &parts {
        assert!(manifest.parts().any(|p| &p == part));
    }
    // The resumed run goes on writing and committing, with names that never clash.
    let next = dir.write_part(0, &[at(file_row(b"late.rs", b"late"), 1, 1)]).unwrap().unwrap();
    dir.commit(vec![next], 1, true).unwrap();
    assert_eq!(read_manifest(&out).unwrap().durable_time, Some(1));
}

#[test]
fn fresh_refuses_another_runs_output_without_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let out = out_dir(&tmp);
    let dir = OutputDir::open(&out, info("c1"), FRESH).unwrap();
    dir.commit(write_all_tables(&dir), 0, true).unwrap();
    drop(dir);
    let err = OutputDir::open(&out, info("c1"), FRESH).unwrap_err();
    let message = format!("{err:#}");
    assert!(message.contains("--overwrite"), "{message}");
    assert!(message.contains("--out"), "{message}");
    // Nothing was touched.
    assert_eq!(read_manifest(&out).unwrap().durable_time, Some(0));
}

#[test]
fn fresh_refuses_a_non_empty_folder_that_is_not_cpt_output() {
    let tmp = tempfile::tempdir().unwrap();
    let out = out_dir(&tmp);
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("thesis.tex"), b"precious").unwrap();
    for overwrite in [false, true] {
        let err = OutputDir::open(&out, info("c1"), OpenMode::Fresh { overwrite }).unwrap_err();
        let message = format!("{err:#}");
        assert!(message.contains("not empty"), "{message}");
    }
    assert_eq!(fs::read(out.join("thesis.tex")).unwrap(), b"precious");
    assert!(!out.join(MANIFEST_FILE).exists());
}

#[test]
fn fresh_refuses_a_file_and_accepts_an_empty_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("out.txt");
    fs::write(&file, b"x").unwrap();
    let err = OutputDir::open(&file, info("c1"), FRESH).unwrap_err();
    assert!(format!("{err:#}").contains("not a folder"));
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let dir = OutputDir::open(&empty, info("c1"), FRESH).unwrap();
    assert_eq!(dir.path(), empty.as_path());
    for table in table_names() {
        assert!(empty.join(table).is_dir());
    }
}

#[test]
fn overwrite_replaces_the_previous_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = out_dir(&tmp);
    let dir = OutputDir::open(&out, info("c1"), FRESH).unwrap();
    let old_parts = write_all_tables(&dir);
    dir.commit(old_parts.clone(), 0, true).unwrap();
    drop(dir);

    let overwrite = OpenMode::Fresh { overwrite: true };
    let dir = OutputDir::open(&out, info("c2"), overwrite).unwrap();
    assert_eq!(dir.durable_time(), None);
    for part in &old_parts {
        assert!(!out.join(&part.file).exists(), "{} survived", part.file);
    }
    let manifest = dir.manifest().unwrap();
    assert_eq!(manifest.config_hash, "c2");
    assert_eq!(manifest.durable_time, None);
    assert!(!manifest.complete);
    assert_eq!(manifest.parts().count(), 0);
    let new = dir.write_part(0, &[at(file_row(b"a.rs", b"new"), 0, 1)]).unwrap().unwrap();
    dir.commit(vec![new.clone()], 0, true).unwrap();
    assert!(dir.manifest().unwrap().parts().any(|p| p == new));
}

#[test]
fn resume_refuses_another_configuration_or_source() {
    let tmp = tempfile::tempdir().unwrap();
    let out = out_dir(&tmp);
    let dir = OutputDir::open(&out, info("c1"), FRESH).unwrap();
    dir.commit(write_all_tables(&dir), 0, false).unwrap();
    drop(dir);

    let err = OutputDir::open(&out, info("c2"), OpenMode::Resume).unwrap_err();
    assert!(err.downcast_ref::<OutputRefused>().is_some(), "a usage error: {err:#}");
    let message = format!("{err:#}");
    assert!(message.contains("configuration differs"), "{message}");
    assert!(message.contains("c1") && message.contains("c2"), "{message}");
    assert!(message.contains("--overwrite"), "{message}");

    let mut other = info("c1");
    other.source = "/elsewhere".to_string();
    let message = format!("{:#}", OutputDir::open(&out, other, OpenMode::Resume).unwrap_err());
    assert!(message.contains("source differs"), "{message}");

    let mut other = info("c1");
    other.grammar_versions[0].1 = "0.99.0".to_string();
    let message = format!("{:#}", OutputDir::open(&out, other, OpenMode::Resume).unwrap_err());
    assert!(message.contains("grammar versions differ"), "{message}");

    // Grammar versions compare as a set, whatever their order.
    let mut reordered = info("c1");
    reordered.grammar_versions.reverse();
    let dir = OutputDir::open(&out, reordered, OpenMode::Resume).unwrap();
    assert_eq!(dir.durable_time(), Some(0));
}

#[test]
fn a_replay_records_its_tip_and_the_commit_at_the_durable_time() {
    let tmp = tempfile::tempdir().unwrap();
    let out = out_dir(&tmp);
    let shas: Vec<String> = ["3f", "a0", "c9", "17"].iter().map(|digits| digits.repeat(20)).collect();
    let replay =
        |commits: usize| RunInfo { source_kind: "replay".into(), commits: shas[..commits].to_vec(), ..info("c1") };
    let dir = OutputDir::open(&out, replay(3), FRESH).unwrap();
    dir.commit(write_all_tables(&dir), 1, false).unwrap();
    let manifest = read_manifest(&out).unwrap();
    assert_eq!(manifest.durable_commit.as_deref(), Some(shas[1].as_str()));
    assert_eq!(manifest.source.tip.as_deref(), Some(shas[2].as_str()));
    drop(dir);
    // The branch moved on: the resumed run records the new tip with its next commit.
    let dir = OutputDir::open(&out, replay(4), OpenMode::Resume).unwrap();
    dir.commit(Vec::new(), 3, true).unwrap();
    let manifest = read_manifest(&out).unwrap();
    assert_eq!(manifest.durable_commit.as_deref(), Some(shas[3].as_str()));
    assert_eq!(manifest.source.tip.as_deref(), Some(shas[3].as_str()));
}

#[test]
fn resume_needs_a_readable_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let out = out_dir(&tmp);
    let message = format!("{:#}", OutputDir::open(&out, info("c1"), OpenMode::Resume).unwrap_err());
    assert!(message.contains("cannot resume"), "{message}");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join(MANIFEST_FILE), b"not json").unwrap();
    let message = format!("{:#}", OutputDir::open(&out, info("c1"), OpenMode::Resume).unwrap_err());
    assert!(message.contains("not a valid cpt manifest"), "{message}");
}

#[test]
fn resume_of_a_run_killed_before_its_first_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let out = out_dir(&tmp);
    let dir = OutputDir::open(&out, info("c1"), FRESH).unwrap();
    let part = dir.write_part(0, &[at(file_row(b"a.rs", b"x"), 0, 1)]).unwrap().unwrap();
    drop(dir);
    let dir = OutputDir::open(&out, info("c1"), OpenMode::Resume).unwrap();
    assert_eq!(dir.durable_time(), None);
    assert!(!out.join(part.file).exists());
}

#[test]
fn manifest_records_the_run_and_is_replaced_atomically() {
    let tmp = tempfile::tempdir().unwrap();
    let out = out_dir(&tmp);
    let dir = OutputDir::open(&out, info("c1"), FRESH).unwrap();
    let parts = write_all_tables(&dir);
    dir.commit(parts[..2].to_vec(), 0, false).unwrap();
    dir.commit(parts[2..].to_vec(), 4, true).unwrap();

    let names: Vec<String> =
        fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");

    let manifest = read_manifest(&out).unwrap();
    assert_eq!(read_manifest(&out.join(MANIFEST_FILE)).unwrap(), manifest);
    assert_eq!(manifest, dir.manifest().unwrap());
    assert_eq!(manifest.format_version, 3);
    assert_eq!((manifest.durable_commit, manifest.source.tip), (None, None), "a scan has no commits");
    assert_eq!(manifest.engine_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(manifest.grammar_versions["rust"], "0.24.2");
    assert_eq!(manifest.config_hash, "c1");
    assert_eq!(manifest.source.kind, "scan");
    assert_eq!(manifest.source.location, "/src/tree");
    assert_eq!(manifest.durable_time, Some(4));
    assert!(manifest.complete);
    assert!(manifest.created_at.ends_with('Z') && manifest.created_at.len() == 20);
    assert!(manifest.updated_at >= manifest.created_at);
    for part in &parts {
        let entry = manifest.tables[&part.table].iter().find(|e| e.file == part.file).unwrap();
        assert_eq!(
            (entry.worker, entry.min_time, entry.max_time, entry.rows),
            (part.worker, part.min_time, part.max_time, part.rows)
        );
    }
    let json: serde_json::Value = serde_json::from_slice(&fs::read(out.join(MANIFEST_FILE)).unwrap()).unwrap();
    assert_eq!(json["durable_time"], 4);
    assert!(json["tables"]["units"].is_array());
}

#[test]
fn commit_refuses_inconsistent_parts_and_leaves_the_manifest_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let out = out_dir(&tmp);
    let dir = OutputDir::open(&out, info("c1"), FRESH).unwrap();
    let late = dir.write_part(0, &[at(file_row(b"a.rs", b"x"), 9, 1)]).unwrap().unwrap();
    let message = format!("{:#}", dir.commit(vec![late.clone()], 5, false).unwrap_err());
    assert!(message.contains("beyond the durable time"), "{message}");

    let mut missing = late.clone();
    missing.file = "files/part-none.parquet".to_string();
    missing.max_time = 0;
    let message = format!("{:#}", dir.commit(vec![missing], 9, false).unwrap_err());
    assert!(message.contains("missing"), "{message}");
    assert_eq!(dir.manifest().unwrap().durable_time, None);

    dir.commit(vec![late.clone()], 9, false).unwrap();
    let message = format!("{:#}", dir.commit(Vec::new(), 3, false).unwrap_err());
    assert!(message.contains("never goes back"), "{message}");
    // Committing the same part twice lists it once.
    dir.commit(vec![late.clone()], 9, true).unwrap();
    let manifest = dir.manifest().unwrap();
    assert_eq!(manifest.durable_time, Some(9));
    assert_eq!(manifest.parts().filter(|p| *p == late).count(), 1);
}

#[test]
fn workers_writing_in_parallel_get_distinct_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = out_dir(&tmp);
    let dir = OutputDir::open(&out, info("c1"), FRESH).unwrap();
    let parts: Vec<PartFile> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|worker| {
                let dir = dir.clone();
                scope.spawn(move || {
                    (0..5)
                        .map(|i| {
                            let row = file_row(format!("w{worker}/{i}.rs").as_bytes(), b"x");
                            dir.write_part(worker, &[at(row, 0, 1)]).unwrap().unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let mut files: Vec<&str> = parts.iter().map(|p| p.file.as_str()).collect();
    files.sort_unstable();
    files.dedup();
    assert_eq!(files.len(), 20);
    dir.commit(parts, 0, true).unwrap();
    assert_eq!(fs::read_dir(out.join("files")).unwrap().count(), 20);
    let total: u64 = dir.manifest().unwrap().tables["files"].iter().map(|e| e.rows).sum();
    assert_eq!(total, 20);
}

#[test]
fn bad_rows_are_errors_not_panics() {
    let tmp = tempfile::tempdir().unwrap();
    let out = out_dir(&tmp);
    let dir = OutputDir::open(&out, info("c1"), FRESH).unwrap();
    let mut short = unit_row(b"a.py", None, 1);
    std::sync::Arc::make_mut(&mut short.unit).vector.truncate(5);
    let message = format!("{:#}", dir.write_part(0, &[at(short, 0, 1)]).unwrap_err());
    assert!(message.contains("5 dimensions"), "{message}");
    let mut huge = unit_row(b"a.py", None, 1);
    std::sync::Arc::make_mut(&mut huge.unit).metrics.tokens = u32::MAX;
    let message = format!("{:#}", dir.write_part(0, &[at(huge, 0, 1)]).unwrap_err());
    assert!(message.contains("tokens"), "{message}");
    let far = at(file_row(b"a.rs", b"x"), u64::MAX, 1);
    assert!(dir.write_part(0, &[far]).is_err());
    // Nothing was left behind.
    assert_eq!(fs::read_dir(out.join("units")).unwrap().count(), 0);
    assert_eq!(fs::read_dir(out.join("_staging")).unwrap().count(), 0);
}
