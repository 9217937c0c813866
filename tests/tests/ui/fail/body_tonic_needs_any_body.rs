// `HealthCheckLayer::new()` around a tonic server, whose body cannot carry the answer without `any_body()`.
use kamal_healthcheck::HealthCheckLayer;

async fn tonic_server() {
    let (_, health) = tonic_health::server::health_reporter();
    let _ = tonic::transport::Server::builder()
        .layer(HealthCheckLayer::new())
        .add_service(health)
        .serve("127.0.0.1:50051".parse().unwrap())
        .await;
}

fn main() {
    let _ = tonic_server();
}
