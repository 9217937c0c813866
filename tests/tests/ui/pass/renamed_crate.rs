// `crate = "..."` names the runtime crate where it is re-exported or renamed.
pub extern crate kamal_healthcheck as health;

use axum::Router;
use axum::body::Body;
use tower::ServiceExt;

mod framework {
    pub use health as kamal;
}

#[health::kamal_healthcheck(crate = "crate::framework::kamal")]
fn app() -> Router {
    Router::new()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let probe = http::Request::get("/up").body(Body::empty()).unwrap();
    assert_eq!(app().oneshot(probe).await.unwrap().status(), 200);
}
