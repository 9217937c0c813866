// `?` converts errors in an `async fn` and in a sync one, as without the attribute.
use std::error::Error;

use axum::Router;
use axum::body::Body;
use kamal_healthcheck::kamal_healthcheck;
use tower::ServiceExt;

#[kamal_healthcheck]
async fn app(port: &str) -> Result<Router, Box<dyn Error + Send + Sync>> {
    let _port: u16 = port.parse()?;
    let _config = std::fs::read_to_string("/definitely/not/here").or_else(|_| Ok::<_, std::io::Error>(String::new()))?;
    Ok(Router::new())
}

#[kamal_healthcheck]
fn sync_app(port: &str) -> Result<Router, Box<dyn Error>> {
    let _port: u16 = port.parse()?;
    Ok(Router::new())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert!(app("not a port").await.is_err());
    assert!(sync_app("not a port").is_err());
    let probe = http::Request::get("/up").body(Body::empty()).unwrap();
    let response = app("80").await.unwrap().oneshot(probe).await.unwrap();
    assert_eq!(response.status(), 200);
    let probe = http::Request::get("/up").body(Body::empty()).unwrap();
    assert_eq!(sync_app("80").unwrap().oneshot(probe).await.unwrap().status(), 200);
}
