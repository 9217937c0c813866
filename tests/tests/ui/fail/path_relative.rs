// A healthcheck path without its leading `/`.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(path = "up")]
fn relative() -> Router { Router::new() }

fn main() {
    let _ = relative();
}
