// An unknown argument, `pth` for `path`.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(pth = "/up")]
fn misspelled() -> Router { Router::new() }

fn main() {
    let _ = misspelled();
}
