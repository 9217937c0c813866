// A deploy.yml whose healthcheck path is ERB.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(deploy = "deploy/erb.yml")]
fn erb() -> Router { Router::new() }

fn main() {
    let _ = erb();
}
