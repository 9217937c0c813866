// `path` written with no value.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(path)]
fn bare() -> Router { Router::new() }

fn main() {
    let _ = bare();
}
