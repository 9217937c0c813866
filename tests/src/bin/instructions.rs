//! Instructions per request, counted with callgrind, for the same axum app served
//! four ways: bare, built by a `#[kamal_healthcheck]` function, wrapped in
//! `HealthCheckLayer`, and with a hand-written `from_fn` middleware that answers `/up`.
//!
//! ```text
//! cargo run --release -p kamal-healthcheck-tests --bin instructions
//! ```
//!
//! Each variant and request kind runs twice under `valgrind --tool=callgrind`, with
//! `LOW` and `HIGH` requests; the difference of the two totals divided by
//! `HIGH - LOW` is the cost of one request, with start-up and tear-down cancelled
//! out. Instruction counts do not depend on what else the machine is doing.

use std::process::Command;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header::HOST};
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};
use tower::{Layer, Service, ServiceExt};

const LOW: u64 = 2_000;
const HIGH: u64 = 6_000;

const VARIANTS: [&str; 4] = ["bare", "attribute", "layer", "handwritten"];
const KINDS: [&str; 2] = ["normal", "healthcheck"];

async fn allowed_hosts_only(request: Request, next: Next) -> Response {
    match request.headers().get(HOST) {
        Some(host) if host == "example.com" => next.run(request).await,
        _ => (StatusCode::BAD_REQUEST, "unknown host").into_response(),
    }
}

/// The ten lines users would otherwise write: an outermost middleware answering `/up`.
async fn answer_up(request: Request, next: Next) -> Response {
    if request.uri().path() == "/up" {
        return (
            [
                ("content-type", "text/plain; charset=utf-8"),
                ("cache-control", "no-store"),
            ],
            "OK",
        )
            .into_response();
    }
    next.run(request).await
}

fn bare() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .route("/users/{id}", get(|| async { "user" }))
        .route("/about", get(|| async { "about" }))
        .layer(from_fn(allowed_hosts_only))
}

#[kamal_healthcheck]
fn annotated() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .route("/users/{id}", get(|| async { "user" }))
        .route("/about", get(|| async { "about" }))
        .layer(from_fn(allowed_hosts_only))
}

fn request(kind: &str) -> Request {
    let (path, host) = match kind {
        "normal" => ("/users/42", "example.com"),
        _ => ("/up", "7c7168a662c1:80"),
    };
    http::Request::get(path)
        .header(HOST, host)
        .header("user-agent", "kamal-proxy")
        .body(Body::empty())
        .unwrap()
}

/// Sends `count` requests of `kind` to `app`, each with `ready().call()`.
async fn drive<S>(mut app: S, kind: &str, count: u64) -> StatusCode
where
    S: Service<Request, Response = Response, Error = std::convert::Infallible>,
{
    let mut status = StatusCode::OK;
    for _ in 0..count {
        let response = app
            .ready()
            .await
            .unwrap()
            .call(request(kind))
            .await
            .unwrap();
        status = response.status();
        drop(response);
    }
    status
}

fn run(variant: &str, kind: &str, count: u64) -> StatusCode {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        match variant {
            "bare" => drive(bare(), kind, count).await,
            "attribute" => drive(annotated(), kind, count).await,
            "layer" => drive(HealthCheckLayer::new().layer(bare()), kind, count).await,
            "handwritten" => drive(bare().layer(from_fn(answer_up)), kind, count).await,
            other => panic!("unknown variant {other}"),
        }
    })
}

/// Total instructions of one run under callgrind.
fn instructions(variant: &str, kind: &str, count: u64) -> u64 {
    let out = std::env::temp_dir().join(format!("callgrind.kamal.{variant}.{kind}.{count}"));
    let status = Command::new("valgrind")
        .args(["--tool=callgrind", "--quiet"])
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(std::env::current_exe().unwrap())
        .args([variant, kind, &count.to_string()])
        .status()
        .expect("valgrind must be installed (Debian: apt-get install valgrind)");
    assert!(
        status.success(),
        "{variant} {kind} {count} failed under callgrind"
    );
    let profile = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    profile
        .lines()
        .find_map(|line| line.strip_prefix("summary: "))
        .or_else(|| {
            profile
                .lines()
                .find_map(|line| line.strip_prefix("totals: "))
        })
        .and_then(|total| total.trim().parse().ok())
        .expect("a callgrind summary line")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [variant, kind, count] = args.as_slice() {
        let status = run(variant, kind, count.parse().unwrap());
        // Printed so a wrong answer cannot go unnoticed in the table's source runs.
        eprintln!("{variant} {kind}: {status}");
        return;
    }
    let mut table = Vec::new();
    for kind in KINDS {
        for variant in VARIANTS {
            let per_request = (instructions(variant, kind, HIGH) - instructions(variant, kind, LOW))
                as f64
                / (HIGH - LOW) as f64;
            table.push((kind, variant, per_request, run(variant, kind, 1)));
        }
    }
    let cost = |kind: &str, variant: &str| {
        table
            .iter()
            .find(|row| row.0 == kind && row.1 == variant)
            .map(|row| row.2)
            .unwrap()
    };
    println!("instructions per request (callgrind, {LOW} vs {HIGH} requests)\n");
    println!("| request | variant | status | instructions | vs bare | vs hand-written |");
    println!("|---|---|---|---:|---:|---:|");
    for (kind, variant, per_request, status) in &table {
        println!(
            "| {kind} | {variant} | {} | {per_request:.0} | {:.3}x | {:.3}x |",
            status.as_u16(),
            per_request / cost(kind, "bare"),
            per_request / cost(kind, "handwritten"),
        );
    }
}
