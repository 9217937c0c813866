// `self_probe` on a function that only builds the router.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(self_probe = "healthcheck")]
fn app() -> Router {
    Router::new()
}

fn main() {
    let _ = app;
}
