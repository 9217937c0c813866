// A check deadline equal to the timeout deploy.yml sets (3 s).
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(deploy = "deploy/healthz.yml", check(db = async { Ok::<(), String>(()) }), deadline = "3s")]
fn deadline_at_the_timeout() -> Router { Router::new() }

fn main() {
    let _ = deadline_at_the_timeout();
}
