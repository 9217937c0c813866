// Checks on an argument destructured in the signature, a return type with
// `impl Error` in it, sync and async. (That clippy's `redundant_async_block`
// leaves `check(x = async { .. })` alone is checked by the workspace's clippy
// run over tests/tests/readiness.rs.)
use axum::Router;
use axum::body::Body;
use kamal_healthcheck::kamal_healthcheck;
use tower::ServiceExt;

#[derive(Clone)]
struct Db;

impl Db {
    async fn ping(&self) -> Result<(), String> {
        Ok(())
    }
}

#[derive(Clone)]
struct AppState {
    db: Db,
    name: String,
}

#[kamal_healthcheck(check(db = db.ping()))]
fn destructured(AppState { db, name }: AppState) -> Router {
    let _ = name;
    Router::new().with_state(db)
}

#[kamal_healthcheck(check(queue = async { Ok::<(), String>(()) }))]
fn opaque_error(fail: bool) -> Result<Router, impl std::error::Error> {
    if fail {
        return Err(std::io::Error::other("no config"));
    }
    Ok(Router::new())
}

#[kamal_healthcheck]
async fn opaque_error_async() -> Result<Router, impl std::error::Error> {
    if false {
        return Err(std::fmt::Error);
    }
    Ok(Router::new())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let routers = [
        destructured(AppState { db: Db, name: "app".to_owned() }),
        opaque_error(false).unwrap(),
        opaque_error_async().await.unwrap(),
    ];
    for router in routers {
        let probe = http::Request::get("/up").body(Body::empty()).unwrap();
        assert_eq!(router.oneshot(probe).await.unwrap().status(), 200);
    }
}
