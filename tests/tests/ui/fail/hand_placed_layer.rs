// Every `HealthCheckLayer` placed by hand in a function with the attribute is
// one error on it, whatever its shape: misordered behind a host check, already
// outermost, at another path, given checks or a constant path, behind
// `#[cfg]`, inside a closure, a `route_layer`, or around the app in `main`.
// The attribute always installs its own healthcheck, so none of them can
// switch it off or answer in its place.
use axum::Router;
use axum::middleware::from_fn;
use axum::routing::get;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};
use tower::Layer;

const HEALTH: &str = "/up";

async fn check_host(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    next.run(request).await
}

#[kamal_healthcheck]
fn misordered() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .layer(HealthCheckLayer::new())
        .layer(from_fn(check_host))
}

#[kamal_healthcheck]
fn outermost() -> Router {
    Router::new().route("/", get(|| async { "home" })).layer(HealthCheckLayer::new())
}

#[kamal_healthcheck]
fn another_path_and_checks() -> Router {
    let layer = HealthCheckLayer::with_path("/healthz").check("db", || async { Ok::<(), String>(()) });
    Router::new().layer(layer)
}

#[kamal_healthcheck]
fn hidden(debug: bool) -> Router {
    #[cfg(debug_assertions)]
    let app = Router::new().layer(HealthCheckLayer::with_path(HEALTH));
    #[cfg(not(debug_assertions))]
    let app = Router::new();
    let wrap = |router: Router| router.route_layer(HealthCheckLayer::new());
    if debug { wrap(app) } else { app }
}

#[kamal_healthcheck]
#[tokio::main]
async fn main() {
    let app = Router::new().route("/", get(|| async { "home" }));
    let app = HealthCheckLayer::new().layer(app);
    let listener = tokio::net::TcpListener::bind("0.0.0.0:80").await.unwrap();
    axum::serve(listener, axum::ServiceExt::<axum::extract::Request>::into_make_service(app)).await.unwrap();
}
