//! `probe` of an app that reads the peer's address (a private-network
//! allow-list with axum's `ConnectInfo`, ahead of the healthcheck): an
//! in-process probe has no connection and so no peer, while kamal-proxy's
//! probe over TCP has one. The report says so, with the line to add, instead
//! of blaming the order of the layers; with that line it agrees with the wire.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Router, routing::get};
use kamal_healthcheck::kamal_healthcheck;
use kamal_healthcheck::{KAMAL_PEER, Probe, Verdict};
use kamal_healthcheck_tests::probe;

/// Private networks (and loopback, for this test over 127.0.0.1) only.
async fn private_networks_only(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let private = match peer.ip() {
        std::net::IpAddr::V4(ip) => ip.is_private() || ip.is_loopback(),
        std::net::IpAddr::V6(ip) => ip.is_loopback(),
    };
    if private {
        next.run(request).await
    } else {
        StatusCode::FORBIDDEN.into_response()
    }
}

#[kamal_healthcheck]
fn app() -> Router {
    Router::new().route("/", get(|| async { "home" }))
}

/// What `main` serves: the allow-list around the router.
fn served() -> Router {
    app().layer(middleware::from_fn(private_networks_only))
}

#[tokio::test]
async fn kamal_proxys_probe_over_tcp_is_answered() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let make = served().into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, make).await.unwrap() });
    assert_eq!(probe(address, "GET", "/up").await.status, 200);
}

#[tokio::test]
async fn in_process_the_report_names_the_missing_peer_and_the_line_to_add() {
    let report = kamal_healthcheck::probe(served()).await;
    assert_eq!(report.verdict(), Verdict::PeerAddress, "{report}");
    let text = report.to_string();
    assert!(
        text.contains("the app reads the peer's address, which this probe has not"),
        "{text}"
    );
    assert!(!text.contains("outermost"), "{text}");
    assert!(
        text.contains(
            "`Probe::new().extension(axum::extract::ConnectInfo(kamal_healthcheck::KAMAL_PEER)).send(app)`"
        ),
        "{text}"
    );
    // The line it gives agrees with the wire.
    Probe::new()
        .extension(ConnectInfo(KAMAL_PEER))
        .send(served())
        .await
        .assert_healthy();
}
