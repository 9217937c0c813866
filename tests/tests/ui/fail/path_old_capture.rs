// A healthcheck path in axum's old capture syntax, `/:health`.
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck(path = "/:health")]
fn old_capture() -> Router { Router::new() }

fn main() {
    let _ = old_capture();
}
