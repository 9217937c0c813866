// On the function that serves the app, a route of the app's own at the healthcheck path.
use axum::Router;
use axum::routing::get;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck]
async fn serve_with_its_own_up(listener: tokio::net::TcpListener) {
    let app = Router::new().route("/up", get(|| async { "fine" }));
    axum::serve(listener, app.into_make_service()).await.unwrap();
}

fn main() {
    let _ = serve_with_its_own_up;
}
