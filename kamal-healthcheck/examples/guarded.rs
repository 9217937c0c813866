//! An axum app that only serves `example.com`, with the healthcheck installed by
//! `#[kamal_healthcheck]`: kamal-proxy's probe, which carries the container's own
//! address as `Host`, is answered anyway.
//!
//! ```text
//! cargo run --example guarded
//! ```

use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, header::HOST};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kamal_healthcheck::kamal_healthcheck;

/// Answers 400 to any request whose `Host` is not `example.com`, as a careful app does.
async fn allowed_hosts_only(request: Request, next: Next) -> Response {
    match request.headers().get(HOST) {
        Some(host) if host == "example.com" => next.run(request).await,
        _ => (StatusCode::BAD_REQUEST, "unknown host\n").into_response(),
    }
}

#[kamal_healthcheck]
fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "Hello from example.com\n" }))
        .layer(middleware::from_fn(allowed_hosts_only))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_owned());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    let address = listener.local_addr()?;
    println!(
        "serving http://{address}; kamal-proxy's probe, with the container's address as Host:"
    );
    println!("  curl -i -H 'Host: 7c7168a662c1:80' -A kamal-proxy http://{address}/up   # 200 OK");
    println!("the same Host anywhere else meets the host allow-list:");
    println!("  curl -i -H 'Host: 7c7168a662c1:80' http://{address}/     # 400");
    println!("  curl -i -H 'Host: example.com' http://{address}/          # 200");
    // Without the attribute on this function, the stop is one call: SIGTERM
    // (`docker stop`) or Ctrl-C stops the app, before Docker's SIGKILL.
    axum::serve(listener, app())
        .with_graceful_shutdown(kamal_healthcheck::stop_signal())
        .await
}

#[cfg(test)]
mod tests {
    use super::app;
    use kamal_healthcheck::{Probe, Verdict};

    /// The one line that keeps a deploy from failing on the healthcheck.
    #[tokio::test]
    async fn kamal_proxy_finds_the_app_healthy() {
        kamal_healthcheck::probe(app()).await.assert_healthy();
    }

    /// Anywhere else, kamal-proxy's `Host` still meets the allow-list.
    #[tokio::test]
    async fn the_allow_list_still_guards_the_app() {
        let report = Probe::new().path("/").send(app()).await;
        assert_eq!(report.verdict(), Verdict::HostCheck, "{report}");
    }
}
