// A healthcheck path given as a number.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(path = 42)]
fn not_a_string() -> Router { Router::new() }

fn main() {
    let _ = not_a_string();
}
