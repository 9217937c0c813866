// A route at the healthcheck path in a router merged into the app, which would never run.
use axum::Router;
use axum::routing::get;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck]
fn merged() -> Router {
    let health = Router::new().route("/up", get(|| async { "mine" }));
    Router::new().merge(health)
}

fn main() {
    let _ = merged();
}
