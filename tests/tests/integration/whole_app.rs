//! `kamal_healthcheck::probe` on the whole served app: for each way a deploy
//! fails outside the annotated function (middleware added in `main`, a nest
//! prefix, a path deploy.yml disagrees with, readiness, the gate, a hang, an
//! error, a panic), the app a user would write, the report's verdict and words,
//! the same status over TCP from kamal-proxy's request, and the fixed app healthy.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use kamal_healthcheck::{
    HealthCheckLayer, StartupGate, deploy_probe, kamal_healthcheck, probe as probe_app,
};
use kamal_healthcheck::{Probe, ProbeReport, Verdict};
use kamal_healthcheck_tests::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tower::Layer;
use tower_http::validate_request::ValidateRequestHeaderLayer;

/// The router function, as the docs show it: its own guard is inside.
#[kamal_healthcheck]
fn app() -> Router {
    Router::new().route("/", get(|| async { "home" }))
}

/// Fails the probe if `report` is not `verdict` or lacks any of `words`; then
/// sends kamal-proxy's request over TCP to the same app and checks that the
/// status on the wire is the report's.
async fn assert_report(served: Router, verdict: Verdict, words: &[&str]) -> ProbeReport {
    let report = probe_app(served.clone()).await;
    assert_eq!(report.verdict(), verdict, "{report}");
    let message = report.to_string();
    for word in words {
        assert!(message.contains(word), "{word:?} is not in: {message}");
    }
    let server = serve(served).await;
    let wire = probe(server.address, "GET", "/up").await;
    assert_eq!(
        Some(wire.status),
        report.status().map(|status| status.as_u16()),
        "over TCP: {wire:?}"
    );
    report
}

/// The fix every message names: `HealthCheckLayer` around what `main` serves.
async fn assert_fixed(served: Router) {
    let fixed = HealthCheckLayer::new().layer(served);
    let report = probe_app(fixed.clone()).await;
    assert_eq!(report.verdict(), Verdict::Healthy, "{report}");
    assert!(report.answered_by_healthcheck());
    report.assert_healthy();
    let server = serve(fixed).await;
    assert_eq!(probe(server.address, "GET", "/up").await.status, 200);
}

#[tokio::test]
async fn the_attributes_router_alone_is_healthy() {
    let report = probe_app(app()).await;
    report.assert_healthy();
    assert!(report.answered_by_healthcheck());
    assert_eq!(report.status(), Some(StatusCode::OK));
    assert!(
        report
            .to_string()
            .contains("was answered 200 OK by the healthcheck"),
        "{report}"
    );
}

#[tokio::test]
async fn https_redirect_added_in_main() {
    let served = app().layer(from_fn_with_state(Hits::default(), redirect_to_https));
    let report = assert_report(
        served.clone(),
        Verdict::HttpsRedirect,
        &[
            "was redirected to https://7c7168a662c1:80/up (301 Moved Permanently)",
            "before it reached the healthcheck",
            "kamal-proxy probes the container over plain HTTP",
            "HealthCheckLayer::new().layer(app)",
        ],
    )
    .await;
    assert!(report.ensure_reachable().is_err());
    assert_fixed(served).await;
}

#[tokio::test]
async fn host_allow_list_added_in_main() {
    let served = app().layer(from_fn_with_state(Hits::default(), allowed_hosts_only));
    let report = assert_report(
        served.clone(),
        Verdict::HostCheck,
        &[
            "was answered 400 Bad Request with \"unknown host\", not by the healthcheck",
            "a host check",
            "the container's own address as `Host`",
            "target failed to become healthy",
        ],
    )
    .await;
    assert!(!report.answered_by_healthcheck());
    // `main` refuses to start, with the same message as its `Debug`.
    let error = report.clone().ensure_reachable().unwrap_err();
    assert_eq!(format!("{error:?}"), report.to_string());
    assert_fixed(served).await;
}

#[tokio::test]
async fn authentication_added_in_main() {
    #[allow(deprecated)]
    let served = app().layer(ValidateRequestHeaderLayer::bearer("secret"));
    assert_report(
        served.clone(),
        Verdict::Auth,
        &[
            "401 Unauthorized",
            "authentication runs first",
            "no credentials",
        ],
    )
    .await;
    assert_fixed(served).await;
}

/// A 403 with a challenge is authentication; without one, a host or IP check.
#[tokio::test]
async fn forbidden_with_and_without_a_challenge() {
    async fn forbidden(_: Request, _: Next) -> Response {
        StatusCode::FORBIDDEN.into_response()
    }
    async fn challenged(_: Request, _: Next) -> Response {
        let challenge = HeaderValue::from_static("Basic realm=\"app\"");
        let mut response = StatusCode::FORBIDDEN.into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, challenge);
        response
    }
    assert_report(
        app().layer(from_fn(challenged)),
        Verdict::Auth,
        &["403 Forbidden", "authentication runs first"],
    )
    .await;
    assert_report(
        app().layer(from_fn(forbidden)),
        Verdict::HostCheck,
        &["403 Forbidden", "a host check"],
    )
    .await;
}

#[tokio::test]
async fn rate_limit_added_in_main() {
    let hits = Hits::default();
    // Traffic has already used the allowance of the limiter.
    for _ in 0..3 {
        hits.hit();
    }
    let served = app().layer(from_fn_with_state(hits, rate_limit));
    assert_report(
        served.clone(),
        Verdict::RateLimit,
        &["429 Too Many Requests", "a rate limit runs first"],
    )
    .await;
    assert_fixed(served).await;
}

#[tokio::test]
async fn nested_under_a_prefix() {
    let served = Router::new().nest("/app", app());
    let report = assert_report(
        served.clone(),
        Verdict::NotFound,
        &[
            "404 Not Found",
            "nothing in this service answers `/up`",
            "nested under a prefix",
            "config/deploy.yml",
        ],
    )
    .await;
    assert!(report.ensure_reachable().is_err());
    // The healthcheck is there, one prefix down.
    let nested = Probe::new().path("/app/up").send(served.clone()).await;
    assert_eq!(nested.verdict(), Verdict::Healthy, "{nested}");
    assert_fixed(served).await;
}

#[kamal_healthcheck(path = "/healthz")]
fn healthz_app() -> Router {
    Router::new().route("/", get(|| async { "home" }))
}

/// deploy.yml and the attribute disagree: `deploy_probe!` probes what the deploy
/// will probe.
#[tokio::test]
async fn a_path_deploy_yml_does_not_set() {
    // tests/config/deploy.yml leaves kamal-proxy at /up.
    let report = deploy_probe!("config/deploy.yml").send(healthz_app()).await;
    assert_eq!(report.verdict(), Verdict::NotFound, "{report}");
    assert!(report.to_string().contains("`proxy: healthcheck: path:`"));
    // A deploy.yml that sets /healthz (and a 3 s timeout) agrees with it.
    let probe = deploy_probe!("tests/ui/deploy/healthz.yml");
    assert_eq!(
        format!("{probe:?}"),
        r#"Probe { path: "/healthz", timeout: 3s }"#
    );
    probe.send(healthz_app()).await.assert_healthy();
}

#[tokio::test]
async fn no_healthcheck_at_all() {
    let served = Router::new().route("/", get(|| async { "home" }));
    assert_report(
        served.clone(),
        Verdict::NotFound,
        &["or no healthcheck is installed"],
    )
    .await;
    assert_fixed(served).await;
}

/// A route of the app's own at the path is healthy for kamal-proxy; the report
/// says that the healthcheck did not answer.
#[tokio::test]
async fn an_app_route_at_the_path() {
    let served = Router::new().route("/up", get(|| async { "fine" }));
    let report = assert_report(
        served,
        Verdict::AnsweredByApp,
        &[
            "was answered 200 OK, not by the healthcheck but by a route of the app",
            "no readiness check ran",
        ],
    )
    .await;
    assert!(report.is_healthy() && !report.answered_by_healthcheck());
    report.assert_healthy();
}

#[derive(Debug)]
struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection refused")
    }
}

/// A database that refuses connections.
async fn connect() -> Result<(), Refused> {
    Err(Refused)
}

#[kamal_healthcheck(check(db = connect()))]
fn app_with_a_database() -> Router {
    Router::new().route("/", get(|| async { "home" }))
}

/// The checks' errors show in the report, while the body still hides them.
#[tokio::test]
async fn readiness_checks_fail() {
    let report = assert_report(
        app_with_a_database(),
        Verdict::NotReady,
        &[
            "was answered 503 by the healthcheck",
            "the app is reachable, but its readiness checks failed",
            "db: failed: connection refused",
        ],
    )
    .await;
    assert!(report.answered_by_healthcheck());
    assert!(report.clone().ensure_reachable().is_ok());
    let server = serve(app_with_a_database()).await;
    assert_eq!(
        probe(server.address, "GET", "/up").await.body,
        "db: failed\n"
    );
    let panicked = std::panic::catch_unwind(|| report.assert_healthy()).unwrap_err();
    let message = panicked.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("db: failed: connection refused"),
        "{message}"
    );
}

#[kamal_healthcheck(gate = gate)]
fn gated_app(gate: StartupGate) -> Router {
    drop(gate);
    Router::new().route("/", get(|| async { "home" }))
}

/// A closed gate fails a test (the app never opens it) but not `main`'s check.
#[tokio::test]
async fn the_startup_gate_is_closed() {
    let gate = StartupGate::new();
    let report = assert_report(
        gated_app(gate.clone()),
        Verdict::Starting,
        &[
            "503 `starting`",
            "start-up gate is still closed",
            "StartupGate::open()",
        ],
    )
    .await;
    assert!(!report.is_healthy());
    assert!(report.ensure_reachable().is_ok());
    gate.open();
    probe_app(gated_app(gate)).await.assert_healthy();
}

/// A pool with no free connection, awaited by a middleware added in `main`.
async fn wait_for_a_connection(
    State(pool): State<Arc<Semaphore>>,
    request: Request,
    next: Next,
) -> Response {
    let _connection = pool.acquire().await;
    next.run(request).await
}

#[tokio::test]
async fn a_middleware_that_never_answers() {
    let pool = Arc::new(Semaphore::new(0));
    let served = app().layer(from_fn_with_state(pool, wait_for_a_connection));
    let timeout = Duration::from_millis(300);
    let start = std::time::Instant::now();
    let report = Probe::new().timeout(timeout).send(served.clone()).await;
    let elapsed = start.elapsed();
    assert_eq!(report.verdict(), Verdict::TimedOut, "{report}");
    assert!(
        elapsed >= timeout && elapsed < timeout * 3,
        "gave up after {elapsed:?}"
    );
    let message = report.to_string();
    for word in [
        "got no answer within 300ms, kamal-proxy's timeout",
        "a pool with no free connection",
    ] {
        assert!(message.contains(word), "{word:?} is not in: {message}");
    }
    assert_eq!(report.status(), None);
    assert!(report.ensure_reachable().is_err());
    // Over TCP nothing answers either.
    let server = serve(served.clone()).await;
    let wire = tokio::time::timeout(timeout, probe(server.address, "GET", "/up")).await;
    assert!(wire.is_err(), "answered over TCP: {wire:?}");
    assert_fixed(served).await;
}

/// A hang behind a redirect the probe followed: the message says how far it got.
#[tokio::test]
async fn a_hang_after_a_redirect_names_the_redirect() {
    let served = Router::new()
        .route("/up", get(|| async { Redirect::permanent("/ready") }))
        .route(
            "/ready",
            get(|| async {
                std::future::pending::<()>().await;
                "ready"
            }),
        );
    let report = Probe::new()
        .timeout(Duration::from_millis(300))
        .send(served)
        .await;
    assert_eq!(report.verdict(), Verdict::TimedOut, "{report}");
    let message = report.to_string();
    assert!(
        message.contains("after 1 redirect (/ready) got no answer within 300ms"),
        "{message}"
    );
}

/// A middleware in `main` that expects a header only the public proxy sets.
async fn request_id(request: Request, next: Next) -> Response {
    let id = request.headers()["x-request-id"].clone();
    let mut response = next.run(request).await;
    response.headers_mut().insert("x-request-id", id);
    response
}

#[tokio::test]
async fn a_middleware_that_panics() {
    let served = app().layer(from_fn(request_id));
    let report = probe_app(served.clone()).await;
    assert_eq!(report.verdict(), Verdict::Panicked, "{report}");
    let message = report.to_string();
    for word in [
        "made the service panic",
        "no entry found for key",
        "X-Request-Id",
    ] {
        assert!(message.contains(word), "{word:?} is not in: {message}");
    }
    // Over TCP the connection closes without an answer.
    let server = serve(served.clone()).await;
    assert_eq!(kamal_proxy_exchange(server.address).await.1, "");
    assert_fixed(served).await;
}

#[tokio::test]
async fn a_service_that_returns_an_error() {
    let failing = tower::service_fn(|_: http::Request<String>| async {
        Err::<http::Response<axum::body::Body>, _>(std::io::Error::other("backend closed"))
    });
    let report = probe_app(failing).await;
    assert_eq!(report.verdict(), Verdict::Error, "{report}");
    assert!(
        report
            .to_string()
            .contains("got an error from the service instead of an answer: backend closed"),
        "{report}"
    );
    let fixed = HealthCheckLayer::new().layer(failing);
    probe_app(fixed).await.assert_healthy();
}

/// Any other status from something ahead of the healthcheck (here a
/// maintenance mode added in `main`, 503), and one the healthcheck gave but
/// something around it changed.
#[tokio::test]
async fn any_other_status_ahead_of_the_healthcheck() {
    async fn maintenance(_: Request, _: Next) -> Response {
        (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance").into_response()
    }
    let served = app().layer(from_fn(maintenance));
    assert_report(
        served.clone(),
        Verdict::OtherStatus,
        &[
            "was answered 503 Service Unavailable with \"down for maintenance\", not by the \
             healthcheck",
            "kamal-proxy counts every status outside 2xx as a failed probe",
        ],
    )
    .await;
    assert_fixed(served).await;

    async fn to_500(request: Request, next: Next) -> Response {
        let mut response = next.run(request).await;
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        response
    }
    let changed = Router::new()
        .fallback_service(HealthCheckLayer::new().layer(app()))
        .layer(from_fn(to_500));
    let report = probe_app(changed).await;
    assert_eq!(report.verdict(), Verdict::OtherStatus, "{report}");
    assert!(report.answered_by_healthcheck());
    assert!(
        report
            .to_string()
            .contains("the healthcheck answered, but something around it changed its answer"),
        "{report}"
    );
}

/// A followed redirect is sent as Go's client sends it: the same headers, and
/// the page it came from as `Referer`.
#[tokio::test]
async fn a_followed_redirect_carries_a_referer() {
    type Seen = Arc<Mutex<Vec<Vec<(String, String)>>>>;
    async fn record(State(seen): State<Seen>, request: Request) -> Response {
        let headers = request
            .headers()
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
            .collect();
        seen.lock().unwrap().push(headers);
        match request.uri().path() {
            "/old" => Redirect::permanent("/new").into_response(),
            _ => "new".into_response(),
        }
    }
    let seen = Seen::default();
    let app = Router::new().fallback(record).with_state(seen.clone());
    let report = Probe::new().path("/old").send(app).await;
    assert_eq!(report.verdict(), Verdict::AnsweredByApp, "{report}");
    let seen = seen.lock().unwrap();
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    };
    assert_eq!(
        seen[1],
        pairs(&[
            ("host", "7c7168a662c1:80"),
            ("user-agent", "kamal-proxy"),
            ("referer", "http://7c7168a662c1:80/old"),
            ("accept-encoding", "gzip"),
        ])
    );
}

/// A service that takes only axum's request body is probed through
/// `map_request`, as the docs say.
#[tokio::test]
async fn a_service_fixed_to_one_body_type_is_probed_through_map_request() {
    use tower::ServiceExt;

    let fixed = HealthCheckLayer::new().layer(tower::service_fn(
        |_: http::Request<axum::body::Body>| async {
            Ok::<_, std::convert::Infallible>(axum::response::Response::new(
                axum::body::Body::from("app"),
            ))
        },
    ));
    let probed =
        fixed.map_request(|request: http::Request<String>| request.map(axum::body::Body::new));
    probe_app(probed).await.assert_healthy();
}

/// Redirects are followed as Go's client follows them, while they stay on the
/// container's plain HTTP address.
#[tokio::test]
async fn redirects_are_followed_like_kamal_proxys_client() {
    let served = app()
        .route("/old", get(|| async { Redirect::permanent("/up") }))
        .route(
            "/absolute",
            get(|| async { Redirect::to("http://7c7168a662c1:80/old") }),
        )
        .route(
            "/away",
            get(|| async { Redirect::to("http://example.com/up") }),
        )
        .route("/loop", get(|| async { Redirect::temporary("/loop") }));

    let report = Probe::new().path("/absolute").send(served.clone()).await;
    assert_eq!(report.verdict(), Verdict::Healthy, "{report}");
    assert!(
        report.to_string().contains(
            "was answered 200 OK after 2 redirects (http://7c7168a662c1:80/old -> /up) by the \
             healthcheck"
        ),
        "{report}"
    );

    let away = Probe::new().path("/away").send(served.clone()).await;
    assert_eq!(away.verdict(), Verdict::OtherRedirect, "{away}");
    assert!(
        away.to_string()
            .contains("was redirected to http://example.com/up (303 See Other)"),
        "{away}"
    );

    let looping = Probe::new().path("/loop").send(served).await;
    assert_eq!(looping.verdict(), Verdict::OtherRedirect, "{looping}");
    assert!(
        looping.to_string().contains("after 10 redirects"),
        "{looping}"
    );
}

/// The request a service gets in-process is the one it gets over TCP from
/// kamal-proxy's Go client: same method, target, version and headers, in order.
#[tokio::test]
async fn in_process_the_service_sees_kamal_proxys_request() {
    type Seen = Arc<Mutex<Vec<(String, String, String, Vec<(String, String)>)>>>;
    async fn record(State(seen): State<Seen>, request: Request) -> &'static str {
        let headers = request
            .headers()
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
            .collect();
        seen.lock().unwrap().push((
            request.method().to_string(),
            request.uri().to_string(),
            format!("{:?}", request.version()),
            headers,
        ));
        "recorded"
    }
    let seen = Seen::default();
    let recorder = Router::new().fallback(record).with_state(seen.clone());

    let server = serve(recorder.clone()).await;
    let (status, _) = kamal_proxy_exchange(server.address).await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    probe_app(recorder).await.assert_healthy();

    let seen = seen.lock().unwrap();
    let [over_tcp, in_process] = &seen[..] else {
        panic!("two requests, one each way: {seen:?}");
    };
    assert_eq!(in_process, over_tcp);
    assert_eq!(over_tcp.0, "GET");
    assert_eq!(over_tcp.1, "/up");
    assert_eq!(over_tcp.2, "HTTP/1.1");
    let names: Vec<&str> = over_tcp.3.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["host", "user-agent", "accept-encoding"]);
}

/// Sends the bytes Go's default client writes for kamal-proxy's probe (Host
/// first, then User-Agent, then the Accept-Encoding its transport adds; no
/// `Connection: close`) and returns the status line and what followed the head,
/// or empty strings if the connection closed without an answer.
async fn kamal_proxy_exchange(address: std::net::SocketAddr) -> (String, String) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let request = format!(
        "GET /up HTTP/1.1\r\nHost: {CONTAINER_HOST}\r\nUser-Agent: kamal-proxy\r\nAccept-Encoding: gzip\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    let mut buffer = [0; 4096];
    while !bytes.windows(4).any(|window| window == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => bytes.extend_from_slice(&buffer[..read]),
        }
    }
    let text = String::from_utf8_lossy(&bytes);
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or_default();
    let status = head.lines().next().unwrap_or_default().to_owned();
    (
        status,
        if head.is_empty() {
            String::new()
        } else {
            rest.to_owned()
        },
    )
}

/// The example of `probe`'s page (kamal-healthcheck/src/probe/mod.rs, once the
/// README's), run as a test: it fails with the message the page shows, word for
/// word, and passes once fixed.
mod readme {
    use super::*;

    async fn allowed_hosts_only(request: Request, next: Next) -> Response {
        match request.headers().get(header::HOST) {
            Some(host) if host == "example.com" => next.run(request).await,
            _ => (StatusCode::BAD_REQUEST, "unknown host").into_response(),
        }
    }

    #[kamal_healthcheck]
    fn app() -> Router {
        Router::new().route("/", get(|| async { "home" }))
    }

    fn served() -> Router {
        app().layer(from_fn(allowed_hosts_only))
    }

    /// The `text` block after `marker` in the docs of `probe`.
    fn readme_block(marker: &str) -> String {
        let docs: String = include_str!("../../../kamal-healthcheck/src/probe/mod.rs")
            .lines()
            .filter_map(|line| line.strip_prefix("///"))
            .map(|line| format!("{}\n", line.strip_prefix(' ').unwrap_or(line)))
            .collect();
        let after = &docs[docs.find(marker).expect("the marker is on probe's page")..];
        let block = &after[after.find("```text\n").unwrap() + "```text\n".len()..];
        block[..block.find("\n```").unwrap()].to_owned()
    }

    #[tokio::test]
    async fn kamal_proxy_finds_the_app_healthy() {
        let panicked = tokio::spawn(async {
            kamal_healthcheck::probe(served()).await.assert_healthy();
        })
        .await
        .unwrap_err()
        .into_panic();
        let message = panicked.downcast_ref::<String>().unwrap();
        assert_eq!(*message, readme_block("fails\nwith the report's message"));
        let fixed = HealthCheckLayer::new().layer(served());
        kamal_healthcheck::probe(fixed).await.assert_healthy();
    }

    #[tokio::test]
    async fn kamal_proxy_probes_what_deploy_yml_says() {
        let served = HealthCheckLayer::new().layer(Router::new());
        deploy_probe!("config/deploy.yml")
            .send(served)
            .await
            .assert_healthy();
    }
}

/// `deploy_probe!` with a Kamal destination probes as `kamal deploy -d
/// staging` does: config/deploy.staging.yml merged over config/deploy.yml.
#[tokio::test]
async fn deploy_probe_reads_a_destination_merged_over_deploy_yml() {
    let base = deploy_probe!("config/deploy.yml");
    let staging = deploy_probe!("config/deploy.yml", destination = "staging");
    assert_eq!(format!("{base:?}"), r#"Probe { path: "/up", timeout: 5s }"#);
    assert_eq!(
        format!("{staging:?}"),
        r#"Probe { path: "/up", timeout: 3s }"#
    );
    staging
        .send(HealthCheckLayer::new().layer(Router::new()))
        .await
        .assert_healthy();
}

/// A middleware that blocks its thread past kamal-proxy's timeout (a
/// synchronous call to a slow service): in-process nothing can interrupt it,
/// but the answer comes after the timeout, and kamal-proxy's client has given
/// up by then: a timeout, as on the wire.
async fn block_the_thread(request: Request, next: Next) -> Response {
    std::thread::sleep(Duration::from_millis(600));
    next.run(request).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_middleware_that_blocks_past_the_timeout() {
    let served = app().layer(from_fn(block_the_thread));
    let timeout = Duration::from_millis(300);
    let report = Probe::new().timeout(timeout).send(served.clone()).await;
    assert_eq!(report.verdict(), Verdict::TimedOut, "{report}");
    assert!(
        report.to_string().contains("got no answer within 300ms"),
        "{report}"
    );
    // Over TCP the answer also comes after the timeout, when kamal-proxy's
    // client has given up.
    let server = serve(served).await;
    let start = std::time::Instant::now();
    let wire = probe(server.address, "GET", "/up").await;
    assert!(
        start.elapsed() > timeout,
        "answered over TCP in time: {wire:?}"
    );
}

/// The app's own health route answers 500 (its database is down), and the
/// healthcheck is not installed: the report says the route failed, and does
/// not send the user to make the healthcheck outermost, which would hide it.
#[tokio::test]
async fn the_apps_own_route_fails() {
    let served = Router::new()
        .route("/", get(|| async { "home" }))
        .route("/up", get(|| async { StatusCode::INTERNAL_SERVER_ERROR }));
    let report = assert_report(
        served,
        Verdict::AppRoute,
        &[
            "was answered 500 Internal Server Error, by a route of the app's own",
            "making the healthcheck outermost would hide the failure",
            "move its check into the healthcheck",
        ],
    )
    .await;
    assert!(
        !report
            .to_string()
            .contains("make the healthcheck the outermost")
    );
}

/// Middleware that answers 500 to every path is not the app's route.
async fn broken(_: Request, _: Next) -> Response {
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

#[tokio::test]
async fn middleware_that_fails_every_request_is_not_the_apps_route() {
    let served = app().layer(from_fn(broken));
    assert_report(
        served.clone(),
        Verdict::OtherStatus,
        &[
            "something ahead of it answered first",
            "make the healthcheck the outermost",
        ],
    )
    .await;
    assert_fixed(served).await;
}

#[kamal_healthcheck(path = "/healthz")]
fn app_at_healthz() -> Router {
    Router::new().route("/", get(|| async { "home" }))
}

/// Most apps deployed with Kamal set another path in deploy.yml: the one line
/// probes the path the app's healthcheck answers, the attribute's or the
/// layer's, when nothing answers `/up`.
#[tokio::test]
async fn the_one_line_probes_the_path_the_app_answers() {
    let report = kamal_healthcheck::probe(app_at_healthz()).await;
    assert_eq!(report.verdict(), Verdict::Healthy, "{report}");
    assert!(report.to_string().contains("`GET /healthz`"), "{report}");
    let layered = HealthCheckLayer::with_path("/ready").layer(app());
    // `app()` answers `/up` itself: that answer is the one kamal-proxy gets
    // by default, and the one reported.
    assert!(
        kamal_healthcheck::probe(layered)
            .await
            .to_string()
            .contains("`GET /up`")
    );
    let ready = HealthCheckLayer::with_path("/ready").layer(Router::new());
    let report = kamal_healthcheck::probe(ready).await;
    assert_eq!(report.verdict(), Verdict::Healthy, "{report}");
    assert!(report.to_string().contains("`GET /ready`"), "{report}");
    // Behind a host check, every path is refused: the report at `/up` names
    // that cause.
    let guarded = app_at_healthz().layer(from_fn_with_state(Hits::default(), allowed_hosts_only));
    let report = kamal_healthcheck::probe(guarded).await;
    assert_eq!(report.verdict(), Verdict::HostCheck, "{report}");
}

/// An allow-list of private networks, reading the peer's address: over TCP
/// kamal-proxy's probe comes from its container on Kamal's network.
async fn private_networks_only(
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    match peer.ip() {
        std::net::IpAddr::V4(ip) if ip.is_private() || ip.is_loopback() => next.run(request).await,
        _ => StatusCode::FORBIDDEN.into_response(),
    }
}

/// In-process there is no connection and no `ConnectInfo`: the probe gives
/// its request the address kamal-proxy's probe comes from, as the wire does.
#[tokio::test]
async fn a_peer_allow_list_sees_kamal_proxys_address() {
    use kamal_healthcheck::KAMAL_PEER;

    let served = app().layer(from_fn(private_networks_only));
    let without = probe_app(served.clone()).await;
    assert_eq!(
        without.status(),
        Some(StatusCode::INTERNAL_SERVER_ERROR),
        "{without}"
    );
    let report = Probe::new()
        .extension(axum::extract::ConnectInfo(KAMAL_PEER))
        .send(served.clone())
        .await;
    assert_eq!(report.verdict(), Verdict::Healthy, "{report}");
    // Over TCP, served with `ConnectInfo`, the probe is answered the same.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let make = served.into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, make).await.unwrap();
    });
    assert_eq!(probe(address, "GET", "/up").await.status, 200);
}

/// A host check whose refusal is compressed (the probe asks for gzip, as
/// kamal-proxy's client does): the report still quotes it, as it reads.
#[tokio::test]
async fn a_compressed_refusal_is_quoted() {
    async fn refuse(_: Request, _: Next) -> Response {
        (
            StatusCode::BAD_REQUEST,
            "unknown host: this app answers example.com only, and nothing else at all",
        )
            .into_response()
    }
    let served = app()
        .layer(from_fn(refuse))
        .layer(tower_http::compression::CompressionLayer::new());
    let report = probe_app(served.clone()).await;
    assert_eq!(report.verdict(), Verdict::HostCheck, "{report}");
    assert!(
        report
            .to_string()
            .contains("with \"unknown host: this app answers example.com only"),
        "{report}"
    );
    // On the wire, kamal-proxy's request gets it compressed.
    let server = serve(served).await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    let sent = format!(
        "GET /up HTTP/1.1\r\nHost: {CONTAINER_HOST}\r\nUser-Agent: kamal-proxy\r\n\
         Accept-Encoding: gzip\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(sent.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let head = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 400"), "{head}");
    assert!(head.contains("content-encoding: gzip"), "{head}");
}
