// A healthcheck path with a control character (a tab) in it.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(path = "/up\t")]
fn control() -> Router { Router::new() }

fn main() {
    let _ = control();
}
