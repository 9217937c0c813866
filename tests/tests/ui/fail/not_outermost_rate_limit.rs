// A rate limiter in a later `ServiceBuilder` wraps the healthcheck layer.
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::http::StatusCode;
use axum::routing::get;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};
use tower::ServiceBuilder;

#[kamal_healthcheck]
fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .layer(HealthCheckLayer::new())
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                    StatusCode::TOO_MANY_REQUESTS
                }))
                .buffer(64)
                .rate_limit(10, Duration::from_secs(1)),
        )
}

fn main() {
    let _ = app();
}
