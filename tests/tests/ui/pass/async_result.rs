// An `async fn` returning `io::Result<Router>`: `?` and an early `return` keep
// their meaning, and the router from either return point gets the healthcheck.
use std::io;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use kamal_healthcheck::kamal_healthcheck;
use tower::ServiceExt;

async fn read_config(fail: bool) -> io::Result<&'static str> {
    if fail {
        Err(io::Error::other("no config"))
    } else {
        Ok("/")
    }
}

#[kamal_healthcheck]
async fn app(fail: bool, minimal: bool) -> io::Result<Router> {
    let home = read_config(fail).await?;
    if minimal {
        return Ok(Router::new());
    }
    Ok(Router::new().route(home, get(|| async { "home" })))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(app(true, false).await.unwrap_err().to_string(), "no config");
    for minimal in [false, true] {
        let router = app(false, minimal).await.unwrap();
        let probe = http::Request::get("/up").body(Body::empty()).unwrap();
        assert_eq!(router.oneshot(probe).await.unwrap().status(), 200);
    }
}
