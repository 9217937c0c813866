//! What `#[kamal_healthcheck]` on the function that serves the app hands to
//! `axum::serve`: the make-service it was given (a `Router`, the result of
//! `into_make_service()` or `into_make_service_with_connect_info::<T>()`, a
//! handler's, one held in a variable), each service it makes put inside the
//! healthcheck. Not public API: only the attribute's expansion names it.

use std::cell::RefCell;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::readiness::Readiness;
use crate::stop::{Open, OpenGuard};
use crate::{HealthCheck, HealthCheckLayer};

thread_local! {
    /// The checks of the routes `#[kamal_healthcheck]` installed in router
    /// functions on this thread, by path, not yet taken by a serving form.
    static OFFERED: RefCell<Vec<(String, Weak<Readiness>)>> = const { RefCell::new(Vec::new()) };
}

/// Offers the checks of a route installed at `path` to the serving form.
pub(crate) fn offer(path: &str, readiness: &Arc<Readiness>) {
    OFFERED.with(|offered| {
        let mut offered = offered.borrow_mut();
        offered.retain(|(_, readiness)| readiness.strong_count() > 0);
        offered.push((path.to_owned(), Arc::downgrade(readiness)));
    });
}

/// Takes the checks offered at `path` (all of them go; the first still in
/// use is returned).
fn take_offered(path: &str) -> Option<Arc<Readiness>> {
    OFFERED.with(|offered| {
        let mut taken = None;
        offered.borrow_mut().retain(|(at, readiness)| {
            if at != path {
                return true;
            }
            taken = taken.take().or_else(|| readiness.upgrade());
            false
        });
        taken
    })
}

/// A make-service whose services answer the healthcheck first: for every
/// connection `axum::serve` accepts, the inner make-service's service inside
/// `layer`. Whatever the make-service adds to each request (`ConnectInfo`)
/// still reaches the app's handlers, as the healthcheck passes every other
/// request on as it is.
#[derive(Clone, Debug)]
pub struct Served<S, M> {
    layer: HealthCheckLayer<M>,
    inner: S,
    open: Option<Open>,
}

impl<S, M> Served<S, M> {
    /// `inner` with `layer` around each service it makes.
    ///
    /// The attribute may also be on the function that builds the router,
    /// with checks of its own: its route then never sees a probe, which this
    /// layer answers first. So when `layer` has no checks, it answers with
    /// those of the router's attribute at the same path, offered when that
    /// router was built on this thread; when both have checks, only one set
    /// could run, and that is a panic that says so, at start-up.
    ///
    /// # Panics
    ///
    /// When both attributes have checks: at start-up.
    #[track_caller]
    pub fn new(layer: HealthCheckLayer<M>, inner: S) -> Self {
        let layer = match (layer.readiness(), take_offered(layer.path())) {
            (None, Some(readiness)) => layer.with_readiness(readiness),
            (Some(_), Some(_)) => panic!(
                "#[kamal_healthcheck] has readiness checks twice for {path:?}\n\
                 = note: the attribute on the function that serves answers the probe, so the \
                 checks of the one on the router function would never run\n\
                 = help: give all the checks to one of the two attributes",
                path = layer.path()
            ),
            (_, None) => layer,
        };
        Self {
            layer,
            inner,
            open: None,
        }
    }

    /// Counts the connections it serves in `open`, for a stop to say how many
    /// it cut.
    pub fn counting(mut self, open: &Open) -> Self {
        self.open = Some(open.clone());
        self
    }
}

impl<S, M> Served<S, M> {
    /// Says at start-up what kamal-proxy will probe and where the app answers
    /// it (an `INFO` event under the target `kamal_healthcheck`), and, when
    /// the app runs in a container Kamal started, says as an `ERROR` when
    /// kamal-proxy cannot reach the listener: a loopback `address`, or a port
    /// other than deploy.yml's `app_port`. The app serves either way.
    pub fn listening(
        self,
        address: Option<SocketAddr>,
        app_port: Option<u16>,
        deploy_timeout: std::time::Duration,
    ) -> Self {
        self.layer.said_listening(address, app_port, deploy_timeout);
        self
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

impl<S, M, T> Service<T> for Served<S, M>
where
    S: Service<T>,
{
    type Response = Connection<HealthCheck<S::Response, M>>;
    type Error = S::Error;
    type Future = ServedFuture<S::Future, M>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, target: T) -> Self::Future {
        ServedFuture {
            made: self.inner.call(target),
            layer: Some(self.layer.clone()),
            open: self.open.as_ref().map(Open::connection),
        }
    }
}

pin_project! {
    /// The future of [`Served`]: the inner make-service's, its service put
    /// inside the healthcheck.
    pub struct ServedFuture<F, M> {
        #[pin]
        made: F,
        layer: Option<HealthCheckLayer<M>>,
        open: Option<OpenGuard>,
    }
}

impl<F, M, S, E> Future for ServedFuture<F, M>
where
    F: Future<Output = Result<S, E>>,
{
    type Output = Result<Connection<HealthCheck<S, M>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let service = ready!(this.made.poll(cx))?;
        let layer = this
            .layer
            .take()
            .expect("ServedFuture polled after it completed");
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

/// The container port kamal-proxy targets: deploy.yml's `proxy.app_port`
/// (`base`), or that of the Kamal destination the app runs under
/// (`KAMAL_DESTINATION`), merged over it.
pub fn app_port(base: u16, destinations: &[(&str, u16)]) -> u16 {
    let Ok(destination) = std::env::var("KAMAL_DESTINATION") else {
        return base;
    };
    destinations
        .iter()
        .find(|(name, _)| *name == destination)
        .map_or(base, |(_, port)| *port)
}

/// The app a serving function serves, to be asked once, at start-up, whether
/// it answers the healthcheck path itself: a route of its own there (built in
/// another function, where the attribute cannot see it) never runs for
/// kamal-proxy, since the healthcheck answers first, and whatever it checks is
/// lost. The expansion asks it of every app; only a service (an axum `Router`)
/// can answer, through [`WatchService`].
pub struct Watch<'a, S, B>(
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))] &'a S,
    std::marker::PhantomData<fn() -> B>,
);

impl<'a, S, B> Watch<'a, S, B> {
    /// The app, taking requests with bodies of type `B`.
    pub fn new(app: &'a S) -> Self {
        Self(app, std::marker::PhantomData)
    }
}

/// Asks a service whether it answers `path` itself (see [`Watch`]): on a
/// task of its own, it sends the app, as it is without the healthcheck, `GET
/// path` and `GET` of a path no route has, both as kamal-proxy would; two
/// different answers, the first not a `404`, mean a route of the app's own
/// at the path, which is an `ERROR` in the log.
#[cfg(feature = "tokio")]
pub trait WatchService {
    /// Starts the check, when there is a tokio runtime to run it on.
    fn watch(&self, path: &str);
}

#[cfg(feature = "tokio")]
impl<S, B, ResBody> WatchService for Watch<'_, S, B>
where
    S: Service<http::Request<B>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    B: Default + Send + 'static,
{
    fn watch(&self, path: &str) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (app, path) = (self.0.clone(), path.to_owned());
        runtime.spawn(async move {
            let answer = |mut app: S, target: String| async move {
                let request = http::Request::get(target)
                    .header(http::header::HOST, crate::probe::CONTAINER_HOST)
                    .header(http::header::USER_AGENT, "kamal-proxy")
                    .body(B::default())
                    .ok()?;
                std::future::poll_fn(|cx| app.poll_ready(cx)).await.ok()?;
                app.call(request)
                    .await
                    .ok()
                    .map(|response| response.status())
            };
            let elsewhere = format!("{}/kamal-healthcheck-no-route", path.trim_end_matches('/'));
            let at = answer(app.clone(), path.clone()).await;
            let other = answer(app, elsewhere).await;
            if let (Some(at), Some(other)) = (at, other) {
                if at != other && at != http::StatusCode::NOT_FOUND {
                    crate::log::own_route(&path, at);
                }
            }
        });
    }
}

/// What is asked of an app that is not a service (a make-service): nothing.
pub trait WatchNothing {
    /// Nothing to start.
    fn watch(&self, _path: &str) {}
}

impl<S, B> WatchNothing for &Watch<'_, S, B> {}
