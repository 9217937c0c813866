// The same mistake through `let` bindings: an HTTPS redirect added to the router
// after the healthcheck layer, on another line.
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
fn app() -> Router {
    let health = HealthCheckLayer::new();
    let app = Router::new().route("/", get(|| async { "home" })).layer(health);
    let app = app.layer(RedirectHttpsLayer);
    app
}

fn main() {
    let _ = app();
}
