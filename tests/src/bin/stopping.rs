//! An app served by a function with `#[kamal_healthcheck]`, for the stop
//! tests (`tests/integration/stop.rs`): routes that answer at once (`/`), after `SLOW_MS`
//! milliseconds (`/slow`), never (`/hang`), or after a minute on tokio's
//! blocking pool (`/block`), each saying on stdout when it starts. `MODE`
//! picks the shape of the function that serves (each function below says
//! its own): `handled` (the default), `ctrl_c`, `unhandled` (`signals =
//! false`, as every app was before), `layer` and `tonic` (`HealthCheckLayer`
//! by hand, stopped by `stop_signal()`), `documented` and its control
//! `documented_bare` (axum's documented `shutdown_signal()` with cleanup),
//! `deployed`, `migrating`, `joined`, `two`, `spawned`, `panicking` and `returns_at_once`. Stop
//! timeouts are 2 s, but in `deployed`. It logs through `tracing_subscriber::fmt` on stderr,
//! prints its address (again from the server's `local_addr` in `handled`),
//! and `returned` once serving has returned.

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
            "/block",
            get(|| async {
                say("block started");
                // A synchronous call on tokio's blocking pool (a database
                // driver's, say) that outlives the stop's deadline.
                let _ = tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_secs(60)))
                    .await;
                "blocked"
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

/// axum's documented `shutdown_signal()`: Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c()
            .await
            .expect("Ctrl-C is listened for");
    };
    let terminate = async {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM is listened for")
            .recv()
            .await;
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// A background worker that stops when told, as apps have them beside the
/// server: `main` awaits it once the server has returned.
fn worker() -> (
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<()>,
) {
    let (stop, mut told) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(async move {
        let _ = told.wait_for(|stop| *stop).await;
        say("worker stopped");
    });
    (stop, worker)
}

/// axum's documented shape: its `shutdown_signal()` with cleanup after it
/// (the worker is told to stop), the worker awaited after the server.
#[kamal_healthcheck(stop_timeout = "2s")]
async fn documented() -> std::io::Result<()> {
    let (stop, worker) = worker();
    let listener = bind().await?;
    axum::serve(listener, app())
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            let _ = stop.send(true);
        })
        .await?;
    worker.await.map_err(std::io::Error::other)
}

/// `documented` without the attribute: the control.
async fn documented_bare() -> std::io::Result<()> {
    let (stop, worker) = worker();
    let listener = bind().await?;
    axum::serve(listener, app())
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            let _ = stop.send(true);
        })
        .await?;
    worker.await.map_err(std::io::Error::other)
}

/// Work before serving that blocks the runtime's thread (`MIGRATE_MS`
/// milliseconds), as a synchronous migration does, saying when it starts.
#[kamal_healthcheck(stop_timeout = "2s")]
async fn migrating() -> std::io::Result<()> {
    say("migrating");
    let ms = std::env::var("MIGRATE_MS").map_or(Ok(0), |ms| ms.parse());
    std::thread::sleep(Duration::from_millis(ms.map_err(std::io::Error::other)?));
    let listener = bind().await?;
    axum::serve(listener, app()).await
}

/// deploy.yml read, with its roles and a destination
/// (`config/lifecycle/`): the stop's timeout is the container's own.
#[kamal_healthcheck(deploy = "config/lifecycle/deploy.yml")]
async fn deployed() -> std::io::Result<()> {
    let listener = bind().await?;
    axum::serve(listener, app()).await
}

/// The server beside a worker that never ends, in one `try_join!`.
#[kamal_healthcheck(stop_timeout = "2s")]
async fn joined() -> std::io::Result<()> {
    use std::future::IntoFuture;
    let listener = bind().await?;
    let looping = async {
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        #[allow(unreachable_code)]
        Ok::<(), std::io::Error>(())
    };
    tokio::try_join!(axum::serve(listener, app()).into_future(), looping)?;
    Ok(())
}

/// Two servers in one `try_join!`.
#[kamal_healthcheck(stop_timeout = "2s")]
async fn two() -> std::io::Result<()> {
    use std::future::IntoFuture;
    let (first, second) = (bind().await?, bind().await?);
    tokio::try_join!(
        axum::serve(first, app()).into_future(),
        axum::serve(second, app()).into_future()
    )?;
    Ok(())
}

/// The server in a task, `main` waiting for Ctrl-C only.
#[kamal_healthcheck(stop_timeout = "2s")]
async fn spawned() -> std::io::Result<()> {
    use std::future::IntoFuture;
    let listener = bind().await?;
    tokio::spawn(axum::serve(listener, app()).into_future());
    tokio::signal::ctrl_c().await
}

/// The app's own shutdown future panics in its cleanup.
#[kamal_healthcheck(stop_timeout = "2s")]
async fn panicking() -> std::io::Result<()> {
    let listener = bind().await?;
    axum::serve(listener, app())
        .with_graceful_shutdown(async {
            shutdown_signal().await;
            panic!("the cleanup failed");
        })
        .await
}

/// The server returns at once (its own shutdown future is ready): the
/// function returns, and the process waits for ever.
#[kamal_healthcheck(stop_timeout = "2s")]
async fn returns_at_once() -> std::io::Result<()> {
    let listener = bind().await?;
    axum::serve(listener, app())
        .with_graceful_shutdown(async {})
        .await
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
        Ok("documented") => documented().await?,
        Ok("documented_bare") => documented_bare().await?,
        Ok("migrating") => migrating().await?,
        Ok("joined") => joined().await?,
        Ok("spawned") => spawned().await?,
        Ok("two") => two().await?,
        Ok("deployed") => deployed().await?,
        Ok("panicking") => panicking().await?,
        Ok("returns_at_once") => {
            returns_at_once().await?;
            say("returned");
            std::future::pending::<()>().await;
        }
        _ => handled().await?,
    }
    say("returned");
    Ok(())
}
