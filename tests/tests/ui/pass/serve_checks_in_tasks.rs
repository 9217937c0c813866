// Checks on the function that serves, naming locals bound by a tuple pattern,
// bound inside the spawned task that serves, and used by two serve calls in
// two spawned tasks: each task serves with the checks, each answers 503 while
// the database is down and 200 once it is up.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::routing::get;
use kamal_healthcheck::kamal_healthcheck;
use kamal_healthcheck_tests::{Pool, probe};
use tokio::net::TcpListener;

#[kamal_healthcheck(check(db = pool.ping()), check(jobs = jobs.ping()), cache_for = "0s")]
async fn two_tasks(listeners: (TcpListener, TcpListener), up: Arc<AtomicBool>) {
    let (pool, jobs) = (Pool { up: Arc::clone(&up) }, Pool { up });
    let (public, admin) = listeners;
    let app = Router::new().route("/", get(|| async { "public" })).with_state(pool.clone());
    let first = tokio::spawn(async move { axum::serve(public, app).await.unwrap() });
    let admin_app = Router::new().route("/", get(|| async { "admin" })).with_state(pool);
    let second = tokio::spawn(async move { axum::serve(admin, admin_app).await.unwrap() });
    drop(jobs);
    let _ = tokio::join!(first, second);
}

#[kamal_healthcheck(check(db = pool.ping()), cache_for = "0s")]
async fn bound_in_the_task(listener: TcpListener, up: Arc<AtomicBool>) {
    let server = tokio::spawn(async move {
        let pool = Pool { up };
        let app = Router::new().route("/", get(|| async { "home" })).with_state(pool);
        axum::serve(listener, app).await.unwrap()
    });
    server.await.unwrap();
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let bind = || async { TcpListener::bind("127.0.0.1:0").await.unwrap() };
    let (public, admin, single) = (bind().await, bind().await, bind().await);
    let addresses = [
        public.local_addr().unwrap(),
        admin.local_addr().unwrap(),
        single.local_addr().unwrap(),
    ];
    let up = Arc::new(AtomicBool::new(false));
    tokio::spawn(two_tasks((public, admin), Arc::clone(&up)));
    tokio::spawn(bound_in_the_task(single, Arc::clone(&up)));
    for address in addresses {
        let down = probe(address, "GET", "/up").await;
        assert_eq!(down.status, 503, "{address}: {}", down.body);
        assert!(down.body.starts_with("db: failed"), "{}", down.body);
    }
    up.store(true, Ordering::SeqCst);
    for address in addresses {
        assert_eq!(probe(address, "GET", "/up").await.status, 200, "{address}");
    }
}
