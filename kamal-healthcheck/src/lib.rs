//! A healthcheck for apps deployed with [Kamal](https://kamal-deploy.org), answered
//! before any other middleware sees the request.
//!
//! kamal-proxy decides that a new container is ready by sending it `GET /up` over
//! plain HTTP with the container's own address as `Host`. Host allow-lists, HTTPS
//! redirects, authentication and rate limits reject exactly that request, and the
//! deploy fails with "target failed to become healthy". This crate answers the probe
//! first:
//!
//! - [`macro@kamal_healthcheck`] on the function that builds an axum `Router`
//!   installs the healthcheck so that nothing the function added sees the probe,
//!   and turns the ordering mistakes it can see into compile errors;
//! - [`HealthCheckLayer`] wraps any tower HTTP service (an axum `Router`, a hyper
//!   or tonic service), for middleware added outside that function;
//! - [`probe`](fn@probe) sends the whole served app, in-process, the request kamal-proxy
//!   sends, and its [`ProbeReport`](probe::ProbeReport) says whether the healthcheck answered and, if
//!   the deploy would fail, why and what to do: one line in a test
//!   (`probe(app).await.assert_healthy()`), or a check in `main` before serving.
//!
//! Only the exact path is answered (`/up` by default, [`DEFAULT_PATH`]): `GET` gets
//! `200 OK`, `HEAD` the same without a body, other methods `405`. Every other request
//! passes through untouched.
//!
//! The answer can also mean "ready": readiness checks
//! ([`HealthCheckLayer::check`], or `check(name = future)` in the attribute) run
//! concurrently within a deadline, at most one run at a time with its outcome
//! reused for a moment, and a [`StartupGate`] holds the answer at `503 starting`
//! until the app has finished starting.
//!
//! With the `tracing` feature (on by default), a probe that does not get `200`
//! says why in the app's log, which Kamal prints when a deploy fails: a `WARN`
//! under the target `kamal_healthcheck` for each readiness check that did not
//! pass, with its error, at most once a second per check; `INFO` when the
//! checks pass again and for the start-up gate; nothing for healthy probes or
//! normal requests.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod answer;
pub mod body;
mod config;
mod expansion;
pub mod future;
mod gate;
mod layer;
mod log;
mod message;
mod outcome;
mod path;
pub mod probe;
mod readiness;
mod registry;
mod rules;
mod stop;
mod timer;
mod waiting;

pub use gate::StartupGate;
pub use layer::{HealthCheck, HealthCheckLayer};
pub use path::{DEFAULT_PATH, InvalidPath};
pub use probe::probe;
#[cfg(feature = "tokio")]
pub use stop::{StopSignal, stop_signal};
pub use timer::Timer;
#[cfg(feature = "tokio")]
pub use timer::TokioTimer;

/// Installs the healthcheck ahead of everything the annotated function adds:
/// on the function that serves the app (`axum::serve(listener, app)` in its
/// body, such as `main`) around what it serves, or in the axum `Router` the
/// annotated function returns.
///
/// On `main`, above or below `#[tokio::main]`; the app may be handed to
/// `axum::serve` as it is, with `.into_make_service()`,
/// `.into_make_service_with_connect_info::<T>()` (`ConnectInfo` still reaches
/// the handlers) or `ServiceExt::<Request>::into_make_service(app)`, and
/// `.with_graceful_shutdown(..)` may follow:
///
/// ```no_run
/// use axum::{Router, middleware, routing::get};
/// use kamal_healthcheck::kamal_healthcheck;
/// # async fn allowed_hosts_only(
/// #     request: axum::extract::Request,
/// #     next: middleware::Next,
/// # ) -> axum::response::Response {
/// #     next.run(request).await
/// # }
///
/// #[kamal_healthcheck]
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     let app = Router::new()
///         .route("/", get(|| async { "home" }))
///         .layer(middleware::from_fn(allowed_hosts_only));
///     let listener = tokio::net::TcpListener::bind("0.0.0.0:80").await?;
///     axum::serve(listener, app).await
/// }
/// ```
///
/// On the function that builds the router:
///
/// ```
/// use axum::{Router, middleware, routing::get};
/// use kamal_healthcheck::kamal_healthcheck;
/// # async fn allowed_hosts_only(
/// #     request: axum::extract::Request,
/// #     next: middleware::Next,
/// # ) -> axum::response::Response {
/// #     next.run(request).await
/// # }
///
/// #[kamal_healthcheck]
/// fn app() -> Router {
///     Router::new()
///         .route("/", get(|| async { "home" }))
///         .layer(middleware::from_fn(allowed_hosts_only))
/// }
/// # let _ = app();
/// ```
///
/// # Arguments
///
/// | argument | default | what it does |
/// |---|---|---|
/// | `path = "/healthz"` | `"/up"` | the path kamal-proxy probes (`proxy: healthcheck: path:` in deploy.yml) |
/// | `deploy = "config/deploy.yml"` | none | reads the path and timeout from Kamal's config at compile time (feature `deploy-yml`) |
/// | `check(name = future)` | none | a readiness check, any number: the future is made anew for each run and gives `Result<(), E>`; it may use the function's arguments, and on the function that serves, its local variables (each is copied where it is bound) |
/// | `deadline = "2s"` | `"2s"` | how long the checks may take; must end before the timeout |
/// | `timeout = "10s"` | `"5s"` | kamal-proxy's healthcheck timeout, when deploy.yml sets one and `deploy` is not given |
/// | `cache_for = "1s"` | `"1s"` | how long a run's outcome answers later probes |
/// | `error_details = true` | `false` | the 503 answer carries each failed check's error |
/// | `gate = expr` | none | a [`StartupGate`]: `503 starting` until it is opened |
/// | `crate = "path"` | `"::kamal_healthcheck"` | where this crate is, when renamed or re-exported |
///
/// Each argument is given at most once (`check` aside); durations are whole
/// numbers of `ms` or `s`. Every mistake the attribute can see is a compile
/// error on the tokens at fault, in rustc's shape (the fault, then `= note:`
/// and `= help:`): an unknown or repeated argument, a path no probe can
/// match, a deadline that does not end before the timeout, a route of the
/// app's own at the healthcheck path, a `HealthCheckLayer` placed by hand
/// beside it (under any name), the attribute written twice, and a function
/// that neither returns a router nor calls `axum::serve`.
#[doc(inline)]
pub use kamal_healthcheck_macros::kamal_healthcheck;

/// kamal-proxy's probe as Kamal's config/deploy.yml sets it (feature
/// `deploy-yml`): a [`Probe`](probe::Probe) of `proxy.healthcheck.path` (Kamal's `/up` when
/// unset; role-level sections must agree) with `proxy.healthcheck.timeout` (5 s
/// when unset), read at compile time from the file named relative to the crate's
/// `Cargo.toml`. A test with it fails when the app and deploy.yml drift apart, and
/// the build reruns when the file changes.
///
/// ```
/// # #[cfg(feature = "deploy-yml")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use kamal_healthcheck::{HealthCheckLayer, deploy_probe};
/// use tower::Layer;
///
/// // tests/config/deploy.yml: proxy: { healthcheck: { path: /up, timeout: 5 } }
/// let app = HealthCheckLayer::new().layer(axum::Router::new());
/// deploy_probe!("../tests/config/deploy.yml").send(app).await.assert_healthy();
/// # }
/// # #[cfg(not(feature = "deploy-yml"))]
/// # fn main() {}
/// ```
#[doc(inline)]
pub use kamal_healthcheck_macros::deploy_probe;

#[doc(hidden)]
pub mod __private {
    //! Used by the expansion of `#[kamal_healthcheck]`; not public API.
    pub use crate::expansion::inspect::{HandPlaced, Inspect, NotHandPlaced};
    pub use crate::expansion::route::{AnswerBody, CheckedRoute, Route, RouteFuture, install};
    pub use crate::expansion::serving::{
        Connection, ListenerAddress, NotASocket, Served, ServedFuture, app_port, proxied,
    };
    pub use crate::expansion::stopping::{Shutdown, Stopping};
    pub use crate::registry::serves;
    pub use crate::stop::Open;
    pub use tower_layer::Layer;
}
