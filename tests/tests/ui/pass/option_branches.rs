// `Option<Router>` with a `return None` and a `match` whose arms build different
// routers; every `Some` gets the healthcheck.
use axum::Router;
use axum::body::Body;
use axum::routing::get;
use kamal_healthcheck::kamal_healthcheck;
use tower::ServiceExt;

#[kamal_healthcheck]
fn app(mode: u8) -> Option<Router> {
    if mode == 0 {
        return None;
    }
    let base = Router::new().route("/", get(|| async { "home" }));
    match mode {
        1 => Some(base),
        _ => Some(base.fallback(|| async { "fallback" })),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert!(app(0).is_none());
    for mode in [1, 2] {
        let probe = http::Request::get("/up").body(Body::empty()).unwrap();
        let response = app(mode).unwrap().oneshot(probe).await.unwrap();
        assert_eq!(response.status(), 200, "mode {mode}");
    }
}
