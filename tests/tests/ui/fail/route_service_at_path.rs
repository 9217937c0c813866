// A `route_service` of the app's own at the healthcheck path, which would never run.
use axum::Router;
use axum::routing::get;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(path = "/healthz")]
fn service() -> Router {
    Router::new().route_service("/healthz", get(|| async { "mine" }))
}

fn main() {
    let _ = service();
}
