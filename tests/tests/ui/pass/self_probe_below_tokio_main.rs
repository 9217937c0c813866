// `self_probe` on `main`, below `#[tokio::main]`: `APP healthcheck` probes
// the app beside it before the runtime starts (tests/integration/self_probe.rs
// runs it); run plainly, the app serves.
#![deny(warnings)]

use kamal_healthcheck::kamal_healthcheck;

#[tokio::main]
#[kamal_healthcheck(self_probe = "healthcheck")]
async fn main() -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    // The case's run ends at once: the app's own shutdown future is ready.
    axum::serve(listener, axum::Router::new())
        .with_graceful_shutdown(async {})
        .await
}
