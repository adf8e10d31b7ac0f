//! `prescan serve`: the list stays on the platform's server; browsers send
//! the hashes of the files people pick and get verdicts back
//! (`docs/server.md`).
//!
//! A thin face over the library: a request's hashes are read by
//! `schema::parse_check_request` and checked by the same
//! `Checker::check_hashes` a local check uses, and verdicts are serialised
//! by the one verdict schema. This module owns HTTP only: routes, limits,
//! tokens, CORS, metrics, reloading the list and shutting down.

// The `Err` of the request-path helpers is the error answer to send (a
// `Response`, 144 bytes): built once per failed request, never stored.
#![allow(clippy::result_large_err)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use clap::Args;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use prescan::check::{CheckOptions, Checker, Verdict};
use prescan::list::SignalType;
use prescan::list::format::{ListLimits, LoadOptions, SignedList};
use prescan::list::keys::PublicKey;
use prescan::schema::{ListInfoJson, parse_check_request};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use super::{Outcome, files, nice, printable, printable_path, public_key, time};

/// Largest request body: 1 MiB, room for 64 images of every hash (about
/// 1.3 KiB each) many times over, or for a video's vPDQ frames (about 110
/// bytes each, sent without repeats) of two and a half hours hashed once a
/// second.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How much of a body over [`MAX_BODY_BYTES`] is read and dropped so that
/// its sender gets the 413 ([`read_body`]).
const DRAIN_BYTES: usize = 4 * 1024 * 1024;
/// Time in-flight requests get to finish on SIGTERM before the process exits.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// How often `--watch` looks at the list file.
const WATCH_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The signed list to serve.
    #[arg(long)]
    list: PathBuf,
    /// Trusted public key (64 hex digits or a file holding them); repeat
    /// for several.
    #[arg(long, value_name = "KEY", required = true)]
    public: Vec<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// File of bearer tokens, one a line (blank lines and `#` comments
    /// skipped): a request must carry one of them.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Serve without tokens (loopback addresses only).
    #[arg(long, conflicts_with = "token_file")]
    no_auth: bool,
    /// An origin whose pages may call the API (CORS), e.g.
    /// https://upload.example.org; repeat for several.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allow_origin: Vec<String>,
    /// Lowest list sequence accepted, at start and on reload (a reload
    /// also refuses any list older than the one served).
    #[arg(long, default_value_t = 0)]
    min_sequence: u64,
    /// Reload the list when its file changes (and on SIGHUP, always).
    #[arg(long)]
    watch: bool,
    /// Most connections served at once; more wait to be accepted.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
    /// Worker threads (default: the machine's cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Seconds a client has to send a request's head (also how long an
    /// idle keep-alive connection is kept), and again its body: a client
    /// that sends slowly is cut off.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    read_timeout: f64,
}

/// The list being served, indexed, and what `GET /v1/list` says of it.
struct Served {
    checker: Checker,
    info: Bytes,
    sequence: u64,
    expires: Option<u64>,
}

/// Counters for `/metrics`.
#[derive(Default)]
struct Metrics {
    /// Answers by status class: index `status / 100 - 1` (1xx to 5xx).
    by_status: [AtomicU64; 5],
    /// `POST /v1/check` latencies: counts at or below each of
    /// [`LATENCY_BUCKETS`], then above the last.
    latency: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    latency_sum_us: AtomicU64,
    files: AtomicU64,
    matched_files: AtomicU64,
    /// Matches by signal type, in [`SignalType::ALL`] order.
    matches: [AtomicU64; SignalType::ALL.len()],
    reloads: AtomicU64,
    reloads_refused: AtomicU64,
}

/// Upper bounds of the latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 10] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0];

struct State {
    served: RwLock<Arc<Served>>,
    /// SHA-256 of each token: compared in constant time, whatever their
    /// lengths. Empty with `--no-auth`.
    tokens: Vec<[u8; 32]>,
    origins: Vec<String>,
    metrics: Metrics,
    keys: Vec<PublicKey>,
    list_path: PathBuf,
    min_sequence: u64,
    read_timeout: Duration,
}

pub fn run(args: &ServeArgs) -> Result<Outcome, String> {
    let keys = args.public.iter().map(|k| public_key(k)).collect::<Result<Vec<_>, _>>()?;
    let tokens = match (&args.token_file, args.no_auth) {
        (Some(path), _) => read_tokens(path)?,
        (None, true) if args.listen.ip().is_loopback() => Vec::new(),
        (None, true) => {
            return Err(format!(
                "--no-auth is refused on {}, which is not a loopback address: give --token-file",
                args.listen
            ));
        }
        (None, false) => {
            return Err("give --token-file FILE (bearer tokens, one a line), or --no-auth on loopback".into());
        }
    };
    for origin in &args.allow_origin {
        if !(origin.starts_with("https://") || origin.starts_with("http://")) || origin.ends_with('/') {
            return Err(format!("--allow-origin {origin:?}: an origin is scheme://host[:port], no path"));
        }
    }
    let read_timeout = Duration::try_from_secs_f64(args.read_timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .ok_or_else(|| format!("--read-timeout {}: a number of seconds above 0", args.read_timeout))?;
    let served = load(&args.list, &keys, args.min_sequence)?;
    let state = Arc::new(State {
        served: RwLock::new(Arc::new(served)),
        tokens,
        origins: args.allow_origin.clone(),
        metrics: Metrics::default(),
        keys,
        list_path: args.list.clone(),
        min_sequence: args.min_sequence,
        read_timeout,
    });
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let workers = (0..threads.max(1)).map(|i| Worker::start(i, Arc::clone(&state))).collect::<Result<Vec<_>, _>>()?;
    // The acceptor, the signals and the reloads: little work, one thread.
    let runtime = single_threaded_runtime()?;
    runtime.block_on(serve(state, args.listen, args.max_connections.max(1), args.watch, &workers))?;
    drop(runtime);
    for worker in workers {
        worker.stop();
    }
    Ok(Outcome::Success)
}

/// A single-threaded tokio runtime, with its I/O and timers, that runs on
/// whichever thread blocks on it: the acceptor's, and each [`Worker`]'s.
fn single_threaded_runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the server: {e}"))
}

/// A connection handed to a [`Worker`]: the socket, the permit that counts
/// it among `--max-connections`, and the signal to close it gracefully.
type Handoff = (std::net::TcpStream, OwnedSemaphorePermit, watch::Receiver<bool>);

/// A thread that answers the connections handed to it, each on its own
/// single-threaded runtime, to the end.
///
/// # Why a runtime a thread, and not one runtime of many threads
/// With tokio's work-stealing runtime, a request waits behind whatever the
/// thread that polled its socket had queued, and the threads steal batches
/// from each other: under a load that keeps both cores busy, the 99th
/// percentile of the wait was about twice the median. Here the acceptor
/// deals connections out in turn and a thread answers its own requests in
/// the order they came (actix-web's design too).
/// `scripts/bench-server`'s figures are in `docs/server.md`.
struct Worker {
    /// Closed to stop the thread (after the connections have drained).
    connections: tokio::sync::mpsc::UnboundedSender<Handoff>,
    thread: std::thread::JoinHandle<()>,
}

impl Worker {
    fn start(i: usize, state: Arc<State>) -> Result<Worker, String> {
        let runtime = single_threaded_runtime()?;
        let (connections, mut handed) = tokio::sync::mpsc::unbounded_channel::<Handoff>();
        let thread = std::thread::Builder::new()
            .name(format!("prescan-worker-{i}"))
            .spawn(move || {
                runtime.block_on(async move {
                    while let Some((stream, permit, stop)) = handed.recv().await {
                        match tokio::net::TcpStream::from_std(stream) {
                            Ok(stream) => {
                                tokio::spawn(connection(Arc::clone(&state), stream, permit, stop));
                            }
                            Err(e) => eprintln!("prescan serve: a connection was dropped: {e}"),
                        }
                    }
                });
            })
            .map_err(|e| format!("cannot start the server: {e}"))?;
        Ok(Worker { connections, thread })
    }

    /// Closes the worker's queue and waits for its thread: connections it
    /// still holds (past the drain) are dropped with its runtime.
    fn stop(self) {
        drop(self.connections);
        let _ = self.thread.join();
    }
}

/// Serves one connection to its end, or until `stop` asks for a graceful
/// close; `permit` is given back then.
async fn connection(
    state: Arc<State>,
    stream: tokio::net::TcpStream,
    permit: OwnedSemaphorePermit,
    mut stop: watch::Receiver<bool>,
) {
    let header_timeout = state.read_timeout;
    let service = service_fn(move |req| {
        let state = Arc::clone(&state);
        offer_core();
        async move { Ok::<_, Infallible>(handle(&state, req).await) }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
    drop(permit);
}

/// How long a worker thread answers requests before it offers its core to
/// the kernel between two of them (see [`offer_core`]).
const OFFER_CORE_EVERY: Duration = Duration::from_micros(250);

thread_local! {
    /// When this worker thread last offered its core.
    static CORE_OFFERED: std::cell::Cell<Instant> = std::cell::Cell::new(Instant::now());
}

/// Between two requests: when this thread has run for [`OFFER_CORE_EVERY`]
/// since it last did, offers its core to any thread waiting for it
/// (`sched_yield`; it returns at once if none is).
///
/// # Why
/// Under a load that keeps a worker busy it never sleeps, and a thread
/// the kernel woke on its core (the load generator here, a sidecar in a
/// deployment) may wait for the next scheduler tick, up to 4 ms at 250 Hz,
/// while the requests it would send or read wait with it. Offering the
/// core every 250 µs of work bounds that wait at the cost of one system
/// call. `scripts/bench-server`'s 64-connection load, 12 runs of 8 s in
/// turn with a build without it (2026-12-07): p99 9.11 → 7.65 ms
/// (medians; 0.87 times run by run), checks/s the same (1.01 times).
/// Offering it after every request, or every 100 µs, did about as well
/// for p99 (0.90 to 0.94 times) but cost more system calls where requests
/// are cheap (a request with digests only: 30% fewer a second, yielding
/// after each).
fn offer_core() {
    let now = Instant::now();
    CORE_OFFERED.with(|offered| {
        if now.duration_since(offered.get()) >= OFFER_CORE_EVERY {
            std::thread::yield_now();
            offered.set(Instant::now());
        }
    });
}

/// One token a line; blank lines and `#` comments skipped.
fn read_tokens(path: &Path) -> Result<Vec<[u8; 32]>, String> {
    let text = files::read_capped(path, 1 << 20).map_err(|e| format!("{}: {e}", printable_path(path)))?;
    let text = String::from_utf8(text).map_err(|_| format!("{}: not UTF-8", printable_path(path)))?;
    let tokens: Vec<[u8; 32]> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|t| Sha256::digest(t.as_bytes()).into())
        .collect();
    if tokens.is_empty() {
        return Err(format!("{}: no token in it", printable_path(path)));
    }
    Ok(tokens)
}

/// Reads, verifies and indexes the list.
fn load(path: &Path, keys: &[PublicKey], min_sequence: u64) -> Result<Served, String> {
    let bytes = files::read(path).map_err(|e| format!("{}: {e}", printable_path(path)))?;
    let options =
        LoadOptions { trusted_keys: keys.to_vec(), now: time::now(), min_sequence, limits: ListLimits::default() };
    let list = SignedList::load(bytes, &options).map_err(|e| format!("{}: {e}", printable_path(path)))?;
    // The server holds the list's PDQ hashes for speed (about 29 bytes an
    // entry more: see `CheckOptions::hold_pdq_hashes`).
    let options = CheckOptions { hold_pdq_hashes: true, ..CheckOptions::default() };
    let checker = Checker::new(list, options).map_err(|e| e.to_string())?;
    let info = serde_json::to_vec(&ListInfoJson::from(&checker)).map_err(|e| e.to_string())?;
    let m = checker.list().meta();
    let (sequence, expires) = (m.sequence, m.expires);
    Ok(Served { checker, info: Bytes::from(info), sequence, expires })
}

fn describe(s: &Served) -> String {
    let m = s.checker.list().meta();
    format!("list {} sequence {} ({} entries)", printable(&m.id), m.sequence, s.checker.list().len())
}

/// [`reload`] on a thread of its own, off the threads that answer
/// requests and at a lower priority (see [`super::nice`]), so that
/// verifying and indexing the new list takes the cores only when requests
/// leave them free; resolves when it is done.
async fn reload_in_background(state: Arc<State>) {
    let (done, finished) = tokio::sync::oneshot::channel::<()>();
    let spawned = std::thread::Builder::new().name("prescan-reload".into()).spawn(move || {
        if !nice::lower_this_thread(nice::RELOAD_NICE) {
            eprintln!("prescan serve: note: could not lower the reload's priority; reloading at normal priority");
        }
        reload(&state);
        let _ = done.send(());
    });
    match spawned {
        Ok(_) => {
            let _ = finished.await;
        }
        Err(e) => eprintln!("prescan serve: reload refused: no thread for it: {e}"),
    }
}

/// Replaces the list with the file's, unless the file is refused: then the
/// old list goes on serving, and the log says why.
fn reload(state: &State) {
    let current = state.served.read().map(|s| s.sequence).unwrap_or(0);
    match load(&state.list_path, &state.keys, state.min_sequence.max(current)) {
        Ok(new) => {
            eprintln!("prescan serve: reloaded: now serving {}", describe(&new));
            let old = state.served.write().ok().map(|mut served| std::mem::replace(&mut *served, Arc::new(new)));
            state.metrics.reloads.fetch_add(1, Ordering::Relaxed);
            // The old list is freed here, off the runtime's threads, once the
            // requests that hold it have answered: freeing tens of MiB on a
            // worker would stall the requests queued behind it.
            if let Some(old) = old {
                while Arc::strong_count(&old) > 1 {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                drop(old);
            }
        }
        Err(e) => {
            eprintln!("prescan serve: reload refused, still serving sequence {current}: {}", printable(&e));
            state.metrics.reloads_refused.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn serve(
    state: Arc<State>,
    addr: SocketAddr,
    max_connections: usize,
    watch_file: bool,
    workers: &[Worker],
) -> Result<(), String> {
    let listener = TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    // The first line, which scripts and tests wait for.
    eprintln!("prescan serve: listening on http://{local}");
    if let Ok(served) = state.served.read() {
        eprintln!("prescan serve: serving {}", describe(&served));
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    spawn_reloaders(&state, watch_file);
    let connections = Arc::new(Semaphore::new(max_connections));
    let mut terminate = signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut interrupt = signal(tokio::signal::unix::SignalKind::interrupt())?;
    let mut dealt = 0usize;
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&connections).acquire_owned() => p.map_err(|e| e.to_string())?,
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        };
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: wait, do not die.
                Err(e) => {
                    eprintln!("prescan serve: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        };
        let _ = stream.set_nodelay(true);
        // In turn: each worker gets every `workers.len()`-th connection.
        let Some(worker) = workers.get(dealt % workers.len().max(1)) else {
            return Err("no worker thread to answer connections".into());
        };
        dealt = dealt.wrapping_add(1);
        match stream.into_std() {
            Ok(stream) => {
                if worker.connections.send((stream, permit, stop_rx.clone())).is_err() {
                    eprintln!("prescan serve: a connection was dropped: its worker has stopped");
                }
            }
            Err(e) => eprintln!("prescan serve: a connection was dropped: {e}"),
        }
    }
    eprintln!("prescan serve: shutting down: draining connections");
    drop(listener);
    let _ = stop_tx.send(true);
    let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(DRAIN_TIMEOUT, connections.acquire_many(all)).await.is_err() {
        eprintln!("prescan serve: connections still open after {}s: exiting", DRAIN_TIMEOUT.as_secs());
    }
    eprintln!("prescan serve: stopped");
    Ok(())
}

fn signal(kind: tokio::signal::unix::SignalKind) -> Result<tokio::signal::unix::Signal, String> {
    tokio::signal::unix::signal(kind).map_err(|e| format!("cannot handle signals: {e}"))
}

/// SIGHUP reloads the list; with `--watch`, so does a change of its file
/// (its modification time or length).
fn spawn_reloaders(state: &Arc<State>, watch_file: bool) {
    let on_hup = Arc::clone(state);
    tokio::spawn(async move {
        let Ok(mut hup) = signal(tokio::signal::unix::SignalKind::hangup()) else { return };
        while hup.recv().await.is_some() {
            reload_in_background(Arc::clone(&on_hup)).await;
        }
    });
    if !watch_file {
        return;
    }
    let watched = Arc::clone(state);
    tokio::spawn(async move {
        let stamp =
            |p: &Path| std::fs::metadata(p).ok().map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()));
        let mut last = stamp(&watched.list_path);
        loop {
            tokio::time::sleep(WATCH_EVERY).await;
            let now = stamp(&watched.list_path);
            if now.is_some() && now != last {
                last = now;
                reload_in_background(Arc::clone(&watched)).await;
            }
        }
    });
}

type Answer = Response<Full<Bytes>>;

async fn handle(state: &State, req: Request<Incoming>) -> Answer {
    let started = Instant::now();
    let origin = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()).map(str::to_owned);
    let allowed = origin.filter(|o| state.origins.iter().any(|a| a == o));
    let path = req.uri().path().to_owned();
    let is_check = path == "/v1/check";
    let mut answer = route(state, req, allowed.is_some()).await;
    let headers = answer.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = allowed.and_then(|o| HeaderValue::from_str(&o).ok()) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    let class = usize::from(answer.status().as_u16() / 100).clamp(1, 5) - 1;
    if let Some(counter) = state.metrics.by_status.get(class) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
    if is_check {
        let seconds = started.elapsed().as_secs_f64();
        let bucket = LATENCY_BUCKETS.iter().position(|b| seconds <= *b).unwrap_or(LATENCY_BUCKETS.len());
        if let Some(counter) = state.metrics.latency.get(bucket) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        state.metrics.latency_sum_us.fetch_add(micros, Ordering::Relaxed);
    }
    answer
}

async fn route(state: &State, req: Request<Incoming>, origin_allowed: bool) -> Answer {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    match (path.as_str(), method) {
        ("/healthz", Method::GET) => text(StatusCode::OK, "ok\n"),
        ("/readyz", Method::GET) => match served(state) {
            Ok(_) => text(StatusCode::OK, "ready\n"),
            Err(answer) => answer,
        },
        ("/metrics", Method::GET) => metrics(state),
        ("/v1/check" | "/v1/list", Method::OPTIONS) => preflight(origin_allowed),
        ("/v1/list", Method::GET) => match authorised(state, req.headers()).and_then(|()| served(state)) {
            Ok(s) => json_answer(StatusCode::OK, s.info.clone()),
            Err(answer) => answer,
        },
        ("/v1/check", Method::POST) => match authorised(state, req.headers()) {
            Ok(()) => check(state, req).await,
            Err(answer) => answer,
        },
        ("/healthz" | "/readyz" | "/metrics" | "/v1/list", _) => not_allowed("GET"),
        ("/v1/check", _) => not_allowed("POST"),
        _ => error(StatusCode::NOT_FOUND, "not_found", "no such path (see docs/server.md)"),
    }
}

/// The list served, refused once it has expired: a check against an
/// expired list is not one the host may rely on.
fn served(state: &State) -> Result<Arc<Served>, Answer> {
    let served = state
        .served
        .read()
        .map(|s| Arc::clone(&s))
        .map_err(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the list could not be read"))?;
    if let Some(expires) = served.expires.filter(|e| time::now() >= *e) {
        let message = format!("the list expired at {}; waiting for a newer one", time::format(expires));
        return Err(error(StatusCode::SERVICE_UNAVAILABLE, "list_expired", &message));
    }
    Ok(served)
}

/// Whether the request carries one of the tokens (always, without tokens).
fn authorised(state: &State, headers: &HeaderMap) -> Result<(), Answer> {
    if state.tokens.is_empty() {
        return Ok(());
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| -> [u8; 32] { Sha256::digest(t.trim().as_bytes()).into() });
    // Every token is compared, each in constant time, so the time taken
    // says nothing of which (or how much of one) matched.
    let ok = given.is_some_and(|g| state.tokens.iter().fold(false, |ok, t| ok | constant_time_eq(&g, t)));
    if ok {
        return Ok(());
    }
    let mut answer = error(StatusCode::UNAUTHORIZED, "unauthorized", "a valid bearer token is needed");
    answer.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    Err(answer)
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn check(state: &State, req: Request<Incoming>) -> Answer {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json")));
    if !json {
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "bad_request", "the body must be application/json");
    }
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > (MAX_BODY_BYTES + DRAIN_BYTES) as u64) {
        return too_large();
    }
    let body = match tokio::time::timeout(state.read_timeout, read_body(req.into_body(), declared)).await {
        Ok(Ok(body)) => body,
        Ok(Err(answer)) => return answer,
        Err(_) => return error(StatusCode::REQUEST_TIMEOUT, "bad_request", "the body was not sent in time"),
    };
    let files = match parse_check_request(&body) {
        Ok(files) => files,
        Err(e) => {
            let status =
                if e.code() == "limit_exceeded" { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::BAD_REQUEST };
            return error(status, e.code(), &e.to_string());
        }
    };
    let served = match served(state) {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let verdicts: Vec<Verdict> = files.into_iter().map(|h| served.checker.check_hashes(h)).collect();
    let m = &state.metrics;
    m.files.fetch_add(verdicts.len() as u64, Ordering::Relaxed);
    for v in &verdicts {
        if v.matched {
            m.matched_files.fetch_add(1, Ordering::Relaxed);
        }
        for hit in &v.matches {
            if let Some(i) = SignalType::ALL.iter().position(|s| *s == hit.signal)
                && let Some(counter) = m.matches.get(i)
            {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    #[derive(serde::Serialize)]
    struct Verdicts<'a> {
        verdicts: &'a [Verdict],
    }
    match serde_json::to_vec(&Verdicts { verdicts: &verdicts }) {
        Ok(body) => json_answer(StatusCode::OK, Bytes::from(body)),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the verdicts could not be serialised"),
    }
}

/// A body of at most [`MAX_BODY_BYTES`]. Over it, the rest is read and
/// dropped, up to [`DRAIN_BYTES`] more, before the 413: a client still
/// sending when the server closed would get a reset instead of the answer
/// (its socket drops what it had received). A client that sends more than
/// that is cut off; one that declares more is answered at once.
async fn read_body(mut body: Incoming, declared: Option<u64>) -> Result<Bytes, Answer> {
    let mut kept = Vec::new();
    let mut total = 0usize;
    let mut over = declared.is_some_and(|n| n > MAX_BODY_BYTES as u64);
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(error(StatusCode::BAD_REQUEST, "bad_request", "the body could not be read"));
        };
        let Ok(data) = frame.into_data() else { continue };
        total = total.saturating_add(data.len());
        over |= total > MAX_BODY_BYTES;
        if total > MAX_BODY_BYTES + DRAIN_BYTES {
            break;
        }
        if !over {
            kept.extend_from_slice(&data);
        }
    }
    if over { Err(too_large()) } else { Ok(Bytes::from(kept)) }
}

fn metrics(state: &State) -> Answer {
    let m = &state.metrics;
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let mut out = String::new();
    out.push_str(
        "# HELP prescan_http_responses_total Answers by status class.\n# TYPE prescan_http_responses_total counter\n",
    );
    for (i, c) in m.by_status.iter().enumerate() {
        out.push_str(&format!("prescan_http_responses_total{{class=\"{}xx\"}} {}\n", i + 1, get(c)));
    }
    out.push_str("# HELP prescan_check_duration_seconds Time to answer POST /v1/check.\n# TYPE prescan_check_duration_seconds histogram\n");
    let mut cumulative = 0;
    for (i, c) in m.latency.iter().enumerate() {
        cumulative += get(c);
        let le = LATENCY_BUCKETS.get(i).map_or_else(|| "+Inf".to_owned(), |b| b.to_string());
        out.push_str(&format!("prescan_check_duration_seconds_bucket{{le=\"{le}\"}} {cumulative}\n"));
    }
    out.push_str(&format!("prescan_check_duration_seconds_sum {}\n", get(&m.latency_sum_us) as f64 / 1e6));
    out.push_str(&format!("prescan_check_duration_seconds_count {cumulative}\n"));
    out.push_str("# HELP prescan_files_checked_total Files checked.\n# TYPE prescan_files_checked_total counter\n");
    out.push_str(&format!("prescan_files_checked_total {}\n", get(&m.files)));
    out.push_str(
        "# HELP prescan_files_matched_total Files with a match.\n# TYPE prescan_files_matched_total counter\n",
    );
    out.push_str(&format!("prescan_files_matched_total {}\n", get(&m.matched_files)));
    out.push_str("# HELP prescan_matches_total Matches by signal type.\n# TYPE prescan_matches_total counter\n");
    for (s, c) in SignalType::ALL.iter().zip(&m.matches) {
        out.push_str(&format!("prescan_matches_total{{signal=\"{}\"}} {}\n", s.name(), get(c)));
    }
    out.push_str(
        "# HELP prescan_list_reloads_total List reloads, by outcome.\n# TYPE prescan_list_reloads_total counter\n",
    );
    out.push_str(&format!("prescan_list_reloads_total{{outcome=\"ok\"}} {}\n", get(&m.reloads)));
    out.push_str(&format!("prescan_list_reloads_total{{outcome=\"refused\"}} {}\n", get(&m.reloads_refused)));
    if let Ok(s) = state.served.read() {
        out.push_str(
            "# HELP prescan_list_sequence The served list's sequence number.\n# TYPE prescan_list_sequence gauge\n",
        );
        out.push_str(&format!("prescan_list_sequence {}\n", s.sequence));
        out.push_str("# HELP prescan_list_expiry_seconds The served list's expiry, Unix seconds (0: never).\n# TYPE prescan_list_expiry_seconds gauge\n");
        out.push_str(&format!("prescan_list_expiry_seconds {}\n", s.expires.unwrap_or(0)));
    }
    let mut answer = Response::new(Full::new(Bytes::from(out)));
    answer.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    answer
}

fn preflight(origin_allowed: bool) -> Answer {
    if !origin_allowed {
        return error(StatusCode::FORBIDDEN, "bad_request", "this origin may not call the API");
    }
    let mut answer = Response::new(Full::new(Bytes::new()));
    *answer.status_mut() = StatusCode::NO_CONTENT;
    let h = answer.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("authorization, content-type"));
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    answer
}

fn too_large() -> Answer {
    error(StatusCode::PAYLOAD_TOO_LARGE, "limit_exceeded", &format!("the body is over {MAX_BODY_BYTES} bytes"))
}

fn not_allowed(allow: &'static str) -> Answer {
    let mut answer = error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "method not allowed on this path");
    answer.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
    answer
}

fn text(status: StatusCode, body: &'static str) -> Answer {
    let mut answer = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *answer.status_mut() = status;
    answer.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    answer
}

fn json_answer(status: StatusCode, body: Bytes) -> Answer {
    let mut answer = Response::new(Full::new(body));
    *answer.status_mut() = status;
    answer.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    answer
}

/// `{"error": {"code", "message"}}`, the code from the one table.
fn error(status: StatusCode, code: &str, message: &str) -> Answer {
    json_answer(status, Bytes::from(json!({ "error": { "code": code, "message": message } }).to_string()))
}
