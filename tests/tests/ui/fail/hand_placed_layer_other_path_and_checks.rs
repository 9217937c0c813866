// A `HealthCheckLayer` placed by hand at another path and with checks, beside the attribute.
use axum::Router;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};

#[kamal_healthcheck]
fn another_path_and_checks() -> Router {
    let layer = HealthCheckLayer::with_path("/healthz").check("db", || async { Ok::<(), String>(()) });
    Router::new().layer(layer)
}

fn main() {
    let _ = another_path_and_checks();
}
