// A check deadline beyond kamal-proxy's default timeout of 5 s.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

async fn ping() -> Result<(), String> {
    Ok(())
}

#[kamal_healthcheck(check(db = ping()), deadline = "7s")]
fn beyond_the_default() -> Router { Router::new() }

fn main() {
    let _ = beyond_the_default();
}
