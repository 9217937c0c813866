// A `cache_for` with a fractional number of seconds.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(cache_for = "1.5s")]
fn fractional() -> Router { Router::new() }

fn main() {
    let _ = fractional();
}
