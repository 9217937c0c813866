// A hand-placed layer at another path than the attribute's: two healthchecks, and
// kamal-proxy probes only one of them.
use axum::Router;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};

#[kamal_healthcheck]
fn default_path() -> Router {
    Router::new().layer(HealthCheckLayer::with_path("/healthz"))
}

#[kamal_healthcheck(path = "/ready")]
fn explicit_path() -> Router {
    Router::new().layer(HealthCheckLayer::new())
}

fn main() {
    let _ = (default_path(), explicit_path());
}
