// A check deadline equal to kamal-proxy's default timeout of 5 s.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(deadline = "5s")]
fn at_the_proxy_timeout() -> Router { Router::new() }

fn main() {
    let _ = at_the_proxy_timeout();
}
