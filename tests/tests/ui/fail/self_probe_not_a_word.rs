// A `self_probe` subcommand that is not one word.
use kamal_healthcheck::kamal_healthcheck;

#[tokio::main]
#[kamal_healthcheck(self_probe = "health check")]
async fn main() -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    axum::serve(listener, axum::Router::new()).await
}
