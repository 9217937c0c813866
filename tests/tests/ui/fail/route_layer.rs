// `route_layer` wraps matched routes only; `/up` matches none.
use axum::Router;
use axum::routing::get;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};

#[kamal_healthcheck]
fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .route_layer(HealthCheckLayer::new())
}

fn main() {
    let _ = app();
}
