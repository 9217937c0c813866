//! What the app says while a deploy waits for it, in the log Kamal prints
//! when the deploy fails: the app (`src/bin/waiting.rs`, `deploy_timeout =
//! "1500ms"`) runs as its own process with Kamal's environment, is probed as
//! kamal-proxy probes it (or not), and its log is read line by line as
//! `tracing_subscriber::fmt` writes it. Each test waits for a line, bounded;
//! the watch's end is a `DEBUG` line, after which nothing more is said.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use kamal_healthcheck_tests::{probe, spawn_listening};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A request as a browser sends it, not kamal-proxy.
async fn browser(address: SocketAddr, path: &str) {
    client(address, path, "Mozilla/5.0").await;
}

/// A request with `agent` as its `User-Agent`.
async fn client(address: SocketAddr, path: &str, agent: &str) {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let raw = format!(
        "GET {path} HTTP/1.1\r\nHost: example.com\r\nUser-Agent: {agent}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(raw.as_bytes()).await.unwrap();
    stream.read_to_end(&mut Vec::new()).await.unwrap();
}

const CONTAINER: &str = "shop-web-3d4f1e2a";
const WATCH_OVER: &str = "no longer watches for its probe";

struct App {
    child: Child,
    address: SocketAddr,
    log: Receiver<String>,
    seen: Vec<String>,
}

impl App {
    fn start(mode: &str, kamal: bool) -> App {
        Self::start_as(mode, kamal.then_some(CONTAINER))
    }

    /// Started by Kamal as `container` (`<service>-<role>-<version>`), or not.
    fn start_as(mode: &str, container: Option<&str>) -> App {
        let mut command = Command::new(env!("CARGO_BIN_EXE_waiting"));
        command
            .env("MODE", mode)
            .env_remove("KAMAL_CONTAINER_NAME")
            .env_remove("KAMAL_VERSION")
            .env_remove("KAMAL_DESTINATION")
            .stderr(Stdio::piped());
        if let Some(container) = container {
            command
                .env("KAMAL_CONTAINER_NAME", container)
                .env("KAMAL_VERSION", "3d4f1e2a");
        }
        let (mut child, address) = spawn_listening(&mut command);
        let stderr = child.stderr.take().unwrap();
        let (send, log) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        App {
            child,
            address,
            log,
            seen: Vec::new(),
        }
    }

    /// Reads the log until a line holds `text` (within 4 s), and returns it.
    fn until(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(4);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .log
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no {text:?} in the log:\n{}", self.seen.join("\n")));
            self.seen.push(line.clone());
            if line.contains(text) {
                return line;
            }
        }
    }

    /// The lines read so far that hold `text`.
    fn lines_with(&self, text: &str) -> Vec<&String> {
        self.seen
            .iter()
            .filter(|line| line.contains(text))
            .collect()
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_probe_that_never_comes_is_an_error_with_where_it_should_come() {
    let mut app = App::start("plain", true);
    let started = Instant::now();
    let line = app.until("no probe has reached the app");
    let waited = started.elapsed();
    assert!(line.contains("ERROR"), "{line}");
    assert!(line.contains("500ms after it started"), "{line}");
    assert!(line.contains("GET /up"), "{line}");
    assert!(
        line.contains(&format!("the app listens on {}", app.address)),
        "{line}"
    );
    assert!(
        line.contains("`proxy.app_port`") && line.contains("kamal proxy logs"),
        "{line}"
    );
    assert!(
        waited < Duration::from_millis(1200),
        "said after {waited:?}"
    );
    // Then, before the deadline, that the deploy is about to fail.
    let line = app.until("the deploy is about to fail");
    assert!(line.contains("ERROR"), "{line}");
    assert!(
        line.contains("no request for it has reached the app"),
        "{line}"
    );
    app.until(WATCH_OVER);
    assert_eq!(app.lines_with("no probe has reached").len(), 1);
    assert_eq!(app.lines_with("about to fail").len(), 1);
}

/// An in-process probe (`kamal_healthcheck::probe` in `main` before serving)
/// is not kamal-proxy's: the watch still says that no probe came.
#[test]
fn an_in_process_probe_is_not_kamal_proxys() {
    let mut app = App::start("probed_in_process", true);
    let line = app.until("no probe has reached the app");
    assert!(line.contains("ERROR"), "{line}");
    let line = app.until("the deploy is about to fail");
    assert!(
        line.contains("no request for it has reached the app"),
        "{line}"
    );
}

#[tokio::test]
async fn nothing_is_said_when_the_probe_comes_and_is_answered() {
    let mut app = App::start("plain", true);
    assert_eq!(probe(app.address, "GET", "/up").await.status, 200);
    app.until(WATCH_OVER);
    // The only error is the one for the loopback listener of this test.
    let errors = app.lines_with("ERROR");
    assert!(
        errors
            .iter()
            .all(|line| line.contains("a loopback address")),
        "{errors:#?}"
    );
}

#[test]
fn nothing_is_said_outside_kamal() {
    let mut app = App::start("plain", false);
    app.until("kamal-proxy probes GET /up here");
    // The watch would be over by now; without Kamal it never starts.
    std::thread::sleep(Duration::from_millis(1700));
    let _ = app.child.kill();
    while let Ok(line) = app.log.recv_timeout(Duration::from_secs(2)) {
        app.seen.push(line);
    }
    let errors = app.lines_with("ERROR");
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(app.lines_with(WATCH_OVER).is_empty(), "{:#?}", app.seen);
}

#[tokio::test]
async fn a_probe_at_another_path_names_both_paths_once() {
    let mut app = App::start("healthz", true);
    // A browser's request for another path is not kamal-proxy's.
    browser(app.address, "/elsewhere").await;
    // kamal-proxy probes its default /up; the app answers /healthz.
    for _ in 0..3 {
        assert_eq!(probe(app.address, "GET", "/up").await.status, 404);
    }
    let line = app.until("kamal-proxy probes /up, but the healthcheck answers /healthz");
    assert!(line.contains("ERROR"), "{line}");
    assert!(
        line.contains("`proxy: healthcheck: path: /healthz`"),
        "{line}"
    );
    app.until(WATCH_OVER);
    assert_eq!(app.lines_with("kamal-proxy probes /up, but").len(), 1);
    // One thing at a time: kamal-proxy does reach the app, at another path.
    assert!(
        app.lines_with("no probe has reached").is_empty(),
        "{:#?}",
        app.seen
    );
    let near = app.lines_with("the deploy is about to fail");
    assert!(
        near.iter()
            .all(|line| line.contains("kamal-proxy probes another path")),
        "{near:#?}"
    );
}

/// A local client getting the path every 100 ms (a Docker `HEALTHCHECK`
/// with curl) is not kamal-proxy: the watch still says that no probe came.
#[tokio::test]
async fn a_local_client_on_the_path_does_not_silence_the_watch() {
    let mut app = App::start("plain", true);
    let address = app.address;
    let polling = tokio::spawn(async move {
        loop {
            client(address, "/up", "curl/8.5.0").await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let line = app.until("no probe has reached the app");
    assert!(line.contains("ERROR"), "{line}");
    let line = app.until("the deploy is about to fail");
    assert!(
        line.contains("no request for it has reached the app"),
        "{line}"
    );
    polling.abort();
}

/// kamal-proxy counts `deploy_timeout` from the container's start: after
/// 700 ms of work before binding, the watch's lines come when they are due
/// from the start (a third and two thirds of 1.5 s), not from the bind.
#[test]
fn the_watch_counts_from_the_start_of_the_process() {
    let spawned = Instant::now();
    let mut app = App::start("late", true);
    let line = app.until("no probe has reached the app");
    assert!(line.contains("500ms after it started"), "{line}");
    app.until("the deploy is about to fail");
    let took = spawned.elapsed();
    assert!(
        took < Duration::from_millis(1400),
        "said {took:?} after the start, past two thirds of 1.5 s"
    );
}

#[tokio::test]
async fn failing_checks_are_named_before_the_deadline_runs_out() {
    let mut app = App::start("failing", true);
    assert_eq!(probe(app.address, "GET", "/up").await.status, 503);
    let line = app.until("the deploy is about to fail");
    assert!(line.contains("ERROR"), "{line}");
    assert!(
        line.contains("1.5s (`deploy_timeout`)") && line.contains("1s have passed"),
        "{line}"
    );
    assert!(
        line.contains("readiness checks fail: db: failed: connection refused"),
        "{line}"
    );
    assert!(
        app.lines_with("no probe has reached").is_empty(),
        "{:#?}",
        app.seen
    );
}

#[tokio::test]
async fn a_closed_gate_is_named_before_the_deadline_runs_out() {
    let mut app = App::start("gated", true);
    assert_eq!(probe(app.address, "GET", "/up").await.status, 503);
    let line = app.until("the deploy is about to fail");
    assert!(line.contains("the start-up gate is still closed"), "{line}");
    assert!(line.contains("`StartupGate::open()`"), "{line}");
}

#[test]
fn the_start_up_line_says_the_deploy_deadline() {
    let mut app = App::start("plain", false);
    let line = app.until("kamal-proxy probes GET /up here");
    assert!(line.contains("deploy_timeout_ms=1500"), "{line}");
}

#[test]
fn a_role_kamal_proxy_does_not_serve_is_not_watched() {
    // The web role is proxied: its missing probe is an error.
    let mut web = App::start_as("roles", Some("shop-web-3d4f1e2a"));
    web.until("no probe has reached the app");
    // The jobs role is not: nothing is said, however long no probe comes.
    let mut jobs = App::start_as("roles", Some("shop-jobs-3d4f1e2a"));
    jobs.until("kamal-proxy does not serve this role");
    web.until(WATCH_OVER);
    let _ = jobs.child.kill();
    while let Ok(line) = jobs.log.recv_timeout(Duration::from_secs(2)) {
        jobs.seen.push(line);
    }
    assert!(
        jobs.lines_with("no probe has reached").is_empty(),
        "{:#?}",
        jobs.seen
    );
    assert!(
        jobs.lines_with("about to fail").is_empty(),
        "{:#?}",
        jobs.seen
    );
    assert!(jobs.lines_with(WATCH_OVER).is_empty(), "{:#?}", jobs.seen);
}

/// Two listeners, the app's on loopback and a metrics router's, neither on
/// `proxy.app_port`: nothing is said of either at start-up, and when no
/// probe comes the watch names both and the port kamal-proxy probes.
#[test]
fn the_watch_says_that_no_listener_is_on_the_port_kamal_proxy_probes() {
    let mut app = App::start("beside_metrics", true);
    let line = app.until("no probe has reached the app");
    assert!(line.contains("ERROR"), "{line}");
    assert!(
        line.contains(&format!("the app listens on {}", app.address)),
        "{line}"
    );
    assert!(
        line.contains(
            "none of them on port 80: listen on it, or set `proxy.app_port` to the app's port"
        ),
        "{line}"
    );
    let errors = app.lines_with("ERROR");
    assert_eq!(errors.len(), 1, "{errors:#?}");
}
