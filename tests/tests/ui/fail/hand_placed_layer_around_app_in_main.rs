// A `HealthCheckLayer` placed by hand around the whole app in a `main` that has the attribute.
use axum::Router;
use axum::routing::get;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};
use tower::Layer;

#[kamal_healthcheck]
#[tokio::main]
async fn main() {
    let app = Router::new().route("/", get(|| async { "home" }));
    let app = HealthCheckLayer::new().layer(app);
    let listener = tokio::net::TcpListener::bind("0.0.0.0:80").await.unwrap();
    axum::serve(listener, axum::ServiceExt::<axum::extract::Request>::into_make_service(app)).await.unwrap();
}
