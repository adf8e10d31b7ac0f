//! One table of error codes: `prescan::ERROR_CODES` holds every code of
//! the library, and `www/prescan.d.ts`'s `ErrorCode` and the table in
//! `docs/verdict.md` list exactly the same codes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeSet;

use prescan::{ERROR_CODES, Error};

fn table() -> BTreeSet<&'static str> {
    let codes: BTreeSet<&str> = ERROR_CODES.iter().map(|(c, _)| *c).collect();
    assert_eq!(codes.len(), ERROR_CODES.len(), "a code is listed twice");
    codes
}

fn repo_file(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

#[test]
fn every_library_error_has_a_code_in_the_table() {
    let one_of_each = [
        Error::UnsupportedFormat,
        Error::LimitExceeded { limit: "width", requested: 2, max: 1 },
        Error::EmptyImage,
        Error::Decode(String::new()),
        Error::PixelBuffer { expected: 1, actual: 0 },
        Error::InvalidHash { kind: "pdq", reason: String::new() },
        Error::BadEntry { location: String::new(), reason: String::new() },
        Error::ListMagic,
        Error::ListVersion(9),
        Error::ListTruncated,
        Error::ListMalformed(String::new()),
        Error::ListTooLarge { limit: "bytes", requested: 2, max: 1 },
        Error::UnknownKey { key_id: String::new() },
        Error::BadSignature,
        Error::Expired { expires: 1, now: 2 },
        Error::Rollback { sequence: 1, minimum: 2 },
        Error::Key(String::new()),
        Error::BadOption { option: String::new(), reason: String::new() },
        Error::BadRequest(String::new()),
        Error::DuplicateEntry { signal: "pdq", first: 0, duplicate: 1 },
        Error::Read(String::new()),
    ];
    let codes = table();
    for e in &one_of_each {
        assert!(codes.contains(e.code()), "{e:?} has code {} missing from ERROR_CODES", e.code());
    }
}

#[test]
fn the_typescript_union_lists_the_table() {
    let dts = repo_file("www/prescan.d.ts");
    let start = dts.find("export type ErrorCode =").expect("www/prescan.d.ts declares ErrorCode");
    let end = start + dts[start..].find(';').unwrap();
    let union: BTreeSet<&str> = dts[start..end].split('"').skip(1).step_by(2).collect();
    assert_eq!(union, table());
}

#[test]
fn the_documented_table_lists_the_table() {
    let doc = repo_file("docs/verdict.md");
    let section = &doc[doc.find("## Error codes").expect("docs/verdict.md has an error code table")..];
    let documented: BTreeSet<&str> =
        section.lines().filter_map(|l| l.strip_prefix("| `")).filter_map(|l| l.split('`').next()).collect();
    assert_eq!(documented, table());
}
