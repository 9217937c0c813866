// A `timeout` other than the one deploy.yml sets.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

async fn ping() -> Result<(), String> {
    Ok(())
}

#[kamal_healthcheck(deploy = "deploy/timeout10.yml", timeout = "5s", check(db = ping()), deadline = "3s")]
fn disagrees_with_deploy_yml() -> Router { Router::new() }

fn main() {
    let _ = disagrees_with_deploy_yml();
}
