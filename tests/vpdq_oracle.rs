//! vPDQ against Meta's reference, on videos FFmpeg encodes here.
//!
//! The oracles: `vpdq.computeHash` (Meta's C++ vPDQ, the `vpdq` PyPI
//! package) for the frame hashes, and python-threatexchange's
//! `match_VPDQ_hash_brute` (the `threatexchange` package) for the match
//! rule; both run by `tests/oracle/vpdq_oracle.py`. The videos: H.264,
//! VP9 and MJPEG, 4:2:0 and 4:4:4, limited and full range, untagged and
//! BT.709, 24 to 50 and 29.97 frames a second, 180p to 720p, hashed a
//! frame a second, every half second and every frame.
//!
//! * `prescan hash --vpdq` gives the reference's frame numbers, qualities
//!   and timestamps exactly, and per-frame hash distances of median 0
//!   (the largest is printed; so far it is 0: the same pixels, bit for
//!   bit).
//! * `prescan::hash::vpdq::compare` gives the reference matcher's
//!   percentages and verdict exactly, and re-encoded, resized and trimmed
//!   copies match their source while unrelated videos do not.
//!
//! Without FFmpeg, `vpdq` or `threatexchange` the tests fail (scripts/setup
//! installs them), unless `PRESCAN_SKIP_ORACLE=1` says to skip them: then
//! they print that they skipped, and why.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use prescan::hash::vpdq::{self, VpdqFeature, VpdqThresholds};

fn python() -> String {
    std::env::var("PRESCAN_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

fn oracle() -> String {
    format!("{}/tests/oracle/vpdq_oracle.py", env!("CARGO_MANIFEST_DIR"))
}

fn available() -> bool {
    let ffmpeg = Command::new("ffmpeg").arg("-version").stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    let py = Command::new(python())
        .args(["-c", "import vpdq, threatexchange.extensions.vpdq.vpdq_brute_matcher"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !(ffmpeg && py) {
        let missing =
            if ffmpeg { format!("{} cannot import vpdq and threatexchange", python()) } else { "ffmpeg".to_owned() };
        if std::env::var("PRESCAN_SKIP_ORACLE").as_deref() != Ok("1") {
            panic!(
                "the vPDQ oracle is missing: {missing} (scripts/setup installs them; PRESCAN_SKIP_ORACLE=1 skips this test)"
            );
        }
        eprintln!("SKIPPED vpdq_oracle (PRESCAN_SKIP_ORACLE=1): {missing}");
    }
    ffmpeg && py
}

/// A clip: its name and the ffmpeg arguments that make it from nothing.
struct Clip {
    name: &'static str,
    args: &'static [&'static str],
}

const LAVFI: &str = "lavfi";

/// The clips, made once for all tests.
fn clips() -> &'static (PathBuf, Vec<Clip>) {
    static CLIPS: OnceLock<(PathBuf, Vec<Clip>)> = OnceLock::new();
    CLIPS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("prescan-vpdq-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let clips = vec![
            Clip {
                name: "base.mp4",
                args: &[
                    "-f",
                    LAVFI,
                    "-i",
                    "testsrc2=size=640x360:rate=25",
                    "-t",
                    "8",
                    "-c:v",
                    "libx264",
                    "-pix_fmt",
                    "yuv420p",
                ],
            },
            Clip {
                name: "ntsc.webm",
                args: &[
                    "-f",
                    LAVFI,
                    "-i",
                    "testsrc2=size=320x240:rate=30000/1001",
                    "-t",
                    "3",
                    "-c:v",
                    "libvpx-vp9",
                    "-b:v",
                    "300k",
                ],
            },
            Clip {
                name: "hd709.mp4",
                args: &[
                    "-f",
                    LAVFI,
                    "-i",
                    "testsrc2=size=1280x720:rate=30",
                    "-t",
                    "2",
                    "-c:v",
                    "libx264",
                    "-pix_fmt",
                    "yuv420p",
                    "-colorspace",
                    "bt709",
                    "-color_primaries",
                    "bt709",
                    "-color_trc",
                    "bt709",
                ],
            },
            Clip {
                name: "odd.mov",
                args: &[
                    "-f",
                    LAVFI,
                    "-i",
                    "testsrc2=size=333x251:rate=24",
                    "-t",
                    "2",
                    "-c:v",
                    "mjpeg",
                    "-pix_fmt",
                    "yuvj420p",
                ],
            },
            Clip {
                name: "noisy444.mkv",
                args: &[
                    "-f",
                    LAVFI,
                    "-i",
                    "testsrc2=size=400x300:rate=50,noise=alls=40:allf=t",
                    "-t",
                    "1",
                    "-c:v",
                    "libx264",
                    "-pix_fmt",
                    "yuv444p",
                ],
            },
            Clip {
                name: "unrelated.mp4",
                args: &[
                    "-f",
                    LAVFI,
                    "-i",
                    "mandelbrot=size=640x360:rate=25",
                    "-t",
                    "6",
                    "-c:v",
                    "libx264",
                    "-pix_fmt",
                    "yuv420p",
                ],
            },
            // Copies of base.mp4, made from it below.
            Clip { name: "reencoded.mp4", args: &["-c:v", "libx264", "-crf", "38", "-pix_fmt", "yuv420p"] },
            Clip { name: "resized.webm", args: &["-vf", "scale=320:180", "-c:v", "libvpx-vp9", "-b:v", "200k"] },
            Clip { name: "trimmed.mp4", args: &["-ss", "2", "-t", "4", "-c:v", "libx264", "-pix_fmt", "yuv420p"] },
        ];
        for c in &clips {
            let mut cmd = Command::new("ffmpeg");
            cmd.args(["-v", "error", "-y", "-nostdin"]);
            if c.args.first() != Some(&"-f") {
                cmd.arg("-i").arg(dir.join("base.mp4"));
            }
            let status = cmd.args(c.args).arg(dir.join(c.name)).status().unwrap();
            assert!(status.success(), "ffmpeg could not make {}", c.name);
        }
        (dir, clips)
    })
}

fn path(name: &str) -> PathBuf {
    clips().0.join(name)
}

/// `prescan hash --vpdq` of a clip, as text.
fn ours(video: &Path, seconds_per_hash: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_prescan"))
        .args(["hash", "--vpdq", "--seconds-per-hash", seconds_per_hash])
        .arg(video)
        .output()
        .unwrap();
    assert!(out.status.success(), "prescan hash --vpdq {}: {}", video.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn reference(args: &[&str]) -> String {
    let out = Command::new(python()).arg(oracle()).args(args).output().unwrap();
    assert!(out.status.success(), "vpdq_oracle.py {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn features(text: &str) -> Vec<VpdqFeature> {
    vpdq::parse_features(text, 1 << 20).unwrap()
}

#[test]
fn frame_hashes_match_vpdq_compute_hash() {
    if !available() {
        return;
    }
    let mut cases: Vec<(&str, &str)> = clips().1.iter().map(|c| (c.name, "1")).collect();
    cases.extend([("base.mp4", "0.5"), ("noisy444.mkv", "0"), ("ntsc.webm", "0")]);
    println!("{:<16} {:>5} {:>7} {:>13} {:>13}", "clip", "s/h", "frames", "median dist", "largest dist");
    for (name, sph) in cases {
        let video = path(name);
        let (a, b) = (features(&ours(&video, sph)), features(&reference(&["hash", video.to_str().unwrap(), sph])));
        assert!(!b.is_empty(), "{name}: the reference hashed no frame");
        let frames =
            |f: &[VpdqFeature]| f.iter().map(|x| (x.frame, x.quality, x.timestamp.to_bits())).collect::<Vec<_>>();
        assert_eq!(frames(&a), frames(&b), "{name} at {sph} s a hash: frame numbers, qualities or timestamps differ");
        let mut d: Vec<u32> = a.iter().zip(&b).map(|(x, y)| x.hash.distance(&y.hash)).collect();
        d.sort_unstable();
        let (median, largest) = (d[d.len() / 2], d[d.len() - 1]);
        println!("{name:<16} {sph:>5} {:>7} {median:>13} {largest:>13}", a.len());
        assert_eq!(median, 0, "{name}: per-frame distances {d:?}");
        assert!(largest <= 2, "{name}: per-frame distances {d:?}");
    }
}

#[test]
fn match_verdicts_match_python_threatexchange() {
    if !available() {
        return;
    }
    let dir = &clips().0;
    let names = ["base.mp4", "reencoded.mp4", "resized.webm", "trimmed.mp4", "unrelated.mp4", "ntsc.webm"];
    for n in names {
        std::fs::write(dir.join(format!("{n}.txt")), ours(&path(n), "1")).unwrap();
    }
    let thresholds = VpdqThresholds::default();
    // (query, compared, whether it should match)
    let pairs = [
        ("reencoded.mp4", "base.mp4", true),
        ("resized.webm", "base.mp4", true),
        ("trimmed.mp4", "base.mp4", true),
        ("base.mp4", "base.mp4", true),
        ("base.mp4", "trimmed.mp4", false),
        ("unrelated.mp4", "base.mp4", false),
        ("base.mp4", "unrelated.mp4", false),
        ("ntsc.webm", "unrelated.mp4", false),
    ];
    println!("{:<14} {:<14} {:>9} {:>9} matched", "query", "compared", "query %", "other %");
    for (q, c, expected) in pairs {
        let (qt, ct) = (dir.join(format!("{q}.txt")), dir.join(format!("{c}.txt")));
        let ours = vpdq::compare(
            &features(&std::fs::read_to_string(&qt).unwrap()),
            &features(&std::fs::read_to_string(&ct).unwrap()),
            &thresholds,
        );
        let matched = thresholds.matches(ours.query_percent, ours.compared_percent);
        let theirs = reference(&["compare", qt.to_str().unwrap(), ct.to_str().unwrap()]);
        let t: Vec<&str> = theirs.split_whitespace().collect();
        println!("{q:<14} {c:<14} {:>9.2} {:>9.2} {matched}", ours.query_percent, ours.compared_percent);
        assert_eq!(t[0].parse::<f64>().unwrap(), ours.query_percent, "{q} in {c}: query %");
        assert_eq!(t[1].parse::<f64>().unwrap(), ours.compared_percent, "{q} in {c}: compared %");
        assert_eq!(t[2] == "True", matched, "{q} in {c}: verdict");
        assert_eq!(matched, expected, "{q} in {c}: {ours:?}");
    }
}
