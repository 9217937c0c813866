// A wildcard route added after the layer matches `/up` and is not wrapped.
use axum::Router;
use axum::routing::get;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};

#[kamal_healthcheck]
fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .layer(HealthCheckLayer::new())
        .route("/{*path}", get(|| async { "page" }))
}

fn main() {
    let _ = app();
}
