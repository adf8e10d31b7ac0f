//! Importing hash lists (`prescan::list::import`): each format on a small
//! realistic sample, every kind of bad entry with its location and reason,
//! `strict`, format detection, round trips through each writer, and random
//! input through every format without a panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::Rng;
use prescan::Error;
use prescan::hash::pdq::PdqHash;
use prescan::list::import::{
    ImportOptions, Imported, InputFormat, Rejected, detect, import, parse_hash, parse_signal_type, to_csv, to_json,
    to_lines,
};
use prescan::list::{Entry, SignalType};

const PDQ_A: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
const PDQ_B: &str = "58f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b23";
const MD5_A: &str = "b8a1f6f5e0c0e4bd2d7a8d6e7c0d1c3a";
const MD5_B: &str = "0d1c3ab8a1f6f5e0c0e4bd2d7a8d6e7c";
const SHA1_A: &str = "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12";
const SHA256_A: &str = "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592";
const PHASH_A: &str = "c3e1f0f8783c1e0f";
const DHASH_A: &str = "0e1c3870e0c18307";
const AHASH_A: &str = "ffff0000ffff0001";
const BLOCKHASH_A: &str = "00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00fe";

fn options() -> ImportOptions {
    ImportOptions::default()
}

fn with_type(signal: SignalType) -> ImportOptions {
    ImportOptions { signal_type: Some(signal), ..ImportOptions::default() }
}

fn strict() -> ImportOptions {
    ImportOptions { strict: true, ..ImportOptions::default() }
}

fn entry(signal: SignalType, hex: &str, label: Option<&str>) -> Entry {
    Entry { signal, hash: parse_hash(signal, hex).unwrap(), label: label.map(str::to_owned) }
}

fn rejected(location: &str, reason_part: &str, got: &Rejected) {
    assert_eq!(got.location, location, "{got}");
    assert!(got.reason.contains(reason_part), "{got} should mention {reason_part:?}");
}

fn clean(imported: &Imported) {
    assert!(imported.rejected.is_empty(), "{:?}", imported.rejected);
    assert_eq!(imported.duplicates, 0);
}

/// What `prescan hash --dihedral` prints for one file.
fn prescan_hash_output(path: &str) -> String {
    let mut out = String::new();
    for (kind, hex) in [
        ("pdq", PDQ_A),
        ("phash", PHASH_A),
        ("dhash", DHASH_A),
        ("ahash", AHASH_A),
        ("blockhash", BLOCKHASH_A),
        ("md5", MD5_A),
        ("sha1", SHA1_A),
        ("sha256", SHA256_A),
    ] {
        out.push_str(&format!("{kind} {hex} {path}\n"));
    }
    out.push_str(&format!("pdq_quality 87 {path}\n"));
    for variant in ["original", "rotate90", "rotate180", "rotate270", "flipx", "flipy", "flipplus1", "flipminus1"] {
        out.push_str(&format!("pdq:{variant} {PDQ_B} {path}\n"));
    }
    out
}

#[test]
fn lines_from_prescan_hash_keep_paths_with_spaces() {
    let path = "photos/summer trip/IMG 0001  (copy).jpg";
    let text = prescan_hash_output(path);
    assert_eq!(detect(&text), InputFormat::Lines);
    let got = import(&text, &options()).unwrap();
    clean(&got);
    let kinds: Vec<&str> = got.entries.iter().map(|e| e.signal.name()).collect();
    assert_eq!(kinds, ["pdq", "phash", "dhash", "ahash", "blockhash", "md5", "sha1", "sha256"]);
    assert!(got.entries.iter().all(|e| e.label.as_deref() == Some(path)));
    // The PDQ bytes are the hex form's bytes.
    assert_eq!(got.entries[0].hash, PdqHash::from_hex(PDQ_A).unwrap().to_bytes().to_vec());
    assert_eq!(got.entries[5], entry(SignalType::Md5, MD5_A, Some(path)));
}

#[test]
fn lines_as_threatexchange_prints_them() {
    let text = format!(
        "# fetched from ThreatExchange\n\npdq {PDQ_A}\r\nphoto_md5 {MD5_A}\n  \nvideo_md5 {}\nPDQ {}  id 123\n",
        MD5_B.to_uppercase(),
        PDQ_B
    );
    assert_eq!(detect(&text), InputFormat::Lines);
    let got = import(&text, &options()).unwrap();
    clean(&got);
    assert_eq!(
        got.entries,
        [
            entry(SignalType::Pdq, PDQ_A, None),
            entry(SignalType::Md5, MD5_A, None),
            entry(SignalType::VideoMd5, MD5_B, None),
            entry(SignalType::Pdq, PDQ_B, Some("id 123")),
        ]
    );
}

#[test]
fn threatexchange_csv_with_extra_columns_and_quoted_fields() {
    let text = format!(
        "signal_type,signal_str,first_seen,tags\r\n\
         pdq,{PDQ_A},2024-01-02,\"csam, verified\"\r\n\
         video_md5,{MD5_A},2024-01-03,\"he said \"\"hi\"\"\"\r\n\
         pdq,{PDQ_B},,\r\n"
    );
    assert_eq!(detect(&text), InputFormat::Csv);
    let got = import(&text, &options()).unwrap();
    clean(&got);
    assert_eq!(
        got.entries,
        [
            entry(SignalType::Pdq, PDQ_A, Some("csam, verified")),
            entry(SignalType::VideoMd5, MD5_A, Some("he said \"hi\"")),
            entry(SignalType::Pdq, PDQ_B, None),
        ]
    );
}

#[test]
fn csv_label_comes_from_the_first_label_column_present() {
    let text = format!("Tags,Indicator_ID,Signal_Type,Hash\nx,42,md5,{MD5_A}\n");
    let got = import(&text, &options()).unwrap();
    clean(&got);
    assert_eq!(got.entries, [entry(SignalType::Md5, MD5_A, Some("42"))]);
}

#[test]
fn hma_csv_takes_its_type_from_the_options() {
    let text = format!("indicator,indicator_id,created_at\n{PDQ_A},1001,2024-05-01\n{PDQ_B},1002,2024-05-02\n");
    assert_eq!(detect(&text), InputFormat::Csv);
    let got = import(&text, &with_type(SignalType::Pdq)).unwrap();
    clean(&got);
    assert_eq!(got.entries, [entry(SignalType::Pdq, PDQ_A, Some("1001")), entry(SignalType::Pdq, PDQ_B, Some("1002"))]);
    // Without a type there is nothing to import: an error of the options
    // (not of an entry), strict or not.
    match import(&text, &options()) {
        Err(Error::BadOption { option, reason }) => {
            assert_eq!(option, "signal_type");
            assert!(reason.contains("signal type"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn csv_without_a_hash_column_is_an_error() {
    let err = import("signal_type,value\npdq,00\n", &ImportOptions { format: Some(InputFormat::Csv), ..options() });
    assert!(matches!(err, Err(Error::BadEntry { location, .. }) if location == "line 1"));
}

#[test]
fn stopncii_json_array() {
    let text = format!(
        r#"[
  {{"signalType": "ImagePDQ", "hashValue": "{PDQ_A}", "caseNumber": "SN-1", "id": 17}},
  {{"signalType": "VideoMD5", "hashValue": "{MD5_A}", "label": "case, with comma"}},
  {{"signalType": "SHA256", "hashValue": "{SHA256_A}", "id": "abc"}},
  {{"signal_type": "sha1", "signal_str": "{SHA1_A}"}}
]"#
    );
    assert_eq!(detect(&text), InputFormat::Json);
    let got = import(&text, &options()).unwrap();
    clean(&got);
    assert_eq!(
        got.entries,
        [
            entry(SignalType::Pdq, PDQ_A, Some("17")),
            entry(SignalType::VideoMd5, MD5_A, Some("case, with comma")),
            entry(SignalType::Sha256, SHA256_A, Some("abc")),
            entry(SignalType::Sha1, SHA1_A, None),
        ]
    );
}

#[test]
fn stopncii_json_lines() {
    let text = format!(
        "{{\"signalType\":\"PDQ\",\"hashValue\":\"{PDQ_A}\"}}\n\n{{\"signalType\":\"ImageMD5\",\"hashValue\":\"{MD5_A}\",\"label\":\"x\"}}\n"
    );
    assert_eq!(detect(&text), InputFormat::Json);
    let got = import(&text, &options()).unwrap();
    clean(&got);
    assert_eq!(got.entries, [entry(SignalType::Pdq, PDQ_A, None), entry(SignalType::Md5, MD5_A, Some("x"))]);
}

#[test]
fn json_without_a_type_uses_the_options() {
    let text = format!("[{{\"hashValue\":\"{PDQ_A}\"}}]");
    let got = import(&text, &with_type(SignalType::Pdq)).unwrap();
    clean(&got);
    assert_eq!(got.entries, [entry(SignalType::Pdq, PDQ_A, None)]);
    let got = import(&text, &options()).unwrap();
    assert!(got.entries.is_empty());
    rejected("record 1", "no signal type", &got.rejected[0]);
}

#[test]
fn prescan_hash_json_lines_import_with_their_path() {
    let text = format!(
        "{{\"path\":\"a b.jpg\",\"format\":\"jpeg\",\"width\":10,\"pdq\":\"{PDQ_A}\",\"md5\":\"{MD5_A}\",\"pdq_quality\":80}}\n"
    );
    let got = import(&text, &options()).unwrap();
    clean(&got);
    assert_eq!(
        got.entries,
        [entry(SignalType::Pdq, PDQ_A, Some("a b.jpg")), entry(SignalType::Md5, MD5_A, Some("a b.jpg"))]
    );
}

#[test]
fn bare_hashes_need_a_type() {
    let text = format!("{MD5_A}\n\n# more\n{MD5_B} second\n");
    assert_eq!(detect(&text), InputFormat::Bare);
    let got = import(&text, &with_type(SignalType::Md5)).unwrap();
    clean(&got);
    assert_eq!(got.entries, [entry(SignalType::Md5, MD5_A, None), entry(SignalType::Md5, MD5_B, Some("second"))]);
    match import(&text, &options()) {
        Err(Error::BadOption { option, .. }) => assert_eq!(option, "signal_type"),
        other => panic!("{other:?}"),
    }
    // No content: nothing to import, and no type needed.
    assert_eq!(import("\n# nothing\n", &options()).unwrap(), Imported::default());
}

#[test]
fn every_bad_entry_is_reported_with_its_line_and_reason() {
    let text = format!(
        "pdq {PDQ_A} first\n\
         pdq {}\n\
         md5 {}\n\
         url https://example.com/\n\
         pdq {}\n\
         md5 d41d8cd98f00b204e9800998ecf8427e\n\
         sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709\n\
         sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
         phash ffffffffffffffff\n\
         PDQ {} again\n\
         md5\n\
         md5 {MD5_A}\n",
        PDQ_A.replace('8', "g"),
        &MD5_A[..31],
        "0".repeat(64),
        PDQ_A.to_uppercase(),
    );
    let got = import(&text, &options()).unwrap();
    assert_eq!(got.entries, [entry(SignalType::Pdq, PDQ_A, Some("first")), entry(SignalType::Md5, MD5_A, None)]);
    assert_eq!(got.duplicates, 1);
    let r = &got.rejected;
    assert_eq!(r.len(), 10, "{r:?}");
    rejected("line 2", "not hex: 'g'", &r[0]);
    rejected("line 3", "expected 32 hex digits, got 31", &r[1]);
    rejected("line 4", "unknown signal type \"url\"", &r[2]);
    rejected("line 5", "placeholder", &r[3]);
    rejected("line 6", "MD5 of the empty file", &r[4]);
    rejected("line 7", "SHA-1 of the empty file", &r[5]);
    rejected("line 8", "SHA-256 of the empty file", &r[6]);
    rejected("line 9", "all f", &r[7]);
    rejected("line 10", "duplicate of line 1", &r[8]);
    rejected("line 11", "one field", &r[9]);
}

#[test]
fn bad_entries_in_csv_and_json_name_their_line_or_record() {
    let csv = format!(
        "signal_type,signal_str,label\npdq,{PDQ_A},\"multi\nline label\"\nmd5,zz,x\nfoo,{MD5_A},y\npdq,{PDQ_A},dup\n\"open,{MD5_A}\n"
    );
    let got = import(&csv, &options()).unwrap();
    assert_eq!(got.entries, [entry(SignalType::Pdq, PDQ_A, Some("multi line label"))]);
    let r = &got.rejected;
    assert_eq!(r.len(), 4, "{r:?}");
    rejected("line 4", "not hex", &r[0]);
    rejected("line 5", "unknown signal type \"foo\"", &r[1]);
    rejected("line 6", "duplicate of line 2", &r[2]);
    rejected("line 7", "never closed", &r[3]);

    let json = format!(
        "[{{\"signalType\":\"PDQ\",\"hashValue\":\"{PDQ_A}\"}}, 7, {{\"signalType\":\"PDQ\"}}, {{\"signalType\":\"trend_query\",\"hashValue\":\"x\"}}, {{\"signalType\":\"pdq\",\"hashValue\":\"{PDQ_A}\"}}, {{bad}}]"
    );
    let got = import(&json, &options()).unwrap();
    assert_eq!(got.entries.len(), 1);
    assert_eq!(got.duplicates, 1);
    let r = &got.rejected;
    assert_eq!(r.len(), 5, "{r:?}");
    rejected("record 2", "not a JSON object", &r[0]);
    rejected("record 3", "no hash", &r[1]);
    rejected("record 4", "unknown signal type \"trend_query\"", &r[2]);
    rejected("record 5", "duplicate of record 1", &r[3]);
    rejected("record 6", "not JSON", &r[4]);

    let truncated = format!("[{{\"signalType\":\"PDQ\",\"hashValue\":\"{PDQ_A}\"}}, {{\"signalType\":");
    let got = import(&truncated, &options()).unwrap();
    assert_eq!(got.entries.len(), 1);
    rejected("record 2", "not JSON", &got.rejected[0]);
    rejected("end of input", "truncated", &got.rejected[1]);

    let got = import(&format!("{{\"signalType\":\"PDQ\",\"hashValue\":\"{PDQ_A}\"}}\nnope\n"), &options()).unwrap();
    rejected("line 2", "not JSON", &got.rejected[0]);
}

#[test]
fn strict_stops_at_the_first_bad_entry() {
    let text = format!("pdq {PDQ_A}\nmd5 {MD5_A}\nmd5 abc\npdq 00\n");
    match import(&text, &strict()) {
        Err(Error::BadEntry { location, reason }) => {
            assert_eq!(location, "line 3");
            assert!(reason.contains("expected 32 hex digits, got 3"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let dup = format!("md5 {MD5_A}\n\nmd5 {MD5_A}\n");
    match import(&dup, &strict()) {
        Err(Error::BadEntry { location, reason }) => {
            assert_eq!((location.as_str(), reason.as_str()), ("line 3", "duplicate of line 1"));
        }
        other => panic!("{other:?}"),
    }
    let json = format!(
        "[{{\"signalType\":\"PDQ\",\"hashValue\":\"{PDQ_A}\"}}, {{\"signalType\":\"PDQ\",\"hashValue\":\"{}\"}}]",
        "f".repeat(64)
    );
    assert!(matches!(import(&json, &strict()), Err(Error::BadEntry { location, .. }) if location == "record 2"));
    // A clean list imports the same, strict or not.
    let good = format!("pdq {PDQ_A}\nmd5 {MD5_A}\n");
    assert_eq!(import(&good, &strict()).unwrap(), import(&good, &options()).unwrap());
}

#[test]
fn overlong_lines_are_refused_not_copied() {
    let text = format!("pdq {PDQ_A} {}\nmd5 {MD5_A}\n", "x".repeat(70_000));
    let got = import(&text, &options()).unwrap();
    assert_eq!(got.entries, [entry(SignalType::Md5, MD5_A, None)]);
    rejected("line 1", "over the limit", &got.rejected[0]);
}

#[test]
fn an_explicit_format_overrides_detection() {
    // One field per line reads as bare hashes; as lines each is refused.
    let text = format!("{MD5_A}\n");
    let got = import(&text, &ImportOptions { format: Some(InputFormat::Lines), ..options() }).unwrap();
    rejected("line 1", "one field", &got.rejected[0]);
    let got = import(&text, &ImportOptions { format: Some(InputFormat::Bare), ..with_type(SignalType::Md5) }).unwrap();
    assert_eq!(got.entries.len(), 1);
}

#[test]
fn format_names_and_detection() {
    for f in InputFormat::ALL {
        assert_eq!(InputFormat::from_name(f.name()), Some(f));
        assert_eq!(InputFormat::from_name(&f.name().to_uppercase()), Some(f));
    }
    assert_eq!(InputFormat::from_name("xml"), None);
    assert_eq!(detect("\u{feff}signal_type,signal_str\n"), InputFormat::Csv);
    assert_eq!(detect("  \n[]"), InputFormat::Json);
    assert_eq!(detect("# c\n\"Indicator\",\"Indicator_ID\"\n"), InputFormat::Csv);
    assert_eq!(detect("a,b,c\n"), InputFormat::Bare);
    assert_eq!(detect("a, b\n"), InputFormat::Lines);
    assert_eq!(detect(""), InputFormat::Bare);
}

#[test]
fn signal_type_aliases() {
    for (name, want) in [
        ("pdq", SignalType::Pdq),
        ("ImagePDQ", SignalType::Pdq),
        ("HASH_PDQ", SignalType::Pdq),
        ("photo_md5", SignalType::Md5),
        ("VIDEO_MD5", SignalType::VideoMd5),
        ("VideoMD5", SignalType::VideoMd5),
        ("ImageMD5", SignalType::Md5),
        ("SHA1", SignalType::Sha1),
        ("VideoSHA256", SignalType::Sha256),
        ("blockhash", SignalType::Blockhash),
    ] {
        assert_eq!(parse_signal_type(name), Some(want), "{name}");
    }
    assert_eq!(parse_signal_type("url"), None);
    assert!(matches!(parse_hash(SignalType::Pdq, "xyz"), Err(Error::InvalidHash { kind: "pdq", .. })));
}

fn sample_entries() -> Vec<Entry> {
    vec![
        entry(SignalType::Pdq, PDQ_A, Some("photos/summer trip/IMG 1.jpg")),
        entry(SignalType::Pdq, PDQ_B, None),
        entry(SignalType::Md5, MD5_A, Some("label, with \"quotes\" and commas")),
        entry(SignalType::Sha1, SHA1_A, Some("  padded\tand\ttabbed  ")),
        entry(SignalType::Sha256, SHA256_A, Some("ünïcödé ✓")),
        entry(SignalType::Phash, PHASH_A, Some("42")),
        entry(SignalType::Dhash, DHASH_A, None),
        entry(SignalType::Ahash, AHASH_A, Some("#not a comment")),
        entry(SignalType::Blockhash, BLOCKHASH_A, Some("")),
    ]
}

/// The entries as import gives them back: labels cleaned.
fn as_imported(entries: &[Entry]) -> Vec<Entry> {
    entries
        .iter()
        .map(|e| {
            let label = e.label.as_deref().map(|l| l.replace(char::is_control, " ").trim().to_owned());
            Entry { label: label.filter(|l| !l.is_empty()), ..e.clone() }
        })
        .collect()
}

#[test]
fn each_format_round_trips() {
    let entries = sample_entries();
    let want = as_imported(&entries);
    for (format, text) in [
        (InputFormat::Lines, to_lines(&entries)),
        (InputFormat::Csv, to_csv(&entries)),
        (InputFormat::Json, to_json(&entries)),
    ] {
        assert_eq!(detect(&text), format, "{text}");
        let got = import(&text, &strict()).unwrap();
        assert_eq!(got.entries, want, "{format}:\n{text}");
        // Once cleaned, the entries survive exactly.
        assert_eq!(import(&text, &options()).unwrap().entries, want);
        let again = match format {
            InputFormat::Lines => to_lines(&got.entries),
            InputFormat::Csv => to_csv(&got.entries),
            _ => to_json(&got.entries),
        };
        assert_eq!(again, text);
    }
    assert_eq!(to_lines(&entries[..2]), format!("pdq {PDQ_A} photos/summer trip/IMG 1.jpg\npdq {PDQ_B}\n"));
    assert!(to_csv(&[]).starts_with("signal_type,signal_str,label\n"));
    for text in [to_lines(&[]), to_csv(&[]), to_json(&[])] {
        assert_eq!(import(&text, &strict()).unwrap(), Imported::default(), "{text:?}");
    }
}

#[test]
fn random_input_never_panics() {
    const PIECES: [&str; 30] = [
        "pdq",
        "md5",
        " ",
        "\t",
        "\n",
        "\r\n",
        ",",
        "\"",
        "\"\"",
        "[",
        "]",
        "{",
        "}",
        ":",
        "\\",
        "#",
        "f8",
        "0",
        "é",
        "✓",
        "signal_type",
        "signal_str",
        "hashValue",
        "signalType",
        "\"PDQ\"",
        "pdq:",
        "pdq_quality",
        PDQ_A,
        MD5_A,
        "null",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..3000 {
        let text = if round % 3 == 0 {
            let bytes: Vec<u8> = (0..rng.below(200)).map(|_| rng.next() as u8).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            (0..rng.below(60)).map(|_| PIECES[rng.below(PIECES.len())]).collect()
        };
        for format in
            [None, Some(InputFormat::Lines), Some(InputFormat::Csv), Some(InputFormat::Json), Some(InputFormat::Bare)]
        {
            for strict in [false, true] {
                for signal_type in [None, Some(SignalType::Pdq)] {
                    let options = ImportOptions { format, signal_type, strict };
                    if let Ok(got) = import(&text, &options) {
                        assert!(got.duplicates <= got.rejected.len());
                        for e in &got.entries {
                            assert_eq!(e.hash.len(), e.signal.hash_len());
                        }
                        if strict {
                            assert!(got.rejected.is_empty());
                        }
                    }
                }
            }
        }
        let _ = detect(&text);
    }
}
