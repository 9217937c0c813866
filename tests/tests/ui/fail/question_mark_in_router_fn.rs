// `?` in a function that returns `Router`: one error, rustc's own, on the `?`,
// in terms of the function as the user wrote it (not of a closure of the
// expansion).
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck]
fn app() -> Router {
    let _config = std::fs::read_to_string("config.toml")?;
    Router::new()
}

fn main() {
    let _ = app();
}
