// `timeout` given twice.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(timeout = "5s", timeout = "6s")]
fn timeout_twice() -> Router { Router::new() }

fn main() {
    let _ = timeout_twice();
}
