// An empty healthcheck path.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(path = "")]
fn empty() -> Router { Router::new() }

fn main() {
    let _ = empty();
}
