// `stop_timeout` beside `signals = false`: the app stops itself, so no
// deadline is kept.
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(signals = false, stop_timeout = "20s")]
async fn serve(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, axum::Router::new()).await
}

fn main() {
    let _ = serve;
}
