// `crate` given a string that is not a path.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(crate = "not a path")]
fn bad_crate() -> Router { Router::new() }

fn main() {
    let _ = bad_crate();
}
