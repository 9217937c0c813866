//! A healthcheck for apps deployed with [Kamal](https://kamal-deploy.org),
//! answered before any other middleware sees kamal-proxy's probe.
//!
//! ```no_run
//! use axum::http::{StatusCode, header::HOST};
//! use axum::middleware::{self, Next};
//! use axum::{Router, extract::Request, response::Response, routing::get};
//! use kamal_healthcheck::kamal_healthcheck;
//!
//! async fn allowed_hosts_only(request: Request, next: Next) -> Result<Response, StatusCode> {
//!     match request.headers().get(HOST) {
//!         Some(host) if host == "example.com" => Ok(next.run(request).await),
//!         _ => Err(StatusCode::BAD_REQUEST),
//!     }
//! }
//!
//! #[kamal_healthcheck]
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let app = Router::new()
//!         .route("/", get(|| async { "home" }))
//!         .layer(middleware::from_fn(allowed_hosts_only)); // 400 for the probe's `Host`
//!     let listener = tokio::net::TcpListener::bind("0.0.0.0:80").await?;
//!     axum::serve(listener, app).await
//! }
//! ```
//!
//! kamal-proxy decides that a new container is ready by sending it `GET /up`
//! over plain HTTP, with the container's own address (`7c7168a662c1:80`) as
//! `Host`. Host allow-lists, HTTPS redirects, authentication and rate limits
//! reject exactly that request, and the deploy fails with "target failed to
//! become healthy". Above, `GET /up` is answered `200 OK` before
//! `allowed_hosts_only`, or anything else `main` adds, sees it; every other
//! request goes to the app as before.
//!
//! - [`macro@kamal_healthcheck`] installs the healthcheck on the function that
//!   serves the app, as above, or on the one that builds its `Router`, and turns
//!   the mistakes it can see into compile errors. Its page has its arguments and
//!   its limits.
//! - [`HealthCheckLayer`] wraps any tower HTTP service (an axum `Router`, a hyper
//!   or tonic service), for an app the attribute is not on; [`stop_signal`]
//!   stops it on `docker stop`.
//! - `probe` (feature `probe`, for tests) sends the served app, in-process,
//!   the request kamal-proxy sends, and reports what answered and, when the
//!   deploy would fail, why and what to do; its page has the verdicts.
//! - Readiness checks and a [`StartupGate`] make the answer mean "ready".
//!
//! # What the healthcheck answers
//!
//! - Only the exact path ([`DEFAULT_PATH`], `/up`, unless set), byte for byte:
//!   no percent-decoding, case folding or trailing-slash folding, so `/up/`,
//!   `/UP`, `//up`, `/%75p`, `/up/..` and `/upload` go to the app as usual. The
//!   query string is ignored: `/up?x=1` is answered.
//! - `GET`: `200`, `content-type: text/plain; charset=utf-8`, `cache-control:
//!   no-store`, body `OK`. `HEAD`: the same without the body. Any other method:
//!   `405` with `allow: GET, HEAD`. With [readiness](#readiness), `503` while the
//!   app is not ready.
//! - It never looks at `Host` or any other header, never reads the request body,
//!   never echoes anything, and never calls the app.
//!
//! # Where it goes
//!
//! **The function that serves**, as above: the attribute finds the
//! `axum::serve(listener, app)` call (also `axum::serve::serve`, a `serve` the
//! function imports under any name, and `.with_graceful_shutdown(..)` after it)
//! and serves the same app with the healthcheck outermost, whatever `app` is: a
//! `Router`, `app.into_make_service()`,
//! `app.into_make_service_with_connect_info::<T>()` (`ConnectInfo` still reaches
//! the handlers), `ServiceExt::<Request>::into_make_service(app)`, a handler's
//! make-service, or any of them held in a variable. A function with several
//! `serve` calls gets it in each. It also [stops](#stopping) the app on
//! `docker stop` and writes the [log lines](#log-lines) below.
//!
//! **The function that builds the router**:
//!
//! ```
//! use axum::{Router, routing::get};
//! use kamal_healthcheck::kamal_healthcheck;
//!
//! #[kamal_healthcheck(path = "/healthz")] // deploy.yml's `proxy: healthcheck: path:`
//! fn app() -> Router {
//!     Router::new().route("/", get(|| async { "home" }))
//! }
//! # let _ = app();
//! ```
//!
//! `GET /healthz` is answered before any layer, route, fallback, merged or
//! nested router the function adds sees it: the healthcheck is a route
//! registered after the function's last `.layer(..)`, and `Router::layer` wraps
//! only the routes that exist when it is called. The function may be free or a
//! method (`&self`), sync or `async`, generic, and return `Router<S>`,
//! `Result<Router<S>, E>` or `Option<Router<S>>`; `return` and `?` keep their
//! meaning, and every return point gets the healthcheck. Middleware added around
//! the router outside the function (in `main`) runs before it: put the
//! attribute on `main` instead, or `HealthCheckLayer` around the whole app.
//!
//! **[`HealthCheckLayer`]** around the finished app, with [`stop_signal`] for
//! `docker stop`:
//!
//! ```no_run
//! use axum::{Router, ServiceExt, extract::Request, routing::get};
//! use kamal_healthcheck::HealthCheckLayer;
//! use tower::Layer;
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let app = Router::new().route("/", get(|| async { "home" }));
//!     let app = HealthCheckLayer::new().layer(app); // or HealthCheckLayer::with_path("/healthz")
//!     let listener = tokio::net::TcpListener::bind("0.0.0.0:80").await?;
//!     axum::serve(listener, ServiceExt::<Request>::into_make_service(app))
//!         .with_graceful_shutdown(kamal_healthcheck::stop_signal())
//!         .await
//! }
//! ```
//!
//! It keeps the app's response type, so `axum::serve` still takes an axum
//! `Router` wrapped in it. Around a service whose response body the answer
//! cannot be made in (tonic's server; a router inside tower-http's
//! `TraceLayer`, `CompressionLayer` or `CatchPanicLayer`; a hyper service with
//! `UnsyncBoxBody` responses), use [`HealthCheckLayer::any_body`]: without it,
//! such a service is a compile error that names `any_body()`. A tonic server,
//! which kamal-proxy reaches over HTTP/1.1 on the gRPC port:
//! `tonic::transport::Server::builder().accept_http1(true).layer(HealthCheckLayer::new().any_body())`,
//! then `.add_service(..)` and `.serve_with_shutdown(addr, kamal_healthcheck::stop_signal())`.
//! The layer's start-up line is one call once the listener is bound:
//! [`HealthCheckLayer::listening`]. Called as a method (`.oneshot(..)`) on a
//! service whose body needs `any_body()`, rustc reports its generic "method
//! exists but its trait bounds were not satisfied" instead. The healthcheck
//! answers the probe even when the service it wraps is not ready (a concurrency
//! limit with a slow request in flight): a request for the service then waits
//! for it on a clone, so the service must be `Clone`, as `axum::serve`, hyper
//! and tonic require anyway.
//!
//! # Testing what is served
//!
//! The attribute sees one function and `HealthCheckLayer` what it wraps; what
//! decides a deploy is the service `main` hands to `axum::serve`, with every
//! layer added there, the prefix it is nested under and the path deploy.yml
//! sets. `probe` sends that service kamal-proxy's request and reports what
//! answered, in one line of a test:
//! `kamal_healthcheck::probe(served()).await.assert_healthy()`. With the
//! `deploy-yml` feature too, `deploy_probe!` is the probe deploy.yml sets up
//! (its path and timeout), so the test fails when the app and the file drift
//! apart. Both are test-time facilities behind the `probe` feature, which a
//! plain `cargo build` does not compile, as tokio keeps its test helpers
//! behind `test-util`:
//!
//! ```toml
//! [dev-dependencies]
//! kamal-healthcheck = { version = "0.1", features = ["probe"] }
//! ```
//!
//! # Readiness
//!
//! kamal-proxy moves traffic to a new container on its first `2xx`, and with a
//! single target it stops probing then: a container that answers `200` while its
//! database is unreachable takes the traffic and fails it. Give the healthcheck
//! checks:
//!
//! ```
//! use axum::{Router, extract::State, routing::get};
//! use kamal_healthcheck::{StartupGate, kamal_healthcheck};
//!
//! #[derive(Clone)]
//! struct Pool;
//!
//! impl Pool {
//!     async fn ping(&self) -> Result<(), std::io::Error> {
//!         Ok(()) // `SELECT 1`, say
//!     }
//! }
//!
//! #[derive(Clone)]
//! struct AppState {
//!     db: Pool,
//!     startup: StartupGate,
//! }
//!
//! #[kamal_healthcheck(
//!     check(db = state.db.ping()),   // a future, made anew for each run of the check
//!     deadline = "2s",               // each run's checks must finish within it
//!     gate = state.startup.clone(),  // "starting" until opened
//! )]
//! fn app(state: AppState) -> Router {
//!     Router::new()
//!         .route("/", get(|State(_state): State<AppState>| async { "home" }))
//!         .with_state(state)
//! }
//!
//! let startup = StartupGate::new();
//! let router = app(AppState { db: Pool, startup: startup.clone() });
//! // ... run migrations, warm caches ...
//! startup.open();
//! ```
//!
//! - **Checks** (`check(name = future)`, any number) run concurrently on a
//!   probe, each within the deadline (2 s unless set), which must end before
//!   kamal-proxy's healthcheck timeout: Kamal's 5 s, or the `proxy: healthcheck:
//!   timeout:` that deploy.yml sets, which the attribute reads with `deploy =
//!   ".."` or takes as `timeout = "10s"`; the attribute checks it at compile
//!   time. All pass: `200 OK`. Any fails, times out or panics: `503`,
//!   `text/plain`, one line per failed check (`db: failed`, `db: timed out after
//!   2s`, `db: panicked`). The error itself shows only in the log, or in the
//!   body with `error_details = true`: the healthcheck path is public. A
//!   panicking check never takes the server down.
//! - **One run per burst.** The healthcheck path bypasses host checks,
//!   authentication and rate limits by design, so probes must not make the app
//!   hammer its database: at most one run of the checks is in flight, a probe
//!   arriving meanwhile waits for it, and its outcome answers further probes for
//!   `cache_for` (1 s unless set; `"0s"` allowed). When every waiting client has
//!   hung up, the next probe resumes the run, so clients that hang up in a loop
//!   add no runs.
//! - **The start-up gate** (`gate = ..`, a cloneable [`StartupGate`]) answers
//!   `503` with the body `starting`, without running any check, until the app
//!   calls [`open`](StartupGate::open). Normal requests never look at it.
//! - A check may use the function's by-value arguments and, on the function that
//!   serves, its local variables: each one it names is cloned into the check. It
//!   cannot use `self` or a borrowed argument (a compile error says so): it runs
//!   on later probes, after the call has returned.
//!
//! Without the attribute, [`HealthCheckLayer`] takes the same settings:
//!
//! ```
//! use std::time::Duration;
//! use kamal_healthcheck::{HealthCheckLayer, StartupGate};
//!
//! #[derive(Clone)]
//! struct Pool;
//!
//! impl Pool {
//!     async fn ping(&self) -> Result<(), std::io::Error> {
//!         Ok(())
//!     }
//! }
//!
//! let pool = Pool;
//! let startup = StartupGate::new();
//! let layer = HealthCheckLayer::new()
//!     .check("db", move || {
//!         let pool = pool.clone();
//!         async move { pool.ping().await }
//!     })
//!     .deadline(Duration::from_secs(2))
//!     .cache_for(Duration::from_secs(1))
//!     .gate(startup.clone());
//! ```
//!
//! Deadlines are kept on tokio's clock: the crate runs on tokio, as axum does.
//! Checks cost other requests nothing: they are looked at only on the
//! healthcheck path.
//!
//! # Stopping
//!
//! `docker stop` sends SIGTERM, then SIGKILL after `stop_timeout` (10 s unless
//! deploy.yml sets it). The app is PID 1 of its container, and the kernel
//! delivers to PID 1 only the signals it handles: an app that handles none, or
//! only Ctrl-C (SIGINT), ignores SIGTERM, and every deploy waits out the whole
//! timeout for each old container.
//!
//! With the attribute on the function that serves, the stop listens for
//! SIGTERM and SIGINT from the function's first statement, on a thread of its
//! own, so a signal is neither lost nor left waiting, whatever the app's
//! runtime is doing (a migration before it binds, blocking work):
//! - **At the first signal**, one `INFO` line says so, and every server the
//!   function serves begins axum's graceful shutdown: the listener closes,
//!   idle connections close, the requests in flight finish. A server that
//!   starts later stops as it starts.
//! - **The app's own `.with_graceful_shutdown(..)` future** still stops its
//!   server when it completes first, and it is driven to its end after the
//!   signal: a future that waits for the same signal (axum's documented
//!   `shutdown_signal()`) completes, and whatever it does after it (telling a
//!   worker to stop) runs. A panic in it stops the server, as in axum.
//! - **When the function and its servers have all returned**, one `INFO` line
//!   says that the app has stopped.
//! - **At the deadline**, 1 s before `stop_timeout`, or at a second signal,
//!   the process ends (`std::process::exit`, status 0, destructors do not run,
//!   as with the SIGKILL it comes before), with one `INFO` line that says
//!   what was still running: connections with a request in flight, the
//!   function not yet serving, the function awaiting something other than its
//!   servers, or work on tokio's blocking pool after it returned.
//! - A signal that comes once the function has returned ends the process at
//!   the deadline (at once at a second signal) with the status it would have
//!   had without a handler (130 for SIGINT, 143 for SIGTERM), so Ctrl-C still
//!   ends a test binary.
//!
//! `stop_timeout` is deploy.yml's when the attribute reads it (`deploy = ".."`),
//! else 10 s, or the argument `stop_timeout = "20s"`. `signals = false` turns
//! all this off, for an app that handles the signals itself. The attribute on
//! a function that returns the router handles no signal: it does not see the
//! server.
//!
//! With [`HealthCheckLayer`], give axum [`stop_signal`] (as above), and
//! `stop_signal().stop_timeout(Duration::from_secs(30))` for a deploy.yml with
//! `stop_timeout: 30`: the same stop, listening from when axum first polls it,
//! except that the crate cannot see the server return, so it writes no "has
//! stopped" line unless it cuts.
//!
//! # The container's own health
//!
//! kamal-proxy probes only the roles it serves. For a role without a proxy
//! (a `jobs` role, say), Kamal waits for Docker's own health status instead:
//! `healthy` when the image has a `HEALTHCHECK`, else only "running" and 7 s,
//! up to `deploy_timeout`; when the first container fails, Kamal prints its
//! log and its Docker health log. A Rust image often has no curl to write that
//! `HEALTHCHECK` with: the app's own binary does it, with
//! `#[kamal_healthcheck(self_probe = "healthcheck")]` on `main` (below
//! `#[tokio::main]`) or [`self_probe`] first thing in `main`:
//!
//! ```dockerfile
//! HEALTHCHECK CMD ["app", "healthcheck"]
//! ```
//!
//! The exec form needs no shell. `app healthcheck` finds the app's listener
//! by itself, sends it `GET /up`, prints one line (`200 OK (GET /up at
//! 127.0.0.1:80)`, `503 db: failed (..)`) which Docker keeps in its health
//! log, and exits 0 on a `2xx`, 1 otherwise; the same image then works with
//! `docker compose`'s `condition: service_healthy`. For such a role, the stop
//! follows Kamal's stop timeout for it: `stop_timeout` when set, else
//! `drain_timeout` (30 s unless set), where a proxied role gets Docker's 10 s
//! ([Reading deploy.yml](#reading-deployyml)).
//!
//! # Log lines
//!
//! When the first container of a deploy never becomes healthy, Kamal prints its
//! log (`docker logs --timestamps`) in the deploy's output. The healthcheck
//! writes there, through the app's own subscriber (`tracing_subscriber::fmt::init()`,
//! say) and under the target `kamal_healthcheck`. Nothing is written for a
//! healthy probe or a normal request.
//!
//! **At start-up**, with the attribute on the function that serves (or
//! [`HealthCheckLayer::listening`]), one `INFO` line says what kamal-proxy will
//! probe, once the listener is bound:
//!
//! ```text
//! 2026-11-29T09:41:05.101234Z  INFO kamal_healthcheck: kamal-proxy probes GET /up here; the healthcheck answers it ahead of the app path="/up" address="0.0.0.0:80" port=80 checks="db" deadline_ms=2000 timeout_ms=5000 deploy_timeout_ms=30000 destination="staging"
//! ```
//!
//! In a container Kamal started (`KAMAL_CONTAINER_NAME` or `KAMAL_VERSION` is
//! set; `KAMAL_DESTINATION` for `kamal deploy -d staging`), each of these is an
//! `ERROR` line, and the app serves anyway:
//!
//! - a listener on a loopback address (`127.0.0.1:3000`, `[::1]:3000`), which
//!   kamal-proxy, in its own container, can never reach, when it is the one
//!   kamal-proxy probes (on deploy.yml's `proxy.app_port`, or any listener
//!   when deploy.yml is not read); a listener on another port (a metrics
//!   router beside the app) is not, and nothing is said of it;
//! - a health route of the app's own at the healthcheck path, built in another
//!   function where the attribute cannot see it (`api_routes()` with
//!   `.route("/up", get(health))`): the healthcheck answers first, so the route
//!   never runs for kamal-proxy, and what it checks is lost. The app is asked
//!   once, at its first connection, however it is served; the line says to move
//!   the check into `check(..)` and remove the route.
//!
//! **While the deploy waits for the probe**, under Kamal, for a role
//! kamal-proxy serves, counted from the start of the process (the first
//! statement of the function with the attribute) as kamal-proxy counts from the
//! container's, and hearing only kamal-proxy (`User-Agent: kamal-proxy`; a
//! Docker `HEALTHCHECK`, a local curl or the start-up question do not count),
//! one `ERROR` line each, which says what to check:
//!
//! - no probe a third of the way into `deploy_timeout` (30 s unless deploy.yml
//!   sets it, or the argument `deploy_timeout = "30s"`): where kamal-proxy
//!   should be probing, and the listener on `proxy.app_port`, or every
//!   listener and that none is on that port;
//! - a probe for another path: both paths, and how to make them the same
//!   (instead of the line above);
//! - no `2xx` answered two thirds of the way: the deploy is about to fail, with
//!   the reason: the start-up gate still closed, or the failing checks with their
//!   errors.
//!
//! **On a probe that gets `503`**, one `WARN` line per check that did not pass:
//!
//! ```text
//! 2026-11-26T09:41:07.512345Z  WARN kamal_healthcheck: readiness check did not pass; the healthcheck answers 503 check="db" outcome="failed" error="connection refused" elapsed_ms=0 path="/up" repeats=0
//! ```
//!
//! `outcome` is `failed`, `timed out` or `panicked`; `error` is the error's full
//! text (or the panic's message), which the public body leaves out. At most one
//! line a second per check, whatever the probe rate, and one at once when a
//! check's outcome changes; `repeats` counts the runs with the same failure left
//! unwritten since the previous line. `INFO` when the checks pass (the first
//! time, and again after a failure), when a check passes again while another
//! still fails, when the start-up gate first answers `starting`, and when it
//! opens after that (`elapsed_ms`: how long probes waited).
//!
//! **On `docker stop`**, one `INFO` line when the signal arrives (the deadline,
//! and, under Kamal, `docker stop`'s SIGKILL) and one when the app has
//! stopped: how long it took, or, at the deadline, what was still running
//! (the connections with a request still running, cut).
//!
//! # Reading deploy.yml
//!
//! With the `deploy-yml` feature, `#[kamal_healthcheck(deploy =
//! "config/deploy.yml")]` reads Kamal's config at compile time, from the file
//! named relative to the crate's `Cargo.toml`; the build reruns when it changes.
//! The YAML is read with [yaml-rust2](https://crates.io/crates/yaml-rust2), only
//! with this feature. From it the attribute takes:
//!
//! - `proxy.healthcheck.path` (Kamal's `/up` when unset), also from role-level
//!   `proxy:` sections under `servers:`, which must agree: the path it answers.
//!   A `path` given beside `deploy` that differs is a compile error naming the
//!   file and the value found.
//! - `proxy.healthcheck.timeout`: a check `deadline` that does not end before it
//!   is a compile error.
//! - `deploy_timeout`, `stop_timeout` (at the top and for each role) and
//!   `drain_timeout`: how long the deploy waits for the probe ([log
//!   lines](#log-lines)) and when a stop cuts what still runs
//!   ([stopping](#stopping)). Given beside `deploy`, `deploy_timeout = ".."` or
//!   `stop_timeout = ".."` must be the file's top-level value.
//! - `proxy.app_port` (80 unless set): the listener kamal-proxy probes.
//! - `service` and the roles under `servers`, each proxied or not (only the
//!   primary role, `web` unless `primary_role` says otherwise, unless a role
//!   sets `proxy:`).
//!
//! The app picks, when it starts, the settings of the container it runs in:
//! its destination from `KAMAL_DESTINATION` and its role from
//! `KAMAL_CONTAINER_NAME`, which Kamal sets. Its stop's timeout is Kamal's for
//! that role: the role's `stop_timeout`, else the top-level one, else Docker's
//! 10 s for a role kamal-proxy serves and `drain_timeout` (30 s unless set)
//! for one it does not. A role kamal-proxy does not serve is not watched for
//! its probe, and nothing is said of where it listens.
//!
//! Settings brought in with a YAML merge key (`<<: *defaults`) count, as they do
//! for Kamal. ERB (`<%= .. %>`) in a value read, a path no request can match, a
//! missing file and unreadable YAML are compile errors; ERB elsewhere in the file
//! is fine, loops and conditions included, unless a condition chooses between two
//! versions of what is read, which only Kamal can resolve.
//!
//! **Destinations.** `kamal deploy -d staging` reads `config/deploy.staging.yml`
//! merged over `config/deploy.yml`. One build is deployed to every destination,
//! so the attribute reads every `deploy.<destination>.yml` beside the file,
//! merged the same way: a destination that sets another healthcheck path is a
//! compile error that names each file and its path; the strictest timeout is the
//! one the deadline must end before; each destination's roles, timeouts and
//! `proxy.app_port` are kept, for the destination the container runs under
//! (`KAMAL_DESTINATION`), roles only a destination declares included.
//! `deploy_probe!("config/deploy.yml", destination = "staging")` probes one
//! destination as Kamal will.
//!
//! **deploy.yml outside the crate.** With the crate in a subfolder (`backend/`)
//! and `config/deploy.yml` at the repository root, write `deploy =
//! "../config/deploy.yml"`. The file must then be in the Docker build's context
//! too: build from the repository root (`builder: context: .` in deploy.yml), or
//! copy the file into the crate's folder before the build. Where it is missing,
//! the error gives the absolute path that was tried. An app whose deploy.yml
//! lives elsewhere leaves `deploy` out and gives the attribute its path and
//! timeouts: `#[kamal_healthcheck(path = "/healthz", timeout = "10s")]`.
//!
//! # Feature flags
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `probe` | off | [`probe()`](probe()), [`Probe`], [`ProbeReport`], [`Verdict`], [`KAMAL_PEER`] and `deploy_probe!`: the served app probed in-process as kamal-proxy probes it, for tests (`[dev-dependencies]`) |
//! | `deploy-yml` | off | the attribute's `deploy = ".."` and, with `probe`, `deploy_probe!`: Kamal's config/deploy.yml read at compile time (adds yaml-rust2 to the macro's build) |
//!
//! The crate runs on tokio and writes its [log lines](#log-lines) through
//! `tracing`, both already in every axum app's dependency tree.
//!
//! # Performance
//!
//! A normal request through `HealthCheckLayer`, or the attribute on `main`,
//! takes 1.003x the bare app's instructions, 1.004x through the attribute on the
//! router function, with as many allocations; the probe's answer takes 0.46x
//! (the layer) and 0.79x (the attribute's route) of a ten-line hand-written
//! middleware's. The tables and the commands that reproduce them are in the
//! repository's perf/README.md.
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
#[cfg(feature = "probe")]
mod probe;
mod readiness;
mod registry;
mod rules;
mod self_probe;
mod stop;
mod task;
mod waiting;

pub use gate::StartupGate;
pub use layer::{HealthCheck, HealthCheckLayer};
pub use path::{DEFAULT_PATH, InvalidPath};
#[cfg(feature = "probe")]
pub use probe::{KAMAL_PEER, Probe, ProbeReport, Verdict, probe};
pub use self_probe::self_probe;
pub use stop::{StopSignal, stop_signal};

/// Installs the healthcheck ahead of everything the annotated function adds:
/// on the function that serves the app (`axum::serve(listener, app)` in its
/// body, such as `main`) around what it serves, or in the axum `Router` the
/// annotated function returns.
///
/// On `main`, above or below `#[tokio::main]`; the app may be handed to
/// `axum::serve` as it is, with `.into_make_service()`,
/// `.into_make_service_with_connect_info::<T>()` (`ConnectInfo` still reaches
/// the handlers) or `ServiceExt::<Request>::into_make_service(app)`, and
/// `.with_graceful_shutdown(..)` may follow. There it also stops the app on
/// `docker stop` (see [Stopping](crate#stopping)):
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
/// | `deploy = "config/deploy.yml"` | none | reads the path, the timeouts and `proxy.app_port` from Kamal's config at compile time (feature `deploy-yml`; see [Reading deploy.yml](crate#reading-deployyml)) |
/// | `check(name = future)` | none | a readiness check, any number: the future is made anew for each run and gives `Result<(), E>`; it may use the function's arguments, and on the function that serves, its local variables (each is cloned into the check) |
/// | `deadline = "2s"` | `"2s"` | how long the checks may take; must end before the timeout |
/// | `timeout = "10s"` | `"5s"` | kamal-proxy's healthcheck timeout, when deploy.yml sets one and `deploy` is not given |
/// | `cache_for = "1s"` | `"1s"` | how long a run's outcome answers later probes |
/// | `error_details = true` | `false` | the 503 answer carries each failed check's error |
/// | `gate = expr` | none | a [`StartupGate`]: `503 starting` until it is opened |
/// | `deploy_timeout = "30s"` | deploy.yml's `deploy_timeout`, else `"30s"` | how long kamal-proxy waits for a healthy answer: the `ERROR` lines while the deploy waits come a third and two thirds into it (the function that serves) |
/// | `stop_timeout = "10s"` | deploy.yml's `stop_timeout`, else `"10s"` | `docker stop`'s timeout: what still runs 1 s before it is cut (the function that serves) |
/// | `signals = false` | `true` | SIGTERM and SIGINT no longer stop the server, for an app that handles them itself (the function that serves) |
/// | `self_probe = "healthcheck"` | none | `APP healthcheck` probes the app running beside it and exits, for Docker's `HEALTHCHECK` (see [`self_probe`]; on `main`, below `#[tokio::main]`) |
/// | `crate = "path"` | `"::kamal_healthcheck"` | where this crate is, when renamed or re-exported |
///
/// Each argument is given at most once (`check` aside); durations are whole
/// numbers of `ms` or `s`. Beside `deploy`, a `path`, `deploy_timeout` or
/// `stop_timeout` must be the file's. `signals` and `stop_timeout` are for the
/// function that serves (on a router function they are an error), and
/// `stop_timeout` cannot go with `signals = false`.
///
/// Every mistake the attribute can see is a compile error on the tokens at
/// fault, in rustc's shape (the fault, then `= note:` and `= help:`): an
/// unknown or repeated argument, a path no probe can match, a deadline that
/// does not end before the timeout, a route of the app's own at the healthcheck
/// path (also under a `nest` prefix or in a merged router, where the body shows
/// it), a `HealthCheckLayer` placed by hand beside it (decided by its type,
/// under any name), a `?` in
/// a function that returns `Router` (which has no error to return), the
/// attribute written twice, and a function that neither returns a router nor
/// calls `axum::serve`. The repository's `tests/tests/ui/fail/` holds each one,
/// with the message rustc prints.
///
/// # Limits
///
/// - The attribute reads the function's body, not what it calls: on the
///   function that builds the router, middleware added around the router
///   outside it (in `main`, or by a framework), a prefix it is nested under and
///   deploy.yml's path are invisible to it (on `main`, nothing is outside it). A
///   test that probes the served app (`probe`, feature `probe`) catches each of these;
///   `HealthCheckLayer` around the whole app fixes them.
/// - To find routes at the healthcheck path it reads a router's construction as
///   written: `let` bindings, reassignments, `if`/`match` branches, merges and
///   nests, in time linear in the body. Routers made by other functions are
///   opaque to it: a route at the healthcheck path inside a router merged from
///   another function is not seen at compile time (the router then panics when
///   it is built, with a message that says which route and what to do; on the
///   function that serves, the start-up check finds such a route); so is a
///   `HealthCheckLayer` made by another function, which the attribute's own
///   healthcheck then answers ahead of.
/// - Two routers that each carry the attribute cannot be merged: axum panics on
///   the second healthcheck route when they are. Put the attribute on the outer
///   function only, or on `main`.
/// - When the router panics at start-up on a route already at the path, axum's
///   own panic text is printed before the healthcheck's message (the process's
///   panic hook prints it when axum panics, before the attribute gets control;
///   the attribute does not swap the panic hook).
/// - The attribute on the router function with readiness checks and on the
///   function that serves it: the serving form answers with the router
///   function's checks, wherever the router is served on the same tokio
///   runtime (in `main`, in a task on another thread). With two `serve`
///   calls there (an admin or metrics router beside the app, in a `join!` or
///   a task, or one router on two listeners), which checks are whose cannot
///   be told: the probe gets `503` and an `ERROR` says to give the checks to
///   the attribute on the function that serves.
/// - Reassignments in branches and loops (`if https { app = app.route(..) }`)
///   are followed as alternatives, up to 64 per router; past that, the rest are
///   not checked.
/// - `Result` and `Option` return types are recognised by name (any path:
///   `io::Result`, `anyhow::Result`); an alias with another name for a
///   `Result<Router, E>` is taken for a router, and the compiler then reports
///   that it has no `route_service` method, on the return type.
/// - On the function that serves the app, the attribute recognises
///   `axum::serve(..)`, `axum::serve::serve(..)` and a name the function imports
///   for it (`use axum::serve;`, `use axum::serve as run;`), inside blocks,
///   `async` blocks and macros alike (the ordering checks read what is outside
///   macros). A bare `serve(..)` imported outside the function cannot be told
///   from a function of the app's own called `serve`, so it is not taken for
///   axum's: the attribute then says, on that call, to write `axum::serve(..)`
///   or to put the attribute on the function that does. A `HealthCheckLayer`
///   placed by hand beside the attribute is an error decided by its type,
///   under any name (`use .. as ..`, a crate alias, a re-export, a type
///   alias): rustc reports it, on its tokens, where it is given to
///   `.layer(..)` or `.route_layer(..)`, or where it is served. A type of the
///   app's own that is also called `HealthCheckLayer` is not refused.
/// - axum's graceful shutdown waits for the requests in flight, not for
///   upgraded (WebSocket) connections, which it no longer tracks: they end when
///   the app does.
/// - The answer says that the process serves HTTP, nothing more, unless
///   readiness checks say more.
#[doc(inline)]
pub use kamal_healthcheck_macros::kamal_healthcheck;

/// kamal-proxy's probe as Kamal's config/deploy.yml sets it (features
/// `probe` and `deploy-yml`): a [`Probe`] of `proxy.healthcheck.path` (Kamal's `/up` when
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
#[cfg(feature = "probe")]
#[doc(inline)]
pub use kamal_healthcheck_macros::deploy_probe;

#[doc(hidden)]
pub mod __private {
    //! Used by the expansion of `#[kamal_healthcheck]`; not public API.
    pub use crate::expansion::deployment::{Deployment, Role, Serving};
    pub use crate::expansion::inspect::{AllowedBesideTheAttribute, Inspect, NotHandPlaced};
    pub use crate::expansion::route::{AnswerBody, CheckedRoute, Route, RouteFuture, install};
    pub use crate::expansion::serving::{
        Connection, ListenerAddress, NotASocket, Served, ServedFuture,
    };
    pub use crate::expansion::stopping::{Shutdown, Stopping};
    pub use crate::stop::Running;
    pub use tower_layer::Layer;
}
