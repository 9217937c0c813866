// A healthcheck path with a non-ASCII character, not percent-encoded.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(path = "/santé")]
fn non_ascii() -> Router { Router::new() }

fn main() {
    let _ = non_ascii();
}
