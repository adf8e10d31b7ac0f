//! One table of error codes: `prescan::ERROR_CODES` holds every code of
//! the library, and `www/prescan.d.ts`'s `ErrorCode` and the table in
//! `docs/verdict.md` list exactly the same codes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeSet;

use prescan::{Cause, ERROR_CODES, Error, Limit, ListLimit};

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
        Error::LimitExceeded { limit: Limit::Width, requested: 2, max: 1 },
        Error::EmptyImage,
        Error::Decode(Cause::new("")),
        Error::PixelBuffer { expected: 1, actual: 0 },
        Error::InvalidHash { kind: "pdq", reason: String::new() },
        Error::BadEntry { location: String::new(), reason: String::new() },
        Error::ListMagic,
        Error::ListVersion(9),
        Error::ListTruncated,
        Error::ListMalformed(String::new()),
        Error::ListTooLarge { limit: ListLimit::Bytes, requested: 2, max: 1 },
        Error::UnknownKey { key_id: String::new() },
        Error::BadSignature,
        Error::Expired { expires: 1, now: 2 },
        Error::Rollback { sequence: 1, minimum: 2 },
        Error::Key(Cause::new("")),
        Error::BadOption { option: String::new(), reason: String::new() },
        Error::BadRequest(String::new()),
        Error::DuplicateEntry { signal: "pdq", first: 0, duplicate: 1 },
        Error::Read(Cause::new("")),
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

#[test]
fn messages_name_units_and_dates() {
    let e = Error::LimitExceeded { limit: Limit::Width, requested: 40_000, max: 32_768 };
    assert_eq!(e.to_string(), "image width of 40000 pixels exceeds the limit of 32768 pixels");
    let e = Error::LimitExceeded { limit: Limit::Allocation, requested: 2048, max: 1024 };
    assert_eq!(e.to_string(), "decoding memory of 2048 bytes exceeds the limit of 1024 bytes");
    let e = Error::ListTooLarge { limit: ListLimit::Entries, requested: 9, max: 8 };
    assert_eq!(e.to_string(), "hash list of 9 entries exceeds the limit of 8 entries");
    let e = Error::Expired { expires: 1_801_396_800, now: 1_801_483_200 };
    assert_eq!(e.to_string(), "hash list expired at 2027-01-31T12:00:00Z (now 2027-02-01T12:00:00Z)");
}

#[test]
fn decode_and_key_errors_keep_their_source() {
    use std::error::Error as _;
    // A PNG whose header chunk is cut: the decoder's own error is kept.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x10\0\0\0\x10\x08\x02\0\0\0";
    let err = prescan::decode::decode(png, &prescan::decode::Limits::default()).unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    assert!(err.source().is_some(), "{err:?} has no source");
    // A public key that is no curve point (about half of all y values are
    // none): ed25519's error is kept.
    let err = (2..=255u8)
        .find_map(|y| {
            prescan::list::keys::PublicKey::from_bytes(std::array::from_fn(|i| if i == 0 { y } else { 0 })).err()
        })
        .expect("some small y is no curve point");
    assert!(matches!(err, Error::Key(_)) && err.source().is_some(), "{err:?}");
    // A message alone has none.
    assert!(Error::Decode(Cause::new("cut")).source().is_none());
}
