// A router merged after the layer brings routes and a fallback the layer does not wrap.
use axum::Router;
use axum::routing::get;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};

fn api() -> Router {
    Router::new().route("/api", get(|| async { "api" }))
}

#[kamal_healthcheck]
fn app() -> Router {
    let app = Router::new().layer(HealthCheckLayer::new());
    app.merge(api())
}

fn main() {
    let _ = app();
}
