// A function of the app's own named `serve`, called from an annotated `main`:
// not axum's, so the attribute says where to go instead of wrapping its port.
use axum::{Router, routing::get};
use kamal_healthcheck::kamal_healthcheck;

async fn serve(app: Router, port: u16) {
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", port)).await.unwrap();
    axum::serve(listener, app).await.unwrap();
}

#[kamal_healthcheck]
#[tokio::main]
async fn main() {
    let app = Router::new().route("/", get(|| async { "home" }));
    serve(app, 3000).await;
}
