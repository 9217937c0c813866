// A deploy.yml that does not exist.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(deploy = "deploy/missing.yml")]
fn missing() -> Router { Router::new() }

fn main() {
    let _ = missing();
}
