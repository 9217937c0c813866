//! The app built entirely in `main` with `#[kamal_healthcheck]` on `main`
//! (`kamal-healthcheck/examples/app.rs`, the README's `cargo run --example
//! app`), run as its own process and probed over TCP as
//! kamal-proxy probes it: `/up` is answered ahead of the host allow-list, the
//! HTTPS redirect and the `TraceLayer`; everything else still meets them; and
//! `ConnectInfo` still reaches the handlers.

use std::net::SocketAddr;
use std::process::{Child, Command};

use kamal_healthcheck_tests::{ALLOWED_HOST, probe, request, spawn_listening};

struct App(Child);

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The example, built by cargo as `cargo run --example app` builds it, in
/// this build's target folder.
fn example() -> std::path::PathBuf {
    let built = Command::new(env!("CARGO"))
        .args(["build", "-q", "--workspace", "--example", "app"])
        .status()
        .expect("cargo runs");
    assert!(built.success(), "the example builds");
    // The test binary is in `<target>/<profile>/deps/`, the example in
    // `<target>/<profile>/examples/`.
    let test = std::env::current_exe().unwrap();
    let profile = test.parent().unwrap().parent().unwrap();
    profile.join("examples").join("app")
}

fn start() -> (App, SocketAddr) {
    let (child, address) = spawn_listening(Command::new(example()).env("PORT", "0"));
    (App(child), address)
}

#[tokio::test]
async fn kamal_proxys_probe_is_answered_ahead_of_everything_main_added() {
    let (_app, address) = start();
    let up = probe(address, "GET", "/up").await;
    assert_eq!((up.status, up.body.as_str()), (200, "OK"));
    assert_eq!(up.header("content-type"), Some("text/plain; charset=utf-8"));

    // Everything else meets the allow-list, then the redirect.
    let home = probe(address, "GET", "/").await;
    assert_eq!((home.status, home.body.as_str()), (400, "unknown host"));
    let plain = request(address, "GET", "/", ALLOWED_HOST, &[]).await;
    assert_eq!(plain.status, 308);
    assert_eq!(plain.header("location"), Some("https://example.com/"));
    let tls = [("X-Forwarded-Proto", "https")];
    let served = request(address, "GET", "/", ALLOWED_HOST, &tls).await;
    assert_eq!((served.status, served.body.as_str()), (200, "home"));
    // Near misses of the path are not the healthcheck's.
    assert_eq!(probe(address, "GET", "/up/").await.status, 400);
}

#[tokio::test]
async fn connect_info_still_reaches_the_handlers() {
    let (_app, address) = start();
    let tls = [("X-Forwarded-Proto", "https")];
    let peer = request(address, "GET", "/peer", ALLOWED_HOST, &tls).await;
    assert_eq!((peer.status, peer.body.as_str()), (200, "127.0.0.1"));
}
