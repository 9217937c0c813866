// A hand-placed `HealthCheckLayer` that is already the outermost layer, alone or
// first in a `ServiceBuilder`, is honoured: the attribute adds no second healthcheck.
use axum::Router;
use axum::body::Body;
use axum::routing::get;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};
use tower::{ServiceBuilder, ServiceExt};
use tower_http::validate_request::ValidateRequestHeaderLayer;

#[kamal_healthcheck]
fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .layer(ValidateRequestHeaderLayer::accept("application/json"))
        .layer(HealthCheckLayer::new())
}

#[kamal_healthcheck(path = "/healthz")]
fn stacked() -> Router {
    let stack = ServiceBuilder::new()
        .layer(HealthCheckLayer::with_path("/healthz"))
        .layer(ValidateRequestHeaderLayer::accept("application/json"));
    Router::new().route("/", get(|| async { "home" })).layer(stack)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    for (router, path) in [(app(), "/up"), (stacked(), "/healthz")] {
        let probe = http::Request::get(path).body(Body::empty()).unwrap();
        assert_eq!(router.clone().oneshot(probe).await.unwrap().status(), 200);
        // A route at the path would make axum route `POST` there too; the layer
        // answers it itself.
        let post = http::Request::post(path).body(Body::empty()).unwrap();
        assert_eq!(router.oneshot(post).await.unwrap().status(), 405);
    }
}
