// A `timeout` given as a bare number, not a duration in a string.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(timeout = 5)]
fn unknown() -> Router { Router::new() }

fn main() {
    let _ = unknown();
}
