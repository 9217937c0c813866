// A route of the app's own at the healthcheck path, which would never run.
use axum::Router;
use axum::routing::get;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck]
fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .route("/up", get(|| async { "mine" }))
}

fn main() {
    let _ = app();
}
