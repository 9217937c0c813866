// A `HealthCheckLayer` placed by hand behind a host check, beside the attribute.
use axum::Router;
use axum::middleware::from_fn;
use axum::routing::get;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};

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

fn main() {
    let _ = misordered();
}
