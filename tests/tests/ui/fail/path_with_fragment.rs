// A healthcheck path with a fragment.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(path = "/up#top")]
fn fragment() -> Router { Router::new() }

fn main() {
    let _ = fragment();
}
