// A `stop_timeout` that is not the one deploy.yml sets.
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(deploy = "deploy/stop_timeout.yml", stop_timeout = "10s")]
async fn serve(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, axum::Router::new()).await
}

fn main() {
    let _ = serve;
}
