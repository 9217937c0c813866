//! Readiness against a real dependency: a `redis-server` process (Debian's
//! package, installed here if missing), checked with a plain TCP `PING`. `/up` is
//! 200 while it runs, 503 within the deadline when it hangs or dies, 200 again
//! after a restart; other routes are unaffected throughout.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use kamal_healthcheck::HealthCheckLayer;
use kamal_healthcheck_tests::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::Layer;

/// Installs Debian's `redis-server` if it is not on this machine.
fn ensure_redis_installed() {
    let installed = || {
        Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    if installed() {
        return;
    }
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", "redis-server"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|status| status.success())
    };
    if !install() {
        let _ = Command::new("apt-get").arg("update").status();
        install();
    }
    assert!(
        installed(),
        "this test needs redis-server (Debian: apt-get install redis-server)"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Redis {
    child: Child,
}

impl Redis {
    fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        Self { child }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `PING` on a fresh connection; `+PONG` is healthy.
async fn ping(address: SocketAddr) -> Result<(), std::io::Error> {
    let mut stream = TcpStream::connect(address).await?;
    stream.write_all(b"PING\r\n").await?;
    let mut reply = [0; 7];
    stream.read_exact(&mut reply).await?;
    if &reply == b"+PONG\r\n" {
        Ok(())
    } else {
        Err(std::io::Error::other(format!("unexpected reply {reply:?}")))
    }
}

async fn wait_for(address: SocketAddr) {
    for _ in 0..200 {
        if ping(address).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("redis-server did not answer on {address}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_a_real_redis_server() {
    ensure_redis_installed();
    let address: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    let mut redis = Redis::start(address.port());
    wait_for(address).await;

    let deadline = Duration::from_secs(1);
    let healthcheck = HealthCheckLayer::new()
        .deadline(deadline)
        .cache_for(Duration::ZERO)
        .check("redis", move || ping(address));
    let app = Router::new().route("/", get(|| async { "home" }));
    let server = serve(healthcheck.layer(app)).await;
    let home = || async { probe(server.address, "GET", "/").await.status };
    let up = || async {
        let start = Instant::now();
        let response = probe(server.address, "GET", "/up").await;
        (response.status, response.body, start.elapsed())
    };

    let (status, body, _) = up().await;
    assert_eq!((status, body.as_str()), (200, "OK"));
    assert_eq!(home().await, 200);

    // Hung (stopped): the ping never returns, the deadline answers.
    redis.signal("-STOP");
    let (status, body, elapsed) = up().await;
    assert_eq!(
        (status, body.as_str()),
        (503, "redis: timed out after 1s\n")
    );
    assert!(
        elapsed < deadline + Duration::from_millis(500),
        "{elapsed:?}"
    );
    assert_eq!(home().await, 200);
    redis.signal("-CONT");
    wait_for(address).await;

    // Dead: connection refused, at once.
    drop(redis);
    let (status, body, elapsed) = up().await;
    assert_eq!((status, body.as_str()), (503, "redis: failed\n"));
    assert!(elapsed < deadline, "{elapsed:?}");
    assert_eq!(home().await, 200);

    // Restarted on the same port: healthy again, without restarting the app.
    redis = Redis::start(address.port());
    wait_for(address).await;
    let (status, body, _) = up().await;
    assert_eq!((status, body.as_str()), (200, "OK"));
    assert_eq!(home().await, 200);
    drop(redis);
}
