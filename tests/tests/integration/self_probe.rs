//! The self-probe, as Docker's `HEALTHCHECK CMD ["app", "healthcheck"]` runs
//! it: the app's own binary (`src/bin/self_probe.rs`) started beside the
//! running app, which it finds by itself, probes over TCP, and reports on in
//! one line and its exit status. One test, since it looks for the processes
//! that run that binary.

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use kamal_healthcheck_tests::spawn_listening;

const BINARY: &str = env!("CARGO_BIN_EXE_self_probe");

/// The app, serving, with its database at `database`.
struct App {
    child: Child,
    address: SocketAddr,
}

impl App {
    fn start(database: &str) -> App {
        let (child, address) = spawn_listening(
            Command::new(BINARY)
                .env("DATABASE_ADDR", database)
                .env_remove("KAMAL_HEALTHCHECK_ADDRESS")
                .stderr(Stdio::null()),
        );
        App { child, address }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `self_probe healthcheck [args]`: its line, exit status and time.
fn self_probe(args: &[&str]) -> (String, Option<i32>, Duration) {
    let started = Instant::now();
    let Output { status, stdout, .. } = Command::new(BINARY)
        .arg("healthcheck")
        .args(args)
        .env_remove("KAMAL_HEALTHCHECK_ADDRESS")
        .output()
        .expect("the self-probe runs");
    let took = started.elapsed();
    let stdout = String::from_utf8(stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one line: {stdout:?}");
    (stdout.trim_end().to_owned(), status.code(), took)
}

#[test]
fn the_binary_probes_the_app_beside_it_and_exits_with_the_verdict() {
    // Nothing runs: no listener of this app to probe.
    let (line, code, _) = self_probe(&[]);
    assert_eq!(code, Some(1), "{line}");
    assert!(
        line.starts_with("no answer: no listener of this app was found"),
        "{line}"
    );

    // The app with its database up: found by itself, 200, exit 0.
    let database = TcpListener::bind("127.0.0.1:0").unwrap();
    let up = App::start(&database.local_addr().unwrap().to_string());
    let (line, code, took) = self_probe(&[]);
    assert_eq!(line, format!("200 OK (GET /up at {})", up.address));
    assert_eq!(code, Some(0));
    eprintln!("the self-probe took {took:?}");
    assert!(took < Duration::from_secs(1), "{took:?}");

    // A second app, its database down: two listeners, so the address is
    // given; 503 with the failed check, exit 1.
    let down = App::start("127.0.0.1:1");
    let (line, code, _) = self_probe(&[]);
    assert_eq!(code, Some(1), "{line}");
    assert!(
        line.starts_with("no answer: the app listens on ") && line.contains("give the one"),
        "{line}"
    );
    let (line, code, _) = self_probe(&[&down.address.to_string()]);
    assert_eq!(
        line,
        format!("503 db: failed (GET /up at {})", down.address)
    );
    assert_eq!(code, Some(1));
    // Or in the environment, as a Dockerfile's ENV gives it.
    let output = Command::new(BINARY)
        .arg("healthcheck")
        .env("KAMAL_HEALTHCHECK_ADDRESS", up.address.to_string())
        .output()
        .expect("the self-probe runs");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap().trim_end(),
        format!("200 OK (GET /up at {})", up.address)
    );
    assert_eq!(output.status.code(), Some(0));
    drop(up);

    // A listener that never answers: the self-probe gives up within its 5 s,
    // saying so.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = silent.local_addr().unwrap().to_string();
    let (line, code, took) = self_probe(&[&address]);
    assert_eq!(code, Some(1), "{line}");
    assert!(line.starts_with("no answer: "), "{line}");
    assert!(
        took >= Duration::from_secs(5) && took < Duration::from_secs(7),
        "gave up after {took:?}"
    );
    drop(silent);

    // The app gone from the address given: why no answer came.
    let address = down.address.to_string();
    drop(down);
    let (line, code, _) = self_probe(&[&address]);
    assert_eq!(code, Some(1), "{line}");
    assert!(line.starts_with("no answer: "), "{line}");
    assert!(line.ends_with(&format!("(GET /up at {address})")), "{line}");
}
