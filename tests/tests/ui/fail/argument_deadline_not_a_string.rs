// A `deadline` given as a bare number, not a duration in a string.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(deadline = 2)]
fn not_a_string() -> Router { Router::new() }

fn main() {
    let _ = not_a_string();
}
