//! What the healthcheck says in the app's log, over TCP: each failed readiness
//! check with its error (which the public body hides), the return to ready, the
//! start-up gate; a bounded volume under a flood of probes; nothing for healthy
//! probes or normal requests. Each test records the events of its own thread
//! (the tests' runtimes are single-threaded, so the server runs there too).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use kamal_healthcheck::{HealthCheckLayer, StartupGate};
use kamal_healthcheck_tests::events::{Event, Recorder};

use kamal_healthcheck_tests::*;
use tower::Layer;
use tracing::Level;

fn app() -> Router {
    Router::new().route("/", get(|| async { "home" }))
}

fn recording() -> (Recorder, tracing::subscriber::DefaultGuard) {
    let recorder = Recorder::default();
    let guard = tracing::subscriber::set_default(recorder.clone());
    (recorder, guard)
}

fn assert_fields(event: &Event, expected: &[(&str, &str)]) {
    for (name, value) in expected {
        assert_eq!(event.field(name), Some(*value), "{name} of {event:?}");
    }
}

async fn refused() -> Result<(), std::io::Error> {
    Err(std::io::Error::new(
        std::io::ErrorKind::ConnectionRefused,
        "connection refused",
    ))
}

/// A check that fails with "connection refused" while `down` is set.
fn switchable(
    down: &Arc<AtomicBool>,
) -> impl Fn() -> std::future::Ready<Result<(), &'static str>> + Send + Sync + 'static {
    let down = Arc::clone(down);
    move || {
        std::future::ready(match down.load(Ordering::SeqCst) {
            true => Err("connection refused"),
            false => Ok(()),
        })
    }
}

#[tokio::test]
async fn a_failed_check_is_logged_with_its_error_while_the_body_hides_it() {
    let (recorder, _guard) = recording();
    let server = serve(HealthCheckLayer::new().check("db", refused).layer(app())).await;
    let response = probe(server.address, "GET", "/up").await;
    assert_eq!(
        (response.status, response.body.as_str()),
        (503, "db: failed\n")
    );

    let warnings = recorder.at(Level::WARN);
    let [warning] = &warnings[..] else {
        panic!("one WARN: {:?}", recorder.events());
    };
    assert_eq!(
        warning.message,
        "readiness check did not pass; the healthcheck answers 503"
    );
    assert_fields(
        warning,
        &[
            ("check", "db"),
            ("outcome", "failed"),
            ("error", "connection refused"),
            ("path", "/up"),
            ("repeats", "0"),
        ],
    );
    let elapsed: u64 = warning.field("elapsed_ms").unwrap().parse().unwrap();
    assert!(elapsed < 1000, "{elapsed}");
}

#[tokio::test]
async fn timeouts_and_panics_are_logged_with_what_happened() {
    let (recorder, _guard) = recording();
    let layer = HealthCheckLayer::with_path("/healthz")
        .deadline(Duration::from_millis(100))
        .check("queue", std::future::pending::<Result<(), String>>)
        .check("cache", || async {
            panic!("pool poisoned");
            #[allow(unreachable_code)]
            Ok::<(), String>(())
        });
    let server = serve(layer.layer(app())).await;
    let response = probe(server.address, "GET", "/healthz").await;
    assert_eq!(
        (response.status, response.body.as_str()),
        (503, "queue: timed out after 100ms\ncache: panicked\n")
    );
    let warnings = recorder.at(Level::WARN);
    let [queue, cache] = &warnings[..] else {
        panic!("two WARNs: {:?}", recorder.events());
    };
    assert_fields(
        queue,
        &[
            ("check", "queue"),
            ("outcome", "timed out"),
            ("error", "no result within the deadline of 100ms"),
            ("path", "/healthz"),
        ],
    );
    let elapsed: u64 = queue.field("elapsed_ms").unwrap().parse().unwrap();
    assert!((100..1000).contains(&elapsed), "{elapsed}");
    assert_fields(
        cache,
        &[
            ("check", "cache"),
            ("outcome", "panicked"),
            ("error", "pool poisoned"),
            ("path", "/healthz"),
        ],
    );
}

#[tokio::test]
async fn ready_is_logged_once_when_first_reached_and_once_per_recovery() {
    let (recorder, _guard) = recording();
    let down = Arc::new(AtomicBool::new(false));
    let layer = HealthCheckLayer::new()
        .cache_for(Duration::ZERO)
        .check("db", switchable(&down));
    let server = serve(layer.layer(app())).await;
    let up = || async { probe(server.address, "GET", "/up").await.status };

    assert_eq!(up().await, 200);
    let [first] = &recorder.events()[..] else {
        panic!(
            "one event for the first healthy run: {:?}",
            recorder.events()
        );
    };
    assert_eq!(first.level, Level::INFO);
    assert_eq!(
        first.message,
        "readiness checks pass; the healthcheck answers 200"
    );
    assert_fields(first, &[("outcome", "passed"), ("path", "/up")]);
    for _ in 0..5 {
        assert_eq!(up().await, 200);
    }
    assert_eq!(recorder.events().len(), 1, "healthy probes log nothing");

    recorder.clear();
    down.store(true, Ordering::SeqCst);
    assert_eq!(up().await, 503);
    down.store(false, Ordering::SeqCst);
    for _ in 0..5 {
        assert_eq!(up().await, 200);
    }
    let events = recorder.events();
    let [failed, recovered] = &events[..] else {
        panic!("the failure, then one recovery: {events:?}");
    };
    assert_eq!(failed.level, Level::WARN);
    assert_eq!(recovered.level, Level::INFO);
    assert_eq!(recovered.field("outcome"), Some("passed"));
}

/// One check passing again while another still fails says so, once.
#[tokio::test]
async fn a_check_that_passes_again_while_another_fails() {
    let (recorder, _guard) = recording();
    let down = Arc::new(AtomicBool::new(true));
    let layer = HealthCheckLayer::new()
        .cache_for(Duration::ZERO)
        .check("db", switchable(&down))
        .check("queue", || async { Err::<(), _>("unreachable") });
    let server = serve(layer.layer(app())).await;
    assert_eq!(probe(server.address, "GET", "/up").await.status, 503);
    down.store(false, Ordering::SeqCst);
    assert_eq!(probe(server.address, "GET", "/up").await.status, 503);
    let infos = recorder.at(Level::INFO);
    let [again] = &infos[..] else {
        panic!("one INFO: {:?}", recorder.events());
    };
    assert_eq!(
        again.message,
        "readiness check passes again; others still fail"
    );
    assert_fields(again, &[("check", "db"), ("outcome", "passed")]);
}

/// 1,000 concurrent probes, then more for two seconds, against a failing check
/// with no cache period: hundreds of runs, at most one event per second.
#[tokio::test]
async fn a_flood_of_probes_does_not_flood_the_log() {
    let (recorder, _guard) = recording();
    let runs = Arc::new(AtomicUsize::new(0));
    let counting = Arc::clone(&runs);
    let layer = HealthCheckLayer::new()
        .cache_for(Duration::ZERO)
        .check("db", move || {
            counting.fetch_add(1, Ordering::SeqCst);
            refused()
        });
    let server = serve(layer.layer(app())).await;
    let address = server.address;
    let start = Instant::now();
    let mut probes = Vec::new();
    for _ in 0..1_000 {
        probes.push(tokio::spawn(async move {
            probe(address, "GET", "/up").await.status
        }));
    }
    for probe in probes {
        assert_eq!(probe.await.unwrap(), 503);
    }
    let mut probers = Vec::new();
    for _ in 0..20 {
        probers.push(tokio::spawn(async move {
            while start.elapsed() < Duration::from_secs(2) {
                assert_eq!(probe(address, "GET", "/up").await.status, 503);
            }
        }));
    }
    for prober in probers {
        prober.await.unwrap();
    }
    let elapsed = start.elapsed();
    let warnings = recorder.at(Level::WARN);
    let runs = runs.load(Ordering::SeqCst);
    println!("{runs} runs, {} events in {elapsed:?}", warnings.len());
    assert!(runs > 100, "the flood ran the check {runs} times");
    assert!(
        warnings.len() as f64 <= 2.0 * elapsed.as_secs_f64().ceil(),
        "{} events in {elapsed:?}",
        warnings.len()
    );
    // The healthcheck spaces its events by the instant it decides to write; the
    // recorder stamps them a little later, by a few microseconds that vary.
    for pair in warnings.windows(2) {
        assert!(
            pair[1].at.duration_since(pair[0].at) >= Duration::from_millis(990),
            "two events less than a second apart: {pair:?}"
        );
    }
    // The runs not written are counted on the next event.
    let repeats: u64 = warnings
        .iter()
        .map(|event| event.field("repeats").unwrap().parse::<u64>().unwrap())
        .sum();
    assert!(repeats > 0 && repeats < runs as u64, "{repeats} of {runs}");
    assert_eq!(recorder.at(Level::INFO).len(), 0);
}

/// A change of outcome is written at once, even within the second.
#[tokio::test]
async fn a_changed_failure_is_written_at_once() {
    let (recorder, _guard) = recording();
    let hang = Arc::new(AtomicBool::new(false));
    let check = Arc::clone(&hang);
    let layer = HealthCheckLayer::new()
        .cache_for(Duration::ZERO)
        .deadline(Duration::from_millis(50))
        .check("db", move || {
            let hang = check.load(Ordering::SeqCst);
            async move {
                if hang {
                    std::future::pending::<()>().await;
                }
                Err::<(), _>("connection refused")
            }
        });
    let server = serve(layer.layer(app())).await;
    assert_eq!(probe(server.address, "GET", "/up").await.status, 503);
    assert_eq!(probe(server.address, "GET", "/up").await.status, 503);
    hang.store(true, Ordering::SeqCst);
    assert_eq!(probe(server.address, "GET", "/up").await.status, 503);
    let outcomes: Vec<String> = recorder
        .at(Level::WARN)
        .iter()
        .map(|event| event.field("outcome").unwrap().to_owned())
        .collect();
    assert_eq!(outcomes, ["failed", "timed out"]);
}

#[tokio::test]
async fn the_start_up_gate_is_logged_when_it_first_turns_a_probe_away_and_when_it_opens() {
    let (recorder, _guard) = recording();
    let gate = StartupGate::new();
    let layer = HealthCheckLayer::new()
        .gate(gate.clone())
        .check("db", || async { Ok::<(), String>(()) });
    let server = serve(layer.layer(app())).await;
    for _ in 0..3 {
        assert_eq!(probe(server.address, "GET", "/up").await.status, 503);
    }
    let events = recorder.events();
    let [closed] = &events[..] else {
        panic!("one event for three turned-away probes: {events:?}");
    };
    assert_eq!(closed.level, Level::INFO);
    assert_eq!(
        closed.message,
        "start-up gate closed; the healthcheck answers 503 `starting` until the app opens it"
    );
    assert_fields(closed, &[("outcome", "starting"), ("path", "/up")]);

    tokio::time::sleep(Duration::from_millis(200)).await;
    gate.open();
    gate.open();
    assert_eq!(probe(server.address, "GET", "/up").await.status, 200);
    let events = recorder.events();
    let [_, opened, ready] = &events[..] else {
        panic!("opened once, then ready: {events:?}");
    };
    assert_eq!(
        opened.message,
        "start-up gate opened; the healthcheck runs its checks from now on"
    );
    let waited: u64 = opened.field("elapsed_ms").unwrap().parse().unwrap();
    assert!((200..5_000).contains(&waited), "{waited}");
    assert_eq!(ready.field("outcome"), Some("passed"));
}

#[tokio::test]
async fn healthy_probes_and_normal_requests_log_nothing() {
    let (recorder, _guard) = recording();
    let layer = HealthCheckLayer::new()
        .cache_for(Duration::ZERO)
        .check("db", || async { Ok::<(), String>(()) });
    let server = serve(layer.layer(app())).await;
    assert_eq!(probe(server.address, "GET", "/up").await.status, 200);
    recorder.clear();
    for _ in 0..50 {
        assert_eq!(probe(server.address, "GET", "/up").await.status, 200);
        assert_eq!(probe(server.address, "GET", "/").await.status, 200);
    }
    assert_eq!(recorder.events().len(), 0, "{:?}", recorder.events());
}
