//! What `#[kamal_healthcheck]` on the function that serves makes of
//! `axum::serve(listener, app)`: the same server, stopped when the process's
//! stop ([`crate::stop`]) begins, with the app's own shutdown future driven
//! to its end.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::stop::{BoxSignal, Server};

/// The future `axum::serve(..).with_graceful_shutdown(..)` is given by
/// [`Stopping`]: it completes when the process's stop begins (SIGTERM or
/// SIGINT), or when the app's own shutdown future completes.
///
/// The app's own future keeps being driven after the stop began: axum drops
/// this future once it completes, so what is left of the app's (its cleanup
/// after the signal it waits for) goes on in a task of its own, to its end.
pub struct Shutdown(Option<BoxSignal>);

impl Future for Shutdown {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // The app's first: a signal it waits for was received by the time the
        // stop's thread saw it, so it is ready now if it waits for that signal.
        if let Some(own) = &mut self.0 {
            if own.as_mut().poll(cx).is_ready() {
                self.0 = None;
                // Because of a signal the stop's thread has yet to take?
                crate::stop::peek();
                return Poll::Ready(());
            }
        }
        std::task::ready!(crate::stop::poll_begun(cx));
        if let (Some(own), Ok(runtime)) = (self.0.take(), tokio::runtime::Handle::try_current()) {
            crate::task::spawn(&runtime, own);
        }
        Poll::Ready(())
    }
}

/// What `#[kamal_healthcheck]` makes of `axum::serve(listener, app)` in the
/// function that serves: the same server, which stops when the process's
/// stop begins (on SIGTERM or SIGINT) or on the app's own shutdown future
/// (given with [`with_graceful_shutdown`](Self::with_graceful_shutdown)),
/// and lets the requests in flight finish. Awaited, it gives what the server
/// gives.
pub struct Stopping<T, W, A> {
    serve: T,
    with_shutdown: W,
    local_addr: A,
    own: Option<BoxSignal>,
}

impl<T, W, A, G, R> Stopping<T, W, A>
where
    W: FnOnce(T, Shutdown) -> G,
    A: Fn(&T) -> R,
{
    /// `serve`, given its shutdown future by `with_shutdown` when it is
    /// awaited; `local_addr` asks it for its address.
    pub fn new(serve: T, with_shutdown: W, local_addr: A) -> Self {
        Self {
            serve,
            with_shutdown,
            local_addr,
            own: None,
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

impl<T, W, A, G, R> IntoFuture for Stopping<T, W, A>
where
    W: FnOnce(T, Shutdown) -> G,
    A: Fn(&T) -> R,
    G: IntoFuture<Output = std::io::Result<()>>,
{
    type Output = std::io::Result<()>;
    type IntoFuture = StoppingFuture<G::IntoFuture>;

    fn into_future(self) -> Self::IntoFuture {
        let server = Server::new();
        let serving = (self.with_shutdown)(self.serve, Shutdown(self.own)).into_future();
        StoppingFuture {
            serving,
            _server: server,
        }
    }
}

pin_project! {
    /// The future of [`Stopping`]: the server's, counted by the stop while
    /// it serves or drains.
    pub struct StoppingFuture<F> {
        #[pin]
        serving: F,
        _server: Server,
    }
}

impl<F> Future for StoppingFuture<F>
where
    F: Future<Output = std::io::Result<()>>,
{
    type Output = std::io::Result<()>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().serving.poll(cx)
    }
}
