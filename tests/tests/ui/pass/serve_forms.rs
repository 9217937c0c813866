// The attribute on functions that serve the app, one per way of handing it to
// `axum::serve`: the app itself, `.into_make_service()`,
// `.into_make_service_with_connect_info::<T>()`, `ServiceExt::into_make_service`
// and a bare `serve` imported from axum. Each app sits behind a host allow-list
// added in the function; each is served over TCP and probed as kamal-proxy does.
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::http::{StatusCode, header::HOST};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Router, ServiceExt, serve};
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
    serve(listener, app()).with_graceful_shutdown(until(stop)).await
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    for form in ["plain", "make_service", "connect_info", "service_ext", "imported"] {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel();
        let server = tokio::spawn(async move {
            match form {
                "plain" => plain(listener, stopped).await,
                "make_service" => make_service(listener, stopped).await.unwrap(),
                "connect_info" => connect_info(listener, stopped).await.unwrap(),
                "service_ext" => service_ext(listener, stopped).await.unwrap(),
                _ => imported(listener, stopped).await.unwrap(),
            }
        });
        let up = probe(address, "GET", "/up").await;
        assert_eq!((up.status, up.body.as_str()), (200, "OK"), "{form}");
        assert_eq!(probe(address, "GET", "/").await.status, 400, "{form}");
        let home = request(address, "GET", "/", ALLOWED_HOST, &[]).await;
        assert_eq!((home.status, home.body.as_str()), (200, "home"), "{form}");
        if form == "connect_info" {
            let peer = request(address, "GET", "/peer", ALLOWED_HOST, &[]).await;
            assert_eq!((peer.status, peer.body.as_str()), (200, "127.0.0.1"));
        }
        stop.send(()).unwrap();
        server.await.unwrap();
    }
}
