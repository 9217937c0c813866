//! Probes abandoned by their clients, over TCP against a real redis-server
//! (each test skips itself where none is installed): a client that hangs up
//! mid-run must never make a later probe fail, and clients that hang up in a
//! loop cannot make the checks run more than coalescing allows (one run at a
//! time, its outcome reused for `cache_for`).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use kamal_healthcheck::kamal_healthcheck;
use kamal_healthcheck_tests::redis::{Redis, free_port, ping, redis_server_installed, wait_for};
use kamal_healthcheck_tests::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// A check that takes about 150 ms (a slow network, say) before its `PING`.
async fn slow_ping(address: SocketAddr, runs: Hits) -> Result<(), std::io::Error> {
    runs.hit();
    tokio::time::sleep(Duration::from_millis(150)).await;
    ping(address).await
}

#[kamal_healthcheck(check(redis = slow_ping(address, runs)), deadline = "1s")]
fn app(address: SocketAddr, runs: Hits) -> Router {
    let _ = (address, runs);
    Router::new().route("/", get(|| async { "home" }))
}

/// Sends kamal-proxy's `GET /up` and hangs up after `after`, unanswered.
async fn probe_and_hang_up(server: SocketAddr, after: Duration) {
    let mut stream = TcpStream::connect(server).await.unwrap();
    let request =
        format!("GET /up HTTP/1.1\r\nHost: {CONTAINER_HOST}\r\nUser-Agent: kamal-proxy\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(after).await;
    drop(stream);
}

/// A redis-server on a free port, or `None` (the test is then skipped) where
/// none is installed.
async fn start_redis() -> Option<(Redis, SocketAddr)> {
    if !redis_server_installed() {
        return None;
    }
    let address: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    let redis = Redis::start(address.port());
    wait_for(address).await;
    Some((redis, address))
}

/// At most one run per second (the deadline and `cache_for` here), counting
/// a run that began at the start of the period.
fn bound(elapsed: Duration) -> usize {
    elapsed.as_secs() as usize + 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_hangs_up_mid_run_never_fails_a_later_probe() {
    let Some((_redis, redis_address)) = start_redis().await else {
        return;
    };
    // The next probe arrives within the deadline, between one and two
    // deadlines, and after both: each on an app of its own.
    for next in [500, 1300, 2500] {
        let runs = Hits::default();
        let server = serve(app(redis_address, runs.clone())).await;
        let start = Instant::now();
        probe_and_hang_up(server.address, Duration::from_millis(30)).await;
        tokio::time::sleep_until((start + Duration::from_millis(next)).into()).await;
        let answered = Instant::now();
        let response = probe(server.address, "GET", "/up").await;
        assert_eq!(
            (response.status, response.body.as_str()),
            (200, "OK"),
            "the probe {next} ms after a client hung up mid-run, with redis up"
        );
        let elapsed = start.elapsed();
        println!(
            "next probe at {next} ms: answered in {:?}, {} runs in {elapsed:?}",
            answered.elapsed(),
            runs.get()
        );
        assert!(
            runs.get() <= bound(elapsed),
            "{} runs in {elapsed:?}",
            runs.get()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_clients_that_hang_up_cannot_hammer_the_check() {
    let Some((redis, redis_address)) = start_redis().await else {
        return;
    };
    let runs = Hits::default();
    let server = serve(app(redis_address, runs.clone())).await;
    let start = Instant::now();

    // 1,000 clients over 2 s, each hanging up within 5 ms of its probe.
    let mut clients = Vec::new();
    for i in 0..1_000u64 {
        tokio::time::sleep_until((start + Duration::from_millis(2 * i)).into()).await;
        let hang_up = Duration::from_millis(i % 6);
        clients.push(tokio::spawn(probe_and_hang_up(server.address, hang_up)));
    }
    for client in clients {
        client.await.unwrap();
    }
    let elapsed = start.elapsed();
    let storm = runs.get();
    println!("{storm} runs during {elapsed:?} of hang-ups");
    assert!(storm <= bound(elapsed), "{storm} runs in {elapsed:?}");

    // kamal-proxy's probe afterwards gets the truth: healthy while redis is up...
    let response = probe(server.address, "GET", "/up").await;
    assert_eq!((response.status, response.body.as_str()), (200, "OK"));
    // ...and, once redis is gone and the outcome has expired, failed, not timed out.
    drop(redis);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let response = probe(server.address, "GET", "/up").await;
    assert_eq!(
        (response.status, response.body.as_str()),
        (503, "redis: failed\n")
    );
    let elapsed = start.elapsed();
    assert!(
        runs.get() <= bound(elapsed),
        "{} runs in {elapsed:?}",
        runs.get()
    );
}
