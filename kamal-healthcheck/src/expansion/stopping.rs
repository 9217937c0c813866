//! What `#[kamal_healthcheck]` on the function that serves makes of
//! `axum::serve(listener, app)`: the same server, stopped on SIGTERM and
//! SIGINT by [`Stop`](crate::stop) and cut before `docker stop`'s SIGKILL.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

#[cfg(feature = "tokio")]
use pin_project_lite::pin_project;

use crate::stop::{BoxSignal, Open};
#[cfg(feature = "tokio")]
use crate::stop::{Step, Stop};

/// The state the app's serving future and axum's shutdown signal share.
#[derive(Default)]
struct Shared {
    stopping: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Shared {
    #[cfg(feature = "tokio")]
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        if let Some(waker) = crate::outcome::lock(&self.waker).take() {
            waker.wake();
        }
    }
}

/// The future `axum::serve(..).with_graceful_shutdown(..)` is given by
/// [`Stopping`]: it completes when the app starts to stop.
pub struct Shutdown(Arc<Shared>, Option<BoxSignal>);

impl Future for Shutdown {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(own) = &mut self.1 {
            if own.as_mut().poll(cx).is_ready() {
                return Poll::Ready(());
            }
        }
        if self.0.stopping.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        *crate::outcome::lock(&self.0.waker) = Some(cx.waker().clone());
        if self.0.stopping.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

/// What `#[kamal_healthcheck]` makes of `axum::serve(listener, app)` in the
/// function that serves: the same server, which stops on SIGTERM or SIGINT
/// (or on the app's own shutdown future, given with
/// [`with_graceful_shutdown`](Self::with_graceful_shutdown)), lets the
/// requests in flight finish, and cuts what still runs at the deadline,
/// before `docker stop`'s SIGKILL. Awaited, it gives what the server gives.
pub struct Stopping<T, W, A> {
    serve: T,
    with_shutdown: W,
    local_addr: A,
    own: Option<BoxSignal>,
    stop_timeout: Duration,
    open: Open,
}

impl<T, W, A, G, R> Stopping<T, W, A>
where
    W: FnOnce(T, Shutdown) -> G,
    A: Fn(&T) -> R,
{
    /// `serve`, given its shutdown future by `with_shutdown` when it is
    /// awaited; `local_addr` asks it for its address. The deadline ends before
    /// `stop_timeout`; `open` counts the connections it holds.
    pub fn new(
        serve: T,
        stop_timeout: Duration,
        open: Open,
        with_shutdown: W,
        local_addr: A,
    ) -> Self {
        Self {
            serve,
            with_shutdown,
            local_addr,
            own: None,
            stop_timeout,
            open,
        }
    }

    /// Stops also when `signal` completes: the app's own shutdown future, as
    /// axum's `with_graceful_shutdown` takes it.
    pub fn with_graceful_shutdown<F>(mut self, signal: F) -> Self
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.own = Some(Box::pin(signal));
        self
    }

    /// The address the server is bound to, as axum's `local_addr` gives it.
    pub fn local_addr(&self) -> R {
        (self.local_addr)(&self.serve)
    }
}

#[cfg(feature = "tokio")]
impl<T, W, A, G, R> IntoFuture for Stopping<T, W, A>
where
    W: FnOnce(T, Shutdown) -> G,
    A: Fn(&T) -> R,
    G: IntoFuture<Output = std::io::Result<()>>,
{
    type Output = std::io::Result<()>;
    type IntoFuture = StoppingFuture<G::IntoFuture>;

    fn into_future(self) -> Self::IntoFuture {
        let shared = Arc::new(Shared::default());
        let shutdown = Shutdown(shared.clone(), None);
        let serving = (self.with_shutdown)(self.serve, shutdown).into_future();
        StoppingFuture {
            serving,
            stop: Stop::new(self.stop_timeout, self.own, Some(self.open)),
            shared,
        }
    }
}

/// Without the `tokio` feature no signal is listened for: the server stops
/// on the app's own shutdown future only, as axum's would.
#[cfg(not(feature = "tokio"))]
impl<T, W, A, G, R> IntoFuture for Stopping<T, W, A>
where
    W: FnOnce(T, Shutdown) -> G,
    A: Fn(&T) -> R,
    G: IntoFuture<Output = std::io::Result<()>>,
{
    type Output = std::io::Result<()>;
    type IntoFuture = G::IntoFuture;

    fn into_future(self) -> Self::IntoFuture {
        let _ = (self.stop_timeout, self.open);
        let shutdown = Shutdown(Arc::default(), self.own);
        (self.with_shutdown)(self.serve, shutdown).into_future()
    }
}

#[cfg(feature = "tokio")]
pin_project! {
    /// The future of [`Stopping`].
    pub struct StoppingFuture<F> {
        #[pin]
        serving: F,
        stop: Stop,
        shared: Arc<Shared>,
    }
}

#[cfg(feature = "tokio")]
impl<F> Future for StoppingFuture<F>
where
    F: Future<Output = std::io::Result<()>>,
{
    type Output = std::io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(result) = this.serving.poll(cx) {
            this.stop.ended();
            return Poll::Ready(result);
        }
        loop {
            match this.stop.poll_step(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Step::Begins) => this.shared.stop(),
                // The server's future is dropped with this one; the function
                // that awaited it returns, and with `main` the runtime ends
                // the connections still open.
                Poll::Ready(Step::Cut) => return Poll::Ready(Ok(())),
            }
        }
    }
}
