// `HealthCheckLayer::new()` keeps the wrapped service's response type; tonic's
// body and tower-http's `TraceLayer` body cannot carry the answer: one error
// each, which names `any_body()`.
use axum::Router;
use kamal_healthcheck::HealthCheckLayer;
use tower::Layer;
use tower_http::trace::TraceLayer;

async fn tonic_server() {
    let (_, health) = tonic_health::server::health_reporter();
    let _ = tonic::transport::Server::builder()
        .layer(HealthCheckLayer::new())
        .add_service(health)
        .serve("127.0.0.1:50051".parse().unwrap())
        .await;
}

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
    let _ = (tonic_server(), traced_router_on_hyper);
}
