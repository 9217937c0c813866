// The attribute written twice on one `main`, once on each side of `#[tokio::main]`.
use axum::{Router, routing::get};
use kamal_healthcheck::kamal_healthcheck;

fn app() -> Router {
    Router::new().route("/", get(|| async { "home" }))
}

#[kamal_healthcheck]
#[tokio::main]
#[kamal_healthcheck]
async fn main() {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    axum::serve(listener, app()).await.unwrap();
}
