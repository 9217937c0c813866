//! `HealthCheckLayer` around a plain hyper service (no axum): a tower service
//! whose responses have an `http_body_util::Full<Bytes>` body, served by hyper's
//! HTTP/1 connection over TCP. The healthcheck keeps that body type, for its
//! answer and for its report of failed checks.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use kamal_healthcheck::HealthCheckLayer;
use kamal_healthcheck::Verdict;
use kamal_healthcheck_tests::{ALLOWED_HOST, probe, request, serve_hyper};
use tower::Layer;

/// An app that serves `example.com` only, as a bare tower service. It takes any
/// request body, as a hyper service must to be probed in-process: hyper's own
/// `Incoming` cannot be made outside a connection.
async fn app<B>(request: Request<B>) -> Result<Response<Full<Bytes>>, Infallible> {
    let allowed = request
        .headers()
        .get(http::header::HOST)
        .is_some_and(|host| host == ALLOWED_HOST);
    let (status, body) = if allowed {
        (StatusCode::OK, "hyper app")
    } else {
        (StatusCode::BAD_REQUEST, "unknown host")
    };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    Ok(response)
}

/// Serves `layer` around the app with hyper alone; returns the address.
async fn serve(layer: HealthCheckLayer) -> std::net::SocketAddr {
    serve_hyper(layer.layer(tower::service_fn(app::<Incoming>))).await
}

#[tokio::test]
async fn a_hyper_service_gets_the_healthcheck() {
    let address = serve(HealthCheckLayer::new()).await;
    let response = probe(address, "GET", "/up").await;
    assert_eq!((response.status, response.body.as_str()), (200, "OK"));
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let head = probe(address, "HEAD", "/up").await;
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    assert_eq!(head.header("content-length"), Some("2"));
    assert_eq!(probe(address, "DELETE", "/up").await.status, 405);

    // `probe` sends the container's address as `Host`, which the app refuses.
    let refused = probe(address, "GET", "/").await;
    assert_eq!(
        (refused.status, refused.body.as_str()),
        (400, "unknown host")
    );
    let served = request(address, "GET", "/up/", ALLOWED_HOST, &[]).await;
    assert_eq!(served.body, "hyper app");
}

#[tokio::test]
async fn its_failed_checks_are_reported_in_its_own_body_type() {
    let layer = HealthCheckLayer::new()
        .deadline(Duration::from_millis(200))
        .check("queue", || async { Err::<(), _>("unreachable") });
    let address = serve(layer).await;
    let response = probe(address, "GET", "/up").await;
    assert_eq!(
        (response.status, response.body.as_str()),
        (503, "queue: failed\n")
    );
}

/// `kamal_healthcheck::probe` on the hyper service, as it is served: refused by
/// its host check without the healthcheck, answered with it.
#[tokio::test]
async fn a_hyper_service_is_probed_in_process() {
    let bare = kamal_healthcheck::probe(tower::service_fn(app::<String>)).await;
    assert_eq!(bare.verdict(), Verdict::HostCheck, "{bare}");
    assert!(
        bare.to_string()
            .contains("400 Bad Request with \"unknown host\""),
        "{bare}"
    );
    let served = HealthCheckLayer::new().layer(tower::service_fn(app::<String>));
    kamal_healthcheck::probe(served).await.assert_healthy();
}
