// On the function that serves the app, the ordering analysis runs on the router
// that reaches `axum::serve`: a hand-placed `HealthCheckLayer` with a host check
// added after it, and a route of the app's own at the healthcheck path.
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

#[kamal_healthcheck]
async fn serve_with_its_own_up(listener: tokio::net::TcpListener) {
    let app = Router::new().route("/up", get(|| async { "fine" }));
    axum::serve(listener, app.into_make_service()).await.unwrap();
}
