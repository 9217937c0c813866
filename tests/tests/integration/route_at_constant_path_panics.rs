//! What the attribute cannot see at compile time fails when the router is
//! built, with a panic that names the healthcheck and the fix instead of axum's
//! bare "Insertion failed due to conflict".

use axum::Router;
use axum::routing::get;
use kamal_healthcheck::kamal_healthcheck;

const HEALTH: &str = "/up";

#[kamal_healthcheck]
fn app_with_a_constant_route() -> Router {
    Router::new().route(HEALTH, get(|| async { "mine" }))
}

#[kamal_healthcheck]
fn fallible_app_with_a_constant_route() -> Result<Router, std::io::Error> {
    Ok(Router::new().route(HEALTH, get(|| async { "mine" })))
}

fn panic_of(build: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let payload = std::panic::catch_unwind(build).expect_err("building the router panics");
    payload.downcast_ref::<String>().cloned().unwrap()
}

#[test]
fn a_route_at_the_path_under_a_constant_panics_with_the_fix() {
    for message in [
        panic_of(|| drop(app_with_a_constant_route())),
        panic_of(|| drop(fallible_app_with_a_constant_route())),
    ] {
        assert!(
            message.starts_with(
                "#[kamal_healthcheck] cannot install its healthcheck at \"/up\": the router \
                 already has a route there (\"Invalid route \"/up\": Insertion failed due to \
                 conflict"
            ),
            "{message}"
        );
        assert!(
            message.contains("a route in a router returned by another function"),
            "{message}"
        );
        assert!(message.contains("\n= help: remove that route"), "{message}");
    }
}
