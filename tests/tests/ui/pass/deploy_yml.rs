// `deploy` takes the path from Kamal's config (here /healthz) and checks the
// deadline against its timeout (3 s).
use axum::Router;
use axum::body::Body;
use kamal_healthcheck::kamal_healthcheck;
use tower::ServiceExt;

#[kamal_healthcheck(deploy = "deploy/healthz.yml")]
fn app() -> Router {
    Router::new()
}

#[kamal_healthcheck(
    deploy = "deploy/healthz.yml",
    path = "/healthz",
    check(db = async { Ok::<(), String>(()) }),
    deadline = "2500ms",
)]
fn checked() -> Router {
    Router::new()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    for router in [app(), checked()] {
        let probe = http::Request::get("/healthz").body(Body::empty()).unwrap();
        assert_eq!(router.clone().oneshot(probe).await.unwrap().status(), 200);
        let old = http::Request::get("/up").body(Body::empty()).unwrap();
        assert_eq!(router.oneshot(old).await.unwrap().status(), 404);
    }
}
