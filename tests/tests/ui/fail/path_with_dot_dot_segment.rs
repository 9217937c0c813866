// A healthcheck path with a `..` segment.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(path = "/health/../up")]
fn dot_dot() -> Router { Router::new() }

fn main() {
    let _ = dot_dot();
}
