// `signals` on a function that builds the router: it serves nothing, so
// there is no server to stop.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(signals = false)]
fn app() -> Router {
    Router::new()
}

fn main() {
    let _ = app();
}
