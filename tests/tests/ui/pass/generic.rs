// A generic function returning `Router<S>`, state given by the caller.
use axum::Router;
use axum::body::Body;
use axum::routing::get;
use kamal_healthcheck::kamal_healthcheck;
use tower::ServiceExt;

#[kamal_healthcheck(path = "/healthz")]
pub(crate) fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new().route("/", get(|| async { "home" }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let app: Router = routes::<u8>().with_state(7);
    let probe = http::Request::get("/healthz").body(Body::empty()).unwrap();
    assert_eq!(app.clone().oneshot(probe).await.unwrap().status(), 200);
    let old_default = http::Request::get("/up").body(Body::empty()).unwrap();
    assert_eq!(app.oneshot(old_default).await.unwrap().status(), 404);
}
