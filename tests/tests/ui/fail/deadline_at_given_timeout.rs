// A check deadline equal to the `timeout` given to the attribute.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

async fn ping() -> Result<(), String> {
    Ok(())
}

#[kamal_healthcheck(timeout = "6s", check(db = ping()), deadline = "6s")]
fn at_the_given_timeout() -> Router { Router::new() }

fn main() {
    let _ = at_the_given_timeout();
}
