// A guard added in a branch, after the healthcheck layer: caught on that branch.
use axum::Router;
use axum::routing::get;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};

#[derive(Clone)]
struct RedirectHttpsLayer;

impl<S> tower::Layer<S> for RedirectHttpsLayer {
    type Service = S;
    fn layer(&self, inner: S) -> S {
        inner
    }
}

#[kamal_healthcheck]
fn app(force_https: bool) -> Router {
    let mut app = Router::new()
        .route("/", get(|| async { "home" }))
        .layer(HealthCheckLayer::new());
    if force_https {
        app = app.layer(RedirectHttpsLayer);
    }
    app
}

fn main() {
    let _ = app(true);
}
