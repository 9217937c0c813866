// Readiness on the function that serves the app: the check uses a pool built
// earlier in the function (cloned for the check at the `serve` call, so the
// app's state can still own the pool), and the app answers 503 until it is up.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use kamal_healthcheck::kamal_healthcheck;
use kamal_healthcheck_tests::{Pool, probe};

#[kamal_healthcheck(check(db = pool.ping()), cache_for = "0s")]
async fn serve(listener: tokio::net::TcpListener, up: Arc<AtomicBool>) {
    let pool = Pool { up };
    let app = Router::new()
        .route("/", get(|State(_pool): State<Pool>| async { "home" }))
        .with_state(pool);
    axum::serve(listener, app).await.unwrap();
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let up = Arc::new(AtomicBool::new(false));
    tokio::spawn(serve(listener, Arc::clone(&up)));
    let down = probe(address, "GET", "/up").await;
    assert_eq!((down.status, down.body.as_str()), (503, "db: failed\n"));
    up.store(true, Ordering::SeqCst);
    assert_eq!(probe(address, "GET", "/up").await.status, 200);
}
