// A check deadline equal to deploy.yml's `timeout: 2`.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

async fn ping() -> Result<(), String> {
    Ok(())
}

#[kamal_healthcheck(deploy = "deploy/timeout2.yml", check(db = ping()), deadline = "2s")]
fn at_deploy_yml_timeout() -> Router { Router::new() }

fn main() {
    let _ = at_deploy_yml_timeout();
}
