// A deploy.yml whose destinations set different healthcheck paths.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(deploy = "deploy/destinations.yml")]
fn destinations_disagree() -> Router { Router::new() }

fn main() {
    let _ = destinations_disagree();
}
