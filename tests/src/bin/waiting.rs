//! An app served by `main`'s callee with `#[kamal_healthcheck(deploy_timeout =
//! "1500ms")]`, for the tests of what it says while a deploy waits for it
//! (`tests/integration/waiting.rs`). `MODE` picks the attribute: `plain`, `healthz` (it
//! answers `/healthz`), `failing` (a check that fails), `gated` (a start-up
//! gate never opened), `late` (700 ms of work before it binds), `beside_metrics` (a
//! metrics router on a port of its own beside the app), `roles` (`config/roles.yml`, whose `jobs` role
//! kamal-proxy does not serve) or `probed_in_process` (the router probed with
//! `kamal_healthcheck::probe` before it is served). It logs through `tracing_subscriber::fmt` on stderr, at
//! `DEBUG`, and prints its address.

use std::io::Write;

use axum::{Router, routing::get};
use kamal_healthcheck::{StartupGate, kamal_healthcheck};

async fn listener() -> std::io::Result<tokio::net::TcpListener> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {}", listener.local_addr()?)?;
    out.flush()?;
    Ok(listener)
}

fn app() -> Router {
    Router::new().route("/", get(|| async { "home" }))
}

#[kamal_healthcheck(deploy_timeout = "1500ms")]
async fn plain() -> std::io::Result<()> {
    axum::serve(listener().await?, app()).await
}

#[kamal_healthcheck(path = "/healthz", deploy_timeout = "1500ms")]
async fn healthz() -> std::io::Result<()> {
    axum::serve(listener().await?, app()).await
}

#[kamal_healthcheck(
    deploy_timeout = "1500ms",
    check(db = async { Err::<(), _>("connection refused") })
)]
async fn failing() -> std::io::Result<()> {
    axum::serve(listener().await?, app()).await
}

#[kamal_healthcheck(deploy_timeout = "1500ms", gate = gate)]
async fn gated(gate: StartupGate) -> std::io::Result<()> {
    axum::serve(listener().await?, app()).await
}

/// Work of 700 ms before it binds (a migration): kamal-proxy's clock, and
/// the watch's, run from the start of the process.
#[kamal_healthcheck(deploy_timeout = "1500ms")]
async fn late() -> std::io::Result<()> {
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    axum::serve(listener().await?, app()).await
}

/// deploy.yml with a `jobs` role that kamal-proxy does not serve.
#[kamal_healthcheck(deploy = "config/roles.yml")]
async fn roles() -> std::io::Result<()> {
    axum::serve(listener().await?, app()).await
}

/// The app and a metrics router on a port of its own, served together;
/// deploy.yml's `proxy.app_port` is 80 (unset), which neither listens on.
#[kamal_healthcheck(deploy = "config/roles.yml")]
async fn beside_metrics() -> std::io::Result<()> {
    use std::future::IntoFuture;
    let app_listener = listener().await?;
    let metrics = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let metrics_routes = Router::new().route("/metrics", get(|| async { "requests 1" }));
    tokio::try_join!(
        axum::serve(app_listener, app()).into_future(),
        axum::serve(metrics, metrics_routes).into_future()
    )?;
    Ok(())
}

/// A router function with the attribute, probed in-process in `main` before
/// it is served, as the docs suggest: that probe is not kamal-proxy's.
#[kamal_healthcheck]
fn routes() -> Router {
    app()
}

#[kamal_healthcheck(deploy_timeout = "1500ms")]
async fn probed_in_process() -> std::io::Result<()> {
    kamal_healthcheck::probe(routes()).await.assert_healthy();
    axum::serve(listener().await?, routes()).await
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .init();
    match std::env::var("MODE").as_deref() {
        Ok("healthz") => healthz().await,
        Ok("failing") => failing().await,
        Ok("gated") => gated(StartupGate::new()).await,
        Ok("roles") => roles().await,
        Ok("late") => late().await,
        Ok("beside_metrics") => beside_metrics().await,
        Ok("probed_in_process") => probed_in_process().await,
        _ => plain().await,
    }
}
