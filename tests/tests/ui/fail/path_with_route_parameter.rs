// A healthcheck path with an axum route parameter, `{probe}`.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(path = "/{probe}")]
fn parameter() -> Router { Router::new() }

fn main() {
    let _ = parameter();
}
