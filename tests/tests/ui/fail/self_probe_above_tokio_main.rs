// `self_probe` above `#[tokio::main]`: the runtime would start first.
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(self_probe = "healthcheck")]
#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    axum::serve(listener, axum::Router::new()).await
}
