// The attribute on `main`, below `#[tokio::main]`: it reads the body inside the `async` block tokio puts it in.
// The app is built and served in `main`, behind a host allow-list; a task
// probes it as kamal-proxy does, then shuts the server down.
use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, header::HOST};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kamal_healthcheck::kamal_healthcheck;
use kamal_healthcheck_tests::{ALLOWED_HOST, probe};

async fn allowed_hosts_only(request: Request, next: Next) -> Response {
    match request.headers().get(HOST) {
        Some(host) if host == ALLOWED_HOST => next.run(request).await,
        _ => StatusCode::BAD_REQUEST.into_response(),
    }
}

#[tokio::main(flavor = "current_thread")]
#[kamal_healthcheck]
async fn main() {
    let app = Router::new()
        .route("/", get(|| async { "home" }))
        .layer(middleware::from_fn(allowed_hosts_only));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let probed = tokio::spawn(async move {
        let up = probe(address, "GET", "/up").await;
        assert_eq!((up.status, up.body.as_str()), (200, "OK"));
        assert_eq!(probe(address, "GET", "/").await.status, 400);
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { probed.await.unwrap() })
        .await
        .unwrap();
}
