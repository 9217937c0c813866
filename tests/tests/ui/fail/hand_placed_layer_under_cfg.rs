// A `HealthCheckLayer` placed by hand behind `#[cfg]`, at a constant path, beside the attribute.
use axum::Router;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};

const HEALTH: &str = "/up";

#[kamal_healthcheck]
fn hidden() -> Router {
    #[cfg(debug_assertions)]
    let app = Router::new().layer(HealthCheckLayer::with_path(HEALTH));
    #[cfg(not(debug_assertions))]
    let app = Router::new();
    app
}

fn main() {
    let _ = hidden();
}
