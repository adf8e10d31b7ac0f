//! List import speed: each text format read by `list::import`, in MB/s,
//! beside what the rest of `prescan list build` costs (building and signing
//! the same entries in memory) and beside the `csv` crate reading the same
//! CSV.
//!
//! `cargo bench --bench import` makes 1,000,000 random PDQ entries (set the
//! count with `PRESCAN_BENCH_ENTRIES`), writes them in each format — the
//! ThreatExchange lines (`pdq <hex>`), CSV with a label column, JSON Lines
//! and a JSON array (StopNCII records with an `id`), bare hashes — and
//! measures with criterion, throughput in bytes of each text:
//!
//! * `import/{format}`: `import::import` of the text, validation and
//!   duplicate search included;
//! * `build_sign/lines`: `ListBuilder::build` of the imported entries,
//!   throughput counted in the bytes of the lines text, so that the two
//!   rows read as parts of one `list build`;
//! * `csv_crate/records`: the `csv` crate (1.x) splitting the CSV into
//!   records and nothing else: no hex, no placeholders, no duplicates, and
//!   a malformed record read leniently where prescan's reader refuses it
//!   with its line (`src/list/import/csv.rs` says why prescan keeps its
//!   own reader).
//!
//! `cargo test --benches` runs a smoke pass (10,000 entries, no criterion).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Instant;

use common::Rng;
use criterion::{BenchmarkId, Criterion, Throughput};
use prescan::list::format::ListBuilder;
use prescan::list::import::{ImportOptions, InputFormat, import};
use prescan::list::keys::SecretKey;
use prescan::list::{SignalType, Thresholds};

/// The inputs: each format's text of the same entries.
fn inputs(n: usize) -> Vec<(&'static str, InputFormat, String)> {
    let mut rng = Rng(11);
    let hashes: Vec<String> = (0..n).map(|_| rng.hash().to_hex()).collect();
    let mut lines = String::new();
    let mut csv = String::from("signal_type,signal_str,indicator_id\n");
    let mut jsonl = String::new();
    let mut array = String::from("[\n");
    let mut bare = String::new();
    for (i, h) in hashes.iter().enumerate() {
        lines.push_str(&format!("pdq {h}\n"));
        csv.push_str(&format!("pdq,{h},{}\n", 1_000_000 + i));
        let record = format!("{{\"signalType\":\"PDQ\",\"hashValue\":\"{h}\",\"id\":{}}}", 1_000_000 + i);
        jsonl.push_str(&record);
        jsonl.push('\n');
        array.push_str(&record);
        array.push_str(if i + 1 == n { "\n]\n" } else { ",\n" });
        bare.push_str(h);
        bare.push('\n');
    }
    vec![
        ("lines", InputFormat::Lines, lines),
        ("csv", InputFormat::Csv, csv),
        ("json_lines", InputFormat::Json, jsonl),
        ("json_array", InputFormat::Json, array),
        ("bare", InputFormat::Bare, bare),
    ]
}

fn options(format: InputFormat) -> ImportOptions {
    ImportOptions { format: Some(format), signal_type: Some(SignalType::Pdq), strict: false }
}

fn builder() -> ListBuilder {
    ListBuilder { id: "bench".into(), sequence: 1, created: 0, expires: None, thresholds: Thresholds::default() }
}

/// Records the `csv` crate reads, for the peer row.
fn csv_crate_records(text: &str) -> usize {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut n = 0;
    while reader.read_record(&mut record).unwrap() {
        n += black_box(record.len()).min(1);
    }
    n
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let test_mode = !std::env::args().any(|a| a == "--bench") || std::env::args().any(|a| a == "--test");
    let n = if test_mode {
        10_000
    } else {
        std::env::var("PRESCAN_BENCH_ENTRIES").ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(1_000_000)
    };
    let inputs = inputs(n);
    let key = SecretKey::from_seed([5; 32]);

    // Every format gives the same n entries: the rows measure the same work.
    let mut table = Vec::new();
    for (name, format, text) in &inputs {
        let started = Instant::now();
        let got = import(text, &options(*format)).unwrap();
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!((got.entries.len(), got.rejected.len()), (n, 0), "{name}");
        table.push((*name, text.len(), seconds));
    }
    let entries = import(&inputs[0].2, &options(InputFormat::Lines)).unwrap().entries;
    let started = Instant::now();
    let list = builder().build(&entries, &key).unwrap();
    table.push(("build_sign", inputs[0].2.len(), started.elapsed().as_secs_f64()));
    assert_eq!(csv_crate_records(&inputs[1].2), n);
    let started = Instant::now();
    csv_crate_records(&inputs[1].2);
    table.push(("csv_crate", inputs[1].2.len(), started.elapsed().as_secs_f64()));
    if test_mode {
        assert!(list.len() > n * 32);
        return;
    }

    let mut group = c.benchmark_group("import");
    group.sample_size(10);
    for (name, format, text) in &inputs {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), text, |b, text| {
            b.iter(|| import(black_box(text), &options(*format)).unwrap())
        });
    }
    group.finish();
    let mut group = c.benchmark_group("build_sign");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(inputs[0].2.len() as u64));
    group.bench_function("lines", |b| b.iter(|| builder().build(black_box(&entries), &key).unwrap()));
    group.finish();
    let mut group = c.benchmark_group("csv_crate");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(inputs[1].2.len() as u64));
    group.bench_function("records", |b| b.iter(|| csv_crate_records(black_box(&inputs[1].2))));
    group.finish();

    println!("\n{n} entries, one timed run each (criterion's figures above are the measure):");
    println!("{:<12} {:>10} {:>9} {:>8}", "what", "MB", "seconds", "MB/s");
    for (name, bytes, seconds) in table {
        let mb = bytes as f64 / 1e6;
        println!("{name:<12} {mb:>10.1} {seconds:>9.3} {:>8.0}", mb / seconds);
    }
}
