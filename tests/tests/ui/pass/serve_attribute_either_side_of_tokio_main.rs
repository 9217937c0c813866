// The attribute on a function that serves, on either side of `#[tokio::main]`:
// above it, it reads the function as written; below it, the body inside the
// `async` block tokio puts it in. Each function builds the app behind a host
// allow-list and serves it; a task probes it as kamal-proxy does, then shuts the
// server down.
use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, header::HOST};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kamal_healthcheck::kamal_healthcheck;
use kamal_healthcheck_tests::{ALLOWED_HOST, probe};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

async fn allowed_hosts_only(request: Request, next: Next) -> Response {
    match request.headers().get(HOST) {
        Some(host) if host == ALLOWED_HOST => next.run(request).await,
        _ => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// The app, its listener, and the task that probes it once it is served.
async fn app_listener_and_probes() -> (Router, TcpListener, JoinHandle<()>) {
    let app = Router::new()
        .route("/", get(|| async { "home" }))
        .layer(middleware::from_fn(allowed_hosts_only));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let probed = tokio::spawn(async move {
        let up = probe(address, "GET", "/up").await;
        assert_eq!((up.status, up.body.as_str()), (200, "OK"));
        assert_eq!(probe(address, "GET", "/").await.status, 400);
    });
    (app, listener, probed)
}

#[kamal_healthcheck]
#[tokio::main(flavor = "current_thread")]
async fn attribute_above() {
    let (app, listener, probed) = app_listener_and_probes().await;
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { probed.await.unwrap() })
        .await
        .unwrap();
}

#[tokio::main(flavor = "current_thread")]
#[kamal_healthcheck]
async fn attribute_below() {
    let (app, listener, probed) = app_listener_and_probes().await;
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { probed.await.unwrap() })
        .await
        .unwrap();
}

fn main() {
    attribute_above();
    attribute_below();
}
