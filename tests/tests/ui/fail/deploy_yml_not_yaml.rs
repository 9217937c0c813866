// A deploy.yml that is not readable as YAML.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(deploy = "deploy/broken.yml")]
fn broken() -> Router { Router::new() }

fn main() {
    let _ = broken();
}
