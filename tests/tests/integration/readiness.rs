//! Readiness checks over real TCP: deadlines, panics, one run per burst, the
//! start-up gate, and normal requests untouched by all of it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use kamal_healthcheck::{HealthCheckLayer, StartupGate, kamal_healthcheck};
use kamal_healthcheck_tests::*;
use tower::Layer;

fn app() -> Router {
    Router::new().route("/", get(|| async { "home" }))
}

async fn ok() -> Result<(), std::io::Error> {
    Ok(())
}

#[tokio::test]
async fn all_checks_pass() {
    let layer = HealthCheckLayer::new().check("db", ok).check("cache", ok);
    let server = serve(layer.layer(app())).await;
    let response = probe(server.address, "GET", "/up").await;
    assert_eq!((response.status, response.body.as_str()), (200, "OK"));
}

#[tokio::test]
async fn a_hanging_check_times_out_within_its_deadline() {
    let deadline = Duration::from_millis(300);
    let layer = HealthCheckLayer::new()
        .deadline(deadline)
        .check("db", std::future::pending::<Result<(), String>>)
        .check("cache", ok);
    let server = serve(layer.layer(app())).await;
    let start = Instant::now();
    let response = probe(server.address, "GET", "/up").await;
    let elapsed = start.elapsed();
    assert_eq!(response.status, 503);
    assert_eq!(response.body, "db: timed out after 300ms\n");
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(elapsed >= deadline, "answered after {elapsed:?}");
    assert!(
        elapsed < deadline + Duration::from_secs(1),
        "answered after {elapsed:?}"
    );
    // The app is unaffected.
    let home = request(server.address, "GET", "/", ALLOWED_HOST, &[]).await;
    assert_eq!((home.status, home.body.as_str()), (200, "home"));
}

#[tokio::test]
async fn a_panicking_check_fails_and_the_server_keeps_serving() {
    let layer = HealthCheckLayer::new()
        .cache_for(Duration::ZERO)
        .check("starts", || -> std::future::Ready<Result<(), String>> {
            panic!("check panicked while starting")
        })
        .check("runs", || async {
            tokio::task::yield_now().await;
            panic!("check panicked while running");
            #[allow(unreachable_code)]
            Ok::<(), String>(())
        });
    let server = serve(layer.layer(app())).await;
    for _ in 0..3 {
        let response = probe(server.address, "GET", "/up").await;
        assert_eq!(response.status, 503);
        assert_eq!(response.body, "starts: panicked\nruns: panicked\n");
    }
    assert_eq!(probe(server.address, "GET", "/").await.status, 200);
}

#[tokio::test]
async fn errors_are_named_and_detailed_only_on_request() {
    let failing = || async { Err::<(), _>("connection refused by 10.0.0.5:5432") };
    let server = serve(HealthCheckLayer::new().check("db", failing).layer(app())).await;
    let response = probe(server.address, "GET", "/up").await;
    assert_eq!(
        (response.status, response.body.as_str()),
        (503, "db: failed\n")
    );

    let detailed = HealthCheckLayer::new()
        .error_details(true)
        .check("db", failing);
    let server = serve(detailed.layer(app())).await;
    let response = probe(server.address, "GET", "/up").await;
    assert_eq!(
        response.body,
        "db: failed: connection refused by 10.0.0.5:5432\n"
    );
    let head = probe(server.address, "HEAD", "/up").await;
    assert_eq!((head.status, head.body.as_str()), (503, ""));
    assert_eq!(
        head.header("content-length"),
        Some(response.body.len().to_string().as_str())
    );
}

/// A check that counts its runs and takes `duration`.
fn counted(
    runs: &Arc<AtomicUsize>,
    duration: Duration,
) -> impl Fn() -> std::pin::Pin<Box<dyn Future<Output = Result<(), String>> + Send>>
+ Send
+ Sync
+ 'static {
    let runs = Arc::clone(runs);
    move || {
        runs.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            tokio::time::sleep(duration).await;
            Ok(())
        })
    }
}

async fn burst(server: &Server, probes: usize) -> Vec<u16> {
    let address = server.address;
    let tasks: Vec<_> = (0..probes)
        .map(|_| tokio::spawn(async move { probe(address, "GET", "/up").await.status }))
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_probes_runs_each_check_once() {
    let (db, cache) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let layer = HealthCheckLayer::new()
        .cache_for(Duration::from_secs(5))
        .check("db", counted(&db, Duration::from_millis(200)))
        .check("cache", counted(&cache, Duration::from_millis(50)));
    let server = serve(layer.layer(app())).await;

    let statuses = burst(&server, 200).await;
    assert!(statuses.iter().all(|&status| status == 200), "{statuses:?}");
    let runs = || (db.load(Ordering::SeqCst), cache.load(Ordering::SeqCst));
    assert_eq!(runs(), (1, 1));
    // Within the cache period the outcome is reused.
    burst(&server, 50).await;
    assert_eq!(runs(), (1, 1));
}

#[tokio::test]
async fn after_the_cache_period_the_checks_run_again() {
    let runs = Arc::new(AtomicUsize::new(0));
    let layer = HealthCheckLayer::new()
        .cache_for(Duration::from_millis(300))
        .check("db", counted(&runs, Duration::from_millis(1)));
    let server = serve(layer.layer(app())).await;
    assert_eq!(probe(server.address, "GET", "/up").await.status, 200);
    assert_eq!(probe(server.address, "GET", "/up").await.status, 200);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(probe(server.address, "GET", "/up").await.status, 200);
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn without_a_cache_period_sequential_probes_run_the_checks_each_time() {
    let runs = Arc::new(AtomicUsize::new(0));
    let layer = HealthCheckLayer::new()
        .cache_for(Duration::ZERO)
        .check("db", counted(&runs, Duration::from_millis(1)));
    let server = serve(layer.layer(app())).await;
    for _ in 0..3 {
        assert_eq!(probe(server.address, "GET", "/up").await.status, 200);
    }
    assert_eq!(runs.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn the_gate_keeps_the_answer_at_starting_until_opened() {
    let runs = Arc::new(AtomicUsize::new(0));
    let gate = StartupGate::new();
    let layer = HealthCheckLayer::new()
        .gate(gate.clone())
        .check("db", counted(&runs, Duration::from_millis(1)));
    let server = serve(layer.layer(app())).await;

    for _ in 0..3 {
        let response = probe(server.address, "GET", "/up").await;
        assert_eq!(
            (response.status, response.body.as_str()),
            (503, "starting\n")
        );
    }
    assert_eq!(
        runs.load(Ordering::SeqCst),
        0,
        "checks ran behind a closed gate"
    );
    assert_eq!(probe(server.address, "GET", "/").await.status, 200);

    gate.open();
    let response = probe(server.address, "GET", "/up").await;
    assert_eq!((response.status, response.body.as_str()), (200, "OK"));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn other_methods_are_refused_without_running_checks() {
    let runs = Arc::new(AtomicUsize::new(0));
    let layer = HealthCheckLayer::new().check("db", counted(&runs, Duration::from_millis(1)));
    let server = serve(layer.layer(app())).await;
    assert_eq!(probe(server.address, "POST", "/up").await.status, 405);
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}

/// The deadline is bounded by the deployment's timeout: Kamal's 5 s default, or
/// the one given with `.proxy_timeout(..)`, in either order. A deadline that
/// does not end before the timeout in force cannot work: applying the layer
/// panics, with a message that names the problem and the fix, as an invalid
/// path does.
#[test]
fn the_deadline_must_end_before_the_timeout_in_force() {
    let with_check = || HealthCheckLayer::new().check("db", ok);
    let refused = |layer: HealthCheckLayer| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| layer.layer(app())))
            .err()
            .map(|panic| *panic.downcast::<String>().unwrap())
    };
    let message = refused(with_check().deadline(Duration::from_secs(7))).unwrap();
    assert!(
        message
            .starts_with("HealthCheckLayer: a check deadline of 7s is not below the timeout of 5s"),
        "{message}"
    );
    assert!(
        message.contains(
            "= help: give a `.deadline(..)` below 5s (Kamal's default timeout), or, when \
             deploy.yml sets a longer `proxy: healthcheck: timeout:`, give it with `.proxy_timeout(..)`"
        ),
        "{message}"
    );
    let ten = Duration::from_secs(10);
    assert_eq!(
        refused(
            with_check()
                .deadline(Duration::from_secs(7))
                .proxy_timeout(ten)
        ),
        None
    );
    assert_eq!(
        refused(
            with_check()
                .proxy_timeout(ten)
                .deadline(Duration::from_secs(7))
        ),
        None
    );
    let message = refused(with_check().proxy_timeout(Duration::from_secs(2))).unwrap();
    assert!(
        message.contains("a check deadline of 2s is not below the timeout of 2s")
            && message.contains("= help: give a `.deadline(..)` below 2s"),
        "{message}"
    );
    // Without checks no deadline bounds anything.
    assert_eq!(
        refused(HealthCheckLayer::new().proxy_timeout(Duration::from_secs(1))),
        None
    );
}

#[test]
#[should_panic(expected = "a check deadline of zero")]
fn a_zero_deadline_is_refused() {
    let _ = HealthCheckLayer::new().deadline(Duration::ZERO);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_arriving_during_a_run_wait_for_it() {
    // The check ends only once all the probes have been taken in by the
    // healthcheck (a counting layer outside it says so), so all of them arrive
    // during the run; with no cache period, only joining that run keeps the
    // count at one.
    const PROBES: usize = 100;
    let runs = Arc::new(AtomicUsize::new(0));
    let (arrivals, arrived) = tokio::sync::watch::channel(0_usize);
    let arrivals = Arc::new(arrivals);
    let counting = Arc::clone(&runs);
    let healthcheck = HealthCheckLayer::new()
        .cache_for(Duration::ZERO)
        .deadline(Duration::from_secs(4))
        .check("db", move || {
            counting.fetch_add(1, Ordering::SeqCst);
            let mut arrived = arrived.clone();
            async move {
                arrived
                    .wait_for(|&count| count >= PROBES)
                    .await
                    .map(drop)
                    .map_err(|closed| closed.to_string())
            }
        });
    // Counted once the healthcheck's `call` has returned, by which time the
    // probe has joined the run (or started it): counted before, the last
    // probe could be counted, the run end, and the probe start a second one.
    let app = tower::ServiceBuilder::new()
        .map_future(move |future| {
            arrivals.send_modify(|count| *count += 1);
            future
        })
        .layer(healthcheck)
        .service(app());
    let server = serve(app).await;
    let statuses = burst(&server, PROBES).await;
    assert!(statuses.iter().all(|&status| status == 200), "{statuses:?}");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

/// A runtime without tokio's time driver cannot keep deadlines; the probe gets a
/// `503` saying so (and the panic message on stderr), not a crashed request.
#[test]
fn a_runtime_without_timers_fails_the_probe_not_the_request() {
    use tower::{Service, ServiceExt};

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut app = HealthCheckLayer::new().check("db", ok).layer(app());
    let response = runtime.block_on(async {
        let probe = http::Request::get("/up")
            .body(axum::body::Body::empty())
            .unwrap();
        let ready = ServiceExt::<axum::extract::Request>::ready(&mut app);
        ready.await.unwrap().call(probe).await.unwrap()
    });
    assert_eq!(response.status(), 503);
    let body = runtime
        .block_on(axum::body::to_bytes(response.into_body(), 1024))
        .unwrap();
    assert_eq!(body, "timer: panicked\n");
}

#[tokio::test]
async fn a_gate_without_checks() {
    let gate = StartupGate::new();
    let server = serve(HealthCheckLayer::new().gate(gate.clone()).layer(app())).await;
    let response = probe(server.address, "GET", "/up").await;
    assert_eq!(
        (response.status, response.body.as_str()),
        (503, "starting\n")
    );
    gate.open();
    let response = probe(server.address, "GET", "/up").await;
    assert_eq!((response.status, response.body.as_str()), (200, "OK"));
    assert_eq!(response.header("content-length"), Some("2"));
}

/// A check written as an `async` block: the expansion awaits it in an `async
/// move` block of its own, which clippy's `redundant_async_block` would flag
/// in the user's code (the workspace's clippy run denies warnings).
#[kamal_healthcheck(check(queue = async { Ok::<(), String>(()) }))]
fn app_with_an_async_block_check() -> Router {
    app()
}

#[tokio::test]
async fn a_check_written_as_an_async_block() {
    let server = serve(app_with_an_async_block_check()).await;
    let response = probe(server.address, "GET", "/up").await;
    assert_eq!((response.status, response.body.as_str()), (200, "OK"));
}
