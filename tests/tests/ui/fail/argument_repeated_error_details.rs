// `error_details` given twice.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(error_details = true, error_details = false)]
fn details_twice() -> Router { Router::new() }

fn main() {
    let _ = details_twice();
}
