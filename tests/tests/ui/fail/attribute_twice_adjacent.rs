// The attribute written twice, one line after the other, on one function.
use axum::{Router, routing::get};
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck]
#[kamal_healthcheck(path = "/healthz")]
fn app() -> Router {
    Router::new().route("/", get(|| async { "home" }))
}

fn main() {
    let _ = app();
}
