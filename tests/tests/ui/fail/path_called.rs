// `path` written like a call, `path("..")`.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(path("/healthz"))]
fn called() -> Router { Router::new() }

fn main() {
    let _ = called();
}
