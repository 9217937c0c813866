// Any layer ahead of the healthcheck is a mistake, whatever it does.
use axum::Router;
use axum::routing::get;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};
use tower_http::trace::TraceLayer;

#[kamal_healthcheck]
fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .layer((TraceLayer::new_for_http(), HealthCheckLayer::new()))
}

fn main() {
    let _ = app();
}
