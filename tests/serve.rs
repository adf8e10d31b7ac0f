//! `prescan serve` as a real HTTP server on loopback: the binary started
//! as an operator starts it, spoken to over TCP as browsers and hostile
//! clients would (hand-written HTTP/1.1, so malformed and slow requests can
//! be sent too).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::TempDir;
use prescan::check::{CheckOptions, Checker, hash_for};
use prescan::decode::Limits;
use prescan::hash::pdq::PdqHash;
use prescan::list::format::{ListBuilder, ListLimits, LoadOptions, SignedList};
use prescan::list::keys::SecretKey;
use prescan::list::{Entry, SignalType};
use prescan::schema::FileHashesJson;
use serde_json::{Value, json};

const KEY_SEED: [u8; 32] = [42; 32];

fn key() -> SecretKey {
    SecretKey::from_seed(KEY_SEED)
}

/// A list of golden image 0's PDQ and the MD5 of `b"listed file"`, signed,
/// with `sequence` and an expiry `expires_in` seconds from now.
fn list_bytes(sequence: u64, expires_in: u64, extra: &[Entry]) -> Vec<u8> {
    let pdq = PdqHash::from_hex(common::GOLDEN_PDQ[0].0).unwrap();
    let mut entries = vec![
        Entry { signal: SignalType::Pdq, hash: pdq.to_bytes().to_vec(), label: Some("golden 0".into()) },
        Entry {
            signal: SignalType::Md5,
            hash: prescan::hash::digest::FileDigests::of(b"listed file").md5.to_vec(),
            label: Some("listed file".into()),
        },
    ];
    entries.extend_from_slice(extra);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    ListBuilder {
        id: "served".into(),
        sequence,
        created: now - 10,
        expires: Some(now + expires_in),
        thresholds: Default::default(),
    }
    .build(&entries, &key())
    .unwrap()
}

/// A running `prescan serve`, killed when dropped; its stderr collected.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Server {
    fn start(dir: &TempDir, extra: &[&str]) -> Server {
        Server::try_start(dir, extra).unwrap_or_else(|log| panic!("the server did not start: {log}"))
    }

    /// Starts the server on the list `dir/served.list`; `Err` with its
    /// output when it exits instead of listening.
    fn try_start(dir: &TempDir, extra: &[&str]) -> Result<Server, String> {
        let public = key().public().to_hex();
        let list = dir.path("served.list");
        let mut args = vec!["serve", "--list", &list, "--public", &public];
        if !extra.iter().any(|a| a.starts_with("--listen")) {
            args.extend(["--listen", "127.0.0.1:0"]);
        }
        if !extra.iter().any(|a| a.starts_with("--threads")) {
            args.extend(["--threads", "2"]);
        }
        args.extend_from_slice(extra);
        let mut child = Command::new(env!("CARGO_BIN_EXE_prescan"))
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let log = Arc::new(Mutex::new(String::new()));
        let mut addr = None;
        for line in lines.by_ref() {
            let line = line.unwrap();
            log.lock().unwrap().push_str(&format!("{line}\n"));
            if let Some(a) = line.strip_prefix("prescan serve: listening on http://") {
                addr = Some(a.parse().unwrap());
                break;
            }
        }
        let Some(addr) = addr else {
            let _ = child.wait();
            return Err(log.lock().unwrap().clone());
        };
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        Ok(Server { child, addr, log })
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    fn signal(&self, name: &str) {
        assert!(
            Command::new("kill").args([&format!("-{name}"), &self.child.id().to_string()]).status().unwrap().success()
        );
    }

    /// Sends `raw` as is, reads the answer to the end (the requests say
    /// `Connection: close`): `(status, head, body)`.
    fn raw(&self, raw: &[u8]) -> (u16, String, String) {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        stream.write_all(raw).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        (status, head.to_ascii_lowercase(), body.to_owned())
    }

    fn request(&self, method: &str, path: &str, headers: &[&str], body: &str) -> (u16, String, String) {
        let mut raw = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
        for h in headers {
            raw.push_str(&format!("{h}\r\n"));
        }
        raw.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        self.raw(raw.as_bytes())
    }

    fn check(&self, body: &str, headers: &[&str]) -> (u16, Value) {
        let mut all = vec!["Content-Type: application/json"];
        all.extend_from_slice(headers);
        let (status, _, body) = self.request("POST", "/v1/check", &all, body);
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn served_dir(name: &str, list: Vec<u8>) -> TempDir {
    let dir = TempDir::new(name);
    std::fs::write(dir.0.join("served.list"), list).unwrap();
    dir
}

/// What a browser sends for `bytes` against the served list (PDQ and MD5
/// sections).
fn request_for(files: &[&[u8]]) -> String {
    let signals = [SignalType::Pdq, SignalType::Md5];
    let files: Vec<FileHashesJson> =
        files.iter().map(|b| FileHashesJson::of(&hash_for(b, &Limits::default(), &signals).0, &signals)).collect();
    json!({ "files": files }).to_string()
}

fn local_checker(list: Vec<u8>) -> Checker {
    let options =
        LoadOptions { trusted_keys: vec![key().public()], now: 0, min_sequence: 0, limits: ListLimits::default() };
    Checker::new(SignedList::load(list, &options).unwrap(), CheckOptions::default()).unwrap()
}

/// A verdict as JSON, without its timing (which differs run to run).
fn untimed(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("elapsedMs");
    v
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_server_answers_with_the_verdict_a_local_check_gives() {
    let list = list_bytes(2, 3600, &[]);
    let dir = served_dir("serve-same", list.clone());
    let server = Server::start(&dir, &["--no-auth"]);
    let golden = common::png(&common::golden_set()[0]);
    let f = &common::golden_set()[0];
    let rotated = image::imageops::rotate90(&image::RgbImage::from_raw(f.width, f.height, f.data.clone()).unwrap());
    let mut rotated_png = Vec::new();
    image::DynamicImage::ImageRgb8(rotated)
        .write_to(&mut std::io::Cursor::new(&mut rotated_png), image::ImageFormat::Png)
        .unwrap();
    let other = common::png(&common::golden_set()[1]);
    let files: [&[u8]; 5] = [&golden, &rotated_png, &other, b"listed file", b"not listed, not an image"];
    let (status, answer) = server.check(&request_for(&files), &[]);
    assert_eq!(status, 200, "{answer}");
    let verdicts = answer["verdicts"].as_array().unwrap();
    let local = local_checker(list);
    for (i, bytes) in files.iter().enumerate() {
        let mut expected = serde_json::to_value(local.check_bytes(bytes)).unwrap();
        // The browser knows why a file did not decode; the server cannot.
        expected["decodeError"] = Value::Null;
        assert_eq!(untimed(verdicts[i].clone()), untimed(expected), "file {i}");
    }
    assert_eq!(verdicts[0]["matches"][0]["label"], "golden 0");
    assert_eq!(verdicts[1]["matches"][0]["variant"], "rotate90", "found by a rotation: {}", verdicts[1]);
    assert_eq!(verdicts[2]["matched"], false);
    assert_eq!(verdicts[3]["matches"][0]["label"], "listed file");
    assert_eq!(verdicts[4]["matched"], false);
    // No hashes or verdicts in the log: counts only.
    let log = server.log();
    assert!(!log.contains(common::GOLDEN_PDQ[0].0) && !log.contains("golden 0"), "{log}");
}

/// Connections at once, dealt out in turn to three worker threads (each a
/// runtime of its own): every request gets its own file's verdict.
#[test]
fn connections_at_once_are_each_answered_with_their_own_verdict() {
    let dir = served_dir("serve-at-once", list_bytes(1, 3600, &[]));
    let server = Server::start(&dir, &["--no-auth", "--threads", "3"]);
    let (clients, each) = (12, 10);
    std::thread::scope(|scope| {
        for client in 0..clients {
            let server = &server;
            scope.spawn(move || {
                for i in 0..each {
                    // Every other request is the listed file.
                    let listed = (client + i) % 2 == 0;
                    let unlisted = format!("client {client} request {i}");
                    let file: &[u8] = if listed { b"listed file" } else { unlisted.as_bytes() };
                    let (status, answer) = server.check(&request_for(&[file]), &[]);
                    assert_eq!(status, 200, "{answer}");
                    assert_eq!(answer["verdicts"][0]["matched"], listed, "client {client} request {i}: {answer}");
                }
            });
        }
    });
    let (_, _, metrics) = server.request("GET", "/metrics", &[], "");
    let checked = format!("prescan_files_checked_total {}", clients * each);
    assert!(metrics.contains(&checked), "{checked} in {metrics}");
}

#[test]
fn tokens_are_required_and_no_auth_is_for_loopback_only() {
    let dir = served_dir("serve-auth", list_bytes(1, 3600, &[]));
    std::fs::write(dir.0.join("tokens"), "# operators\nfirst-token\n\n second-token \n").unwrap();
    let server = Server::start(&dir, &["--token-file", &dir.path("tokens")]);
    let body = r#"{"files":[{"md5":"0123456789abcdef0123456789abcdef"}]}"#;
    for headers in [&[][..], &["Authorization: Bearer wrong"], &["Authorization: first-token"]] {
        let (status, answer) = server.check(body, headers);
        assert_eq!((status, answer["error"]["code"].as_str()), (401, Some("unauthorized")), "{headers:?}");
    }
    let (_, head, _) = server.request("GET", "/v1/list", &[], "");
    assert!(head.contains("www-authenticate: bearer"), "{head}");
    for token in ["first-token", "second-token"] {
        let (status, _) = server.check(body, &[&format!("Authorization: Bearer {token}")]);
        assert_eq!(status, 200, "{token}");
    }
    let (status, _, _) = server.request("GET", "/healthz", &[], "");
    assert_eq!(status, 200, "probes need no token");
    drop(server);

    let refused = Server::try_start(&dir, &["--no-auth", "--listen", "0.0.0.0:0"]).err().expect("refused");
    assert!(refused.contains("not a loopback address"), "{refused}");
    let refused = Server::try_start(&dir, &[]).err().expect("refused");
    assert!(refused.contains("--token-file"), "{refused}");
}

#[test]
fn bad_requests_are_answered_with_a_code_and_the_server_goes_on() {
    let dir = served_dir("serve-bad", list_bytes(1, 3600, &[]));
    let server = Server::start(&dir, &["--no-auth"]);
    let many = format!("{{\"files\":[{}]}}", vec![r#"{"md5":"0123456789abcdef0123456789abcdef"}"#; 65].join(","));
    let huge = format!("{{\"files\":[{{\"md5\":\"{}\"}}]}}", "0".repeat(1100 * 1024));
    let cases: [(&str, u16, &str); 10] = [
        ("not json", 400, "bad_request"),
        (r#"{"files":[{"md5":"0123"}]}"#, 400, "invalid_hash"),
        (r#"{"files":[{"md5":"zz23456789abcdef0123456789abcdef"}]}"#, 400, "invalid_hash"),
        (
            r#"{"files":[{"pdq":"00000000000000000000000000000000000000000000000000000000000000ff"}]}"#,
            400,
            "bad_request",
        ),
        (r#"{"files":[{"vpdq":"00"}]}"#, 400, "bad_request"),
        (r#"{"files":[],"extra":1}"#, 400, "bad_request"),
        (r#"{"files":[{"pdqQuality":"high"}]}"#, 400, "bad_request"),
        (r#"{"files":{}}"#, 400, "bad_request"),
        (&many, 413, "limit_exceeded"),
        (&huge, 413, "limit_exceeded"),
    ];
    for (body, status, code) in cases {
        let (got, answer) = server.check(body, &[]);
        assert_eq!((got, answer["error"]["code"].as_str()), (status, Some(code)), "{}", &body[..body.len().min(60)]);
    }
    let (status, head, _) = server.request("POST", "/v1/check", &["Content-Type: text/plain"], "{}");
    assert_eq!(status, 415, "{head}");
    let (status, head, _) = server.request("GET", "/v1/check", &[], "");
    assert!(status == 405 && head.contains("allow: post"), "{head}");
    let (status, _, body) = server.request("GET", "/nowhere", &[], "");
    assert!(status == 404 && body.contains("not_found"));
    let (status, _, _) = server.raw(b"\x16\x03\x01\x02\x00garbage that is no HTTP\r\n\r\n");
    assert!(status == 400 || status == 0, "garbage is refused or the connection closed: {status}");
    // Every answer is uncached, and the server still gives right verdicts.
    let (status, answer) = server.check(&request_for(&[b"listed file"]), &[]);
    assert_eq!((status, answer["verdicts"][0]["matched"].as_bool()), (200, Some(true)));
    let (_, head, _) = server.request("GET", "/v1/list", &[], "");
    assert!(head.contains("cache-control: no-store"), "{head}");
}

#[test]
fn a_slow_client_is_cut_off() {
    let dir = served_dir("serve-slow", list_bytes(1, 3600, &[]));
    let server = Server::start(&dir, &["--no-auth", "--read-timeout", "1"]);
    // Half a head, then nothing: the connection is closed after a second.
    let started = Instant::now();
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    stream.write_all(b"POST /v1/check HTTP/1.1\r\nHost: x\r\n").unwrap();
    let mut buf = Vec::new();
    let _ = stream.read_to_end(&mut buf);
    assert!(started.elapsed() < Duration::from_secs(10), "cut off after {:?}", started.elapsed());
    // A whole head, then a body that never comes: 408.
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    stream
        .write_all(
            b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"fi",
        )
        .unwrap();
    let mut buf = Vec::new();
    let _ = stream.read_to_end(&mut buf);
    assert!(String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 408"), "{}", String::from_utf8_lossy(&buf));
}

#[test]
fn cors_answers_only_the_configured_origins() {
    let dir = served_dir("serve-cors", list_bytes(1, 3600, &[]));
    let server = Server::start(&dir, &["--no-auth", "--allow-origin", "https://upload.example.org"]);
    let preflight = |origin: &str| {
        server.request(
            "OPTIONS",
            "/v1/check",
            &[&format!("Origin: {origin}"), "Access-Control-Request-Method: POST"],
            "",
        )
    };
    let (status, head, _) = preflight("https://upload.example.org");
    assert_eq!(status, 204);
    assert!(head.contains("access-control-allow-origin: https://upload.example.org"), "{head}");
    assert!(head.contains("access-control-allow-headers: authorization, content-type"), "{head}");
    let (status, head, _) = preflight("https://evil.example");
    assert_eq!(status, 403);
    assert!(!head.contains("access-control-allow-origin"), "{head}");
    let body = r#"{"files":[]}"#;
    let (_, head, _) =
        server.request("POST", "/v1/check", &["Content-Type: application/json", "Origin: https://evil.example"], body);
    assert!(!head.contains("access-control-allow-origin"), "{head}");
}

#[test]
fn reload_replaces_the_list_and_refuses_older_or_altered_ones() {
    let dir = served_dir("serve-reload", list_bytes(5, 3600, &[]));
    let server = Server::start(&dir, &["--no-auth", "--watch"]);
    let sequence = || {
        let (_, _, body) = server.request("GET", "/v1/list", &[], "");
        serde_json::from_str::<Value>(&body).unwrap()["sequence"].as_u64().unwrap()
    };
    assert_eq!(sequence(), 5);
    let newcomer = b"added in sequence 6";
    let extra = [Entry {
        signal: SignalType::Md5,
        hash: prescan::hash::digest::FileDigests::of(newcomer).md5.to_vec(),
        label: None,
    }];
    let replace = |bytes: Vec<u8>| {
        let tmp = dir.0.join("next.list");
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::rename(&tmp, dir.0.join("served.list")).unwrap();
    };
    // SIGHUP: a newer list is taken.
    replace(list_bytes(6, 3600, &extra));
    server.signal("HUP");
    wait_for("sequence 6", || sequence() == 6);
    let (_, answer) = server.check(&request_for(&[newcomer]), &[]);
    assert_eq!(answer["verdicts"][0]["matched"], true);
    // --watch: an older list, an altered one, a foreign one: refused, the
    // list of sequence 6 goes on serving.
    replace(list_bytes(4, 3600, &[]));
    wait_for("the older list refused", || server.log().contains("below the minimum 6"));
    let mut altered = list_bytes(7, 3600, &[]);
    altered[60] ^= 1;
    replace(altered);
    wait_for("the altered list refused", || server.log().contains("signature does not verify"));
    assert_eq!(sequence(), 6);
    let (_, _, metrics) = server.request("GET", "/metrics", &[], "");
    assert!(metrics.contains("prescan_list_sequence 6"), "{metrics}");
    assert!(metrics.contains("prescan_list_reloads_total{outcome=\"refused\"} 2"), "{metrics}");
}

#[test]
fn readiness_follows_the_lists_expiry_and_sigterm_drains() {
    let dir = served_dir("serve-expiry", list_bytes(1, 3, &[]));
    let mut server = Server::start(&dir, &["--no-auth"]);
    let (status, _, _) = server.request("GET", "/readyz", &[], "");
    assert_eq!(status, 200);
    let (status, _) = server.check(&request_for(&[b"listed file"]), &[]);
    assert_eq!(status, 200);
    let (_, _, metrics) = server.request("GET", "/metrics", &[], "");
    assert!(
        metrics.contains("prescan_files_checked_total 1")
            && metrics.contains("prescan_matches_total{signal=\"md5\"} 1")
    );
    std::thread::sleep(Duration::from_millis(3500));
    let (status, _, body) = server.request("GET", "/readyz", &[], "");
    assert!(status == 503 && body.contains("list_expired"), "{status} {body}");
    let (status, answer) = server.check(&request_for(&[b"listed file"]), &[]);
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (503, Some("list_expired")),
        "an expired list checks nothing"
    );
    server.signal("TERM");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = server.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    assert!(server.log().contains("prescan serve: stopped"));
}
