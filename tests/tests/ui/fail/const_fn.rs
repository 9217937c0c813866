// Installing the healthcheck is not `const`.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck]
const fn app() -> Option<Router> {
    None
}

fn main() {
    let _ = app();
}
