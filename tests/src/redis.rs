//! A real `redis-server` for the readiness tests (Debian's package, which CI
//! installs; a test that needs it skips itself where it is missing), and a plain
//! TCP `PING` to check it with.

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Whether `redis-server` can be started here (found on `PATH`, as
/// [`Redis::start`] finds it). When it cannot, says on stderr that the calling
/// test is skipped and why; the test then returns early and passes.
pub fn redis_server_installed() -> bool {
    let installed = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !installed {
        // Written to the process's stderr, not with `eprintln!`, which the test
        // harness captures and shows only for failed tests: the skip shows in
        // every run. The harness names each test's thread after the test.
        let test = std::thread::current();
        let test = test.name().unwrap_or("a test");
        let _ = writeln!(
            std::io::stderr(),
            "{test}: skipped: redis-server is not installed \
             (Debian: apt-get install redis-server)"
        );
    }
    installed
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Redis {
    child: Child,
}

impl Redis {
    pub fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        Self { child }
    }

    pub fn signal(&self, signal: &str) {
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
pub async fn ping(address: SocketAddr) -> Result<(), std::io::Error> {
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

pub async fn wait_for(address: SocketAddr) {
    for _ in 0..200 {
        if ping(address).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("redis-server did not answer on {address}");
}
