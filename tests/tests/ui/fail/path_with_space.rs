// A healthcheck path with a space in it.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(path = "/up now")]
fn space() -> Router { Router::new() }

fn main() {
    let _ = space();
}
