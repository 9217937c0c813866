// A `path` other than the one deploy.yml sets.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(deploy = "deploy/healthz.yml", path = "/up")]
fn other_path() -> Router { Router::new() }

fn main() {
    let _ = other_path();
}
