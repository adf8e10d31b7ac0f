//! `prescan hash` as a person runs it: files and directories in, hashes,
//! error lines and an exit status out.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::TempDir;

fn write_png(path: &Path, f: &common::Fixture) {
    std::fs::write(path, common::png(f)).unwrap();
}

fn prescan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_prescan")).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn plain_output_is_signal_type_hash_path() {
    let dir = TempDir::new("plain");
    let golden = &common::golden_set()[0];
    let path = dir.0.join("scene.png");
    write_png(&path, golden);
    let out = prescan(&["hash", path.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    let types: Vec<&str> = lines.iter().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(types, ["pdq", "phash", "dhash", "ahash", "blockhash", "md5", "sha1", "sha256", "pdq_quality"]);
    for line in &lines {
        assert!(line.ends_with(&format!(" {}", path.display())), "{line}");
    }
    // PNG is lossless: the PDQ is the golden (reference) value.
    assert_eq!(lines[0], format!("pdq {} {}", common::GOLDEN_PDQ[0].0, path.display()));
    assert_eq!(lines[8], format!("pdq_quality {} {}", common::GOLDEN_PDQ[0].1, path.display()));
    let md5 = prescan::hash::digest::FileDigests::of(&std::fs::read(&path).unwrap()).md5_hex();
    assert_eq!(lines[5], format!("md5 {md5} {}", path.display()));
}

#[test]
fn json_with_dihedral_and_directory_walk() {
    let dir = TempDir::new("json");
    let sub = dir.0.join("a/b");
    std::fs::create_dir_all(&sub).unwrap();
    let set = common::golden_set();
    write_png(&dir.0.join("one.png"), &set[0]);
    write_png(&sub.join("two.png"), &set[1]);
    std::fs::write(sub.join("broken.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
    std::fs::write(dir.0.join("notes.txt"), b"hello").unwrap();

    let out = prescan(&["hash", "--json", "--dihedral", dir.0.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "a failed file makes the status non-zero");
    let text = stdout(&out);
    let rows: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let paths: Vec<&str> = rows.iter().map(|r| r["path"].as_str().unwrap()).collect();
    assert_eq!(paths.len(), 4, "every file once, errors included: {paths:?}");
    // Sorted walk: a/b/broken.png, a/b/two.png, notes.txt, one.png
    assert!(paths[0].ends_with("a/b/broken.png") && paths[1].ends_with("a/b/two.png"), "{paths:?}");
    // Errors as the verdict gives decodeError: a code from the one table,
    // and the message.
    assert_eq!(rows[0]["error"]["code"], "decode_failed", "{}", rows[0]);
    assert!(rows[0]["error"]["message"].as_str().unwrap().contains("decode"), "{}", rows[0]);
    assert_eq!(rows[2]["error"]["code"], "unsupported_format", "{}", rows[2]);
    for row in [&rows[0], &rows[2]] {
        let code = row["error"]["code"].as_str().unwrap();
        assert!(prescan::ERROR_CODES.iter().any(|(c, _)| *c == code), "{code}");
    }
    for (row, golden) in [(&rows[1], &common::GOLDEN_PDQ[1]), (&rows[3], &common::GOLDEN_PDQ[0])] {
        assert_eq!(row["pdq"], golden.0);
        assert_eq!(row["pdq_quality"], golden.1);
        let dihedral = row["pdq_dihedral"].as_array().unwrap();
        assert_eq!(dihedral.len(), 8);
        assert_eq!(dihedral[0], golden.0);
        assert_eq!(dihedral[1], golden.2, "rotate90");
        for key in ["md5", "sha1", "sha256", "phash", "dhash", "ahash", "blockhash", "format", "width", "height"] {
            assert!(!row[key].is_null(), "{key} missing in {row}");
        }
    }
    assert_eq!(rows[3]["width"], 640);
    assert_eq!(rows[3]["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn unreadable_path_reports_and_continues() {
    let dir = TempDir::new("missing");
    let good = dir.0.join("good.png");
    write_png(&good, &common::golden_set()[3]);
    let missing = dir.0.join("missing.png");
    let out = prescan(&["hash", missing.to_str().unwrap(), good.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing.png"), "{err}");
    assert!(stdout(&out).starts_with(&format!("pdq {} ", common::GOLDEN_PDQ[3].0)));
}

#[test]
fn key_list_check_round_trip_with_grep_like_statuses() {
    let dir = TempDir::new("check");
    let d = |name: &str| dir.0.join(name).to_str().unwrap().to_owned();
    let set = common::golden_set();
    write_png(&dir.0.join("listed.png"), &set[0]);
    write_png(&dir.0.join("other.png"), &set[1]);

    let out = prescan(&["key", "new", "--secret", &d("issuer.key"), "--public", &d("issuer.pub")]);
    assert!(out.status.success(), "{out:?}");
    let refused = prescan(&["key", "new", "--secret", &d("issuer.key"), "--public", &d("x.pub")]);
    assert_eq!(refused.status.code(), Some(2), "an existing secret key is never overwritten");

    let hashes = prescan(&["hash", &d("listed.png")]);
    std::fs::write(d("hashes.txt"), &hashes.stdout).unwrap();
    let build = prescan(&[
        "list",
        "build",
        "--sign",
        &d("issuer.key"),
        "--id",
        "cli-test",
        "--sequence",
        "4",
        "--expires",
        "30d",
        "--out",
        &d("test.list"),
        &d("hashes.txt"),
    ]);
    assert!(build.status.success(), "{build:?}");

    let verify = prescan(&["list", "verify", "--public", &d("issuer.pub"), &d("test.list")]);
    assert!(verify.status.success(), "{verify:?}");
    let rollback = prescan(&["list", "verify", "--public", &d("issuer.pub"), "--min-sequence", "5", &d("test.list")]);
    assert_eq!(rollback.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&rollback.stderr).contains("rollback"));
    let inspect = prescan(&["list", "inspect", "--public", &d("issuer.pub"), &d("test.list")]);
    assert!(stdout(&inspect).contains("signature valid"), "{}", stdout(&inspect));

    let check = |path: &str| prescan(&["check", "--list", &d("test.list"), "--public", &d("issuer.pub"), path]);
    let hit = check(&d("listed.png"));
    assert_eq!(hit.status.code(), Some(1), "a match exits 1");
    assert!(
        stdout(&hit).lines().any(|l| l.starts_with("match ") && l.contains(" pdq distance=0 ")),
        "{}",
        stdout(&hit)
    );
    let miss = check(&d("other.png"));
    assert_eq!(miss.status.code(), Some(0), "{miss:?}");
    assert!(stdout(&miss).starts_with("clear "));
    assert!(!stdout(&miss).contains("pdq_nearest"), "no distance unless asked");
    // --pdq-nearest: how far an unlisted image is from the list.
    let audit =
        prescan(&["check", "--list", &d("test.list"), "--public", &d("issuer.pub"), "--pdq-nearest", &d("other.png")]);
    assert_eq!(audit.status.code(), Some(0), "{audit:?}");
    let line = stdout(&audit);
    let distance: u32 = line.split(" pdq_nearest=").nth(1).and_then(|r| r.split(' ').next()).unwrap().parse().unwrap();
    assert!(distance > 31 && line.contains(" threshold=31 variant="), "{line}");
    let audit_json = prescan(&[
        "check",
        "--list",
        &d("test.list"),
        "--public",
        &d("issuer.pub"),
        "--pdq-nearest",
        "--json",
        &d("listed.png"),
    ]);
    let v: serde_json::Value = serde_json::from_str(stdout(&audit_json).trim()).unwrap();
    assert_eq!(v["pdqNearest"]["distance"], 0, "{v}");
    assert_eq!(v["pdqNearest"]["variant"], "original");
    std::fs::write(d("broken.jpg"), b"\xff\xd8\xff\xe0 broken").unwrap();
    assert_eq!(check(&d("broken.jpg")).status.code(), Some(2), "an undecodable file is an error");

    let mut tampered = std::fs::read(d("test.list")).unwrap();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 1;
    std::fs::write(d("tampered.list"), tampered).unwrap();
    let refused = prescan(&["check", "--list", &d("tampered.list"), "--public", &d("issuer.pub"), &d("listed.png")]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("signature"), "{refused:?}");
}
