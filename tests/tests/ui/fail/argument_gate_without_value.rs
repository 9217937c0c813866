// `gate` written with no value.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(gate)]
fn no_gate() -> Router { Router::new() }

fn main() {
    let _ = no_gate();
}
