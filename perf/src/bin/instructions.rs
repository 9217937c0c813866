//! Instructions per request, counted with callgrind, for the same axum app served
//! five ways: bare, built by a `#[kamal_healthcheck]` function, wrapped in
//! `HealthCheckLayer`, and with a hand-written `from_fn` middleware that answers
//! `/up` as the healthcheck does, or with a bare `200`.
//!
//! ```text
//! cargo run --release -p kamal-healthcheck-perf --bin instructions
//! ```
//!
//! Each variant and request kind runs twice under `valgrind --tool=callgrind`, with
//! `LOW` and `HIGH` requests; the difference of the two totals divided by
//! `HIGH - LOW` is the cost of one request, with start-up and tear-down cancelled
//! out. Instruction counts do not depend on what else the machine is doing.
//!
//! It then checks the bars, all from this one run, and exits with an error if one
//! is missed: a normal request costs at most 1.01x the bare app's instructions
//! through the annotated app and through `HealthCheckLayer`; the healthcheck
//! answer at most 0.90x (annotated) and 0.50x (`HealthCheckLayer`) the
//! hand-written middleware's.

use std::process::Command;

use axum::http::StatusCode;
use kamal_healthcheck_perf::{KINDS, VARIANTS, drive_variant};

const LOW: u64 = 2_000;
const HIGH: u64 = 6_000;

fn run(variant: &str, kind: &str, count: u64) -> StatusCode {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(drive_variant(variant, kind, count))
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
    let bars = [
        ("normal", "attribute", "bare", 1.01),
        ("normal", "layer", "bare", 1.01),
        ("normal", "checks", "bare", 1.01),
        ("healthcheck", "attribute", "handwritten", 0.90),
        ("healthcheck", "layer", "handwritten", 0.50),
    ];
    println!("\n| bar | measured | limit | |\n|---|---:|---:|---|");
    let mut missed = 0;
    for (kind, variant, against, limit) in bars {
        let ratio = cost(kind, variant) / cost(kind, against);
        let verdict = if ratio <= limit { "met" } else { "MISSED" };
        missed += usize::from(ratio > limit);
        println!("| {kind}: {variant} vs {against} | {ratio:.3}x | {limit:.2}x | {verdict} |");
    }
    // Not a bar: against a hand-written middleware that answers a bare `200`
    // (no headers, no body), the attribute's route is above 0.90x; see
    // perf/README.md.
    println!(
        "\n(not a bar) healthcheck: attribute vs lean hand-written: {:.3}x; layer: {:.3}x",
        cost("healthcheck", "attribute") / cost("healthcheck", "lean"),
        cost("healthcheck", "layer") / cost("healthcheck", "lean"),
    );
    if missed > 0 {
        eprintln!("{missed} bar(s) missed");
        std::process::exit(1);
    }
}
