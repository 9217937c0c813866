//! `#[kamal_healthcheck]` on the router function with readiness checks, and on
//! the function that serves that router (a user following both sections of the
//! README): the serving form answers the probe, with the router function's
//! checks, so a database that is down still fails the probe, wherever the
//! router is served (in a task on another thread); where the checks cannot be
//! tied to one app (two apps served), the probe gets `503` and the log says
//! why, never `200` without them. Over TCP.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use kamal_healthcheck::kamal_healthcheck;
use kamal_healthcheck_tests::events::Recorder;
use kamal_healthcheck_tests::{Pool, probe};
use tokio::net::TcpListener;

#[kamal_healthcheck(check(db = pool.ping()), cache_for = "0s")]
fn app(pool: Pool) -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .with_state(pool)
}

#[kamal_healthcheck]
async fn serve(listener: TcpListener, pool: Pool) {
    let app = app(pool);
    axum::serve(listener, app).await.unwrap();
}

/// Served in a task, which the multi-thread runtime runs on another thread
/// than the one that built the router.
#[kamal_healthcheck]
async fn serve_in_a_task(listener: TcpListener, pool: Pool) {
    let app = app(pool);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() })
        .await
        .unwrap();
}

/// An internal admin router (no attribute of its own) and the public app, in
/// one `join!`: the admin app's `serve` call comes first.
#[kamal_healthcheck]
async fn serve_admin_and_app(admin: TcpListener, public: TcpListener, pool: Pool) {
    let inside = Router::new().route("/stats", get(|| async { "stats" }));
    let (a, b) = tokio::join!(axum::serve(admin, inside), axum::serve(public, app(pool)));
    a.unwrap();
    b.unwrap();
}

/// A metrics router served in a task beside the app.
#[kamal_healthcheck]
async fn serve_metrics_beside_app(metrics: TcpListener, public: TcpListener, pool: Pool) {
    let stats = Router::new().route("/metrics", get(|| async { "metrics" }));
    tokio::spawn(async move { axum::serve(metrics, stats).await.unwrap() });
    axum::serve(public, app(pool)).await.unwrap();
}

/// One router on two listeners (as for IPv4 and IPv6).
#[kamal_healthcheck]
async fn serve_on_two_listeners(first: TcpListener, second: TcpListener, pool: Pool) {
    let app = app(pool);
    let (a, b) = tokio::join!(axum::serve(first, app.clone()), axum::serve(second, app));
    a.unwrap();
    b.unwrap();
}

#[kamal_healthcheck(check(jobs = pool.ping()))]
async fn serve_with_checks_of_its_own(listener: TcpListener, pool: Pool) {
    let app = app(pool.clone());
    axum::serve(listener, app).await.unwrap();
}

/// A listener on a free loopback port, and its address.
async fn bound() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    (listener, address)
}

/// A pool whose database is up.
fn database_up() -> Pool {
    let pool = Pool::default();
    pool.up.store(true, Ordering::SeqCst);
    pool
}

/// Both `503`, with the database up: which checks are whose cannot be told.
async fn both_refuse(first: SocketAddr, second: SocketAddr) {
    for address in [first, second] {
        let answer = probe(address, "GET", "/up").await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (503, "router_function_checks: failed\n")
        );
    }
}

#[tokio::test]
async fn the_serving_form_answers_with_the_router_functions_checks() {
    let (listener, address) = bound().await;
    let pool = Pool::default();
    tokio::spawn(serve(listener, pool.clone()));
    let down = probe(address, "GET", "/up").await;
    assert_eq!((down.status, down.body.as_str()), (503, "db: failed\n"));
    pool.up.store(true, Ordering::SeqCst);
    let up = probe(address, "GET", "/up").await;
    assert_eq!((up.status, up.body.as_str()), (200, "OK"));
    assert_eq!(probe(address, "GET", "/").await.body, "home");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checks_follow_the_router_into_a_task_on_another_thread() {
    let (listener, address) = bound().await;
    let pool = Pool::default();
    // The serving function runs here, on the test's own thread, as `main`'s
    // body does: it builds the router here, and its task serves it on a
    // worker thread.
    // The worker's events go to the process-wide subscriber.
    let recorder = Recorder::default();
    tracing::subscriber::set_global_default(recorder.clone()).unwrap();
    let serving = serve_in_a_task(listener, pool.clone());
    let probing = async {
        let down = probe(address, "GET", "/up").await;
        assert_eq!((down.status, down.body.as_str()), (503, "db: failed\n"));
        pool.up.store(true, Ordering::SeqCst);
        assert_eq!(probe(address, "GET", "/up").await.status, 200);
    };
    tokio::select! {
        () = serving => unreachable!("the server stopped"),
        () = probing => {}
    }
    // The start-up line names the checks the probe is answered with.
    let address = address.to_string();
    let started = recorder
        .at(tracing::Level::INFO)
        .into_iter()
        .find(|event| event.field("address") == Some(address.as_str()))
        .expect("the start-up line");
    assert_eq!(started.field("checks"), Some("db"), "{started:?}");
}

#[tokio::test]
async fn checks_that_cannot_be_tied_to_one_of_two_apps_are_a_503_that_says_why() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let ((admin, admin_address), (public, address)) = (bound().await, bound().await);
    let served = tokio::spawn(serve_admin_and_app(admin, public, database_up()));
    both_refuse(admin_address, address).await;
    assert_eq!(probe(address, "GET", "/").await.body, "home");
    assert_eq!(probe(admin_address, "GET", "/stats").await.body, "stats");
    let errors = recorder.at(tracing::Level::ERROR);
    let said = "cannot tell which app's readiness checks are which: 2 `axum::serve` calls \
                with the attribute answer /up, and one router function's attribute has checks";
    assert!(
        errors.iter().any(|error| error.message.contains(said)),
        "{errors:?}"
    );
    served.abort();
}

#[tokio::test]
async fn a_metrics_router_served_beside_the_app_is_a_second_app() {
    let ((metrics, first), (public, second)) = (bound().await, bound().await);
    let served = tokio::spawn(serve_metrics_beside_app(metrics, public, database_up()));
    // The metrics server's task has started once it answers.
    assert_eq!(probe(first, "GET", "/metrics").await.body, "metrics");
    both_refuse(first, second).await;
    served.abort();
}

#[tokio::test]
async fn one_router_on_two_listeners_is_two_apps() {
    let ((first, a), (second, b)) = (bound().await, bound().await);
    let served = tokio::spawn(serve_on_two_listeners(first, second, database_up()));
    both_refuse(a, b).await;
    assert_eq!(probe(b, "GET", "/").await.body, "home");
    served.abort();
}

#[tokio::test]
async fn checks_on_both_attributes_fail_at_start_up() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let started = tokio::spawn(serve_with_checks_of_its_own(listener, Pool::default()));
    let panic = started
        .await
        .expect_err("serving panics at start-up")
        .into_panic();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.starts_with("#[kamal_healthcheck] has readiness checks twice for \"/up\"\n= note:"),
        "{message}"
    );
    assert!(message.contains("= help: give all the checks to one of the two attributes"));
}

/// The start-up check for a route of the app's own at the path knows the
/// router function's attribute's own route: no false alarm.
#[tokio::test]
async fn the_router_functions_own_route_is_no_error() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let (listener, address) = bound().await;
    tokio::spawn(serve(listener, database_up()));
    assert_eq!(probe(address, "GET", "/up").await.status, 200);
    // The check at the first connection has asked the app twice by the time
    // two more requests are answered on this thread.
    assert_eq!(probe(address, "GET", "/").await.status, 200);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let errors = recorder.at(tracing::Level::ERROR);
    assert!(errors.is_empty(), "{errors:?}");
}
