//! An axum app as Kamal deploys it. The Dockerfile builds it into an image that
//! listens on port 80; config/deploy.yml has kamal-proxy probe it at `/healthz`.
//! `#[kamal_healthcheck]` answers that probe ahead of the host allow-list: `503`
//! while the app is starting or its database is unreachable, `200` once it is
//! ready.

use std::io;

use axum::extract::{Request, State};
use axum::http::uri::Authority;
use axum::http::{StatusCode, header::HOST};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Router, routing::get};
use kamal_app_example::{AllowedHosts, Settings, start_up};
use kamal_healthcheck::{StartupGate, kamal_healthcheck};
use tokio::net::TcpListener;

/// Answers 400 to a request for a host the app does not serve. kamal-proxy's
/// probe carries the container's address as `Host` (`7c7168a662c1:80`), so it
/// would get this 400 too, were the healthcheck not answering it first.
async fn allowed_hosts_only(
    State(allowed): State<AllowedHosts>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(HOST)
        .and_then(|host| host.to_str().ok());
    match host.and_then(|host| host.parse::<Authority>().ok()) {
        Some(host) if allowed.contains(host.host()) => next.run(request).await,
        _ => (StatusCode::BAD_REQUEST, "unknown host\n").into_response(),
    }
}

async fn home() -> &'static str {
    "Hello from a Kamal app\n"
}

#[tokio::main]
#[kamal_healthcheck(
    deploy = "config/deploy.yml", // answers at its proxy.healthcheck.path, within its timeout
    check(db = db.ping()),        // 503 while the database is unreachable
    gate = startup.clone(),       // 503 "starting" until the start-up work is done
    self_probe = "healthcheck",   // `kamal-app-example healthcheck`: the Dockerfile's HEALTHCHECK
)]
async fn main() -> io::Result<()> {
    // What the app logs, `kamal deploy` shows when the container never becomes healthy.
    tracing_subscriber::fmt::init();
    let settings = Settings::from_env()?;
    let db = settings.database;

    let startup = StartupGate::new();
    tokio::spawn(start_up(db.clone(), startup.clone()));

    let app = Router::new()
        .route("/", get(home))
        .layer(middleware::from_fn_with_state(
            settings.allowed_hosts,
            allowed_hosts_only,
        ));

    let listener = TcpListener::bind((settings.bind_address.as_str(), settings.port)).await?;
    tracing::info!(address = %listener.local_addr()?, "listening");
    axum::serve(listener, app).await
}
