//! The attribute on the function that serves, over an app whose own health
//! route is built in another function, where the attribute cannot see it: the
//! route never runs for kamal-proxy (the healthcheck answers first) and what
//! it checks is lost, so the app says so in its log at its first connection,
//! however it is served (the router, or any make-service the attribute
//! accepts). Over TCP, with a real subscriber.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, connect_info};
use axum::handler::HandlerWithoutStateExt;
use axum::http::StatusCode;
use axum::routing::get;
use axum::serve::IncomingStream;
use kamal_healthcheck::kamal_healthcheck;
use kamal_healthcheck_tests::events::Recorder;
use kamal_healthcheck_tests::{one_error_after_a_probe, probe};
use tokio::net::TcpListener;

/// The app's own health route, whose database is down.
fn api_routes() -> Router {
    Router::new().route("/", get(|| async { "home" })).route(
        "/api/health",
        get(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
    )
}

#[kamal_healthcheck(path = "/api/health")]
async fn serve(listener: TcpListener) {
    axum::serve(listener, api_routes()).await.unwrap();
}

/// The same app, served as norfolk-servicehub serves it.
#[kamal_healthcheck(path = "/api/health")]
async fn serve_with_connect_info(listener: TcpListener) {
    let app = api_routes().into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).await.unwrap();
}

#[kamal_healthcheck(path = "/api/health")]
async fn serve_make_service(listener: TcpListener) {
    axum::serve(listener, api_routes().into_make_service())
        .await
        .unwrap();
}

/// A `Connected` type of the app's own.
#[derive(Clone, Debug)]
struct Peer(#[allow(dead_code)] SocketAddr);

impl connect_info::Connected<IncomingStream<'_, TcpListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, TcpListener>) -> Self {
        Self(*stream.remote_addr())
    }
}

#[kamal_healthcheck(path = "/api/health")]
async fn serve_own_connected(listener: TcpListener) {
    let app = api_routes().into_make_service_with_connect_info::<Peer>();
    axum::serve(listener, app).await.unwrap();
}

/// A handler's make-service: the handler answers every path, the
/// healthcheck's too.
#[kamal_healthcheck(path = "/api/health")]
async fn serve_handler(listener: TcpListener) {
    let handler = |request: axum::extract::Request| async move {
        match request.uri().path() {
            "/api/health" => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::NOT_FOUND,
        }
    };
    axum::serve(listener, handler.into_make_service())
        .await
        .unwrap();
}

/// No health route, but a route with a parameter that takes `/up` and
/// rejects it (`400`: not a number).
#[kamal_healthcheck]
async fn serve_path_parameter(listener: TcpListener) {
    let app = Router::new().route(
        "/{id}",
        get(|Path(id): Path<u32>| async move { id.to_string() }),
    );
    axum::serve(listener, app).await.unwrap();
}

/// The app's own `/up` beside a single-page app's fallback, which answers
/// `200` with its page to every path.
fn spa_routes() -> Router {
    let page = || async { axum::response::Html("<!doctype html><title>app</title>") };
    Router::new()
        .route("/up", get(|| async { "ok" }))
        .fallback(page)
}

#[kamal_healthcheck]
async fn serve_beside_a_fallback(listener: TcpListener) {
    axum::serve(listener, spa_routes()).await.unwrap();
}

/// No route of its own at the path.
#[kamal_healthcheck(path = "/api/health")]
async fn serve_without_a_route(listener: TcpListener) {
    let app = Router::new().route("/", get(|| async { "home" }));
    axum::serve(listener, app).await.unwrap();
}

/// Serves the app with `serve`, probes it, and returns the `ERROR`s logged.
async fn probed<F>(serve: fn(TcpListener) -> F) -> Vec<kamal_healthcheck_tests::events::Event>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    probed_at(serve, "/api/health").await
}

/// [`probed`] at `path`: the healthcheck answers, and the app's route never
/// runs for the probe.
async fn probed_at<F>(
    serve: fn(TcpListener) -> F,
    path: &str,
) -> Vec<kamal_healthcheck_tests::events::Event>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    one_error_after_a_probe(serve, path).await
}

/// Every make-service the attribute accepts is asked, as the router is.
#[tokio::test]
async fn a_route_of_the_apps_own_behind_a_make_service_is_an_error_too() {
    for errors in [
        probed(serve_with_connect_info).await,
        probed(serve_make_service).await,
        probed(serve_own_connected).await,
        probed(serve_handler).await,
    ] {
        assert!(
            errors[0]
                .message
                .starts_with("the app answers /api/health itself (500 Internal Server Error)"),
            "{}",
            errors[0].message
        );
    }
}

#[tokio::test]
async fn a_route_of_the_apps_own_at_the_path_is_an_error_at_start_up() {
    let errors = probed(serve).await;
    assert!(
        errors[0].message.starts_with(
            "the app answers /api/health itself (500 Internal Server Error), with a route of \
             its own that #[kamal_healthcheck] cannot see (in a router returned by another \
             function)"
        ),
        "{}",
        errors[0].message
    );
    assert!(
        errors[0]
            .message
            .ends_with("move its check into the attribute (`check(db = ..)`) and remove the route")
    );
}

/// The second request has the same shape as the first: a route with a
/// parameter takes both, and its rejection is no route of the app's own.
#[tokio::test]
async fn a_rejection_by_a_route_with_a_parameter_is_no_error() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(serve_path_parameter(listener));
    assert_eq!(probe(address, "GET", "/up").await.status, 200);
    assert_eq!(probe(address, "GET", "/42").await.status, 200);
    assert!(
        recorder.errors().await.is_empty(),
        "{:?}",
        recorder.events()
    );
}

/// A fallback that answers `200` everywhere answers with another content
/// type than the app's own route.
#[tokio::test]
async fn a_route_of_the_apps_own_beside_a_fallback_is_an_error() {
    let errors = probed_at(serve_beside_a_fallback, "/up").await;
    assert!(
        errors[0]
            .message
            .starts_with("the app answers /up itself (200 OK)"),
        "{}",
        errors[0].message
    );
}

#[tokio::test]
async fn no_route_of_its_own_is_no_error() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(serve_without_a_route(listener));
    assert_eq!(probe(address, "GET", "/api/health").await.status, 200);
    // The check has run once both of its requests were answered: give it
    // those, then look.
    assert_eq!(probe(address, "GET", "/").await.status, 200);
    assert!(
        recorder.errors().await.is_empty(),
        "{:?}",
        recorder.events()
    );
}

/// The user agents of the requests for `/up` that [`serve_recording`]'s
/// route has seen.
static AGENTS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// A route of the app's own at `/up` that records who asks.
fn recording_routes() -> Router {
    Router::new().route(
        "/up",
        get(|headers: axum::http::HeaderMap| async move {
            let agent = headers
                .get(axum::http::header::USER_AGENT)
                .and_then(|agent| agent.to_str().ok())
                .unwrap_or("")
                .to_owned();
            AGENTS.lock().unwrap().push(agent);
            "ok"
        }),
    )
}

#[kamal_healthcheck]
async fn serve_recording(listener: TcpListener) {
    axum::serve(listener, recording_routes()).await.unwrap();
}

/// The start-up question is not kamal-proxy's traffic: the app's own route
/// sees it say who sent it.
#[tokio::test]
async fn the_start_up_question_says_who_asks() {
    probed_at(serve_recording, "/up").await;
    let agents = AGENTS.lock().unwrap().clone();
    assert_eq!(
        agents,
        ["kamal-healthcheck (start-up question)"],
        "the requests the app's own route saw"
    );
}

/// A route of the app's own at `/up` that panics.
fn panicking_routes() -> Router {
    Router::new().route("/", get(|| async { "home" })).route(
        "/up",
        get(|| async {
            if std::hint::black_box(true) {
                panic!("the database pool is gone");
            }
            "ok"
        }),
    )
}

#[kamal_healthcheck]
async fn serve_panicking(listener: TcpListener) {
    axum::serve(listener, panicking_routes()).await.unwrap();
}

#[tokio::test]
async fn a_route_of_the_apps_own_that_panics_is_reported() {
    let errors = probed_at(serve_panicking, "/up").await;
    assert!(
        errors[0]
            .message
            .contains("whether the app answers /up itself (one request, User-Agent: kamal-healthcheck), its route there panicked"),
        "{}",
        errors[0].message
    );
}

/// A route of the app's own at `/up` that never answers (a dead database),
/// behind a concurrency limit of one request.
fn hanging_routes() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .route("/up", get(std::future::pending::<&str>))
        .layer(tower::limit::ConcurrencyLimitLayer::new(1))
}

#[kamal_healthcheck]
async fn serve_hanging_behind_a_limit(listener: TcpListener) {
    axum::serve(listener, hanging_routes()).await.unwrap();
}

/// The question's request to a route that hangs is dropped at its deadline,
/// with the limit's one permit: the app's own requests are served after it,
/// and the hanging route is reported.
#[tokio::test]
async fn a_route_that_hangs_holds_the_app_only_until_the_question_s_deadline() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(serve_hanging_behind_a_limit(listener));
    assert_eq!(probe(address, "GET", "/up").await.status, 200);
    let home = tokio::time::timeout(Duration::from_secs(3), probe(address, "GET", "/")).await;
    assert_eq!(home.expect("the app answers its own requests").status, 200);
    let errors = recorder.errors().await;
    assert_eq!(errors.len(), 1, "{:?}", recorder.events());
    assert!(
        errors[0]
            .message
            .contains("its route there did not answer within 1s"),
        "{}",
        errors[0].message
    );
}
