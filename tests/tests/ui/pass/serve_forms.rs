// The attribute on functions that serve the app, one per way of handing it to
// `axum::serve`: the app itself, `.into_make_service()`,
// `.into_make_service_with_connect_info::<T>()`, `ServiceExt::into_make_service`,
// a make-service held in a variable, a handler's make-service, `serve` imported
// in the function under another name, and the full path `axum::serve::serve`.
// Each app sits behind a host allow-list added in the function; each is served
// over TCP and probed as kamal-proxy does.
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::http::{StatusCode, header::HOST};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::handler::HandlerWithoutStateExt;
use axum::{Router, ServiceExt};
use kamal_healthcheck::kamal_healthcheck;
use kamal_healthcheck_tests::{ALLOWED_HOST, probe, request};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

async fn allowed_hosts_only(request: Request, next: Next) -> Response {
    match request.headers().get(HOST) {
        Some(host) if host == ALLOWED_HOST => next.run(request).await,
        _ => StatusCode::BAD_REQUEST.into_response(),
    }
}

fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
        )
        .layer(middleware::from_fn(allowed_hosts_only))
}

async fn until(stop: oneshot::Receiver<()>) {
    let _ = stop.await;
}

#[kamal_healthcheck]
async fn plain(listener: TcpListener, stop: oneshot::Receiver<()>) {
    let app = app();
    axum::serve(listener, app).with_graceful_shutdown(until(stop)).await.unwrap();
}

#[kamal_healthcheck]
async fn make_service(listener: TcpListener, stop: oneshot::Receiver<()>) -> std::io::Result<()> {
    let app = app();
    axum::serve(listener, app.into_make_service()).with_graceful_shutdown(until(stop)).await
}

#[kamal_healthcheck]
async fn connect_info(listener: TcpListener, stop: oneshot::Receiver<()>) -> std::io::Result<()> {
    let app = app();
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(until(stop))
        .await
}

#[kamal_healthcheck]
async fn service_ext(listener: TcpListener, stop: oneshot::Receiver<()>) -> std::io::Result<()> {
    let app = app();
    axum::serve(listener, ServiceExt::<Request>::into_make_service(app))
        .with_graceful_shutdown(until(stop))
        .await
}

#[kamal_healthcheck]
async fn imported(listener: TcpListener, stop: oneshot::Receiver<()>) -> std::io::Result<()> {
    use axum::serve as run;
    run(listener, app()).with_graceful_shutdown(until(stop)).await
}

#[kamal_healthcheck]
async fn full_path(listener: TcpListener, stop: oneshot::Receiver<()>) -> std::io::Result<()> {
    axum::serve::serve(listener, app()).with_graceful_shutdown(until(stop)).await
}

#[kamal_healthcheck]
async fn make_in_variable(listener: TcpListener, stop: oneshot::Receiver<()>) -> std::io::Result<()> {
    let app = app();
    let make = app.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, make).with_graceful_shutdown(until(stop)).await
}

#[kamal_healthcheck]
async fn handler(listener: TcpListener, stop: oneshot::Receiver<()>) -> std::io::Result<()> {
    let handler = |request: Request| async move {
        match request.headers().get(HOST) {
            Some(host) if host == ALLOWED_HOST => "home".into_response(),
            _ => StatusCode::BAD_REQUEST.into_response(),
        }
    };
    axum::serve(listener, handler.into_make_service()).with_graceful_shutdown(until(stop)).await
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    for form in [
        "plain",
        "make_service",
        "connect_info",
        "service_ext",
        "imported",
        "full_path",
        "make_in_variable",
        "handler",
    ] {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel();
        let server = tokio::spawn(async move {
            match form {
                "plain" => plain(listener, stopped).await,
                "make_service" => make_service(listener, stopped).await.unwrap(),
                "connect_info" => connect_info(listener, stopped).await.unwrap(),
                "service_ext" => service_ext(listener, stopped).await.unwrap(),
                "imported" => imported(listener, stopped).await.unwrap(),
                "full_path" => full_path(listener, stopped).await.unwrap(),
                "make_in_variable" => make_in_variable(listener, stopped).await.unwrap(),
                _ => handler(listener, stopped).await.unwrap(),
            }
        });
        let up = probe(address, "GET", "/up").await;
        assert_eq!((up.status, up.body.as_str()), (200, "OK"), "{form}");
        assert_eq!(probe(address, "GET", "/").await.status, 400, "{form}");
        let home = request(address, "GET", "/", ALLOWED_HOST, &[]).await;
        assert_eq!((home.status, home.body.as_str()), (200, "home"), "{form}");
        if form == "connect_info" || form == "make_in_variable" {
            let peer = request(address, "GET", "/peer", ALLOWED_HOST, &[]).await;
            assert_eq!((peer.status, peer.body.as_str()), (200, "127.0.0.1"));
        }
        stop.send(()).unwrap();
        server.await.unwrap();
    }
}
