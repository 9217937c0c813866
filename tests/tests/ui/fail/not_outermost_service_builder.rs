// In a `ServiceBuilder` the first layer runs first: authentication ahead of the
// healthcheck rejects the probe.
use axum::Router;
use axum::routing::get;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};
use tower::ServiceBuilder;
use tower_http::validate_request::ValidateRequestHeaderLayer;

#[kamal_healthcheck]
fn app() -> Router {
    #[allow(deprecated)]
    let stack = ServiceBuilder::new()
        .layer(ValidateRequestHeaderLayer::bearer("secret"))
        .layer(HealthCheckLayer::new());
    Router::new().route("/", get(|| async { "home" })).layer(stack)
}

fn main() {
    let _ = app();
}
