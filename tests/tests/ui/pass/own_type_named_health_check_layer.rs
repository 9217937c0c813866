// An app's own tower layer that happens to be called `HealthCheckLayer`, in a
// module of its own, is not the crate's: beside the attribute it compiles and
// runs (the types decide, not the name), on both forms.
use axum::Router;
use axum::body::Body;
use kamal_healthcheck::kamal_healthcheck;
use tower::ServiceExt;

mod metrics {
    /// Counts requests; nothing to do with kamal-healthcheck.
    #[derive(Clone, Default)]
    pub struct HealthCheckLayer;

    impl<S> tower::Layer<S> for HealthCheckLayer {
        type Service = S;
        fn layer(&self, inner: S) -> S {
            inner
        }
    }

    impl HealthCheckLayer {
        pub fn new() -> Self {
            Self
        }
    }
}

use metrics::HealthCheckLayer;

#[kamal_healthcheck]
fn app() -> Router {
    Router::new()
        .route("/", axum::routing::get(|| async { "home" }))
        .layer(HealthCheckLayer::new())
}

#[kamal_healthcheck]
async fn serve(listener: tokio::net::TcpListener) {
    let app = Router::new().layer(metrics::HealthCheckLayer::default());
    axum::serve(listener, app).await.unwrap();
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let probe = http::Request::get("/up").body(Body::empty()).unwrap();
    assert_eq!(app().oneshot(probe).await.unwrap().status(), 200);
    let home = http::Request::get("/").body(Body::empty()).unwrap();
    assert_eq!(app().oneshot(home).await.unwrap().status(), 200);
    let _ = serve;
}
