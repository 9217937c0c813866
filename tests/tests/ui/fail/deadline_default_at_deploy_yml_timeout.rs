// The default check deadline (2 s) equal to deploy.yml's `timeout: 2`.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

async fn ping() -> Result<(), String> {
    Ok(())
}

#[kamal_healthcheck(deploy = "deploy/timeout2.yml", check(db = ping()))]
fn default_deadline_at_deploy_yml_timeout() -> Router { Router::new() }

fn main() {
    let _ = default_deadline_at_deploy_yml_timeout();
}
