//! What the app says when it starts serving, with the attribute on the function
//! that serves: one `INFO` line with what kamal-proxy will probe and where; and,
//! in a container Kamal started, an `ERROR` for a listener kamal-proxy probes
//! but cannot reach (a loopback address); a listener on a port other than
//! `proxy.app_port` is not the one it probes, and gets none. Outside
//! Kamal, a loopback listener is right and nothing is said about it. Either
//! way the app serves. One test, since it sets Kamal's environment variables,
//! which every test of a process shares.
// Setting them is `unsafe` (edition 2024): no other thread reads them here.
#![allow(unsafe_code)]

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};
use kamal_healthcheck_tests::events::Recorder;

mod common;
use common::{Written, readme_line};
use kamal_healthcheck_tests::probe;
use tokio::net::TcpListener;
use tracing::Level;

async fn ping() -> Result<(), String> {
    Ok(())
}

#[kamal_healthcheck(check(db = ping()), deadline = "1s")]
async fn serve(listener: TcpListener) {
    let app = Router::new().route("/", get(|| async { "home" }));
    axum::serve(listener, app).await.unwrap();
}

// tests/config/deploy.yml sets no `proxy.app_port`: kamal-proxy targets 80.
#[kamal_healthcheck(deploy = "config/deploy.yml")]
async fn serve_deployed(listener: TcpListener) {
    let app = Router::new().route("/", get(|| async { "home" }));
    axum::serve(listener, app).await.unwrap();
}

#[tokio::test]
async fn the_start_up_line_and_the_listener_checks() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());

    // On a developer's machine: the line, and no error for 127.0.0.1.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(serve(listener));
    assert_eq!(probe(address, "GET", "/up").await.status, 200);
    let info = recorder.at(Level::INFO);
    let line = info
        .iter()
        .find(|event| event.message.starts_with("kamal-proxy probes GET /up here"))
        .unwrap_or_else(|| panic!("no start-up line in {info:?}"));
    assert_eq!(line.field("path"), Some("/up"));
    assert_eq!(line.field("address"), Some(address.to_string().as_str()));
    assert_eq!(
        line.field("port"),
        Some(address.port().to_string().as_str())
    );
    assert_eq!(line.field("checks"), Some("db"));
    assert_eq!(line.field("deadline_ms"), Some("1000"));
    assert_eq!(line.field("timeout_ms"), Some("5000"));
    assert_eq!(line.field("destination"), None);
    assert!(
        recorder.at(Level::ERROR).is_empty(),
        "{:?}",
        recorder.events()
    );
    recorder.clear();

    // In a container Kamal started for `kamal deploy -d staging`: a
    // listener on another port than `proxy.app_port` (80) is not the one
    // kamal-proxy probes (a metrics router, say), so nothing is said of it
    // at start-up; whether any listener is on port 80 is the watch's to say
    // (tests/integration/waiting.rs). The app still answers.
    // SAFETY: this test is the only one of its process, and no other thread
    // reads the environment while it is set.
    unsafe {
        std::env::set_var("KAMAL_CONTAINER_NAME", "app-web-abc123");
        std::env::set_var("KAMAL_DESTINATION", "staging");
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(serve_deployed(listener));
    assert_eq!(probe(address, "GET", "/up").await.status, 200);
    let errors = recorder.at(Level::ERROR);
    assert!(errors.is_empty(), "{errors:?}");
    let info = recorder.at(Level::INFO);
    assert_eq!(info[0].field("destination"), Some("staging"), "{info:?}");
    assert_eq!(info[0].field("checks"), Some(""));
    recorder.clear();

    // With the layer, the same line and the same check are one call.
    let layer = HealthCheckLayer::new().check("db", ping);
    layer.listening("127.0.0.1:3000".parse().unwrap(), Duration::from_secs(30));
    let errors = recorder.at(Level::ERROR);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .message
            .starts_with("the app listens on 127.0.0.1:3000, a loopback address"),
        "{}",
        errors[0].message
    );
    let info = recorder.at(Level::INFO);
    assert_eq!(info.len(), 1, "{info:?}");
    assert_eq!(
        (info[0].field("path"), info[0].field("checks")),
        (Some("/up"), Some("db"))
    );

    // The README's sample line, as an app's usual subscriber writes it.
    let (written, _fmt) = Written::by_fmt();
    layer.listening("0.0.0.0:80".parse().unwrap(), Duration::from_secs(30));
    assert_eq!(
        written.text().trim_end(),
        readme_line("INFO kamal_healthcheck: kamal-proxy probes")
    );
}
