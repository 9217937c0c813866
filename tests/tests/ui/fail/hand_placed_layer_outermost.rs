// A `HealthCheckLayer` placed by hand as the outermost layer, beside the attribute.
use axum::Router;
use axum::routing::get;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};

#[kamal_healthcheck]
fn outermost() -> Router {
    Router::new().route("/", get(|| async { "home" })).layer(HealthCheckLayer::new())
}

fn main() {
    let _ = outermost();
}
