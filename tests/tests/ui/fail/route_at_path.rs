// The app's own routes at the healthcheck path would never run: directly, as a
// service, and in a merged router.
use axum::Router;
use axum::routing::get;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck]
fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .route("/up", get(|| async { "mine" }))
}

#[kamal_healthcheck(path = "/healthz")]
fn service() -> Router {
    Router::new().route_service("/healthz", get(|| async { "mine" }))
}

#[kamal_healthcheck]
fn merged() -> Router {
    let health = Router::new().route("/up", get(|| async { "mine" }));
    Router::new().merge(health)
}

fn main() {
    let _ = (app(), service(), merged());
}
