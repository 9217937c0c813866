// A healthcheck path with a query string.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(path = "/up?full=1")]
fn query() -> Router { Router::new() }

fn main() {
    let _ = query();
}
