// A host check applied after `HealthCheckLayer` runs first and rejects the probe.
use axum::Router;
use axum::middleware::from_fn;
use axum::routing::get;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};

async fn check_host(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    next.run(request).await
}

#[kamal_healthcheck]
fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .layer(HealthCheckLayer::new())
        .layer(from_fn(check_host))
}

fn main() {
    let _ = app();
}
