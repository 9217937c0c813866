// `cache_for` given twice.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(cache_for = "1s", cache_for = "0s")]
fn cache_twice() -> Router { Router::new() }

fn main() {
    let _ = cache_twice();
}
