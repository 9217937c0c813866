// A healthcheck timeout of zero.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(timeout = "0s")]
fn zero() -> Router { Router::new() }

fn main() {
    let _ = zero();
}
