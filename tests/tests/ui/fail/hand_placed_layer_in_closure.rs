// A `HealthCheckLayer` placed by hand with `route_layer` inside a closure, beside the attribute.
use axum::Router;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};

#[kamal_healthcheck]
fn wrapped(debug: bool) -> Router {
    let app = Router::new();
    let wrap = |router: Router| router.route_layer(HealthCheckLayer::new());
    if debug { wrap(app) } else { app }
}

fn main() {
    let _ = wrapped(true);
}
