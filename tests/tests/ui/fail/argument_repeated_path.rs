// `path` given twice.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(path = "/up", path = "/healthz")]
fn repeated() -> Router { Router::new() }

fn main() {
    let _ = repeated();
}
