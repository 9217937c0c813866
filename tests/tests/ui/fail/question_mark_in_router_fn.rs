// `?` in a function that returns `Router`: one error, on the `?`, in terms of
// the function as the user wrote it (not of a closure of the expansion), and
// no second one from rustc about the same `?`.
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
