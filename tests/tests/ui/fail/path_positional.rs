// The path given on its own, not as `path = ".."`.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck("/healthz")]
fn positional() -> Router { Router::new() }

fn main() {
    let _ = positional();
}
