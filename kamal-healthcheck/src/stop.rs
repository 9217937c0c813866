//! Stopping when Kamal stops the container: `docker stop` sends SIGTERM, then
//! SIGKILL after `stop_timeout` (10 s unless deploy.yml sets it).
//!
//! The app is PID 1 of its container, and the kernel delivers to PID 1 only
//! the signals it handles: an app that handles none, or only Ctrl-C (SIGINT),
//! waits out the whole timeout on every deploy and is killed. Here SIGTERM and
//! SIGINT start axum's graceful shutdown (the listener closes, requests in
//! flight finish), and whatever still runs at the deadline, which ends before
//! the SIGKILL, is cut, as it is at once by a second signal.
//!
//! [`stop_signal`] is the future to give `with_graceful_shutdown`; the
//! attribute on the function that serves does the same itself, through
//! `expansion::stopping`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
#[cfg(feature = "tokio")]
use std::task::{Context, Poll};
#[cfg(feature = "tokio")]
use std::time::{Duration, Instant};

#[cfg(feature = "tokio")]
use crate::rules::{STOP_TIMEOUT, stop_deadline};

/// A signal future, of the app's own or the attribute's.
pub(crate) type BoxSignal = Pin<Box<dyn Future<Output = ()> + Send>>;

#[cfg(feature = "tokio")]
/// The signals that stop the app: SIGTERM (`docker stop`) and SIGINT
/// (Ctrl-C), each received from the moment this is made.
struct Signals {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(not(unix))]
    ctrl_c: BoxSignal,
}

#[cfg(feature = "tokio")]
impl Signals {
    /// Listens for both; needs a tokio runtime with its I/O driver, as
    /// `#[tokio::main]` starts. A signal that cannot be listened for (no
    /// runtime) is never received.
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let listen = |kind| {
                tokio::runtime::Handle::try_current()
                    .ok()
                    .and_then(|_| signal(kind).ok())
            };
            Self {
                terminate: listen(SignalKind::terminate()),
                interrupt: listen(SignalKind::interrupt()),
            }
        }
        #[cfg(not(unix))]
        {
            Self {
                ctrl_c: Box::pin(async {
                    if tokio::signal::ctrl_c().await.is_err() {
                        std::future::pending::<()>().await;
                    }
                }),
            }
        }
    }

    /// The name of the next signal received.
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<&'static str> {
        #[cfg(unix)]
        {
            for (signal, name) in [
                (&mut self.terminate, "SIGTERM"),
                (&mut self.interrupt, "SIGINT"),
            ] {
                if let Some(listening) = signal {
                    if let Poll::Ready(received) = listening.poll_recv(cx) {
                        if received.is_none() {
                            *signal = None;
                            continue;
                        }
                        return Poll::Ready(name);
                    }
                }
            }
            Poll::Pending
        }
        #[cfg(not(unix))]
        {
            std::task::ready!(self.ctrl_c.as_mut().poll(cx));
            self.ctrl_c = Box::pin(async {
                let _ = tokio::signal::ctrl_c().await;
            });
            Poll::Ready("Ctrl-C")
        }
    }
}

#[cfg(feature = "tokio")]
/// Where a stop is: listening for the signal, then draining until the
/// deadline.
pub(crate) struct Stop {
    signals: Signals,
    own: Option<BoxSignal>,
    stop_timeout: Duration,
    open: Option<Open>,
    draining: Option<(Instant, Pin<Box<tokio::time::Sleep>>)>,
}

#[cfg(feature = "tokio")]
/// What a poll of [`Stop`] found.
pub(crate) enum Step {
    /// The stop begins now.
    Begins,
    /// The deadline came, or a second signal: cut what still runs.
    Cut,
}

#[cfg(feature = "tokio")]
impl Stop {
    pub(crate) fn new(stop_timeout: Duration, own: Option<BoxSignal>, open: Option<Open>) -> Self {
        Self {
            signals: Signals::new(),
            own,
            stop_timeout,
            open,
            draining: None,
        }
    }

    pub(crate) fn poll_step(&mut self, cx: &mut Context<'_>) -> Poll<Step> {
        match &mut self.draining {
            None => {
                let received = match self.signals.poll_recv(cx) {
                    Poll::Ready(name) => Some(name),
                    Poll::Pending => None,
                };
                let own = received.is_none()
                    && self
                        .own
                        .as_mut()
                        .is_some_and(|own| own.as_mut().poll(cx).is_ready());
                if received.is_none() && !own {
                    return Poll::Pending;
                }
                let deadline = stop_deadline(self.stop_timeout);
                crate::log::stop_begins(received, deadline, self.stop_timeout);
                let sleep = Box::pin(tokio::time::sleep(deadline));
                self.draining = Some((Instant::now(), sleep));
                Poll::Ready(Step::Begins)
            }
            Some((since, sleep)) => {
                let second = self.signals.poll_recv(cx);
                if sleep.as_mut().poll(cx).is_pending() && second.is_pending() {
                    return Poll::Pending;
                }
                let why = match second {
                    Poll::Ready(name) => name,
                    Poll::Pending => "the deadline",
                };
                let cut = self.open.as_ref().map(Open::count);
                crate::log::stopped(since.elapsed(), Some((why, cut)));
                Poll::Ready(Step::Cut)
            }
        }
    }

    /// The server returned by itself.
    pub(crate) fn ended(&self) {
        if let Some((since, _)) = &self.draining {
            crate::log::stopped(since.elapsed(), None);
        }
    }
}

#[cfg(feature = "tokio")]
/// The future to give `axum::serve(..).with_graceful_shutdown(..)` when the
/// app is wrapped in [`HealthCheckLayer`](crate::HealthCheckLayer) by hand:
/// it completes on SIGTERM (`docker stop`) or SIGINT (Ctrl-C), and says so in
/// the log. What still runs at the deadline, which ends before `docker
/// stop`'s SIGKILL (10 s unless [`stop_timeout`](StopSignal::stop_timeout)
/// says otherwise), or at a second signal, is cut: the process exits, with
/// status 0, after a line that says so.
///
/// Without a handler for SIGTERM an app that is PID 1 of its container, as
/// apps deployed with Kamal are, ignores `docker stop` and is killed after
/// the timeout, on every deploy. `#[kamal_healthcheck]` on the function that
/// serves does all this itself.
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use axum::{Router, ServiceExt, extract::Request};
/// use kamal_healthcheck::HealthCheckLayer;
/// use tower::Layer;
///
/// let app = HealthCheckLayer::new().layer(Router::new());
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:80").await?;
/// axum::serve(listener, ServiceExt::<Request>::into_make_service(app))
///     .with_graceful_shutdown(kamal_healthcheck::stop_signal())
///     .await
/// # }
/// ```
pub fn stop_signal() -> StopSignal {
    StopSignal {
        stop: None,
        stop_timeout: STOP_TIMEOUT,
    }
}

#[cfg(feature = "tokio")]
/// The future [`stop_signal`] makes.
pub struct StopSignal {
    /// Made at the first poll, within the runtime.
    stop: Option<Stop>,
    stop_timeout: Duration,
}

#[cfg(feature = "tokio")]
impl StopSignal {
    /// `docker stop`'s timeout for this deployment: deploy.yml's
    /// `stop_timeout` (Kamal 2.12), 10 s unless set. What still runs is cut
    /// before it.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// // deploy.yml: stop_timeout: 30
    /// let signal = kamal_healthcheck::stop_signal().stop_timeout(Duration::from_secs(30));
    /// ```
    pub fn stop_timeout(mut self, stop_timeout: Duration) -> Self {
        self.stop_timeout = stop_timeout;
        self
    }
}

#[cfg(feature = "tokio")]
impl Future for StopSignal {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let stop_timeout = self.stop_timeout;
        let stop = self
            .stop
            .get_or_insert_with(|| Stop::new(stop_timeout, None, None));
        match stop.poll_step(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Step::Begins) => {
                let mut stop = self.stop.take().expect("made above");
                // The server drains; the deadline and a second signal are
                // watched on a task of their own, which ends the process.
                let runtime = tokio::runtime::Handle::current();
                crate::task::spawn(&runtime, async move {
                    std::future::poll_fn(|cx| stop.poll_step(cx)).await;
                    std::process::exit(0);
                });
                Poll::Ready(())
            }
            Poll::Ready(Step::Cut) => Poll::Ready(()),
        }
    }
}

#[cfg(feature = "tokio")]
impl std::fmt::Debug for StopSignal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StopSignal")
            .field("stop_timeout", &self.stop_timeout)
            .finish()
    }
}

/// The connections a served app holds open, counted by
/// [`Served`](crate::expansion::serving::Served): those still open when the deadline
/// cuts them are the requests cut.
#[derive(Clone, Debug, Default)]
pub struct Open(Arc<AtomicUsize>);

impl Open {
    /// Counts one more connection, until the guard is dropped.
    pub(crate) fn connection(&self) -> OpenGuard {
        self.0.fetch_add(1, Ordering::Relaxed);
        OpenGuard(self.0.clone())
    }

    #[cfg(feature = "tokio")]
    pub(crate) fn count(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// One open connection.
#[derive(Debug)]
pub(crate) struct OpenGuard(Arc<AtomicUsize>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
