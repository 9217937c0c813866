//! [`HealthCheckLayer`] and its service [`HealthCheck`]: the healthcheck around a whole app.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::answer::answer;
use crate::path::{DEFAULT_PATH, HealthCheckPath, InvalidPath};

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
#[derive(Clone, Debug)]
pub struct HealthCheckLayer {
    path: HealthCheckPath,
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
        HealthCheckPath::new(path.into()).map(|path| Self { path })
    }

    /// The path this healthcheck answers.
    ///
    /// ```
    /// assert_eq!(kamal_healthcheck::HealthCheckLayer::default().path(), "/up");
    /// ```
    pub fn path(&self) -> &str {
        self.path.as_str()
    }
}

impl Default for HealthCheckLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> Layer<S> for HealthCheckLayer {
    type Service = HealthCheck<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HealthCheck {
            inner,
            path: self.path.clone(),
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
/// The answer's body is made with `ResBody::from(&'static str)`, so the response
/// type stays the inner service's: an axum `Router` wrapped in it can still be
/// given to `axum::serve`.
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
/// Readiness is the inner service's: `poll_ready` asks it, as every tower
/// middleware does. An axum `Router` is always ready.
#[derive(Clone, Debug)]
pub struct HealthCheck<S> {
    inner: S,
    path: HealthCheckPath,
}

impl<S> HealthCheck<S> {
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

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for HealthCheck<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: From<&'static str>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    #[inline]
    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        if request.uri().path() == self.path.as_str() {
            ResponseFuture {
                kind: Kind::Answer {
                    response: Some(answer(request.method())),
                },
            }
        } else {
            ResponseFuture {
                kind: Kind::Inner {
                    future: self.inner.call(request),
                },
            }
        }
    }
}

pin_project! {
    /// The future of [`HealthCheck`]: the healthcheck's answer, ready at once, or
    /// the inner service's own future, polled in place (never boxed).
    pub struct ResponseFuture<F, B> {
        #[pin]
        kind: Kind<F, B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F, B> {
        Answer { response: Option<Response<B>> },
        Inner { #[pin] future: F },
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Inner { future } => future.poll(cx),
            KindProj::Answer { response } => Poll::Ready(Ok(response
                .take()
                .expect("ResponseFuture polled after completion"))),
        }
    }
}

impl<F, B> std::fmt::Debug for ResponseFuture<F, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            Kind::Answer { .. } => "Answer",
            Kind::Inner { .. } => "Inner",
        };
        f.debug_struct("ResponseFuture")
            .field("kind", &kind)
            .finish()
    }
}
