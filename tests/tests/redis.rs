//! Readiness against a real dependency: a `redis-server` process (Debian's
//! package; the test skips itself where it is missing), checked with a plain
//! TCP `PING`. `/up` is 200 while it runs, 503 within the deadline when it hangs
//! or dies, 200 again after a restart; other routes are unaffected throughout.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use kamal_healthcheck::HealthCheckLayer;
use kamal_healthcheck_tests::events::Recorder;
use kamal_healthcheck_tests::redis::*;
use kamal_healthcheck_tests::*;
use tower::Layer;
use tracing::Level;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_a_real_redis_server() {
    if !redis_server_installed() {
        return;
    }
    // The app's log, as Kamal prints it when a deploy fails: this test binary
    // runs this one test, so the recorder can be the global subscriber.
    let log = Recorder::default();
    tracing::subscriber::set_global_default(log.clone()).unwrap();
    let warned = |outcome: &str| {
        let warnings = log.at(Level::WARN);
        let last = warnings.last().cloned();
        last.filter(|event| event.field("outcome") == Some(outcome))
    };
    let address: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    let mut redis = Redis::start(address.port());
    wait_for(address).await;

    let deadline = Duration::from_secs(1);
    let healthcheck = HealthCheckLayer::new()
        .deadline(deadline)
        .cache_for(Duration::ZERO)
        .check("redis", move || ping(address));
    let app = Router::new().route("/", get(|| async { "home" }));
    let server = serve(healthcheck.layer(app)).await;
    let home = || async { probe(server.address, "GET", "/").await.status };
    let up = || async {
        let start = Instant::now();
        let response = probe(server.address, "GET", "/up").await;
        (response.status, response.body, start.elapsed())
    };

    let (status, body, _) = up().await;
    assert_eq!((status, body.as_str()), (200, "OK"));
    assert_eq!(home().await, 200);

    // Hung (stopped): the ping never returns, the deadline answers.
    redis.signal("-STOP");
    let (status, body, elapsed) = up().await;
    assert_eq!(
        (status, body.as_str()),
        (503, "redis: timed out after 1s\n")
    );
    assert!(
        elapsed < deadline + Duration::from_millis(500),
        "{elapsed:?}"
    );
    assert_eq!(home().await, 200);
    let hung = warned("timed out").expect("a WARN for the stopped redis");
    assert_eq!(hung.field("check"), Some("redis"));
    assert_eq!(
        hung.field("error"),
        Some("no result within the deadline of 1s")
    );
    redis.signal("-CONT");
    wait_for(address).await;

    // Dead: connection refused, at once.
    drop(redis);
    let (status, body, elapsed) = up().await;
    assert_eq!((status, body.as_str()), (503, "redis: failed\n"));
    assert!(elapsed < deadline, "{elapsed:?}");
    assert_eq!(home().await, 200);
    // The log has what the public body hides.
    let dead = warned("failed").expect("a WARN for the dead redis");
    assert_eq!(dead.field("check"), Some("redis"));
    let error = dead.field("error").unwrap();
    assert!(error.starts_with("Connection refused"), "{error}");
    println!("{dead:?}");

    // Restarted on the same port: healthy again, without restarting the app.
    redis = Redis::start(address.port());
    wait_for(address).await;
    let (status, body, _) = up().await;
    assert_eq!((status, body.as_str()), (200, "OK"));
    assert_eq!(home().await, 200);
    let ready = log.at(Level::INFO);
    let last = ready.last().expect("an INFO for the recovery");
    assert_eq!(last.field("outcome"), Some("passed"));
    drop(redis);
}
