// `gate` given twice.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(gate = gate(), gate = gate())]
fn gate_twice() -> Router { Router::new() }

fn main() {
    let _ = gate_twice();
}
