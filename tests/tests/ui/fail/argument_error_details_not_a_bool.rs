// `error_details` given a string, not `true` or `false`.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(error_details = "yes")]
fn not_a_bool() -> Router { Router::new() }

fn main() {
    let _ = not_a_bool();
}
