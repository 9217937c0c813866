// A check deadline of 7 s is accepted where kamal-proxy's timeout is 10 s: read
// from deploy.yml, or given as `timeout`; the layer the attribute builds gets
// the same timeout, so it accepts the deadline at run time too.
use axum::Router;
use axum::body::Body;
use kamal_healthcheck::kamal_healthcheck;
use tower::ServiceExt;

async fn ping() -> Result<(), String> {
    Ok(())
}

#[kamal_healthcheck(deploy = "deploy/timeout10.yml", check(db = ping()), deadline = "7s")]
fn from_deploy_yml() -> Router {
    Router::new()
}

#[kamal_healthcheck(timeout = "10s", check(db = ping()), deadline = "7s")]
fn given() -> Router {
    Router::new()
}

#[kamal_healthcheck(deploy = "deploy/timeout10.yml", timeout = "10s", check(db = ping()), deadline = "7s")]
fn both_agree() -> Router {
    Router::new()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    for router in [from_deploy_yml(), given(), both_agree()] {
        let probe = http::Request::get("/up").body(Body::empty()).unwrap();
        assert_eq!(router.oneshot(probe).await.unwrap().status(), 200);
    }
}
