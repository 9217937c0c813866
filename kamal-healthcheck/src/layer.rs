//! [`HealthCheckLayer`] and its service [`HealthCheck`]: the healthcheck around a whole app.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::answer::{By, begin};
use crate::body::{AnyBody, BodyMode, SameBody};
use crate::config::Config;
use crate::future::{Kind, Other, ResponseFuture, defer};
use crate::gate::StartupGate;
use crate::path::{DEFAULT_PATH, HealthCheckPath, InvalidPath};
use crate::readiness::Readiness;

/// Wraps a service in a [`HealthCheck`], which answers kamal-proxy's probe
/// itself and passes every other request to the service untouched.
///
/// Put it around the whole app, outside every other middleware, so that host
/// allow-lists, HTTPS redirects, authentication and rate limits never see the
/// probe:
///
/// ```
/// use axum::{Router, routing::get};
/// use kamal_healthcheck::HealthCheckLayer;
/// use tower::{Layer, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let app = Router::new().route("/", get(|| async { "home" }));
/// let app = HealthCheckLayer::new().layer(app);
///
/// let request = http::Request::get("/up").body(axum::body::Body::empty()).unwrap();
/// let response = app.oneshot(request).await.unwrap();
/// assert_eq!(response.status(), 200);
/// // `app` can be handed to `axum::serve` as it is.
/// # }
/// ```
///
/// Its services keep the wrapped service's response type ([`SameBody`](crate::body::SameBody)), which
/// needs a body the answer can be made from (axum's `Body`, `Full<Bytes>`);
/// [`any_body`](Self::any_body) answers around any other body.
pub struct HealthCheckLayer<M = SameBody> {
    path: HealthCheckPath,
    /// Checks, gate and their shared state; `None` answers `200` at once.
    readiness: Option<Arc<Readiness>>,
    mode: PhantomData<fn() -> M>,
}

impl<M> Clone for HealthCheckLayer<M> {
    fn clone(&self) -> Self {
        Self {
            path: self.path.clone(),
            readiness: self.readiness.clone(),
            mode: PhantomData,
        }
    }
}

impl HealthCheckLayer {
    /// A healthcheck at [`DEFAULT_PATH`] (`/up`), kamal-proxy's default.
    ///
    /// ```
    /// let layer = kamal_healthcheck::HealthCheckLayer::new();
    /// assert_eq!(layer.path(), "/up");
    /// ```
    pub const fn new() -> Self {
        Self {
            path: HealthCheckPath::Static(DEFAULT_PATH),
            readiness: None,
            mode: PhantomData,
        }
    }

    /// A healthcheck at `path`, which must match `proxy: healthcheck: path:` in
    /// Kamal's `config/deploy.yml`.
    ///
    /// ```
    /// let layer = kamal_healthcheck::HealthCheckLayer::with_path("/healthz");
    /// assert_eq!(layer.path(), "/healthz");
    /// ```
    ///
    /// # Panics
    ///
    /// If no request could ever match `path` (see [`try_with_path`](Self::try_with_path)).
    #[track_caller]
    pub fn with_path(path: impl Into<Cow<'static, str>>) -> Self {
        match Self::try_with_path(path) {
            Ok(layer) => layer,
            Err(error) => panic!("{error}"),
        }
    }

    /// A healthcheck at `path`, or an error if no request could ever match it:
    /// it is empty, does not start with `/`, contains `?`, `#`, `{`, `}`,
    /// whitespace, a control or non-ASCII character, or a `.` or `..` segment.
    ///
    /// Use it for a path read at run time:
    ///
    /// ```
    /// use kamal_healthcheck::HealthCheckLayer;
    ///
    /// let from_env = String::from("/ready");
    /// let layer = HealthCheckLayer::try_with_path(from_env)?;
    /// assert_eq!(layer.path(), "/ready");
    /// assert!(HealthCheckLayer::try_with_path("/up?full=1").is_err());
    /// # Ok::<(), kamal_healthcheck::InvalidPath>(())
    /// ```
    pub fn try_with_path(path: impl Into<Cow<'static, str>>) -> Result<Self, InvalidPath> {
        HealthCheckPath::new(path.into()).map(|path| {
            #[cfg(feature = "probe")]
            crate::probe::noted::answered_here(path.as_str());
            Self {
                path,
                readiness: None,
                mode: PhantomData,
            }
        })
    }

    /// Answers around a service of any response body type with `Data = Bytes`
    /// (tonic's, tower-http's `TraceLayer`, `CompressionLayer` or
    /// `CatchPanicLayer` body, `UnsyncBoxBody`): the responses' body becomes
    /// [`HealthCheckBody`](crate::body::HealthCheckBody), the wrapped service's body (polled in place, never
    /// boxed) or the healthcheck's answer.
    ///
    /// Without it the responses keep the wrapped service's body type, as
    /// `axum::serve` requires of an axum `Router`; a body the answer cannot be
    /// made from is then a compile error that points here.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use http_body_util::{BodyExt, Full, combinators::UnsyncBoxBody};
    /// use kamal_healthcheck::HealthCheckLayer;
    /// use tower::{Layer, ServiceExt, service_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// type Boxed = UnsyncBoxBody<Bytes, std::convert::Infallible>;
    /// let app = service_fn(|_: http::Request<String>| async {
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(Boxed::new(Full::from("app"))))
    /// });
    /// let app = HealthCheckLayer::new().any_body().layer(app);
    ///
    /// let probe = http::Request::get("/up").body(String::new()).unwrap();
    /// let response = app.oneshot(probe).await.unwrap();
    /// let body = response.into_body().collect().await.unwrap().to_bytes();
    /// assert_eq!(body, "OK");
    /// # }
    /// ```
    pub fn any_body(self) -> HealthCheckLayer<AnyBody> {
        HealthCheckLayer {
            path: self.path,
            readiness: self.readiness,
            mode: PhantomData,
        }
    }
}

impl<M> HealthCheckLayer<M> {
    /// The path this healthcheck answers.
    ///
    /// ```
    /// assert_eq!(kamal_healthcheck::HealthCheckLayer::default().path(), "/up");
    /// ```
    pub fn path(&self) -> &str {
        self.path.as_str()
    }

    /// Adds a readiness check: the healthcheck answers `200` only when every
    /// check passes, and `503` otherwise, one line per failed check
    /// (`db: failed`, `db: timed out after 2s`, `db: panicked`).
    ///
    /// `check` starts one run of the check; it is called once per run, and runs
    /// are shared: probes arriving while the checks run wait for that run, and its
    /// outcome is reused for [`cache_for`](Self::cache_for). All checks of a run
    /// run concurrently, within [`deadline`](Self::deadline). A check that panics
    /// fails; the server keeps serving.
    ///
    /// ```
    /// use kamal_healthcheck::HealthCheckLayer;
    ///
    /// #[derive(Clone)]
    /// struct Pool;
    /// impl Pool {
    ///     async fn ping(&self) -> Result<(), std::io::Error> { Ok(()) }
    /// }
    ///
    /// let pool = Pool;
    /// let layer = HealthCheckLayer::new().check("db", move || {
    ///     let pool = pool.clone();
    ///     async move { pool.ping().await }
    /// });
    /// ```
    pub fn check<F, Fut, E>(self, name: impl Into<Cow<'static, str>>, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: fmt::Display,
    {
        self.configure(|config| config.add_check(name.into(), check))
    }

    /// How long every check of a run may take (2 s unless set). A check still
    /// running then fails as timed out, so the answer comes before kamal-proxy
    /// gives up on the probe: the deadline must end before its
    /// [`proxy_timeout`](Self::proxy_timeout).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let layer = kamal_healthcheck::HealthCheckLayer::new().deadline(Duration::from_millis(1500));
    /// ```
    ///
    /// # Panics
    ///
    /// If `deadline` is zero. A deadline that does not end before the timeout
    /// panics where the layer is applied (the timeout may be set after it).
    #[track_caller]
    pub fn deadline(self, deadline: Duration) -> Self {
        assert!(
            !deadline.is_zero(),
            "HealthCheckLayer: a check deadline of zero times every check out before it starts; \
             give one above zero (2 s unless set)"
        );
        self.configure(|config| config.deadline = deadline)
    }

    /// Tells the layer kamal-proxy's healthcheck timeout for this deployment,
    /// `proxy: healthcheck: timeout:` in Kamal's config/deploy.yml (5 s,
    /// Kamal's default, unless set), which the check
    /// [`deadline`](Self::deadline) must end before. Apps with slow checks
    /// raise it there. The layer keeps no timeout of its own: the deadline
    /// ends the checks.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kamal_healthcheck::HealthCheckLayer;
    /// use tower::Layer;
    ///
    /// // deploy.yml: proxy: { healthcheck: { timeout: 10 } }
    /// let layer = HealthCheckLayer::new()
    ///     .check("db", || async { Ok::<(), std::io::Error>(()) })
    ///     .deadline(Duration::from_secs(7))
    ///     .proxy_timeout(Duration::from_secs(10));
    /// let app = layer.layer(axum::Router::<()>::new());
    /// ```
    pub fn proxy_timeout(self, timeout: Duration) -> Self {
        self.configure(|config| config.timeout = Some(timeout))
    }

    /// How long a run's outcome answers further probes (1 s unless set; zero
    /// runs the checks for every probe that does not find a run in flight).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let layer = kamal_healthcheck::HealthCheckLayer::new().cache_for(Duration::ZERO);
    /// ```
    pub fn cache_for(self, cache_for: Duration) -> Self {
        self.configure(|config| config.cache_for = cache_for)
    }

    /// Whether a failed check's line shows its error (`db: failed: connection
    /// refused`). Off unless set: the healthcheck path is public, and error texts
    /// can carry host names and credentials.
    ///
    /// ```
    /// let layer = kamal_healthcheck::HealthCheckLayer::new().error_details(true);
    /// ```
    pub fn error_details(self, show: bool) -> Self {
        self.configure(|config| config.error_details = show)
    }

    /// Answers `503` with the body `starting`, without running any check, until
    /// `gate` is opened. See [`StartupGate`].
    ///
    /// ```
    /// use kamal_healthcheck::{HealthCheckLayer, StartupGate};
    ///
    /// let gate = StartupGate::new();
    /// let layer = HealthCheckLayer::new().gate(gate.clone());
    /// gate.open();
    /// ```
    pub fn gate(self, gate: StartupGate) -> Self {
        self.configure(|config| config.gate = Some(gate))
    }

    /// Says, once the app's listener is bound, what kamal-proxy will probe and
    /// where the app answers it: an `INFO` event under the target
    /// `kamal_healthcheck` with the path, the address and
    /// port, the checks by name, their deadline, kamal-proxy's timeout and
    /// `deploy_timeout`, and the Kamal destination, if any.
    ///
    /// When the app runs in a container Kamal started (`KAMAL_CONTAINER_NAME`
    /// is set), a loopback `address`, which kamal-proxy can never reach, is
    /// also an `ERROR` that says what to bind instead, and this starts the
    /// watch of the deploy: `deploy_timeout` is how long kamal-proxy gives
    /// the container (deploy.yml's `deploy_timeout`, 30 s unless set), and
    /// an `ERROR` comes a third of the way into it if no probe of
    /// kamal-proxy's has come, and two thirds of the way if none was answered
    /// `2xx`. `#[kamal_healthcheck]` on the function that serves does this
    /// itself; with the layer, it is this one call.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use std::time::Duration;
    ///
    /// use axum::{Router, ServiceExt, extract::Request};
    /// use kamal_healthcheck::HealthCheckLayer;
    /// use tower::Layer;
    ///
    /// let healthcheck = HealthCheckLayer::new();
    /// let app = healthcheck.layer(Router::new());
    /// let listener = tokio::net::TcpListener::bind("0.0.0.0:80").await?;
    /// // deploy.yml: deploy_timeout: 60
    /// healthcheck.listening(listener.local_addr()?, Duration::from_secs(60));
    /// axum::serve(listener, ServiceExt::<Request>::into_make_service(app)).await
    /// # }
    /// ```
    pub fn listening(&self, address: std::net::SocketAddr, deploy_timeout: std::time::Duration) {
        self.said_listening(Some(address), None, deploy_timeout, true);
    }

    /// [`listening`](Self::listening), with deploy.yml's `proxy.app_port` when
    /// the attribute read it, and kamal-proxy's `deploy_timeout`. Under Kamal
    /// it also starts the watch of the deploy (see `waiting`), for a role
    /// kamal-proxy serves (`proxied`).
    pub(crate) fn said_listening(
        &self,
        address: Option<std::net::SocketAddr>,
        app_port: Option<u16>,
        deploy_timeout: std::time::Duration,
        proxied: bool,
    ) {
        listening(
            self.path(),
            self.readiness.as_ref(),
            address,
            app_port,
            deploy_timeout,
            proxied,
        );
    }

    /// The same layer, answering with `readiness` (another layer's checks).
    pub(crate) fn with_readiness(mut self, readiness: Arc<Readiness>) -> Self {
        self.readiness = Some(readiness);
        self
    }

    /// The readiness configuration, shared by every service this layer makes.
    pub(crate) fn readiness(&self) -> Option<&Arc<Readiness>> {
        self.readiness.as_ref()
    }

    /// Changes the configuration; the shared state starts afresh, as the layer is
    /// still being built.
    fn configure(mut self, change: impl FnOnce(&mut Config)) -> Self {
        let mut config = self
            .readiness
            .as_ref()
            .map(|readiness| readiness.config().clone())
            .unwrap_or_default();
        config.path = self.path.clone();
        change(&mut config);
        self.readiness = Some(Arc::new(Readiness::new(config)));
        self
    }
}

impl<M> fmt::Debug for HealthCheckLayer<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthCheckLayer")
            .field("path", &self.path())
            .field("readiness", &self.readiness.is_some())
            .finish()
    }
}

impl Default for HealthCheckLayer {
    fn default() -> Self {
        Self::new()
    }
}

/// [`HealthCheckLayer::said_listening`], not generic over the body mode, so
/// that it is compiled once, here.
fn listening(
    path: &str,
    readiness: Option<&Arc<Readiness>>,
    address: Option<std::net::SocketAddr>,
    app_port: Option<u16>,
    deploy_timeout: std::time::Duration,
    proxied: bool,
) {
    let config = readiness.map(|readiness| readiness.config());
    let kamal = crate::log::Kamal::from_env();
    // The watch's, for a role kamal-proxy serves: where the app listens.
    if kamal.is_some() && proxied {
        if let Some(address) = address {
            crate::waiting::listens(address);
        }
        crate::waiting::start(crate::waiting::Deploy {
            path,
            app_port,
            deploy_timeout,
            readiness: readiness.cloned(),
        });
    }
    crate::log::listening(&crate::log::Listening {
        path,
        address,
        checks: config.map(|config| config.names()).unwrap_or_default(),
        deadline: config
            .filter(|config| config.has_checks())
            .map(|config| config.deadline),
        timeout: config
            .and_then(|config| config.timeout)
            .unwrap_or(crate::rules::PROXY_TIMEOUT),
        deploy_timeout,
        app_port,
        kamal,
        proxied,
    });
}

impl<S, M> Layer<S> for HealthCheckLayer<M> {
    type Service = HealthCheck<S, M>;

    /// # Panics
    ///
    /// When the settings cannot work: a check deadline that does not end
    /// before kamal-proxy's timeout (5 s unless
    /// [`proxy_timeout`](HealthCheckLayer::proxy_timeout) says otherwise).
    /// The message says which setting and what to give instead. As with an
    /// invalid [`with_path`](HealthCheckLayer::with_path), the app stops at
    /// start-up rather than answer every probe `503`.
    #[track_caller]
    fn layer(&self, inner: S) -> Self::Service {
        if let Some(problem) = self
            .readiness
            .as_ref()
            .and_then(|readiness| readiness.problem())
        {
            panic!("{problem}");
        }
        HealthCheck {
            inner,
            path: self.path.clone(),
            readiness: self.readiness.clone(),
            ready: false,
            mode: PhantomData,
        }
    }
}

/// The service made by [`HealthCheckLayer`].
///
/// A request whose path is exactly the healthcheck path (compared byte for byte,
/// the query string aside) is answered here: `GET` gets `200` with the body `OK`,
/// `HEAD` the same without a body, other methods `405`. Its headers and body are
/// never looked at, and the inner service is not called. Every other request goes
/// to the inner service as it is, at the cost of one string comparison.
///
/// In the default body mode ([`SameBody`](crate::body::SameBody)) the answer's body is made with
/// `ResBody::from(&'static str)` (or `From<String>` for the report of failed
/// readiness checks), so the response type stays the inner service's: an axum
/// `Router` wrapped in it can still be given to `axum::serve`. With
/// [`AnyBody`](crate::body::AnyBody) ([`HealthCheckLayer::any_body`]) the response body is
/// [`HealthCheckBody<ResBody>`](crate::body::HealthCheckBody).
///
/// ```
/// use axum::{Router, body::Body, routing::get};
/// use kamal_healthcheck::{HealthCheck, HealthCheckLayer};
/// use tower::{Layer, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let app: HealthCheck<Router> = HealthCheckLayer::new().layer(Router::new());
///
/// let probe = http::Request::head("/up?from=kamal").body(Body::empty()).unwrap();
/// assert_eq!(app.clone().oneshot(probe).await.unwrap().status(), 200);
///
/// let other = http::Request::get("/up/").body(Body::empty()).unwrap();
/// assert_eq!(app.oneshot(other).await.unwrap().status(), 404);
/// # }
/// ```
///
/// `poll_ready` asks the inner service, and says ready even when it is not, so
/// that the probe is answered behind backpressure; a request for the inner
/// service then waits for it (on a clone, as tower's `Oneshot` does: the inner
/// service must be `Clone`, as `axum::serve`, hyper and tonic require anyway).
pub struct HealthCheck<S, M = SameBody> {
    inner: S,
    path: HealthCheckPath,
    readiness: Option<Arc<Readiness>>,
    /// Whether `inner.poll_ready` said ready since the last call to `inner`.
    ready: bool,
    mode: PhantomData<fn() -> M>,
}

impl<S: Clone, M> Clone for HealthCheck<S, M> {
    #[inline]
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            path: self.path.clone(),
            readiness: self.readiness.clone(),
            // A clone has not been polled ready.
            ready: false,
            mode: PhantomData,
        }
    }
}

impl<S: fmt::Debug, M> fmt::Debug for HealthCheck<S, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthCheck")
            .field("inner", &self.inner)
            .field("path", &self.path())
            .field("readiness", &self.readiness.is_some())
            .finish()
    }
}

impl<S> HealthCheck<S> {
    /// `inner` behind a healthcheck at [`DEFAULT_PATH`] (`/up`) that keeps
    /// its response type: [`HealthCheckLayer::new`]`().layer(inner)`.
    ///
    /// ```
    /// use kamal_healthcheck::HealthCheck;
    ///
    /// let app = HealthCheck::new(axum::Router::<()>::new());
    /// assert_eq!(app.path(), "/up");
    /// ```
    pub fn new(inner: S) -> Self {
        HealthCheckLayer::new().layer(inner)
    }

    /// The layer that makes this service: [`HealthCheckLayer::new`], for its
    /// settings.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kamal_healthcheck::HealthCheck;
    /// use tower::Layer;
    ///
    /// let layer = HealthCheck::<()>::layer().cache_for(Duration::ZERO);
    /// let app = layer.layer(axum::Router::<()>::new());
    /// ```
    pub fn layer() -> HealthCheckLayer {
        HealthCheckLayer::new()
    }
}

impl<S, M> HealthCheck<S, M> {
    /// The path this healthcheck answers.
    ///
    /// ```
    /// use kamal_healthcheck::HealthCheckLayer;
    /// use tower::Layer;
    ///
    /// let app = HealthCheckLayer::with_path("/healthz").layer(axum::Router::<()>::new());
    /// assert_eq!(app.path(), "/healthz");
    /// ```
    pub fn path(&self) -> &str {
        self.path.as_str()
    }

    /// The wrapped service.
    ///
    /// ```
    /// use kamal_healthcheck::HealthCheckLayer;
    /// use tower::Layer;
    ///
    /// let app = HealthCheckLayer::new().layer(axum::Router::<()>::new());
    /// let _router: &axum::Router = app.get_ref();
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    ///
    /// ```
    /// use kamal_healthcheck::HealthCheckLayer;
    /// use tower::Layer;
    ///
    /// let mut app = HealthCheckLayer::new().layer(axum::Router::<()>::new());
    /// let _router: &mut axum::Router = app.get_mut();
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    ///
    /// ```
    /// use kamal_healthcheck::HealthCheckLayer;
    /// use tower::Layer;
    ///
    /// let app = HealthCheckLayer::new().layer(axum::Router::<()>::new());
    /// let _router: axum::Router = app.into_inner();
    /// ```
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, M, ReqBody, ResBody> Service<Request<ReqBody>> for HealthCheck<S, M>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    M: BodyMode<ResBody>,
{
    type Response = Response<M::Body>;
    type Error = S::Error;
    type Future = ResponseFuture<S, Request<ReqBody>, M::Body, M>;

    /// Ready whenever the inner service is, and also when it is not: the
    /// healthcheck answers kamal-proxy's probe without waiting for a service
    /// behind backpressure (a concurrency limit with requests in flight), and a
    /// request for the inner service then waits for it in its own future.
    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        match self.inner.poll_ready(cx) {
            Poll::Ready(Ok(())) => {
                self.ready = true;
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => Poll::Ready(Ok(())),
        }
    }

    #[inline]
    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        if request.uri().path() == self.path.as_str() {
            ResponseFuture {
                kind: Kind::Other {
                    other: Other::Answer(begin(&request, self.readiness.as_ref(), By::Layer)),
                },
                mode: PhantomData,
            }
        } else if crate::waiting::watching() {
            crate::waiting::elsewhere(&request, self.path.as_str());
            self.pass(request)
        } else if std::mem::take(&mut self.ready) {
            // Built in place in each branch: a `kind` built first and moved in
            // after cost a copy of the whole future on every request.
            ResponseFuture {
                kind: Kind::Inner {
                    future: self.inner.call(request),
                },
                mode: PhantomData,
            }
        } else {
            ResponseFuture {
                kind: defer(&self.inner, request),
                mode: PhantomData,
            }
        }
    }
}

impl<S, M> HealthCheck<S, M> {
    /// A request for the inner service (the path of one watched for
    /// kamal-proxy's probe), off the path normal requests take.
    #[cold]
    #[inline(never)]
    fn pass<R, B>(&mut self, request: R) -> ResponseFuture<S, R, B, M>
    where
        S: Service<R> + Clone,
    {
        let kind = if std::mem::take(&mut self.ready) {
            Kind::Inner {
                future: self.inner.call(request),
            }
        } else {
            defer(&self.inner, request)
        };
        ResponseFuture {
            kind,
            mode: PhantomData,
        }
    }
}
