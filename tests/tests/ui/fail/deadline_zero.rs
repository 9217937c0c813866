// A check deadline of zero.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(deadline = "0ms")]
fn zero_deadline() -> Router { Router::new() }

fn main() {
    let _ = zero_deadline();
}
