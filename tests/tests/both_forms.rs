//! `#[kamal_healthcheck]` on the router function with readiness checks, and on
//! the function that serves that router (a user following both sections of the
//! README): the serving form answers the probe, with the router function's
//! checks, so a database that is down still fails the probe. Over TCP.

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

#[kamal_healthcheck(check(jobs = pool.ping()))]
async fn serve_with_checks_of_its_own(listener: TcpListener, pool: Pool) {
    let app = app(pool.clone());
    axum::serve(listener, app).await.unwrap();
}

#[tokio::test]
async fn the_serving_form_answers_with_the_router_functions_checks() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let pool = Pool::default();
    tokio::spawn(serve(listener, pool.clone()));
    let down = probe(address, "GET", "/up").await;
    assert_eq!((down.status, down.body.as_str()), (503, "db: failed\n"));
    pool.up.store(true, Ordering::SeqCst);
    let up = probe(address, "GET", "/up").await;
    assert_eq!((up.status, up.body.as_str()), (200, "OK"));
    assert_eq!(probe(address, "GET", "/").await.body, "home");
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
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let pool = Pool::default();
    pool.up.store(true, Ordering::SeqCst);
    tokio::spawn(serve(listener, pool));
    assert_eq!(probe(address, "GET", "/up").await.status, 200);
    // The check at the first connection has asked the app twice by the time
    // two more requests are answered on this thread.
    assert_eq!(probe(address, "GET", "/").await.status, 200);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let errors = recorder.at(tracing::Level::ERROR);
    assert!(errors.is_empty(), "{errors:?}");
}
