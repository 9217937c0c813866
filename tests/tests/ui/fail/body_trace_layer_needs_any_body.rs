// `HealthCheckLayer::new()` around tower-http's `TraceLayer`, whose body cannot carry the answer without `any_body()`.
use axum::Router;
use kamal_healthcheck::HealthCheckLayer;
use tower::Layer;
use tower_http::trace::TraceLayer;

async fn traced_router_on_hyper(stream: tokio::net::TcpStream) {
    let app = HealthCheckLayer::new().layer(TraceLayer::new_for_http().layer(Router::<()>::new()));
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(
            hyper_util::rt::TokioIo::new(stream),
            hyper_util::service::TowerToHyperService::new(app),
        )
        .await;
}

fn main() {
    let _ = traced_router_on_hyper;
}
