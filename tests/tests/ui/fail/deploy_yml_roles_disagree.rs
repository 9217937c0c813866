// A deploy.yml whose roles set different healthcheck paths.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(deploy = "deploy/roles.yml")]
fn roles_disagree() -> Router { Router::new() }

fn main() {
    let _ = roles_disagree();
}
