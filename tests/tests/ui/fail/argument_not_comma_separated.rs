// Arguments ended by a `;` instead of separated by commas.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(path = "/up";)]
fn unparsable() -> Router { Router::new() }

fn main() {
    let _ = unparsable();
}
