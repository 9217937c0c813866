//! What `#[kamal_healthcheck]` on the function that serves the app hands to
//! `axum::serve`: the make-service it was given (a `Router`, the result of
//! `into_make_service()` or `into_make_service_with_connect_info::<T>()`, a
//! handler's, one held in a variable), each service it makes put inside the
//! healthcheck. Not public API: only the attribute's expansion names it.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::layer::{HealthCheck, HealthCheckLayer};
use crate::registry::Pairing;
use crate::stop::OpenGuard;

/// A make-service whose services answer the healthcheck first: for every
/// connection `axum::serve` accepts, the inner make-service's service inside
/// `layer`. Whatever the make-service adds to each request (`ConnectInfo`)
/// still reaches the app's handlers, as the healthcheck passes every other
/// request on as it is.
///
/// The first service it makes is also asked, once, whether the app answers
/// the healthcheck path itself (see `ask_own_route`), however the app is
/// served: `B` is the body of the requests it takes.
pub struct Served<S, B> {
    layer: HealthCheckLayer,
    inner: S,
    /// Whether the first service made is still to be asked.
    ask: bool,
    /// The layer as given, when it has no checks of its own: paired with a
    /// router function's when it is made, and again at the first connection
    /// (see `Served::new`).
    bare: Option<HealthCheckLayer>,
    /// Counts this serving form while it lives, for the pairing.
    _serving: Arc<()>,
    body: PhantomData<fn() -> B>,
}

impl<S: Clone, B> Clone for Served<S, B> {
    fn clone(&self) -> Self {
        Self {
            layer: self.layer.clone(),
            inner: self.inner.clone(),
            ask: self.ask,
            bare: self.bare.clone(),
            _serving: self._serving.clone(),
            body: PhantomData,
        }
    }
}

impl<S: fmt::Debug, B> fmt::Debug for Served<S, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Served")
            .field("layer", &self.layer)
            .field("inner", &self.inner)
            .finish()
    }
}

impl<S, B> Served<S, B> {
    /// `inner` with `layer` around each service it makes.
    ///
    /// The attribute may also be on the function that builds the router,
    /// with checks of its own: its route then never sees a probe, which this
    /// layer answers first. So when `layer` has no checks, it answers with
    /// those of the router function's attribute at the same path, on the same
    /// tokio runtime, when there is one of each (the router may be built on
    /// another thread, or served in a task); decided now, for the start-up
    /// line and the watch of the deploy, and again at the first connection,
    /// when every `serve` call of a `join!` has been made. Where
    /// the router functions' checks and the serving forms cannot be told
    /// apart (two apps served, one router function with checks), it answers
    /// `503` and says why in the log, rather than `200` without the checks.
    /// When both attributes have checks, only one set could run, and that is
    /// a panic that says so, at start-up.
    ///
    /// # Panics
    ///
    /// When both attributes have checks: at start-up.
    #[track_caller]
    pub(crate) fn new(layer: HealthCheckLayer, inner: S) -> Self {
        let (layer, bare, serving) = prepared(layer);
        Self {
            layer,
            inner,
            ask: true,
            bare,
            _serving: serving,
            body: PhantomData,
        }
    }

    /// Says at start-up what kamal-proxy will probe and where the app answers
    /// it (an `INFO` event under the target `kamal_healthcheck`), and, when
    /// the app runs in a container Kamal started, says as an `ERROR` when
    /// kamal-proxy cannot reach the listener: a loopback `address`, or a port
    /// other than deploy.yml's `app_port`; for a role kamal-proxy serves
    /// (`proxied`), it starts the watch of the deploy, which lasts
    /// `deploy_timeout`. The app serves either way.
    pub(crate) fn listening(
        self,
        address: Option<SocketAddr>,
        app_port: Option<u16>,
        deploy_timeout: std::time::Duration,
        proxied: bool,
    ) -> Self {
        self.layer
            .said_listening(address, app_port, deploy_timeout, proxied);
        self
    }
}

/// [`Served::new`] but for the app: the layer to answer with, the one
/// without checks to pair again at the first connection, and the record of
/// a serving form. Not generic, so that it is compiled here, once.
#[track_caller]
fn prepared(layer: HealthCheckLayer) -> (HealthCheckLayer, Option<HealthCheckLayer>, Arc<()>) {
    let own = layer.readiness().is_some();
    if own && !matches!(crate::registry::pair(layer.path()), Pairing::Alone) {
        panic!(
            "{}",
            crate::message::message(
                &format!(
                    "#[kamal_healthcheck] has readiness checks twice for {:?}",
                    layer.path()
                ),
                "the attribute on the function that serves answers the probe, so the checks \
                 of the one on the router function would never run",
                "give all the checks to one of the two attributes: \
                 `#[kamal_healthcheck(check(db = ..))]` on the function that serves",
            )
        );
    }
    let serving = crate::registry::serving(layer.path());
    let bare = (!own).then(|| layer.clone());
    let layer = match &bare {
        Some(bare) => paired(bare, false),
        None => layer,
    };
    (layer, bare, serving)
}

/// `bare`, a layer without checks of its own, paired with a router
/// function's (see [`Served::new`]); `say`: whether checks that cannot be
/// paired are said in the log (once, at the first connection).
fn paired(bare: &HealthCheckLayer, say: bool) -> HealthCheckLayer {
    match crate::registry::pair(bare.path()) {
        Pairing::Alone => bare.clone(),
        Pairing::Takes(readiness) => bare.clone().with_readiness(readiness),
        Pairing::Ambiguous { offers, servings } => {
            let error = if say {
                crate::log::pairing_ambiguous(bare.path(), offers, servings)
            } else {
                crate::log::pairing_error(bare.path())
            };
            bare.clone().check("router_function_checks", move || {
                std::future::ready(Err::<(), _>(error.clone()))
            })
        }
    }
}

/// The result of a listener's `local_addr`, to ask for its socket address:
/// the attribute's expansion asks it of any listener `axum::serve` takes.
pub struct ListenerAddress<'a, T>(pub &'a T);

impl ListenerAddress<'_, std::io::Result<SocketAddr>> {
    /// The socket address, if the listener gave one.
    pub fn socket(&self) -> Option<SocketAddr> {
        self.0.as_ref().ok().copied()
    }
}

/// For listeners whose address is not a socket address (a Unix socket's).
pub trait NotASocket {
    /// No socket address.
    fn socket(&self) -> Option<SocketAddr> {
        None
    }
}

impl<T> NotASocket for ListenerAddress<'_, T> {}

impl<S, B, T> Service<T> for Served<S, B>
where
    S: Service<T>,
    S::Response: Service<http::Request<B>> + Clone + Send + 'static,
    <S::Response as Service<http::Request<B>>>::Future: Send,
    <S::Response as Service<http::Request<B>>>::Response: Status,
    B: Default + Send + 'static,
{
    type Response = Connection<HealthCheck<S::Response>>;
    type Error = S::Error;
    type Future = ServedFuture<S::Future, B>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, target: T) -> Self::Future {
        if let Some(bare) = self.bare.take() {
            self.layer = paired(&bare, true);
        }
        ServedFuture {
            made: self.inner.call(target),
            layer: Some(self.layer.clone()),
            open: Some(crate::stop::connection()),
            ask: std::mem::take(&mut self.ask),
            body: PhantomData,
        }
    }
}

pin_project! {
    /// The future of [`Served`]: the inner make-service's, its service put
    /// inside the healthcheck.
    pub struct ServedFuture<F, B> {
        #[pin]
        made: F,
        layer: Option<HealthCheckLayer>,
        open: Option<OpenGuard>,
        ask: bool,
        body: PhantomData<fn() -> B>,
    }
}

impl<F, B, S, E> Future for ServedFuture<F, B>
where
    F: Future<Output = Result<S, E>>,
    S: Service<http::Request<B>> + Clone + Send + 'static,
    S::Future: Send,
    S::Response: Status,
    B: Default + Send + 'static,
{
    type Output = Result<Connection<HealthCheck<S>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let service = ready!(this.made.poll(cx))?;
        let layer = this
            .layer
            .take()
            .expect("ServedFuture polled after it completed");
        if std::mem::take(this.ask) {
            ask_own_route(&service, layer.path());
        }
        Poll::Ready(Ok(Connection {
            service: layer.layer(service),
            _open: this.open.take(),
        }))
    }
}

/// The service of one connection: the healthcheck around the app's service,
/// and the connection counted as open until the server drops it (the copies
/// the server makes for each request are not counted).
#[derive(Debug)]
pub struct Connection<S> {
    service: S,
    _open: Option<OpenGuard>,
}

impl<S: Clone> Clone for Connection<S> {
    #[inline]
    fn clone(&self) -> Self {
        Self {
            service: self.service.clone(),
            _open: None,
        }
    }
}

impl<S, R> Service<R> for Connection<S>
where
    S: Service<R>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.service.poll_ready(cx)
    }

    #[inline]
    fn call(&mut self, request: R) -> Self::Future {
        self.service.call(request)
    }
}

/// What is compared of the app's answers: the status and the content type.
pub trait Status {
    /// The status.
    fn status(&self) -> http::StatusCode;
    /// The `content-type`, if any.
    fn content_type(&self) -> Option<http::HeaderValue>;
    /// Whether a healthcheck answered it (asked with the probe's mark).
    fn answered(&self) -> bool;
    /// Whether the attribute's route on a router function answered it.
    fn answered_by_route(&self) -> bool;
}

impl<B> Status for http::Response<B> {
    fn status(&self) -> http::StatusCode {
        http::Response::status(self)
    }

    fn content_type(&self) -> Option<http::HeaderValue> {
        self.headers().get(http::header::CONTENT_TYPE).cloned()
    }

    fn answered(&self) -> bool {
        self.extensions().get::<crate::answer::Answered>().is_some()
    }

    fn answered_by_route(&self) -> bool {
        self.extensions()
            .get::<crate::answer::AnsweredByRoute>()
            .is_some()
    }
}

/// Asks the app's service, as it is without the healthcheck, whether it
/// answers `path` itself: a route of its own there (built in another
/// function, where the attribute cannot see it) never runs for kamal-proxy,
/// since the healthcheck answers first, and whatever it checks is lost. On a
/// task of its own, it sends `GET path` and `GET` of a path no route has, of
/// the same shape (its last segment replaced, so that a route with a
/// parameter there, `/{id}`, takes both alike); two answers that differ in
/// status or content type (a single-page app's fallback answers `200` to
/// every path, with its page), the first not a `404`, are an `ERROR` in the
/// log.
///
/// The question is not kamal-proxy's traffic: its requests say who sent
/// them (`User-Agent: kamal-healthcheck (start-up question)`), each has
/// [`QUESTION_DEADLINE`] to be answered, after which it is dropped with
/// whatever it holds (a concurrency limit's permit), and a route that
/// panics or does not answer in time is reported, not left running.
fn ask_own_route<S, B>(app: &S, path: &str)
where
    S: Service<http::Request<B>> + Clone + Send + 'static,
    S::Future: Send,
    S::Response: Status,
    B: Default + Send + 'static,
{
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    // Only the call of the app is the app's type's; the question itself is
    // compiled once, here.
    let app = app.clone();
    let ask: Ask = Box::new(move |target| {
        let mut app = app.clone();
        Box::pin(async move {
            let request = question_request(target)?.map(|()| B::default());
            std::future::poll_fn(|cx| app.poll_ready(cx)).await.ok()?;
            let response = app.call(request).await.ok()?;
            Some(Answer {
                status: Status::status(&response),
                content_type: response.content_type(),
                answered: response.answered(),
                by_route: response.answered_by_route(),
            })
        })
    });
    spawn_question(&runtime, ask, path.to_owned());
}

/// A request of the start-up question, for `target`; not generic, so that it
/// is compiled here, once.
fn question_request(target: String) -> Option<http::Request<()>> {
    let mut request = http::Request::get(target)
        .header(http::header::HOST, crate::rules::CONTAINER_HOST)
        .header(http::header::USER_AGENT, QUESTION_AGENT)
        .body(())
        .ok()?;
    // A healthcheck inside the app marks its answer.
    request.extensions_mut().insert(crate::answer::Probing);
    Some(request)
}

/// Spawns the start-up question; not generic, so that its task is compiled
/// here, once.
fn spawn_question(runtime: &tokio::runtime::Handle, ask: Ask, path: String) {
    crate::task::spawn(runtime, question(ask, path));
}

/// One request of the start-up question to the app, for a target path.
type Ask = Box<dyn Fn(String) -> Pin<Box<dyn Future<Output = Option<Answer>> + Send>> + Send>;

/// The start-up question, asked with `ask` (see `ask_own_route`).
async fn question(ask: Ask, path: String) {
    let elsewhere = no_route_beside(&path);
    let at = asked(ask(path.clone())).await;
    let other = asked(ask(elsewhere)).await;
    judge(&path, at, other);
}

/// How long each request of the start-up question may take.
const QUESTION_DEADLINE: std::time::Duration = std::time::Duration::from_secs(1);

/// The `User-Agent` of the start-up question's requests.
const QUESTION_AGENT: &str = "kamal-healthcheck (start-up question)";

/// What became of one request of the start-up question.
enum Asked {
    Answered(Answer),
    /// The app's service failed, or the request could not be made.
    Failed,
    Panicked,
    TimedOut,
}

/// `answer`, within [`QUESTION_DEADLINE`], a panic in it caught.
async fn asked(mut answer: Pin<Box<dyn Future<Output = Option<Answer>> + Send>>) -> Asked {
    let caught = std::future::poll_fn(|cx| {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| answer.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(Some(answer))) => Poll::Ready(Asked::Answered(answer)),
            Ok(Poll::Ready(None)) => Poll::Ready(Asked::Failed),
            Err(_) => Poll::Ready(Asked::Panicked),
        }
    });
    tokio::time::timeout(QUESTION_DEADLINE, caught)
        .await
        .unwrap_or(Asked::TimedOut)
}

/// What the start-up question got from the app.
#[derive(PartialEq)]
struct Answer {
    status: http::StatusCode,
    content_type: Option<http::HeaderValue>,
    /// Whether a healthcheck inside the app answered.
    answered: bool,
    /// Whether that was the attribute's route on a router function.
    by_route: bool,
}

/// A path no route has, of the same shape as `path`: its last segment
/// replaced.
fn no_route_beside(path: &str) -> String {
    let parent = path.rsplit_once('/').map_or("", |(parent, _)| parent);
    format!("{parent}/kamal-healthcheck-no-route")
}

/// What the answers at `path` (`at`) and at a path no route has (`other`)
/// say, in the log.
fn judge(path: &str, at: Asked, other: Asked) {
    match (at, other) {
        (Asked::Panicked, _) => crate::log::own_route_failed(path, "panicked"),
        (Asked::TimedOut, _) => crate::log::own_route_failed(
            path,
            &format!("did not answer within {QUESTION_DEADLINE:?}"),
        ),
        // The attribute's own route, on the router function: its checks are
        // the serving form's, or its answer says why not (see `Served::new`).
        (Asked::Answered(at), _) if at.by_route => {}
        (Asked::Answered(at), _) if at.answered => {
            crate::log::healthcheck_inside(path, at.status);
        }
        (Asked::Answered(at), Asked::Answered(other))
            if at != other && at.status != http::StatusCode::NOT_FOUND =>
        {
            crate::log::own_route(path, at.status);
        }
        _ => {}
    }
}
