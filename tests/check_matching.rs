//! A list built from the hashes of generated images finds those images
//! again after re-encoding, resizing, rotation and mirroring, and finds
//! nothing among unrelated images.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use image::{ImageEncoder, RgbImage, imageops};
use prescan::check::{CheckOptions, Checker};
use prescan::hash::{HashOptions, hash_file};
use prescan::list::format::{ListBuilder, ListLimits, LoadOptions, SignedList};
use prescan::list::keys::SecretKey;
use prescan::list::{Entry, SignalType};

/// A picture of random shapes over a random gradient: images from
/// different seeds share no structure.
fn picture(seed: u64, w: u32, h: u32) -> RgbImage {
    // Seeds 0, 1, 2… spread over the generator's states.
    let mut rng = common::Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut next = move || rng.next();
    let (c0, c1) = ([next() as u8, next() as u8, next() as u8], [next() as u8, next() as u8, next() as u8]);
    let diagonal = next() % 3;
    let mut img = RgbImage::from_fn(w, h, |x, y| {
        let t = match diagonal {
            0 => x as f32 / w as f32,
            1 => y as f32 / h as f32,
            _ => (x + y) as f32 / (w + h) as f32,
        };
        image::Rgb([0, 1, 2].map(|c| (c0[c] as f32 * (1.0 - t) + c1[c] as f32 * t) as u8))
    });
    // Sixteen shapes: detail enough for PDQ's quality floor (50) in every
    // picture the tests make.
    for _ in 0..16 {
        let (cx, cy) = ((next() % u64::from(w)) as i64, (next() % u64::from(h)) as i64);
        let r = (next() % u64::from(w / 4) + u64::from(w / 16)) as i64;
        let colour = image::Rgb([next() as u8, next() as u8, next() as u8]);
        let disc = next() % 2 == 0;
        for y in (cy - r).max(0)..(cy + r).min(i64::from(h)) {
            for x in (cx - r).max(0)..(cx + r).min(i64::from(w)) {
                let (dx, dy) = (x - cx, y - cy);
                if !disc || dx * dx + dy * dy < r * r {
                    img.put_pixel(x as u32, y as u32, colour);
                }
            }
        }
    }
    img
}

fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

fn checker(listed: &[RgbImage]) -> Checker {
    checker_with(listed, CheckOptions::default())
}

fn checker_with(listed: &[RgbImage], check_options: CheckOptions) -> Checker {
    checker_padded(listed, 0, check_options)
}

/// A checker for `listed`, their PDQ entries after `padding` random ones.
fn checker_padded(listed: &[RgbImage], padding: usize, check_options: CheckOptions) -> Checker {
    let mut rng = common::Rng(padding as u64);
    let mut entries: Vec<Entry> = (0..padding)
        .map(|_| Entry { signal: SignalType::Pdq, hash: rng.hash().to_bytes().to_vec(), label: None })
        .collect();
    for (i, img) in listed.iter().enumerate() {
        let h = hash_file(&png(img), &HashOptions::default()).unwrap();
        let label = Some(format!("listed-{i}"));
        entries.push(Entry {
            signal: SignalType::Pdq,
            hash: h.image.pdq.hash.to_bytes().to_vec(),
            label: label.clone(),
        });
        entries.push(Entry { signal: SignalType::Md5, hash: h.digests.md5.to_vec(), label: label.clone() });
        for p in &h.image.perceptual {
            if p.algorithm().name() == "phash" {
                entries.push(Entry { signal: SignalType::Phash, hash: p.as_bytes().to_vec(), label: label.clone() });
            }
        }
    }
    let key = SecretKey::from_seed([5; 32]);
    let bytes =
        ListBuilder { id: "generated".into(), sequence: 1, created: 0, expires: None, thresholds: Default::default() }
            .build(&entries, &key)
            .unwrap();
    let options =
        LoadOptions { trusted_keys: vec![key.public()], now: 1, min_sequence: 0, limits: ListLimits::default() };
    Checker::new(SignedList::load(bytes, &options).unwrap(), check_options).unwrap()
}

#[test]
fn listed_images_are_found_after_edits_and_unrelated_ones_are_not() {
    let listed: Vec<RgbImage> = (0..8).map(|i| picture(100 + i, 640, 480)).collect();
    let checker = checker(&listed);
    let mut worst = 0;
    for (i, img) in listed.iter().enumerate() {
        let label = format!("listed-{i}");
        let edits: Vec<(&str, Vec<u8>)> = vec![
            ("same file", png(img)),
            ("jpeg q75", jpeg(img, 75)),
            ("resized to 50% + jpeg q85", jpeg(&imageops::resize(img, 320, 240, imageops::FilterType::Triangle), 85)),
            ("resized to 37%", png(&imageops::resize(img, 237, 178, imageops::FilterType::CatmullRom))),
            ("rotated 90", png(&imageops::rotate90(img))),
            ("rotated 180 + jpeg", jpeg(&imageops::rotate180(img), 90)),
            ("rotated 270", png(&imageops::rotate270(img))),
            ("mirrored", png(&imageops::flip_horizontal(img))),
            ("flipped", png(&imageops::flip_vertical(img))),
        ];
        for (what, bytes) in edits {
            let v = checker.check_bytes(&bytes);
            assert!(v.decode_error.is_none());
            let pdq = v.matches.iter().find(|m| m.signal == SignalType::Pdq && m.label.as_deref() == Some(&label));
            let pdq = pdq.unwrap_or_else(|| panic!("image {i} {what}: no PDQ match; {v:?}"));
            worst = worst.max(pdq.distance);
            if what == "same file" {
                assert!(v.matches.iter().any(|m| m.signal == SignalType::Md5 && m.distance == 0));
                assert_eq!(pdq.distance, 0);
            }
            // Every PDQ match is the listed image itself.
            assert!(
                v.matches.iter().filter(|m| m.signal == SignalType::Pdq).all(|m| m.label.as_deref() == Some(&label))
            );
        }
    }
    println!("worst PDQ distance of a listed image after an edit: {worst}");

    let mut clear = 0;
    for seed in 1000..1040 {
        let v = checker.check_bytes(&jpeg(&picture(seed, 500, 400), 85));
        assert!(
            !v.matches.iter().any(|m| m.signal == SignalType::Pdq),
            "unrelated image {seed} matched: {:?}",
            v.matches
        );
        assert!(!v.matches.iter().any(|m| m.signal == SignalType::Md5));
        clear += usize::from(!v.matched);
    }
    println!("{clear} of 40 unrelated images clear of every signal (PDQ: all 40)");
}

#[test]
fn nearest_pdq_distance_is_reported_when_asked_and_equals_a_full_scan() {
    use prescan::hash::pdq::PdqHash;
    use prescan::index::pdq_linear_scan;

    let listed: Vec<RgbImage> = (0..6).map(|i| picture(300 + i, 320, 240)).collect();
    let listed_pdq: Vec<PdqHash> =
        listed.iter().map(|img| hash_file(&png(img), &HashOptions::default()).unwrap().image.pdq.hash).collect();
    let plain = checker(&listed);
    let reporting = checker_with(&listed, CheckOptions { report_pdq_nearest: true, ..CheckOptions::default() });

    // A listed image, rotated: the nearest is its match.
    let v = reporting.check_bytes(&png(&imageops::rotate90(&listed[2])));
    let best = v.matches.iter().find(|m| m.signal == SignalType::Pdq).unwrap();
    let nearest = v.pdq_nearest.unwrap();
    assert_eq!((nearest.distance, Some(nearest.variant)), (best.distance, best.variant));
    assert_eq!(nearest.threshold, best.threshold);

    // Unrelated images: nothing matches, and the nearest distance is the
    // smallest over every entry and variant, as a full scan finds it.
    let mut reported = 0;
    for seed in 2000..2012 {
        let bytes = jpeg(&picture(seed, 400, 300), 85);
        let v = reporting.check_bytes(&bytes);
        assert!(!v.matches.iter().any(|m| m.signal == SignalType::Pdq));
        if v.pdq_skipped_low_quality {
            // Not matched, so no distance to report either.
            assert_eq!(v.pdq_nearest, None, "image {seed}");
            continue;
        }
        reported += 1;
        let variants = v.hashes.pdq_dihedral.unwrap().hashes;
        let mut scan = pdq_linear_scan(&listed_pdq, &variants, 256);
        scan.sort_by_key(|m| (m.distance, m.entry));
        let nearest = v.pdq_nearest.unwrap_or_else(|| panic!("image {seed}: no nearest: {v:?}"));
        assert_eq!(nearest.distance, scan[0].distance, "image {seed}");
        assert!(nearest.distance > nearest.threshold, "image {seed}: {nearest:?}");
        // Off by default.
        assert_eq!(plain.check_bytes(&bytes).pdq_nearest, None);
    }
    assert!(reported >= 8, "only {reported} of 12 images had a matchable PDQ");
}

#[test]
fn a_long_list_is_held_once_in_its_tables_and_still_found() {
    use prescan::hash::pdq::PdqHash;
    use prescan::index::{SCAN_BELOW, pdq_linear_scan};

    let listed: Vec<RgbImage> = (0..3).map(|i| picture(500 + i, 320, 240)).collect();
    let plain = checker_padded(&listed, SCAN_BELOW, CheckOptions::default());
    let reporting =
        checker_padded(&listed, SCAN_BELOW, CheckOptions { report_pdq_nearest: true, ..CheckOptions::default() });
    let entries = SCAN_BELOW + listed.len();
    // The plain checker's index has tables and no hashes, and its list has
    // given its PDQ hashes up: they are held once, in the tables.
    let index = plain.pdq_index().unwrap();
    assert!(index.has_tables() && !index.holds_hashes());
    let section = plain.list().section(SignalType::Pdq).unwrap();
    assert_eq!((section.count, section.hashes.len()), (entries, 0));
    // The reporting checker holds the hashes beyond what the plain one does
    // (32 bytes an entry), less what its index does without when it holds
    // them: table 0's entry numbers and the bucket directory's samples
    // (under 3 bytes an entry).
    assert!(plain.memory_bytes() + entries * 29 <= reporting.memory_bytes());
    // The reporting one keeps the list's hashes for its scans.
    let kept = reporting.pdq_index().unwrap();
    assert!(kept.has_tables() && kept.holds_hashes());
    let section = reporting.list().section(SignalType::Pdq).unwrap();
    assert_eq!(section.hashes.len(), entries * 32);
    let all_pdq: Vec<PdqHash> =
        (0..entries).map(|i| PdqHash::from_bytes(section.hash(i).unwrap().try_into().unwrap())).collect();

    for (i, img) in listed.iter().enumerate() {
        let label = format!("listed-{i}");
        for bytes in [png(img), png(&imageops::rotate270(img)), jpeg(&imageops::flip_horizontal(img), 85)] {
            for checker in [&plain, &reporting] {
                let v = checker.check_bytes(&bytes);
                let pdq: Vec<_> = v.matches.iter().filter(|m| m.signal == SignalType::Pdq).collect();
                assert!(pdq.iter().any(|m| m.label.as_deref() == Some(&label)), "image {i}: {:?}", v.matches);
                let variants = v.hashes.pdq_dihedral.unwrap().hashes;
                assert_eq!(pdq.len(), pdq_linear_scan(&all_pdq, &variants, 31).len());
            }
        }
    }
    // Nearest entry of an unrelated image, from the kept hashes.
    let bytes = jpeg(&picture(2100, 400, 300), 85);
    let v = reporting.check_bytes(&bytes);
    let variants = v.hashes.pdq_dihedral.unwrap().hashes;
    let scan = pdq_linear_scan(&all_pdq, &variants, 256);
    assert_eq!(v.pdq_nearest.map(|n| n.distance), scan.first().map(|m| m.distance));
}
