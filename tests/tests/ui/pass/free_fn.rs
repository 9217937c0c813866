// The plain form: a free function returning `Router`, behind a layer that rejects
// requests that do not accept JSON. An inner attribute still applies to the body.
use axum::Router;
use axum::body::Body;
use axum::routing::get;
use kamal_healthcheck::kamal_healthcheck;
use tower::ServiceExt;
use tower_http::validate_request::ValidateRequestHeaderLayer;

#[kamal_healthcheck]
pub fn app() -> Router {
    #![allow(unused_variables)]
    let unused = 1;
    Router::new()
        .route("/", get(|| async { "home" }))
        .layer(ValidateRequestHeaderLayer::accept("application/json"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let probe = http::Request::get("/up").body(Body::empty()).unwrap();
    assert_eq!(app().oneshot(probe).await.unwrap().status(), 200);
    let other = http::Request::get("/")
        .header("accept", "text/html")
        .body(Body::empty())
        .unwrap();
    assert_eq!(app().oneshot(other).await.unwrap().status(), 406);
}
