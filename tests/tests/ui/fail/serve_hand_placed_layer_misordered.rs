// On the function that serves the app, a `HealthCheckLayer` placed by hand behind a host check.
use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};

async fn allowed_hosts_only(request: Request, next: Next) -> Response {
    next.run(request).await
}

#[kamal_healthcheck]
#[tokio::main]
async fn main() {
    let app = Router::new()
        .route("/", get(|| async { "home" }))
        .layer(HealthCheckLayer::new())
        .layer(middleware::from_fn(allowed_hosts_only));
    let listener = tokio::net::TcpListener::bind("0.0.0.0:80").await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
