//! kamal-proxy's probe against guarded apps served over real TCP: the probe is
//! answered and never reaches a guard; everything else still meets the guards.

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};
use kamal_healthcheck_tests::*;
use tower::Layer;
use tower_http::trace::TraceLayer;
use tower_http::validate_request::ValidateRequestHeaderLayer;

/// The paths that look like the healthcheck path but are not it, byte for byte.
const NEAR_MISSES: [&str; 7] = ["/up/", "/UP", "//up", "/%75p", "/up/..", "/upload", "/u"];

fn routes() -> Router {
    Router::new()
        .route("/", get(|| async { "home" }))
        .route("/users/{id}", get(|| async { "user" }))
}

#[kamal_healthcheck]
fn host_checked(hits: Hits) -> Router {
    routes().layer(from_fn_with_state(hits, allowed_hosts_only))
}

#[kamal_healthcheck]
fn https_only(hits: Hits) -> Router {
    routes().layer(from_fn_with_state(hits, redirect_to_https))
}

#[kamal_healthcheck]
fn authenticated() -> Router {
    #[allow(deprecated)]
    let auth = ValidateRequestHeaderLayer::bearer("secret");
    routes().layer(auth)
}

#[kamal_healthcheck]
fn rate_limited(hits: Hits) -> Router {
    routes().layer(from_fn_with_state(hits, rate_limit))
}

#[kamal_healthcheck]
fn traced(hits: Hits) -> Router {
    routes().layer(TraceLayer::new_for_http().on_request(
        move |_: &http::Request<_>, _: &tracing::Span| {
            hits.hit();
        },
    ))
}

/// Every way a route can reach `/up` in axum, each behind the host allow-list.
#[kamal_healthcheck]
fn with_bypass_attempts(hits: Hits) -> Router {
    Router::new()
        .route("/{*rest}", get(|| async { "wildcard" }))
        .merge(Router::new().route("/merged", get(|| async { "merged" })))
        .nest("/api", Router::new().route("/up", get(|| async { "api" })))
        .fallback(|| async { "fallback" })
        .layer(from_fn_with_state(hits, allowed_hosts_only))
}

/// A parameter route that matches `/up`, guarded by a `route_layer`.
#[kamal_healthcheck]
fn with_route_layer(hits: Hits) -> Router {
    Router::new()
        .route("/{page}", get(|| async { "page" }))
        .route_layer(from_fn_with_state(hits, allowed_hosts_only))
}

#[kamal_healthcheck(path = "/healthz")]
fn custom_path(hits: Hits) -> Router {
    routes().layer(from_fn_with_state(hits, allowed_hosts_only))
}

async fn assert_answered(server: &Server, path: &str) {
    let response = probe(server.address, "GET", path).await;
    assert_eq!(response.status, 200, "GET {path}: {response:?}");
    assert_eq!(response.body, "OK");
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(response.header("content-length"), Some("2"));
}

#[tokio::test]
async fn host_allow_list_never_sees_the_probe() {
    let hits = Hits::default();
    let server = serve(host_checked(hits.clone())).await;
    for _ in 0..3 {
        assert_answered(&server, "/up").await;
    }
    assert_answered(&server, "/up?full=1").await;
    assert_eq!(hits.get(), 0, "the probe reached the host check");

    for path in ["/", "/users/7", "/missing"].into_iter().chain(NEAR_MISSES) {
        let response = probe(server.address, "GET", path).await;
        assert_eq!(response.status, 400, "GET {path}: {response:?}");
        assert_eq!(response.body, "unknown host");
    }
    assert_eq!(hits.get(), 3 + NEAR_MISSES.len());
    let allowed = request(server.address, "GET", "/", ALLOWED_HOST, &[]).await;
    assert_eq!((allowed.status, allowed.body.as_str()), (200, "home"));
}

#[tokio::test]
async fn https_redirect_never_sees_the_probe() {
    let hits = Hits::default();
    let server = serve(https_only(hits.clone())).await;
    assert_answered(&server, "/up").await;
    assert_eq!(hits.get(), 0);
    for path in ["/", "/up/"] {
        let response = probe(server.address, "GET", path).await;
        assert_eq!(response.status, 301, "GET {path}: {response:?}");
        let location = format!("https://{CONTAINER_HOST}{path}");
        assert_eq!(response.header("location"), Some(location.as_str()));
    }
    assert_eq!(hits.get(), 2);
}

#[tokio::test]
async fn authentication_never_sees_the_probe() {
    let server = serve(authenticated()).await;
    assert_answered(&server, "/up").await;
    for path in ["/", "/UP", "/upload"] {
        let response = probe(server.address, "GET", path).await;
        assert_eq!(response.status, 401, "GET {path}: {response:?}");
    }
    let token = [("Authorization", "Bearer secret")];
    let response = request(server.address, "GET", "/", CONTAINER_HOST, &token).await;
    assert_eq!((response.status, response.body.as_str()), (200, "home"));
}

#[tokio::test]
async fn rate_limiter_never_counts_the_probe() {
    let hits = Hits::default();
    let server = serve(rate_limited(hits.clone())).await;
    for _ in 0..10 {
        assert_answered(&server, "/up").await;
    }
    assert_eq!(hits.get(), 0);
    let statuses: Vec<u16> = statuses_one_after_another(&server, "/", 5).await;
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    assert_answered(&server, "/up").await;
}

async fn statuses_one_after_another(server: &Server, path: &str, n: usize) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..n {
        statuses.push(probe(server.address, "GET", path).await.status);
    }
    statuses
}

#[tokio::test]
async fn trace_never_sees_the_probe() {
    let hits = Hits::default();
    let server = serve(traced(hits.clone())).await;
    assert_answered(&server, "/up").await;
    assert_eq!(hits.get(), 0);
    assert_eq!(probe(server.address, "GET", "/").await.status, 200);
    assert_eq!(hits.get(), 1);
}

#[tokio::test]
async fn wildcards_merges_nests_and_fallbacks_do_not_take_the_probe() {
    let hits = Hits::default();
    let server = serve(with_bypass_attempts(hits.clone())).await;
    assert_answered(&server, "/up").await;
    assert_eq!(hits.get(), 0);
    for path in ["/anything", "/merged", "/api/up", "/up/"] {
        let response = probe(server.address, "GET", path).await;
        assert_eq!(response.status, 400, "GET {path}: {response:?}");
    }
    assert_eq!(hits.get(), 4);
    let wildcard = request(server.address, "GET", "/up/", ALLOWED_HOST, &[]).await;
    assert_eq!(wildcard.body, "wildcard");
}

#[tokio::test]
async fn route_layers_do_not_take_the_probe() {
    let hits = Hits::default();
    let server = serve(with_route_layer(hits.clone())).await;
    assert_answered(&server, "/up").await;
    assert_eq!(hits.get(), 0);
    for path in ["/anything", "/UP", "/upload"] {
        assert_eq!(
            probe(server.address, "GET", path).await.status,
            400,
            "{path}"
        );
    }
    assert_eq!(hits.get(), 3);
}

#[tokio::test]
async fn head_and_other_methods() {
    let hits = Hits::default();
    let server = serve(host_checked(hits.clone())).await;
    let head = probe(server.address, "HEAD", "/up").await;
    assert_eq!(head.status, 200);
    assert_eq!(head.body, "");
    assert_eq!(head.header("content-length"), Some("2"));
    assert_eq!(
        head.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"] {
        let response = probe(server.address, method, "/up").await;
        assert_eq!(response.status, 405, "{method} /up: {response:?}");
        assert_eq!(response.header("allow"), Some("GET, HEAD"));
    }
    assert_eq!(hits.get(), 0);
}

#[tokio::test]
async fn the_path_can_be_set() {
    let hits = Hits::default();
    let server = serve(custom_path(hits.clone())).await;
    assert_answered(&server, "/healthz").await;
    assert_eq!(hits.get(), 0);
    assert_eq!(probe(server.address, "GET", "/up").await.status, 400);
    assert_eq!(probe(server.address, "GET", "/healthz/").await.status, 400);
    assert_eq!(hits.get(), 2);
}

/// `HealthCheckLayer` around a whole guarded router, as in an app's `main`.
#[tokio::test]
async fn layer_around_the_whole_app() {
    let hits = Hits::default();
    let app = routes()
        .layer(from_fn_with_state(hits.clone(), redirect_to_https))
        .layer(from_fn_with_state(hits.clone(), allowed_hosts_only));
    let server = serve(HealthCheckLayer::new().layer(app)).await;
    assert_answered(&server, "/up").await;
    assert_eq!(probe(server.address, "HEAD", "/up").await.body, "");
    assert_eq!(probe(server.address, "POST", "/up").await.status, 405);
    assert_eq!(hits.get(), 0);
    for path in NEAR_MISSES {
        assert_eq!(
            probe(server.address, "GET", path).await.status,
            400,
            "{path}"
        );
    }
    assert_eq!(hits.get(), NEAR_MISSES.len());
}

/// Guards the body adds in ways the analysis cannot read: a helper that takes
/// the router by `&mut`, an extension trait, a layer kept in a struct, a
/// route layer over a wildcard and a nest under a parameter. The attribute
/// installs its healthcheck after all of them, so none sees the probe.
mod opaque {
    use super::*;

    /// Layers kept in a struct, as an app's configuration might hold them.
    struct Guards<L> {
        hosts: L,
    }

    fn add_auth(app: &mut Router, hits: Hits) {
        let taken = std::mem::take(app);
        *app = taken.layer(from_fn_with_state(hits, allowed_hosts_only));
    }

    trait WithSecurity {
        fn with_security(self, hits: Hits) -> Self;
    }

    impl WithSecurity for Router {
        fn with_security(self, hits: Hits) -> Self {
            self.layer(from_fn_with_state(hits, redirect_to_https))
        }
    }

    #[kamal_healthcheck]
    fn app(hits: Hits) -> Router {
        let guards = Guards {
            hosts: from_fn_with_state(hits.clone(), allowed_hosts_only),
        };
        let mut app = Router::new()
            .route("/files/{*path}", get(|| async { "file" }))
            .route_layer(from_fn_with_state(hits.clone(), allowed_hosts_only))
            .nest(
                "/{tenant}",
                Router::new().route("/", get(|| async { "tenant" })),
            );
        add_auth(&mut app, hits.clone());
        app.layer(guards.hosts).with_security(hits)
    }

    #[tokio::test]
    async fn none_of_them_sees_the_probe() {
        let hits = Hits::default();
        let server = serve(app(hits.clone())).await;
        assert_answered(&server, "/up").await;
        assert_eq!(hits.get(), 0, "a guard saw the probe");
        // They still guard everything else: the HTTPS redirect, outermost, first.
        assert_eq!(probe(server.address, "GET", "/tenant").await.status, 301);
        assert_eq!(probe(server.address, "GET", "/files/a").await.status, 301);
        assert!(hits.get() > 0);
    }
}

/// Behind backpressure: `HealthCheckLayer` around a concurrency limit of one,
/// with a slow request in flight and a normal request waiting behind it. The
/// probe is answered at once, not after the slow request (kamal-proxy would give
/// up after 5 s); the normal request waits its turn as it did, and is then
/// served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_does_not_wait_behind_a_concurrency_limit() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};
    use tokio::sync::Notify;
    use tower::ServiceBuilder;

    // Said by the slow handler once it runs, holding the limit's only permit;
    // `slow_done` is set when it returns.
    let slow_started = Arc::new(Notify::new());
    let slow_done = Arc::new(AtomicBool::new(false));
    // Said when the request for `/` reaches the healthcheck, where it waits
    // for the permit.
    let home_arrived = Arc::new(Notify::new());
    let (started, done) = (Arc::clone(&slow_started), Arc::clone(&slow_done));
    let router = Router::new()
        .route(
            "/slow",
            get(move || {
                started.notify_one();
                let done = Arc::clone(&done);
                async move {
                    tokio::time::sleep(Duration::from_millis(1500)).await;
                    done.store(true, Ordering::SeqCst);
                    "slow"
                }
            }),
        )
        .route("/", get(|| async { "home" }));
    let arrived = Arc::clone(&home_arrived);
    let app = ServiceBuilder::new()
        .map_request(move |request: axum::extract::Request| {
            if request.uri().path() == "/" {
                arrived.notify_one();
            }
            request
        })
        .layer(HealthCheckLayer::new())
        .concurrency_limit(1)
        .service(router);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            axum::ServiceExt::<axum::extract::Request>::into_make_service(app),
        )
        .await
        .unwrap();
    });

    let start = Instant::now();
    let slow =
        tokio::spawn(async move { request(address, "GET", "/slow", ALLOWED_HOST, &[]).await });
    tokio::time::timeout(Duration::from_secs(5), slow_started.notified())
        .await
        .expect("the slow request reached its handler");
    let waiting = tokio::spawn(async move {
        let response = request(address, "GET", "/", ALLOWED_HOST, &[]).await;
        (response, start.elapsed())
    });
    tokio::time::timeout(Duration::from_secs(5), home_arrived.notified())
        .await
        .expect("the request for `/` reached the healthcheck");

    let asked = Instant::now();
    let up = probe(address, "GET", "/up").await;
    let answered = asked.elapsed();
    assert_eq!((up.status, up.body.as_str()), (200, "OK"));
    assert!(
        answered < Duration::from_millis(500),
        "the probe waited {answered:?}"
    );
    // The request for `/` and the probe both came while the slow request held
    // the limit.
    assert!(
        !slow_done.load(Ordering::SeqCst),
        "the slow request finished before the probe was answered"
    );

    let slow = slow.await.unwrap();
    assert_eq!((slow.status, slow.body.as_str()), (200, "slow"));
    let (home, served_after) = waiting.await.unwrap();
    assert_eq!((home.status, home.body.as_str()), (200, "home"));
    assert!(
        served_after >= Duration::from_millis(1400),
        "the limit still holds normal requests: served after {served_after:?}"
    );
}
