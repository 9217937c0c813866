//! An app whose `main` has `#[kamal_healthcheck(self_probe = "healthcheck")]`,
//! for the self-probe's tests (`tests/integration/self_probe.rs`): run as
//! `self_probe healthcheck [ADDRESS]`, it probes the app running beside it
//! and exits; run plainly, it serves on 127.0.0.1 (any free port), prints
//! the address, and its check `db` connects to `DATABASE_ADDR`.

use std::io::Write;

use axum::{Router, routing::get};
use kamal_healthcheck::kamal_healthcheck;

async fn ping(database: String) -> std::io::Result<()> {
    tokio::net::TcpStream::connect(database).await.map(drop)
}

#[tokio::main(flavor = "current_thread")]
#[kamal_healthcheck(self_probe = "healthcheck", check(db = ping(database.clone())))]
async fn main() -> std::io::Result<()> {
    let database = std::env::var("DATABASE_ADDR").unwrap_or_default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {}", listener.local_addr()?)?;
    out.flush()?;
    drop(out);
    axum::serve(listener, Router::new().route("/", get(|| async { "home" }))).await
}
