// axum does not wrap a fallback added after a layer: `/up` would reach it.
use axum::Router;
use axum::routing::get;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};

#[kamal_healthcheck]
fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .layer(HealthCheckLayer::new())
        .fallback(|| async { "not found" })
}

fn main() {
    let _ = app();
}
