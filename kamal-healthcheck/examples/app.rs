//! An app built and served entirely in `main`, as axum's own examples are, with
//! `#[kamal_healthcheck]` on `main`: a host allow-list, an HTTPS redirect and a
//! `TraceLayer`, and a handler that reads `ConnectInfo`. It serves on
//! 127.0.0.1:`PORT` (any free port unless set) and prints the address.
//!
//! ```text
//! cargo run --example app
//! ```

use std::io::Write;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Router, routing::get};
use kamal_healthcheck::kamal_healthcheck;
use tower_http::trace::TraceLayer;

/// Serves example.com only.
async fn allowed_hosts(request: Request, next: Next) -> Response {
    match request.headers().get(header::HOST) {
        Some(host) if host == "example.com" => next.run(request).await,
        _ => (StatusCode::BAD_REQUEST, "unknown host").into_response(),
    }
}

/// Redirects plain HTTP to HTTPS, unless the proxy in front terminated TLS.
async fn https_only(request: Request, next: Next) -> Response {
    let over_tls = request
        .headers()
        .get("x-forwarded-proto")
        .is_some_and(|proto| proto == "https");
    if over_tls {
        return next.run(request).await;
    }
    Redirect::permanent(&format!("https://example.com{}", request.uri())).into_response()
}

#[kamal_healthcheck]
#[tokio::main]
async fn main() -> std::io::Result<()> {
    let app = Router::new()
        .route("/", get(|| async { "home" }))
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
        )
        .layer(middleware::from_fn(https_only))
        .layer(middleware::from_fn(allowed_hosts))
        .layer(TraceLayer::new_for_http());

    let port = std::env::var("PORT").unwrap_or_else(|_| "0".to_owned());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("listening on {}", listener.local_addr()?);
    std::io::stdout().flush()?;
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
