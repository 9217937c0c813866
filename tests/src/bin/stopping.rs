//! An app served by `main` with `#[kamal_healthcheck]`, for the stop tests
//! (`tests/stop.rs`): routes that answer at once (`/`), after `SLOW_MS`
//! milliseconds (`/slow`) or never (`/hang`), each saying on stdout when it
//! starts; `MODE` picks how it is served: `handled` (the attribute handles
//! SIGTERM and SIGINT, `stop_timeout = "2s"`), `ctrl_c` (the same, with the
//! app's own shutdown future awaiting only Ctrl-C), `unhandled` (`signals =
//! false`, as every app was before), `layer` (`HealthCheckLayer` by hand,
//! stopped by `stop_signal()` with a `stop_timeout` of 2 s) or `tonic` (tonic's
//! server behind `HealthCheckLayer`, stopped the same way). It logs through `tracing_subscriber::fmt`
//! on stderr, prints its address (again from the server's `local_addr` in
//! `handled`), and `returned` once serving has returned.

use std::io::Write;
use std::time::Duration;

use axum::{Router, routing::get};
use kamal_healthcheck::kamal_healthcheck;

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn app() -> Router {
    let slow = std::env::var("SLOW_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_millis(300), Duration::from_millis);
    Router::new()
        .route("/", get(|| async { "home" }))
        .route(
            "/slow",
            get(move || async move {
                say("slow started");
                tokio::time::sleep(slow).await;
                "slow"
            }),
        )
        .route(
            "/hang",
            get(|| async {
                say("hang started");
                std::future::pending::<&str>().await
            }),
        )
}

async fn bind() -> std::io::Result<tokio::net::TcpListener> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    say(&format!("listening on {}", listener.local_addr()?));
    Ok(listener)
}

#[kamal_healthcheck(stop_timeout = "2s")]
async fn handled() -> std::io::Result<()> {
    let listener = bind().await?;
    // What `axum::serve` gives still has its `local_addr`.
    let server = axum::serve(listener, app());
    say(&format!("served at {}", server.local_addr()?));
    server.await
}

#[kamal_healthcheck(stop_timeout = "2s")]
async fn own_ctrl_c() -> std::io::Result<()> {
    let listener = bind().await?;
    axum::serve(listener, app())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

#[kamal_healthcheck(signals = false)]
async fn unhandled() -> std::io::Result<()> {
    let listener = bind().await?;
    axum::serve(listener, app()).await
}

/// `HealthCheckLayer` by hand, with the one call for the stop.
async fn layer() -> std::io::Result<()> {
    use axum::ServiceExt;
    use tower::Layer;
    let app = kamal_healthcheck::HealthCheckLayer::new().layer(app());
    let listener = bind().await?;
    axum::serve(
        listener,
        ServiceExt::<axum::extract::Request>::into_make_service(app),
    )
    .with_graceful_shutdown(kamal_healthcheck::stop_signal().stop_timeout(Duration::from_secs(2)))
    .await
}

/// tonic's server behind the layer, stopped by `stop_signal()` given to its
/// shutdown (`serve_with_shutdown` binds the address itself; this is the same
/// with the listener bound here, whose port the test reads).
async fn tonic() -> std::io::Result<()> {
    let (_reporter, health) = tonic_health::server::health_reporter();
    let listener = bind().await?;
    tonic::transport::Server::builder()
        .accept_http1(true)
        .layer(kamal_healthcheck::HealthCheckLayer::new().any_body())
        .add_service(health)
        .serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(listener),
            kamal_healthcheck::stop_signal().stop_timeout(Duration::from_secs(2)),
        )
        .await
        .map_err(std::io::Error::other)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    match std::env::var("MODE").as_deref() {
        Ok("ctrl_c") => own_ctrl_c().await?,
        Ok("unhandled") => unhandled().await?,
        Ok("layer") => layer().await?,
        Ok("tonic") => tonic().await?,
        _ => handled().await?,
    }
    say("returned");
    Ok(())
}
