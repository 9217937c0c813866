//! The app every benchmark measures, served four ways: bare, built by a
//! `#[kamal_healthcheck]` function, wrapped in `HealthCheckLayer`, and with the
//! hand-written alternative, an outermost `from_fn` middleware that answers `/up`
//! (as the healthcheck does, and, leaner, with a bare `200`).

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header::HOST};
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kamal_healthcheck::{HealthCheck, HealthCheckLayer, StartupGate, kamal_healthcheck};
use std::convert::Infallible;

use tower::{Layer, Service, ServiceExt};

/// kamal-proxy's probe's `Host`: the container's short id and port.
pub const CONTAINER_HOST: &str = "7c7168a662c1:80";
/// The only `Host` the apps serve.
pub const ALLOWED_HOST: &str = "example.com";

/// The allow-list: `400` for any other `Host`.
async fn allowed_host_or_400(request: Request, next: Next) -> Response {
    match request.headers().get(HOST) {
        Some(host) if host == ALLOWED_HOST => next.run(request).await,
        _ => (StatusCode::BAD_REQUEST, "unknown host").into_response(),
    }
}

/// The variants, in the order tables list them.
pub const VARIANTS: [&str; 6] = [
    "bare",
    "attribute",
    "layer",
    "checks",
    "handwritten",
    "lean",
];
/// The requests: a normal one to a route with a path parameter, and kamal-proxy's probe.
pub const KINDS: [&str; 2] = ["normal", "healthcheck"];

/// The ten lines users would otherwise write: an outermost middleware answering `/up`.
async fn answer_up(request: Request, next: Next) -> Response {
    if request.uri().path() == "/up" {
        return (
            [
                ("content-type", "text/plain; charset=utf-8"),
                ("cache-control", "no-store"),
            ],
            "OK",
        )
            .into_response();
    }
    next.run(request).await
}

/// The leanest hand-written answer: a bare `200`, no headers, no body.
async fn answer_up_lean(request: Request, next: Next) -> Response {
    if request.uri().path() == "/up" {
        return StatusCode::OK.into_response();
    }
    next.run(request).await
}

/// The app without any healthcheck: the limit.
pub fn bare() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .route("/users/{id}", get(|| async { "user" }))
        .route("/about", get(|| async { "about" }))
        .layer(from_fn(allowed_host_or_400))
}

/// The app built by a function with `#[kamal_healthcheck]`.
#[kamal_healthcheck]
pub fn annotated() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .route("/users/{id}", get(|| async { "user" }))
        .route("/about", get(|| async { "about" }))
        .layer(from_fn(allowed_host_or_400))
}

/// The request of `kind`: `normal` (a route with a path parameter, the
/// allowed `Host`) or kamal-proxy's probe.
pub fn request(kind: &str) -> Request {
    let (path, host) = match kind {
        "normal" => ("/users/42", ALLOWED_HOST),
        _ => ("/up", CONTAINER_HOST),
    };
    http::Request::get(path)
        .header(HOST, host)
        .header("user-agent", "kamal-proxy")
        .body(Body::empty())
        .unwrap()
}

/// The bare app inside `HealthCheckLayer`, as an app's `main` would wrap it.
pub fn layered() -> HealthCheck<Router> {
    HealthCheckLayer::new().layer(bare())
}

/// The bare app inside a `HealthCheckLayer` with a readiness check and an
/// (opened) start-up gate: what readiness costs requests that are not probes.
pub fn layered_with_checks() -> HealthCheck<Router> {
    let gate = StartupGate::new();
    gate.open();
    HealthCheckLayer::new()
        .gate(gate.clone())
        .check("db", || async { Ok::<(), Infallible>(()) })
        .layer(bare())
}

/// The bare app with the hand-written healthcheck middleware outermost.
pub fn handwritten() -> Router {
    bare().layer(from_fn(answer_up))
}

/// The bare app with the lean hand-written middleware outermost.
pub fn handwritten_lean() -> Router {
    bare().layer(from_fn(answer_up_lean))
}

/// Sends `count` requests of `kind` to `app`, each with `ready().call()`, and
/// returns the status of the last answer.
pub async fn drive<S>(mut app: S, kind: &str, count: u64) -> StatusCode
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    let mut status = StatusCode::OK;
    for _ in 0..count {
        let response = app
            .ready()
            .await
            .unwrap()
            .call(request(kind))
            .await
            .unwrap();
        status = response.status();
    }
    status
}

/// [`drive`] on a new app of `variant`.
pub async fn drive_variant(variant: &str, kind: &str, count: u64) -> StatusCode {
    match variant {
        "bare" => drive(bare(), kind, count).await,
        "attribute" => drive(annotated(), kind, count).await,
        "layer" => drive(layered(), kind, count).await,
        "checks" => drive(layered_with_checks(), kind, count).await,
        "handwritten" => drive(handwritten(), kind, count).await,
        "lean" => drive(handwritten_lean(), kind, count).await,
        other => panic!("unknown variant {other}; the variants are {VARIANTS:?}"),
    }
}
