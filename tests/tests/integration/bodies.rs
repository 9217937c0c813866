//! `HealthCheckLayer::new().any_body()` around services whose response body is
//! not one the answer can be made from, each served over TCP and probed as
//! kamal-proxy probes: a tonic server (gRPC still answered on the same port), a
//! hyper service with `UnsyncBoxBody` responses, and an axum router inside
//! tower-http's `TraceLayer`, `CompressionLayer`, `RequestBodyLimitLayer` and
//! `CatchPanicLayer`.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Body;
use hyper::body::Incoming;
use kamal_healthcheck::HealthCheckLayer;
use kamal_healthcheck::Verdict;
use kamal_healthcheck_tests::{ALLOWED_HOST, probe, request, serve_hyper};
use tokio::net::TcpListener;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tower::{BoxError, Layer, Service, ServiceBuilder};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

/// What the crate docs say of tonic's server: behind `any_body()`, and
/// stopped by `stop_signal()` given to `serve_with_shutdown`. Compiled, which
/// is what is claimed; not run, since it would handle the test process's own
/// SIGINT from then on (tonic's server is stopped as PID 1 in `tests/stop.rs`).
#[allow(dead_code)]
async fn a_tonic_server_takes_stop_signal(address: std::net::SocketAddr) {
    let (_reporter, health) = tonic_health::server::health_reporter();
    tonic::transport::Server::builder()
        .accept_http1(true)
        .layer(HealthCheckLayer::new().any_body())
        .add_service(health)
        .serve_with_shutdown(address, kamal_healthcheck::stop_signal())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_tonic_server_answers_kamal_proxy_and_grpc_on_one_port() {
    let (_reporter, health) = tonic_health::server::health_reporter();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .accept_http1(true)
            .layer(HealthCheckLayer::new().any_body())
            .add_service(health)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );

    // kamal-proxy's probe, HTTP/1.1 with the container's address as `Host`.
    let response = probe(address, "GET", "/up").await;
    assert_eq!((response.status, response.body.as_str()), (200, "OK"));

    // A gRPC call (HTTP/2) through the same port still reaches the service.
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let reply = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(reply.into_inner().status, ServingStatus::Serving as i32);
}

/// In-process, tonic's `Routes` take the probe's `String` body as they are.
#[tokio::test]
async fn tonic_routes_are_probed_in_process() {
    let (_reporter, health) = tonic_health::server::health_reporter();
    let routes = tonic::service::Routes::new(health);
    let served = HealthCheckLayer::new().any_body().layer(routes);
    let report = kamal_healthcheck::probe(served).await;
    assert_eq!(report.verdict(), Verdict::Healthy, "{report}");
}

type Boxed = UnsyncBoxBody<Bytes, std::io::Error>;

/// A hyper app whose responses are boxed bodies, as many hyper apps' are.
async fn boxed_app<B>(_: Request<B>) -> Result<Response<Boxed>, Infallible> {
    let body = Full::new(Bytes::from_static(b"boxed app")).map_err(|never| match never {});
    Ok(Response::new(body.boxed_unsync()))
}

#[tokio::test]
async fn a_hyper_service_with_boxed_bodies() {
    let layer = HealthCheckLayer::new().any_body();
    let address = serve_hyper(layer.layer(tower::service_fn(boxed_app::<Incoming>))).await;
    let response = probe(address, "GET", "/up").await;
    assert_eq!((response.status, response.body.as_str()), (200, "OK"));
    assert_eq!(response.header("content-length"), Some("2"));
    let head = probe(address, "HEAD", "/up").await;
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    let app = request(address, "GET", "/", ALLOWED_HOST, &[]).await;
    assert_eq!((app.status, app.body.as_str()), (200, "boxed app"));

    // The report of failed checks, in the same body type.
    let failing = HealthCheckLayer::new()
        .deadline(Duration::from_millis(200))
        .check("queue", || async { Err::<(), _>("unreachable") })
        .any_body();
    let address = serve_hyper(failing.layer(tower::service_fn(boxed_app::<Incoming>))).await;
    let response = probe(address, "GET", "/up").await;
    assert_eq!(
        (response.status, response.body.as_str()),
        (503, "queue: failed\n")
    );

    // In-process, the same service is reported healthy.
    let served = HealthCheckLayer::new()
        .any_body()
        .layer(tower::service_fn(boxed_app::<String>));
    kamal_healthcheck::probe(served).await.assert_healthy();
}

fn router() -> Router {
    Router::new().route("/", get(|| async { "home" }))
}

/// `service` (the healthcheck around a tower-http middleware around an axum
/// router) answers kamal-proxy's probe over TCP and in-process, and passes
/// everything else to the app.
async fn assert_answered_around<S, B>(name: &str, service: S)
where
    S: Service<Request<Incoming>, Response = Response<B>>
        + Service<Request<String>, Response = Response<B>>
        + Clone
        + Send
        + 'static,
    <S as Service<Request<Incoming>>>::Future: Send,
    <S as Service<Request<Incoming>>>::Error: Into<BoxError>,
    <S as Service<Request<String>>>::Error: std::fmt::Display,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let report = kamal_healthcheck::probe(service.clone()).await;
    assert_eq!(report.verdict(), Verdict::Healthy, "{name}: {report}");
    let address = serve_hyper(service).await;
    let response = probe(address, "GET", "/up").await;
    assert_eq!(
        (response.status, response.body.as_str()),
        (200, "OK"),
        "{name}"
    );
    let home = request(address, "GET", "/", ALLOWED_HOST, &[]).await;
    assert_eq!((home.status, home.body.as_str()), (200, "home"), "{name}");
}

#[tokio::test]
async fn around_tower_http_middleware_that_changes_the_body() {
    let healthcheck = || HealthCheckLayer::new().any_body();
    let trace = ServiceBuilder::new()
        .layer(healthcheck())
        .layer(TraceLayer::new_for_http())
        .service(router());
    assert_answered_around("TraceLayer", trace).await;
    let compression = ServiceBuilder::new()
        .layer(healthcheck())
        .layer(CompressionLayer::new())
        .service(router());
    assert_answered_around("CompressionLayer", compression).await;
    let limit = ServiceBuilder::new()
        .layer(healthcheck())
        .layer(RequestBodyLimitLayer::new(1024))
        .service(router());
    assert_answered_around("RequestBodyLimitLayer", limit).await;
    let catch_panic = ServiceBuilder::new()
        .layer(healthcheck())
        .layer(CatchPanicLayer::new())
        .service(router());
    assert_answered_around("CatchPanicLayer", catch_panic).await;
    let all = ServiceBuilder::new()
        .layer(healthcheck())
        .layer(TraceLayer::new_for_http())
        .layer(CompressionLayer::new())
        .layer(RequestBodyLimitLayer::new(1024))
        .layer(CatchPanicLayer::new())
        .service(router());
    assert_answered_around("all four", all).await;
}

/// The compressed app still answers compressed: the wrapped body is passed on.
#[tokio::test]
async fn the_wrapped_body_is_passed_on_untouched() {
    use tower::ServiceExt;

    let service = ServiceBuilder::new()
        .layer(HealthCheckLayer::new().any_body())
        .layer(CompressionLayer::new().gzip(true))
        .service(Router::new().route("/", get(|| async { "home ".repeat(100) })));
    let home = Request::get("/")
        .header("accept-encoding", "gzip")
        .body(String::new())
        .unwrap();
    let response = service.oneshot(home).await.unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body[..2], [0x1f, 0x8b], "a gzip stream");
}
