// Readiness checks given in the attribute, using the function's by-value
// arguments (cloned for the checks, so the body still moves them), with a
// deadline, no cache period, details on, and a start-up gate.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::routing::get;
use kamal_healthcheck::{StartupGate, kamal_healthcheck};
use tower::ServiceExt;

#[derive(Clone, Default)]
struct Db {
    down: Arc<AtomicBool>,
}

impl Db {
    async fn ping(&self) -> Result<(), String> {
        if self.down.load(Ordering::SeqCst) {
            Err("connection refused".to_owned())
        } else {
            Ok(())
        }
    }
}

#[derive(Clone)]
struct AppState {
    db: Db,
    startup: StartupGate,
}

#[kamal_healthcheck(
    check(db = state.db.ping()),
    check(queue = async { Ok::<(), String>(()) }),
    deadline = "1500ms",
    cache_for = "0s",
    error_details = true,
    gate = state.startup.clone(),
)]
fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(|State(state): State<AppState>| async move { state.startup.is_open().to_string() }))
        .with_state(state)
}

async fn up(router: &Router) -> (u16, String) {
    let probe = http::Request::get("/up").body(Body::empty()).unwrap();
    let response = router.clone().oneshot(probe).await.unwrap();
    let status = response.status().as_u16();
    let body = to_bytes(response.into_body(), 1024).await.unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let state = AppState { db: Db::default(), startup: StartupGate::new() };
    let router = app(state.clone());
    assert_eq!(up(&router).await, (503, "starting\n".to_owned()));
    state.startup.open();
    assert_eq!(up(&router).await, (200, "OK".to_owned()));
    state.db.down.store(true, Ordering::SeqCst);
    assert_eq!(up(&router).await, (503, "db: failed: connection refused\n".to_owned()));
}
