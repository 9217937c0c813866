//! The README is the user's first page and the crate docs are the second
//! (docs.rs shows them): the README stays short (at most 150 lines, 1,000 words
//! of prose, no paragraph over 80 words), opens with the attribute on `main`,
//! and every sample of output in either, a probe report or a log line, is what
//! the code writes today.
//!
//! Each `text` block of the README, of the crate docs (kamal-healthcheck/src/lib.rs)
//! and of `probe`'s page (kamal-healthcheck/src/probe/mod.rs) must be one of the
//! samples held here: a probe report, compared with the report of the app the
//! page shows; the start-up line, which tests/tests/startup_log_line.rs compares
//! (it needs Kamal's variables in the environment, which only a test alone in its
//! process may set), and whose copy in the crate docs must be the README's; the
//! `WARN` line of a failed check, compared here (and in tests/tests/logging.rs).
//! A compile error is not copied into either: the trybuild snapshots under
//! tests/tests/ui/fail/ are the samples of those.

use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, header::HOST};
use axum::middleware::{self, Next};
use axum::routing::get;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};
use kamal_healthcheck_tests::{probe, serve};
use tower::Layer;

use crate::common::{Written, readme_line};

const README: &str = include_str!("../../../README.md");
const CRATE_DOCS: &str = include_str!("../../../kamal-healthcheck/src/lib.rs");
const PROBE_DOCS: &str = include_str!("../../../kamal-healthcheck/src/probe/mod.rs");

/// A fenced code block: its info string, the line its fence opens on (from
/// 1), and its text.
#[derive(Debug)]
struct Block {
    info: String,
    line: usize,
    text: String,
}

/// The fenced code blocks of `markdown`, in order.
fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (index, line) in markdown.lines().enumerate() {
        let fence = line.trim_start().strip_prefix("```");
        match (&mut open, fence) {
            (None, Some(info)) => {
                open = Some(Block {
                    info: info.trim().to_owned(),
                    line: index + 1,
                    text: String::new(),
                })
            }
            (Some(_), Some(_)) => blocks.push(open.take().unwrap()),
            (Some(block), None) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "a code block is never closed: {open:?}");
    blocks
}

/// The Markdown of a file's doc comments (`//!` and `///`), as rustdoc reads
/// them, one item's after another's.
fn inner_docs(source: &str) -> String {
    source
        .lines()
        .filter_map(|line| {
            let line = line.trim_start();
            line.strip_prefix("//!")
                .or_else(|| line.strip_prefix("///"))
        })
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The README's prose, by paragraph: every line outside code blocks and
/// tables; a blank line ends a paragraph, and a heading or a list item is one
/// of its own.
fn paragraphs(markdown: &str) -> Vec<String> {
    let mut paragraphs = Vec::new();
    let mut current = String::new();
    let mut in_code = false;
    let mut end = |current: &mut String| {
        if !current.trim().is_empty() {
            paragraphs.push(std::mem::take(current));
        }
        current.clear();
    };
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            end(&mut current);
            continue;
        }
        let trimmed = line.trim();
        if in_code || trimmed.starts_with('|') {
            continue;
        }
        if trimmed.is_empty() {
            end(&mut current);
            continue;
        }
        let starts_one = trimmed.starts_with('#')
            || trimmed.starts_with("- ")
            || trimmed.starts_with("* ")
            || trimmed
                .split_once(". ")
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok());
        if starts_one {
            end(&mut current);
        }
        current.push_str(trimmed);
        current.push(' ');
        if trimmed.starts_with('#') {
            end(&mut current);
        }
    }
    end(&mut current);
    paragraphs
}

fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

#[test]
fn the_readme_is_at_most_150_lines() {
    let lines = README.lines().count();
    assert!(lines <= 150, "the README has {lines} lines; at most 150");
}

#[test]
fn the_readme_opens_with_the_attribute_on_main() {
    let blocks = blocks(README);
    let first = blocks.first().expect("the README has code blocks");
    assert!(
        first.info.starts_with("rust"),
        "the README's first code block is `{}`, at line {}: it must be the attribute on `main`",
        first.info,
        first.line
    );
    assert!(first.line <= 40, "it starts at line {}", first.line);
    assert!(
        first.text.contains("#[kamal_healthcheck]"),
        "{}",
        first.text
    );
    assert!(first.text.contains("async fn main"), "{}", first.text);
}

#[test]
fn the_readme_prose_is_short() {
    let paragraphs = paragraphs(README);
    let total: usize = paragraphs.iter().map(|paragraph| words(paragraph)).sum();
    assert!(total <= 1000, "{total} words of prose; at most 1,000");
    for paragraph in &paragraphs {
        let count = words(paragraph);
        assert!(
            count <= 80,
            "a paragraph of {count} words, over 80: {paragraph}"
        );
    }
}

#[test]
fn the_readme_defines_allowed_hosts_only_at_most_once() {
    let definitions = README.matches("fn allowed_hosts_only").count();
    assert!(definitions <= 1, "defined {definitions} times");
}

/// The README's two commands: "Run it" runs an app with the attribute on
/// `main`; "Test it" is what CI runs (.ci/run).
#[test]
fn the_readme_runs_the_main_form_and_tests_the_workspace() {
    let command = |heading: &str| {
        let after = &README[README.find(heading).expect(heading)..];
        let block = blocks(after).into_iter().next().expect("a command");
        assert_eq!(block.info, "sh", "{heading}");
        block.text
    };
    assert_eq!(command("\n## Run it\n"), "cargo run --example app\n");
    let built_in_main = include_str!("../../../kamal-healthcheck/examples/app.rs");
    assert!(built_in_main.contains("#[kamal_healthcheck]\n#[tokio::main]\nasync fn main"));
    assert_eq!(command("\n## Test it\n"), "cargo test --workspace\n");
    assert!(include_str!("../../../.ci/run").contains("\nrun cargo test --workspace\n"));
}

/// What a sample is, by its words.
#[derive(Debug, PartialEq)]
enum Sample {
    Report,
    StartUpLine,
    CheckFailedLine,
}

const START_UP: &str = "INFO kamal_healthcheck: kamal-proxy probes";
const CHECK_FAILED: &str = "WARN kamal_healthcheck: readiness check did not pass";

fn samples(markdown: &str) -> Vec<(Sample, String)> {
    blocks(markdown)
        .into_iter()
        .filter(|block| block.info == "text")
        .map(|block| {
            let kind = if block.text.starts_with("kamal-proxy's probe") {
                Sample::Report
            } else if block.text.contains(START_UP) {
                Sample::StartUpLine
            } else if block.text.contains(CHECK_FAILED) {
                Sample::CheckFailedLine
            } else {
                panic!(
                    "a `text` sample at line {} that no test holds to the code's output: \
                     hold it here, or remove it (a compile error's sample is its trybuild \
                     snapshot under tests/tests/ui/fail/):\n{}",
                    block.line, block.text
                )
            };
            (kind, block.text.trim_end().to_owned())
        })
        .collect()
}

fn of_kind(samples: &[(Sample, String)], kind: Sample) -> Vec<String> {
    samples
        .iter()
        .filter(|(found, _)| *found == kind)
        .map(|(_, text)| text.clone())
        .collect()
}

/// The README's test: the attribute on a router, probed as `main` serves
/// it, which passes; and the report when the router is nested under a
/// prefix, which the README shows.
#[kamal_healthcheck]
fn api() -> Router {
    Router::new().route("/orders", get(|| async { "[]" }))
}

#[tokio::test]
async fn the_readme_report_is_what_probe_says() {
    // The app is the README's, as written there.
    let test = blocks(README)
        .into_iter()
        .find(|block| block.text.contains("kamal_healthcheck::probe(served)"))
        .expect("the README's probe test");
    for line in [
        "#[kamal_healthcheck]\nfn api() -> Router {",
        "Router::new().route(\"/orders\", get(|| async { \"[]\" }))",
        "let served = Router::new().merge(api());",
        "kamal_healthcheck::probe(served).await.assert_healthy();",
    ] {
        assert!(
            test.text.contains(line),
            "{line:?} is not in:\n{}",
            test.text
        );
    }
    // The test as the README writes it passes.
    kamal_healthcheck::probe(Router::new().merge(api()))
        .await
        .assert_healthy();
    // Nested under a prefix, as the README says next.
    assert!(README.contains("`Router::new().nest(\"/api\", api())`"));
    let served = Router::new().nest("/api", api());
    let report = kamal_healthcheck::probe(served.clone()).await;
    assert_eq!(
        of_kind(&samples(README), Sample::Report),
        [report.to_string()]
    );
    // `assert_healthy` panics with the same words.
    let panicked = tokio::spawn(async move {
        kamal_healthcheck::probe(served).await.assert_healthy();
    })
    .await
    .unwrap_err()
    .into_panic();
    assert_eq!(
        panicked.downcast_ref::<String>().map(String::as_str),
        Some(report.to_string().as_str())
    );
}

/// `probe`'s page: the attribute on the router function, a host allow-list
/// added around it where `main` serves it.
#[kamal_healthcheck]
fn app() -> Router {
    Router::new().route("/", get(|| async { "home" }))
}

fn served_behind_a_host_check() -> Router {
    app().layer(middleware::from_fn(
        |request: Request, next: Next| async move {
            match request.headers().get(HOST) {
                Some(host) if host == "example.com" => Ok(next.run(request).await),
                _ => Err((StatusCode::BAD_REQUEST, "unknown host")),
            }
        },
    ))
}

#[tokio::test]
async fn the_probe_page_report_is_what_probe_says() {
    let docs = inner_docs(PROBE_DOCS);
    assert!(
        docs.contains("_ => Err((StatusCode::BAD_REQUEST, \"unknown host\")),"),
        "the page's app is the one probed here"
    );
    let report = kamal_healthcheck::probe(served_behind_a_host_check()).await;
    assert_eq!(
        of_kind(&samples(&docs), Sample::Report),
        [report.to_string()]
    );
    let fixed = HealthCheckLayer::new().layer(served_behind_a_host_check());
    kamal_healthcheck::probe(fixed).await.assert_healthy();
}

/// The start-up line is the README's wherever it is shown; tests/tests/startup_log_line.rs
/// holds the README's to what `fmt` writes.
#[test]
fn the_start_up_line_is_the_one_startup_log_line_rs_compares() {
    let readme = of_kind(&samples(README), Sample::StartUpLine);
    assert_eq!(readme.len(), 1, "the README shows the start-up line once");
    assert!(readme[0].ends_with(readme_line(START_UP)));
    assert!(readme_line(START_UP).contains("deploy_timeout_ms=30000"));
    for docs in [inner_docs(CRATE_DOCS), inner_docs(PROBE_DOCS)] {
        for copy in of_kind(&samples(&docs), Sample::StartUpLine) {
            assert_eq!(
                copy, readme[0],
                "a copy of the start-up line that is not the README's"
            );
        }
    }
    assert!(of_kind(&samples(&inner_docs(CRATE_DOCS)), Sample::StartUpLine).len() <= 1);
}

async fn refused() -> Result<(), String> {
    Err("connection refused".to_owned())
}

/// The `WARN` line of a failed check, as tracing-subscriber's `fmt` writes it
/// (after the timestamp, in its own format, and with `elapsed_ms`, which
/// varies, left out).
#[tokio::test]
async fn the_check_failed_line_is_what_fmt_writes() {
    let docs = inner_docs(CRATE_DOCS);
    let mut shown = of_kind(&samples(README), Sample::CheckFailedLine);
    shown.extend(of_kind(&samples(&docs), Sample::CheckFailedLine));
    assert!(!shown.is_empty(), "the crate docs show the line");

    let (buffer, _guard) = Written::by_fmt();
    let server = serve(HealthCheckLayer::new().check("db", refused).layer(app())).await;
    assert_eq!(probe(server.address, "GET", "/up").await.status, 503);
    let elapsed = |line: &str| {
        let at = line.find("elapsed_ms=").unwrap() + "elapsed_ms=".len();
        let end = at + line[at..].find(' ').unwrap();
        format!("{}N{}", &line[..at], &line[end..])
    };
    let written = buffer.text();
    for sample in shown {
        let line = sample.split_once("Z ").expect("a timestamp").1.to_owned();
        assert_eq!(elapsed(written.trim_end()), elapsed(&line));
    }
}

/// Every `text` block is one of the samples above.
#[test]
fn every_sample_is_held_by_a_test() {
    for (name, markdown) in [
        ("README.md", README.to_owned()),
        ("kamal-healthcheck/src/lib.rs", inner_docs(CRATE_DOCS)),
        ("kamal-healthcheck/src/probe/mod.rs", inner_docs(PROBE_DOCS)),
    ] {
        let samples = samples(&markdown);
        assert!(
            of_kind(&samples, Sample::Report).len() <= 1,
            "{name}: one report sample at most, the one its test builds"
        );
    }
}
