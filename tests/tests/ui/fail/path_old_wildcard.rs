// A healthcheck path in axum's old wildcard syntax, `/*health`.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(path = "/*health")]
fn old_wildcard() -> Router { Router::new() }

fn main() {
    let _ = old_wildcard();
}
