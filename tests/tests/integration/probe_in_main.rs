//! `probe(app.clone()).await.ensure_reachable()?` in a function that serves
//! with `#[kamal_healthcheck]` on it, as a `main` would do before serving:
//! the app there is the one before the attribute puts the healthcheck around
//! it, which kamal-proxy's probe never reaches. The line passes, and the
//! report says why, instead of telling to wrap the app in `HealthCheckLayer`
//! (which the attribute refuses). Then the app is served and probed over TCP.

use axum::{Router, routing::get};
use kamal_healthcheck::ProbeReport;
use kamal_healthcheck::kamal_healthcheck;
use kamal_healthcheck_tests::probe;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

#[kamal_healthcheck]
async fn serve(listener: TcpListener, said: oneshot::Sender<ProbeReport>) -> std::io::Result<()> {
    let app = Router::new().route("/", get(|| async { "home" }));
    let report = kamal_healthcheck::probe(app.clone()).await;
    let report = report.ensure_reachable().map_err(std::io::Error::other)?;
    let _ = said.send(report);
    axum::serve(listener, app).await
}

#[tokio::test]
async fn the_probe_before_serving_passes_and_says_why() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (said, report) = oneshot::channel();
    tokio::spawn(serve(listener, said));
    let report = report.await.expect("ensure_reachable passed");
    assert!(!report.is_healthy());
    let text = report.to_string();
    assert!(
        text.contains("by the app as it is before `axum::serve`"),
        "{text}"
    );
    assert!(
        text.contains("so kamal-proxy's probe never reaches this app"),
        "{text}"
    );
    assert!(!text.contains("HealthCheckLayer"), "{text}");
    // What is served answers the probe.
    assert_eq!(probe(address, "GET", "/up").await.status, 200);
}
