// A check deadline that does not end before kamal-proxy's timeout in force:
// Kamal's default 5 s, deploy.yml's `timeout: 2`, or `timeout`; a `timeout`
// that disagrees with deploy.yml's.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

async fn ping() -> Result<(), String> {
    Ok(())
}

#[kamal_healthcheck(check(db = ping()), deadline = "7s")]
fn beyond_the_default() -> Router { Router::new() }

#[kamal_healthcheck(deploy = "deploy/timeout2.yml", check(db = ping()), deadline = "2s")]
fn at_deploy_yml_timeout() -> Router { Router::new() }

#[kamal_healthcheck(deploy = "deploy/timeout2.yml", check(db = ping()))]
fn default_deadline_at_deploy_yml_timeout() -> Router { Router::new() }

#[kamal_healthcheck(timeout = "6s", check(db = ping()), deadline = "6s")]
fn at_the_given_timeout() -> Router { Router::new() }

#[kamal_healthcheck(deploy = "deploy/timeout10.yml", timeout = "5s", check(db = ping()), deadline = "3s")]
fn disagrees_with_deploy_yml() -> Router { Router::new() }

#[kamal_healthcheck(timeout = "0s")]
fn zero() -> Router { Router::new() }

fn main() {
    let _ = (beyond_the_default(), at_deploy_yml_timeout(), default_deadline_at_deploy_yml_timeout(), at_the_given_timeout(), disagrees_with_deploy_yml(), zero());
}
