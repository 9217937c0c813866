// A deploy.yml whose healthcheck path lacks its leading `/`.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(deploy = "deploy/bad_path.yml")]
fn invalid_path() -> Router { Router::new() }

fn main() {
    let _ = invalid_path();
}
