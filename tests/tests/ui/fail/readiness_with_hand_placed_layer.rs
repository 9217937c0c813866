// The attribute's checks run on its route; an outermost hand-placed layer
// answers first, so they would never run.
use axum::Router;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};

#[kamal_healthcheck(check(db = async { Ok::<(), String>(()) }), deadline = "1s")]
fn app() -> Router {
    Router::new().layer(HealthCheckLayer::new())
}

fn main() {
    let _ = app();
}
