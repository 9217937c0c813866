// A healthcheck path given as a macro call, not a string literal.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(path = concat!("/", "up"))]
fn not_a_literal() -> Router { Router::new() }

fn main() {
    let _ = not_a_literal();
}
