//! Issue 9: the ways a security review found a listed file getting through,
//! or a list getting weaker than asked, and the inputs that cost more than
//! the limits promise. Each test names the item it pins and fails on the
//! code before the fix.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::lists::resign;
use common::{Rng, TempDir};
use image::ImageEncoder;
use prescan::check::{CheckOptions, Checker, MAX_MATCHES};
use prescan::decode::{self, Limits};
use prescan::hash::digest::FileDigests;
use prescan::hash::pdq::PdqHash;
use prescan::hash::{HashOptions, hash_file};
use prescan::list::format::{self, ListBuilder, ListLimits, SignedList};
use prescan::list::import::{self, ImportOptions, InputFormat};
use prescan::list::keys::SecretKey;
use prescan::list::{Entry, SignalType};
use prescan::{Error, Limit};

const NOW: u64 = 1_790_000_000;

fn prescan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_prescan")).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn flat_png(w: u32, h: u32, v: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let data = vec![v; (w * h * 3) as usize];
    image::codecs::png::PngEncoder::new(&mut out).write_image(&data, w, h, image::ExtendedColorType::Rgb8).unwrap();
    out
}

fn builder(id: &str) -> ListBuilder {
    ListBuilder { id: id.into(), sequence: 1, created: NOW - 100, expires: None, thresholds: Default::default() }
}

fn load(bytes: Vec<u8>, key: &SecretKey) -> prescan::Result<SignedList> {
    common::lists::load(bytes, key, NOW)
}

/// Where the first section starts in a list built by [`builder`].
fn first_section(id: &str) -> usize {
    48 + id.len()
}

/// A key pair made by the CLI in `dir`: (secret path, public path).
fn cli_keys(dir: &TempDir) -> (String, String) {
    let (secret, public) = (dir.path("issuer.key"), dir.path("issuer.pub"));
    let out = prescan(&["key", "new", "--secret", &secret, "--public", &public]);
    assert!(out.status.success(), "{out:?}");
    (secret, public)
}

// --- Item 1 ------------------------------------------------------------------

#[test]
fn item01_a_path_with_commas_is_not_taken_for_a_csv_header() {
    let hash = common::GOLDEN_PDQ[0].0;
    let line = format!("pdq {hash} dir/0,type,hash,.png\n");
    assert_eq!(import::detect(&line), InputFormat::Lines);
    let got = import::import(&line, &ImportOptions::default()).unwrap();
    assert_eq!(got.entries.len(), 1, "{:?}", got.rejected);
    assert_eq!(got.entries[0].label.as_deref(), Some("dir/0,type,hash,.png"));
    // A real header is still CSV.
    assert_eq!(import::detect("signal_type,signal_str\npdq,ab\n"), InputFormat::Csv);
}

#[test]
fn item01_a_build_whose_input_yields_no_entry_fails() {
    let dir = TempDir::new("fc-empty");
    let (secret, _) = cli_keys(&dir);
    let images = dir.0.join("images");
    std::fs::create_dir_all(&images).unwrap();
    std::fs::write(images.join("0,type,hash,.png"), common::png(&common::golden_set()[0])).unwrap();
    let hashed = prescan(&["hash", images.to_str().unwrap()]);
    assert!(hashed.status.success(), "{hashed:?}");
    std::fs::write(dir.0.join("hashes.txt"), &hashed.stdout).unwrap();
    let out = dir.path("a.list");
    let build = |inputs: &[&str], extra: &[&str]| {
        let mut args = vec!["list", "build", "--sign", &secret, "--id", "t", "--sequence", "1", "--expires", "30d"];
        args.extend_from_slice(&["--out", &out]);
        args.extend_from_slice(extra);
        args.extend_from_slice(inputs);
        prescan(&args)
    };
    let ok = build(&[&dir.path("hashes.txt")], &[]);
    assert!(ok.status.success(), "{ok:?}");
    assert!(text(&ok.stderr).contains("pdq=1"), "{}", text(&ok.stderr));

    std::fs::remove_file(&out).unwrap();
    std::fs::write(dir.0.join("bare.txt"), "0xd41d8cd98f00b204e9800998ecf8427f\n0x0123456789abcdef0123456789abcdef\n")
        .unwrap();
    let refused = build(&[&dir.path("bare.txt")], &["--type", "md5"]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(text(&refused.stderr).contains("no entry imported (2 rejected)"), "{}", text(&refused.stderr));
    assert!(!Path::new(&out).exists(), "no list is written");
    // One good input does not excuse an empty one.
    let mixed = build(&[&dir.path("hashes.txt"), &dir.path("bare.txt")], &["--type", "md5"]);
    assert_eq!(mixed.status.code(), Some(2), "{mixed:?}");
    let allowed = build(&[&dir.path("bare.txt")], &["--type", "md5", "--allow-empty"]);
    assert!(allowed.status.success(), "{allowed:?}");
}

// --- Item 2 ------------------------------------------------------------------

#[test]
fn item02_digests_are_checked_without_pixels() {
    let key = SecretKey::from_seed([21; 32]);
    let not_an_image = b"%PDF-1.7 listed document".to_vec();
    let entries = vec![
        Entry { signal: SignalType::Md5, hash: FileDigests::of(&not_an_image).md5.to_vec(), label: None },
        Entry { signal: SignalType::Pdq, hash: vec![0x5a; 32], label: None },
    ];
    let checker =
        Checker::new(load(builder("d").build(&entries, &key).unwrap(), &key).unwrap(), CheckOptions::default())
            .unwrap();
    let v = checker.check_digests(&not_an_image);
    assert!(v.matched && v.decode_error.is_none() && v.hashes.pdq.is_none(), "{v:?}");
    assert_eq!(v.matches[0].signal, SignalType::Md5);
    let v = checker.check_bytes(&not_an_image);
    assert!(v.matched && v.decode_error == Some(Error::UnsupportedFormat), "{v:?}");
}

// --- Item 3 ------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn item03_walked_directories_follow_links_and_report_what_they_skip() {
    let dir = TempDir::new("fc-links");
    let (secret, public) = cli_keys(&dir);
    let image = dir.0.join("listed.png");
    std::fs::write(&image, common::png(&common::golden_set()[1])).unwrap();
    let hashed = prescan(&["hash", image.to_str().unwrap()]);
    std::fs::write(dir.0.join("hashes.txt"), &hashed.stdout).unwrap();
    let list = dir.path("l.list");
    let args = ["list", "build", "--sign", &secret, "--id", "t", "--sequence", "1", "--expires", "30d"];
    let built = prescan(&[&args[..], &["--out", &list, &dir.path("hashes.txt")]].concat());
    assert!(built.status.success(), "{built:?}");
    let uploads = dir.0.join("uploads");
    std::fs::create_dir_all(&uploads).unwrap();
    std::os::unix::fs::symlink(&image, uploads.join("link.png")).unwrap();
    let check = |path: &Path| prescan(&["check", "--list", &list, "--public", &public, path.to_str().unwrap()]);
    let out = check(&uploads);
    assert_eq!(out.status.code(), Some(1), "the linked listed image matches: {out:?}");
    assert!(text(&out.stdout).starts_with(&format!("match {}", uploads.join("link.png").display())));

    // A loop, and a FIFO: reported, exit 2, never silently dropped.
    std::os::unix::fs::symlink(&uploads, uploads.join("loop")).unwrap();
    assert!(Command::new("mkfifo").arg(uploads.join("pipe")).status().unwrap().success());
    let out = check(&uploads);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = text(&out.stderr);
    assert!(err.contains("symbolic link loop"), "{err}");
    assert!(err.contains("pipe: not a regular file (a FIFO)"), "{err}");
    assert!(text(&out.stdout).contains("match "), "the listed image is still reported");
}

// --- Item 5 ------------------------------------------------------------------

#[test]
fn item05_a_list_without_expiry_is_an_explicit_choice() {
    let dir = TempDir::new("fc-expiry");
    let (secret, public) = cli_keys(&dir);
    std::fs::write(dir.0.join("in.txt"), format!("pdq {}\n", common::GOLDEN_PDQ[0].0)).unwrap();
    let out = dir.path("l.list");
    let build = |extra: &[&str]| {
        let args = ["list", "build", "--sign", &secret, "--id", "t", "--sequence", "1", "--out", &out];
        prescan(&[&args[..], extra, &[&dir.path("in.txt")]].concat())
    };
    for expires in [&[][..], &["--expires", "0"], &["--expires", "2000-01-01"], &["--expires", "0d"]] {
        let o = build(expires);
        assert_eq!(o.status.code(), Some(2), "{expires:?}: {o:?}");
        assert!(!Path::new(&out).exists(), "{expires:?}");
    }
    assert!(text(&build(&["--expires", "0"]).stderr).contains("--no-expiry"));
    let o = build(&["--no-expiry"]);
    assert!(o.status.success(), "{o:?}");
    let inspect = prescan(&["list", "inspect", "--public", &public, &out]);
    assert!(text(&inspect.stdout).contains("expires   never"), "{inspect:?}");
    assert_eq!(build(&["--no-expiry", "--expires", "30d"]).status.code(), Some(2), "not both");
    // The library refuses an expiry at or before the creation time too.
    let key = SecretKey::from_seed([5; 32]);
    let entries = [Entry { signal: SignalType::Pdq, hash: vec![0x5a; 32], label: None }];
    let err = ListBuilder { expires: Some(NOW - 100), ..builder("x") }.build(&entries, &key).unwrap_err();
    assert_eq!(err.code(), "bad_option");
}

#[test]
fn item05_a_sequence_file_keeps_rollback_protection_across_runs() {
    let dir = TempDir::new("fc-seq");
    let (secret, public) = cli_keys(&dir);
    std::fs::write(dir.0.join("in.txt"), format!("pdq {}\n", common::GOLDEN_PDQ[0].0)).unwrap();
    let make = |sequence: &str, name: &str| {
        let out = dir.path(name);
        let args = ["list", "build", "--sign", &secret, "--id", "t", "--sequence", sequence, "--expires", "30d"];
        assert!(prescan(&[&args[..], &["--out", &out, &dir.path("in.txt")]].concat()).status.success());
        out
    };
    let (newer, older) = (make("7", "new.list"), make("5", "old.list"));
    let state = dir.path("seen");
    let verify = |list: &str| prescan(&["list", "verify", "--public", &public, "--sequence-file", &state, list]);
    assert!(verify(&newer).status.success());
    assert_eq!(std::fs::read_to_string(&state).unwrap().trim(), "7");
    let replayed = verify(&older);
    assert_eq!(replayed.status.code(), Some(2), "{replayed:?}");
    assert!(text(&replayed.stderr).contains("rollback"), "{replayed:?}");
    assert_eq!(std::fs::read_to_string(&state).unwrap().trim(), "7", "a refused list records nothing");
}

// --- Item 6 ------------------------------------------------------------------

#[test]
fn item06_near_constant_perceptual_hashes_are_refused_at_import() {
    let near = format!(
        "phash fffffffffffffffe\ndhash 0000000000000100\nahash 7fffffffffffffff\nblockhash {}\nphash 8f3a5c71e0924bd6\n",
        "00".repeat(31) + "07"
    );
    let got = import::import(&near, &ImportOptions::default()).unwrap();
    assert_eq!(got.entries.len(), 1, "only the real hash is kept: {:?}", got.rejected);
    assert_eq!(got.rejected.len(), 4);
    for r in &got.rejected {
        assert!(r.reason.contains("flat"), "{r}");
    }
}

#[test]
fn item06_flat_images_do_not_match_perceptual_entries() {
    // Entries a list built elsewhere (not through the importer) could hold,
    // next to the real perceptual hashes of a textured image.
    let textured = common::png(&common::golden_set()[0]);
    let hashes = hash_file(&textured, &HashOptions::default()).unwrap();
    let mut entries = vec![
        Entry { signal: SignalType::Phash, hash: vec![0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe], label: None },
        Entry { signal: SignalType::Dhash, hash: vec![0, 0, 0, 0, 0, 0, 1, 0], label: None },
        Entry { signal: SignalType::Ahash, hash: vec![0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], label: None },
        Entry { signal: SignalType::Blockhash, hash: vec![0; 32], label: None },
    ];
    for p in &hashes.image.perceptual {
        let signal = SignalType::ALL
            .into_iter()
            .find(|s| prescan::check::perceptual_algorithm(*s) == Some(p.algorithm()))
            .unwrap();
        entries.push(Entry { signal, hash: p.as_bytes().to_vec(), label: Some("textured".into()) });
    }
    let key = SecretKey::from_seed([6; 32]);
    let list = load(builder("flat").build(&entries, &key).unwrap(), &key).unwrap();
    let checker = Checker::new(list, CheckOptions::default()).unwrap();
    for v in [0u8, 128, 255] {
        let verdict = checker.check_bytes(&flat_png(64, 48, v));
        assert!(!verdict.matched, "a flat image of {v} matched {:?}", verdict.matches);
        assert!(verdict.perceptual_skipped && verdict.pdq_skipped_low_quality);
    }
    let verdict = checker.check_bytes(&textured);
    assert!(!verdict.perceptual_skipped, "{verdict:?}");
    let labelled = verdict.matches.iter().filter(|m| m.label.as_deref() == Some("textured")).count();
    assert_eq!(labelled, 4, "a textured image still matches its own perceptual hashes: {:?}", verdict.matches);
}

// --- Item 7 ------------------------------------------------------------------

#[test]
fn item07_thresholds_are_capped_at_build_load_and_in_options() {
    let key = SecretKey::from_seed([7; 32]);
    let entries = [Entry { signal: SignalType::Pdq, hash: vec![0x5a; 32], label: None }];
    for (signal, over) in
        [(SignalType::Pdq, 64), (SignalType::Phash, 17), (SignalType::Blockhash, 65), (SignalType::Md5, 1)]
    {
        let b = ListBuilder { thresholds: [(signal, over)].into(), ..builder("cap") };
        assert_eq!(b.build(&entries, &key).unwrap_err().code(), "bad_option", "{signal} {over}");
    }
    let at_cap = ListBuilder { thresholds: [(SignalType::Pdq, 63)].into(), ..builder("cap") };
    let bytes = at_cap.build(&entries, &key).unwrap();
    assert!(load(bytes.clone(), &key).is_ok());
    // The issuer's own signature over a threshold of 256: refused at load.
    let mut crafted = bytes;
    let at = first_section("cap") + 2;
    crafted[at..at + 2].copy_from_slice(&256u16.to_le_bytes());
    let err = load(resign(crafted, &key), &key).unwrap_err();
    assert!(matches!(&err, Error::ListMalformed(why) if why.contains("threshold 256")), "{err:?}");
    // And in a checker's options.
    let list = load(at_cap.build(&entries, &key).unwrap(), &key).unwrap();
    let options = CheckOptions { thresholds: [(SignalType::Pdq, 64)].into(), ..CheckOptions::default() };
    assert_eq!(Checker::new(list, options).unwrap_err().code(), "bad_option");
    // And on the command line.
    let dir = TempDir::new("fc-cap");
    let (secret, _) = cli_keys(&dir);
    std::fs::write(dir.0.join("in.txt"), format!("pdq {}\n", common::GOLDEN_PDQ[0].0)).unwrap();
    let args = ["list", "build", "--sign", &secret, "--id", "t", "--sequence", "1", "--expires", "30d"];
    let out = prescan(&[&args[..], &["--threshold", "pdq=256", "--out", &dir.path("l"), &dir.path("in.txt")]].concat());
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn item07_a_verdict_carries_at_most_max_matches() {
    let image = common::png(&common::golden_set()[0]);
    let pdq = PdqHash::from_hex(common::GOLDEN_PDQ[0].0).unwrap();
    let mut rng = Rng(99);
    let entries: Vec<Entry> = (0..300)
        .map(|i| Entry {
            signal: SignalType::Pdq,
            hash: common::flip(&mut rng, &pdq, 1 + i % 20).to_bytes().to_vec(),
            label: Some(format!("near {i}")),
        })
        .collect();
    let key = SecretKey::from_seed([8; 32]);
    let list = load(builder("many").build(&entries, &key).unwrap(), &key).unwrap();
    let v = Checker::new(list, CheckOptions::default()).unwrap().check_bytes(&image);
    assert!(v.matched);
    assert_eq!(v.matches.len(), MAX_MATCHES);
    assert_eq!(v.matches.len() + v.matches_truncated, 300);
    assert!(v.matches.windows(2).all(|w| w[0].distance <= w[1].distance), "the nearest are kept");
    assert_eq!(v.matches[0].distance, 1);
}

// --- Item 8 ------------------------------------------------------------------

#[test]
fn item08_labels_are_shared_with_the_list_not_copied() {
    let image = common::png(&common::golden_set()[0]);
    let pdq = PdqHash::from_hex(common::GOLDEN_PDQ[0].0).unwrap();
    let entries = [Entry { signal: SignalType::Pdq, hash: pdq.to_bytes().to_vec(), label: Some("x".repeat(1024)) }];
    let key = SecretKey::from_seed([9; 32]);
    let checker =
        Checker::new(load(builder("l").build(&entries, &key).unwrap(), &key).unwrap(), CheckOptions::default())
            .unwrap();
    let (a, b) = (checker.check_bytes(&image), checker.check_bytes(&image));
    let (la, lb) = (a.matches[0].label.as_ref().unwrap(), b.matches[0].label.as_ref().unwrap());
    assert_eq!(la.len(), 1024);
    assert_eq!(la.as_ptr(), lb.as_ptr(), "both verdicts read the one copy in the list");
}

// --- Item 9 ------------------------------------------------------------------

#[test]
fn item09_duplicates_are_refused_at_build_and_counted_at_load() {
    let key = SecretKey::from_seed([10; 32]);
    let e = |b: u8| Entry { signal: SignalType::Pdq, hash: vec![b; 32], label: None };
    let err = builder("dup").build(&[e(1), e(2), e(1)], &key).unwrap_err();
    assert_eq!(err, Error::DuplicateEntry { signal: "pdq", first: 0, duplicate: 2 });
    // An issuer that wrote one anyway: entry 1's hash over entry 0's.
    let mut crafted = builder("dup").build(&[e(1), e(2), e(3)], &key).unwrap();
    let hashes = first_section("dup") + 12;
    crafted.copy_within(hashes..hashes + 32, hashes + 32);
    let crafted = resign(crafted, &key);
    assert_eq!(format::inspect(&crafted, &ListLimits::default()).unwrap().duplicates, 1);
    let list = load(crafted, &key).unwrap();
    assert_eq!(list.duplicates(), 1);
}

// --- Item 10 -----------------------------------------------------------------

#[cfg(unix)]
#[test]
fn item10_non_regular_files_are_refused_before_reading() {
    let start = Instant::now();
    let out = prescan(&["hash", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(text(&out.stderr).contains("not a regular file (a character device)"), "{out:?}");
    assert!(start.elapsed() < Duration::from_secs(10));

    let dir = TempDir::new("fc-fifo");
    let fifo = dir.0.join("pipe");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let mut child = Command::new(env!("CARGO_BIN_EXE_prescan"))
        .args(["hash", fifo.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("prescan hash blocked on a FIFO");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(2));
}

// --- Item 11 -----------------------------------------------------------------

/// A JPEG header (quantisation and Huffman tables, a frame of `marker`
/// SOF0 or SOF2, three 1×1-sampled components, a DC scan) declaring
/// `w` × `h`, with a few bytes of scan and an end marker.
fn jpeg_header(marker: u8, w: u16, h: u16) -> Vec<u8> {
    let mut out = vec![0xff, 0xd8];
    out.extend_from_slice(&[0xff, 0xdb, 0, 67, 0]);
    out.extend_from_slice(&[1; 64]);
    out.extend_from_slice(&[0xff, marker, 0, 17, 8]);
    out.extend_from_slice(&h.to_be_bytes());
    out.extend_from_slice(&w.to_be_bytes());
    out.extend_from_slice(&[3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]);
    out.extend_from_slice(&[0xff, 0xc4, 0, 20, 0x00, 1]);
    out.extend_from_slice(&[0; 15]);
    out.push(0);
    out.extend_from_slice(&[0xff, 0xda, 0, 12, 3, 1, 0, 2, 0, 3, 0, 0, 0, 0]);
    out.extend_from_slice(&[0; 16]);
    out.extend_from_slice(&[0xff, 0xd9]);
    out
}

#[test]
fn item11_progressive_jpeg_coefficients_count_against_the_budget() {
    // 32768 × 2048, 4:4:4: 201 MB of RGB and 402 MB of coefficients.
    let err = decode::decode(&jpeg_header(0xc2, 32_768, 2_048), &Limits::default()).unwrap_err();
    assert_eq!(err, Error::LimitExceeded { limit: Limit::Allocation, requested: 603_979_776, max: 512 << 20 });
    // A budget between the two: the progressive file is refused before
    // decoding, the baseline one (decoded a block row at a time) is not.
    let limits = Limits { max_alloc: 8 << 20, ..Limits::default() };
    let progressive = decode::decode(&jpeg_header(0xc2, 1024, 1024), &limits).unwrap_err();
    assert!(matches!(progressive, Error::LimitExceeded { limit: Limit::Allocation, .. }), "{progressive:?}");
    let baseline = decode::decode(&jpeg_header(0xc0, 1024, 1024), &limits);
    assert!(!matches!(baseline, Err(Error::LimitExceeded { .. })), "{baseline:?}");
}

#[test]
fn item11_webp_working_memory_counts_against_the_budget() {
    let f = &common::golden_set()[0];
    let rgb = image::RgbImage::from_raw(f.width, f.height, f.data.clone()).unwrap();
    let mut webp = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
        .write_image(rgb.as_raw(), f.width, f.height, image::ExtendedColorType::Rgb8)
        .unwrap();
    let pixels = u64::from(f.width) * u64::from(f.height);
    // The RGB output fits; with the decoder's RGBA frame it does not.
    let tight = Limits { max_alloc: pixels * 5, ..Limits::default() };
    let err = decode::decode(&webp, &tight).unwrap_err();
    assert!(matches!(err, Error::LimitExceeded { limit: Limit::Allocation, .. }), "{err:?}");
    let room = Limits { max_alloc: pixels * 7, ..Limits::default() };
    assert_eq!(decode::decode(&webp, &room).unwrap().rgb(), f.data.as_slice());
}

// --- Item 12 -----------------------------------------------------------------

#[test]
fn item12_header_dimensions_are_read_without_decoding() {
    let info = decode::header_info(&common::png_header(40_000, 10)).unwrap();
    assert_eq!((info.format, info.width, info.height), ("png", 40_000, 10));
    // The signature and IHDR alone are enough (a browser needs no more).
    let ihdr_only = &common::png_header(40_000, 10)[..33];
    assert_eq!(decode::header_info(ihdr_only), Some(info));
    let jpeg = decode::header_info(&jpeg_header(0xc2, 32_768, 2_048)).unwrap();
    assert_eq!((jpeg.format, jpeg.width, jpeg.height), ("jpeg", 32_768, 2_048));
    let err = Limits::default().check_dimensions(info.width, info.height).unwrap_err();
    assert!(matches!(err, Error::LimitExceeded { limit: Limit::Width, .. }));
    // AVIF: the largest `ispe` property (a grid's whole size, not a tile's).
    let b = |kind: &[u8; 4], body: &[u8]| [&(body.len() as u32 + 8).to_be_bytes()[..], kind, body].concat();
    let ispe = |w: u32, h: u32| b(b"ispe", &[&[0u8; 4][..], &w.to_be_bytes(), &h.to_be_bytes()].concat());
    let ipco = b(b"ipco", &[ispe(512, 512), ispe(40_000, 30_000)].concat());
    let meta = b(b"meta", &[&[0u8; 4][..], &b(b"iprp", &ipco)].concat());
    let avif = [b(b"ftyp", b"avif\0\0\0\0mif1miaf"), meta].concat();
    let info = decode::header_info(&avif).unwrap();
    assert_eq!((info.format, info.width, info.height), ("avif", 40_000, 30_000));
    assert!(decode::header_info(b"\0\0\0\x0cftypisom").is_none());
    // A file over the byte limit is not decoded.
    let small = Limits { max_file_bytes: 100, ..Limits::default() };
    let err = decode::decode(&common::png(&common::golden_set()[0]), &small).unwrap_err();
    assert!(matches!(err, Error::LimitExceeded { limit: Limit::FileBytes, max: 100, .. }), "{err:?}");
}

// --- Item 14 -----------------------------------------------------------------

#[test]
fn item14_control_characters_never_reach_the_terminal() {
    let dir = TempDir::new("fc-escape");
    let key = SecretKey::from_seed([14; 32]);
    std::fs::write(dir.0.join("k.pub"), key.public().to_hex()).unwrap();
    let pdq = PdqHash::from_hex(common::GOLDEN_PDQ[0].0).unwrap();
    let label = "case\x1b[31m red\nclear img/injected.png";
    let entries = [Entry { signal: SignalType::Pdq, hash: pdq.to_bytes().to_vec(), label: Some(label.into()) }];
    let list = ListBuilder { expires: Some(NOW * 2), ..builder("id\x1b]0;title\x07") }.build(&entries, &key).unwrap();
    std::fs::write(dir.0.join("l.list"), list).unwrap();
    let image = dir.0.join("a\nclear b.png");
    std::fs::write(&image, common::png(&common::golden_set()[0])).unwrap();
    let out =
        prescan(&["check", "--list", &dir.path("l.list"), "--public", &dir.path("k.pub"), image.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(!stdout.contains('\x1b') && !stdout.contains('\x07'), "{stdout:?}");
    assert!(stdout.contains("a\\nclear b.png") && stdout.contains("label=case\\u{1b}[31m red\\nclear"), "{stdout}");
    let inspect = prescan(&["list", "inspect", &dir.path("l.list")]);
    let shown = text(&inspect.stdout);
    assert!(shown.starts_with("UNVERIFIED"), "{shown}");
    assert!(shown.contains("list      id\\u{1b}]0;title\\u{7}"), "{shown}");
}

// --- Item 15 -----------------------------------------------------------------

#[cfg(unix)]
#[test]
fn item15_key_files_are_never_overwritten_or_left_half_made() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("fc-keys");
    let (secret, public) = cli_keys(&dir);
    let secret_text = std::fs::read_to_string(&secret).unwrap();
    std::fs::write(dir.0.join("in.txt"), format!("pdq {}\n", common::GOLDEN_PDQ[0].0)).unwrap();
    let args = ["list", "build", "--sign", &secret, "--id", "t", "--sequence", "1", "--expires", "30d"];
    for out in [&secret, &public] {
        let o = prescan(&[&args[..], &["--out", out, &dir.path("in.txt")]].concat());
        assert_eq!(o.status.code(), Some(2), "{o:?}");
    }
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), secret_text, "the secret key is intact");

    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = prescan(&[&args[..], &["--out", &dir.path("l.list"), &dir.path("in.txt")]].concat());
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(text(&o.stderr).contains("can be read by others"), "{o:?}");
    let o =
        prescan(&[&args[..], &["--allow-readable-secret", "--out", &dir.path("l.list"), &dir.path("in.txt")]].concat());
    assert!(o.status.success(), "{o:?}");

    // `key new` with an existing public path writes nothing.
    let fresh = dir.path("fresh.key");
    let o = prescan(&["key", "new", "--secret", &fresh, "--public", &public]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(!Path::new(&fresh).exists(), "no secret without its public key");
}

// --- Item 16 -----------------------------------------------------------------

#[test]
fn item16_an_unterminated_quote_costs_one_record() {
    let mut csv = String::from("signal_type,signal_str,label\npdq,\"abc,oops\n");
    let mut rng = Rng(16);
    for _ in 0..2000 {
        let h: Vec<u8> = (0..32).map(|_| rng.next() as u8).collect();
        csv.push_str(&format!("pdq,{},x\n", prescan_hex(&h)));
    }
    let got = import::import(&csv, &ImportOptions::default()).unwrap();
    assert_eq!(got.entries.len(), 2000, "{:?}", &got.rejected[..got.rejected.len().min(3)]);
    assert_eq!(got.rejected.len(), 1);
    assert_eq!(got.rejected[0].location, "line 2");
    assert!(got.rejected[0].reason.contains("field 2 on line 2 is never closed"), "{}", got.rejected[0]);
}

fn prescan_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn item16_json_records_giving_a_key_twice_are_refused() {
    let (a, b) = (common::GOLDEN_PDQ[0].0, common::GOLDEN_PDQ[1].0);
    let text = format!(
        "{{\"signalType\":\"PDQ\",\"hashValue\":\"{a}\",\"hashValue\":\"{b}\"}}\n\
         {{\"signalType\":\"PDQ\",\"signal_type\":\"MD5\",\"hashValue\":\"{a}\"}}\n\
         {{\"signalType\":\"PDQ\",\"hashValue\":\"{a}\",\"hash\":\"{b}\"}}\n\
         {{\"signalType\":\"PDQ\",\"hashValue\":\"{b}\"}}\n"
    );
    let got = import::import(&text, &ImportOptions::default()).unwrap();
    assert_eq!(got.entries.len(), 1);
    let reasons: Vec<String> = got.rejected.iter().map(ToString::to_string).collect();
    assert!(reasons[0].starts_with("line 1") && reasons[0].contains("\"hashValue\" is given twice"), "{reasons:?}");
    assert!(reasons[1].starts_with("line 2") && reasons[1].contains("signal type is given twice"), "{reasons:?}");
    assert!(reasons[2].starts_with("line 3") && reasons[2].contains("hash is given twice"), "{reasons:?}");
    let array = format!("[{{\"signalType\":\"PDQ\",\"hashValue\":\"{a}\",\"hashValue\":\"{b}\"}}]");
    let got = import::import(&array, &ImportOptions::default()).unwrap();
    assert!(got.entries.is_empty() && got.rejected[0].location == "record 1", "{got:?}");
}

#[test]
fn item16_input_that_is_not_utf8_names_its_line() {
    let dir = TempDir::new("fc-utf8");
    let (secret, _) = cli_keys(&dir);
    let mut input = format!("pdq {}\npdq {} ok\n", common::GOLDEN_PDQ[0].0, common::GOLDEN_PDQ[1].0).into_bytes();
    input.extend_from_slice(b"pdq 00 caf\xe9\n");
    std::fs::write(dir.0.join("in.txt"), input).unwrap();
    let args = ["list", "build", "--sign", &secret, "--id", "t", "--sequence", "1", "--expires", "30d"];
    let o = prescan(&[&args[..], &["--out", &dir.path("l"), &dir.path("in.txt")]].concat());
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(text(&o.stderr).contains("line 3: not UTF-8"), "{o:?}");
}

// --- Item 17 -----------------------------------------------------------------

#[test]
fn item17_a_label_that_is_not_utf8_refuses_the_list() {
    let key = SecretKey::from_seed([17; 32]);
    let entries = [
        Entry { signal: SignalType::Pdq, hash: vec![1; 32], label: Some("good".into()) },
        Entry { signal: SignalType::Pdq, hash: vec![2; 32], label: Some("ab".into()) },
    ];
    let mut crafted = builder("utf8").build(&entries, &key).unwrap();
    // The blob ends with "goodab", just before the signature.
    let end = crafted.len() - 64;
    crafted[end - 2..end].copy_from_slice(&[0xff, 0xfe]);
    let err = load(resign(crafted, &key), &key).unwrap_err();
    assert_eq!(err, Error::ListMalformed("pdq section: the label of entry 1 is not UTF-8".into()));
}
