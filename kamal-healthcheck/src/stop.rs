//! Stopping when Kamal stops the container: `docker stop` sends SIGTERM, then
//! SIGKILL after `stop_timeout` (10 s unless deploy.yml sets it).
//!
//! The app is PID 1 of its container, and the kernel delivers to PID 1 only
//! the signals it handles: an app that handles none, or only Ctrl-C (SIGINT),
//! waits out the whole timeout on every deploy and is killed.
//!
//! The stop is the process's, as signals are: one thread of the crate's
//! listens for SIGTERM and SIGINT from the moment the stop is started (the
//! first statement of the function the attribute is on, or the first poll of
//! [`stop_signal`]), so that no signal is lost, whatever the app's runtime is
//! doing (blocking work, a migration before it serves). At the first signal
//! it says so, and every server the stop knows of begins axum's graceful
//! shutdown (at once, for one that starts later). At the deadline, which ends
//! before the SIGKILL, or at a second signal, it ends the process, with one
//! line that says what was still running. "The app has stopped" is written
//! once, when the last function and server the stop knows of have returned.
//!
//! The attribute's servers are in `expansion::stopping`; this module is the
//! process's side: the signals, the deadline and the count of what still runs.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// A signal future, of the app's own.
pub(crate) type BoxSignal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What the process's stop knows: process-wide, as signals are.
#[derive(Default)]
struct Process {
    /// Whether the first signal has come.
    begun: AtomicBool,
    /// The connections the attribute's servers hold open.
    open: AtomicUsize,
    /// Listeners of the signals, only looked at (see [`peek`]).
    peek: Mutex<Option<Signals>>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Whether the signal thread listens (once, for the process's life).
    listening: bool,
    /// `docker stop`'s timeout, as the first start gave it.
    stop_timeout: Option<Duration>,
    /// The annotated functions running, by name.
    functions: Vec<&'static str>,
    /// The servers serving or draining.
    servers: usize,
    /// Whether any server has begun to serve.
    served: bool,
    /// `stop_signal()` futures that have been polled: their servers cannot be
    /// told from the outside to have returned.
    unseen_servers: usize,
    /// The servers waiting for the stop to begin.
    waiting: Vec<Waker>,
    /// When the stop began, at which signal, and whether the app had
    /// returned by then.
    began: Option<(Instant, Received, bool)>,
    /// Whether "the app has stopped" has been written.
    said_stopped: bool,
}

fn process() -> &'static Process {
    static PROCESS: OnceLock<Process> = OnceLock::new();
    PROCESS.get_or_init(Process::default)
}

fn state() -> std::sync::MutexGuard<'static, State> {
    crate::outcome::lock(&process().state)
}

impl State {
    /// `docker stop`'s timeout: the first start's, Docker's 10 s unless
    /// given.
    fn stop_timeout(&self) -> Duration {
        self.stop_timeout.unwrap_or(crate::rules::STOP_TIMEOUT)
    }

    fn active(&self) -> bool {
        !self.functions.is_empty() || self.servers > 0 || self.unseen_servers > 0
    }

    /// After something the stop knows of returned: once the stop has begun
    /// and nothing is left, the app has stopped.
    fn returned(&mut self) {
        if let Some((began, ..)) = self.began {
            if !self.active() && !std::mem::replace(&mut self.said_stopped, true) {
                crate::log::stopped(began.elapsed(), None);
            }
        }
    }
}

/// The function with the attribute, from its first statement to its return:
/// the stop listens for signals from when it is made.
#[must_use = "the stop counts the function as running while this lives"]
pub struct Running(&'static str);

impl Running {
    /// Starts the process's stop, if it was not started yet (with
    /// `stop_timeout`, `docker stop`'s timeout), and counts `function` as
    /// running until this is dropped.
    pub(crate) fn function(function: &'static str, stop_timeout: Duration) -> Self {
        start(stop_timeout);
        state().functions.push(function);
        Self(function)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // The function may return because of a signal its own code heard
        // first: the stop begins before it counts as returned.
        peek();
        let mut state = state();
        if let Some(at) = state.functions.iter().position(|name| *name == self.0) {
            state.functions.remove(at);
        }
        state.returned();
    }
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Running").field(&self.0).finish()
    }
}

/// One server, serving or draining, until dropped.
pub(crate) struct Server(());

impl Server {
    pub(crate) fn new() -> Self {
        let mut state = state();
        state.servers += 1;
        state.served = true;
        Self(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let mut state = state();
        state.servers -= 1;
        state.returned();
    }
}

/// One open connection of the attribute's servers, until dropped.
#[derive(Debug)]
pub(crate) struct OpenGuard(());

/// Counts one more open connection.
pub(crate) fn connection() -> OpenGuard {
    process().open.fetch_add(1, Ordering::Relaxed);
    OpenGuard(())
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        process().open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Whether the stop has begun, or else `cx` is woken when it begins.
pub(crate) fn poll_begun(cx: &mut Context<'_>) -> Poll<()> {
    if process().begun.load(Ordering::Acquire) {
        return Poll::Ready(());
    }
    let mut state = state();
    if process().begun.load(Ordering::Acquire) {
        return Poll::Ready(());
    }
    if !state
        .waiting
        .iter()
        .any(|known| known.will_wake(cx.waker()))
    {
        state.waiting.push(cx.waker().clone());
    }
    Poll::Pending
}

/// Starts the signal thread, once for the process, and returns when it
/// listens: a signal that comes after this is received.
fn start(stop_timeout: Duration) {
    let mut state = state();
    state.stop_timeout.get_or_insert(stop_timeout);
    if std::mem::replace(&mut state.listening, true) {
        return;
    }
    drop(state);
    if !listen() {
        crate::log::no_signals();
    }
}

/// Listens for the signals on a runtime of the crate's own, driven by a
/// thread of its own, so that they are received whatever the app's runtime
/// is doing; `false` if it cannot. The listeners are made here, so that a
/// signal that comes once this returns is received. The thread's lines go to
/// the app's global subscriber, which `main` may install after its first
/// statement.
fn listen() -> bool {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return false;
    };
    let listening = {
        let _entered = runtime.enter();
        Signals::new().zip(Signals::new())
    };
    let Some((mut signals, peek)) = listening else {
        return false;
    };
    *crate::outcome::lock(&process().peek) = Some(peek);
    let watch = async move {
        let first = signals.recv().await;
        begin(first);
        let (began, first, returned, stop_timeout) = {
            let state = state();
            let (began, first, returned) = state.began.expect("begun above");
            (began, first, returned, state.stop_timeout())
        };
        let deadline = crate::rules::stop_deadline(stop_timeout).saturating_sub(began.elapsed());
        let sleep = tokio::time::sleep(deadline);
        tokio::pin!(sleep);
        let why = std::future::poll_fn(|cx| {
            if let Poll::Ready(second) = signals.poll_recv(cx) {
                return Poll::Ready(second.name);
            }
            sleep.as_mut().poll(cx).map(|()| "the deadline")
        })
        .await;
        let running = still_running();
        crate::log::stopped(
            began.elapsed(),
            Some((why, &running.to_string(), running.connections())),
        );
        // The app had returned before the signal came: the process ends as
        // it would have without a handler.
        std::process::exit(if returned { 128 + first.number } else { 0 });
    };
    std::thread::Builder::new()
        .name("kamal-healthcheck-stop".to_owned())
        .spawn(move || runtime.block_on(watch))
        .is_ok()
}

/// Begins the stop at `received`, unless it has begun: says so, and stops
/// every server.
fn begin(received: Received) {
    let (stop_timeout, returned) = {
        let mut state = state();
        if state.began.is_some() {
            return;
        }
        let returned = !state.active();
        state.began = Some((Instant::now(), received, returned));
        (state.stop_timeout(), returned)
    };
    let deadline = crate::rules::stop_deadline(stop_timeout);
    crate::log::stop_begins(received.name, deadline, stop_timeout);
    process().begun.store(true, Ordering::Release);
    for waker in std::mem::take(&mut state().waiting) {
        waker.wake();
    }
    // Nothing the stop knows of runs: the app has returned, because of this
    // signal (its own listener may have heard it first) or before it (a test
    // binary between tests).
    if returned {
        state().returned();
    }
}

/// Begins the stop now if a signal has come that the stop's thread has not
/// taken yet: the app's own listener of it may have been woken first, and
/// the app may be returning because of it. Every listener of a signal is
/// told at once, so a signal the app heard is here.
pub(crate) fn peek() {
    let received = match &mut *crate::outcome::lock(&process().peek) {
        Some(signals) => signals.poll_recv(&mut Context::from_waker(Waker::noop())),
        None => Poll::Pending,
    };
    if let Poll::Ready(received) = received {
        begin(received);
    }
}

/// What still runs when the stop cuts it.
#[derive(Clone, Copy, Debug)]
enum StillRunning {
    /// Connections with a request still running.
    Connections(usize),
    /// Servers still draining, with no connection open.
    Servers(usize),
    /// The function with the attribute, which had not begun to serve.
    NotServing(&'static str),
    /// The function with the attribute, whose servers have returned: it
    /// awaits something else.
    Function(&'static str),
    /// Nothing the stop knows of: work on tokio's blocking pool, or a thread
    /// of the app's.
    Process,
}

impl StillRunning {
    /// The connections cut.
    fn connections(self) -> usize {
        match self {
            Self::Connections(busy) => busy,
            _ => 0,
        }
    }
}

impl std::fmt::Display for StillRunning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = |n: usize| if n == 1 { "" } else { "s" };
        match *self {
            Self::Connections(busy) => write!(
                f,
                "cutting {busy} connection{} with a request still running",
                s(busy)
            ),
            Self::Servers(servers) => {
                write!(f, "cutting {servers} server{} still draining", s(servers))
            }
            Self::NotServing(function) => write!(f, "`{function}` had not begun to serve"),
            Self::Function(function) => write!(
                f,
                "`{function}` had not returned: its servers have stopped, and it awaits \
                 something else"
            ),
            Self::Process => f.write_str(
                "the app had returned, but the process was still running: work on tokio's \
                 blocking pool (`spawn_blocking`) or a thread of the app's",
            ),
        }
    }
}

fn still_running() -> StillRunning {
    let open = process().open.load(Ordering::Relaxed);
    let state = state();
    if open > 0 {
        StillRunning::Connections(open)
    } else if state.servers > 0 {
        StillRunning::Servers(state.servers)
    } else if let Some(function) = state.functions.first() {
        if state.served {
            StillRunning::Function(function)
        } else {
            StillRunning::NotServing(function)
        }
    } else if state.unseen_servers > 0 {
        StillRunning::Servers(state.unseen_servers)
    } else {
        StillRunning::Process
    }
}

/// A signal received.
#[derive(Clone, Copy)]
struct Received {
    name: &'static str,
    number: i32,
}

/// The signals that stop the app: SIGTERM (`docker stop`) and SIGINT
/// (Ctrl-C), each received from the moment this is made.
struct Signals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(not(unix))]
    ctrl_c: BoxSignal,
}

impl Signals {
    /// Listens for both, within a runtime; `None` if it cannot.
    fn new() -> Option<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Some(Self {
                terminate: signal(SignalKind::terminate()).ok()?,
                interrupt: signal(SignalKind::interrupt()).ok()?,
            })
        }
        #[cfg(not(unix))]
        {
            Some(Self {
                ctrl_c: Self::ctrl_c(),
            })
        }
    }

    #[cfg(not(unix))]
    fn ctrl_c() -> BoxSignal {
        Box::pin(async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }

    async fn recv(&mut self) -> Received {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Received> {
        #[cfg(unix)]
        {
            // A stream that ended (never, while the runtime runs) stays pending.
            if let Poll::Ready(Some(())) = self.terminate.poll_recv(cx) {
                return Poll::Ready(Received {
                    name: "SIGTERM",
                    number: 15,
                });
            }
            if let Poll::Ready(Some(())) = self.interrupt.poll_recv(cx) {
                return Poll::Ready(Received {
                    name: "SIGINT",
                    number: 2,
                });
            }
            Poll::Pending
        }
        #[cfg(not(unix))]
        {
            std::task::ready!(self.ctrl_c.as_mut().poll(cx));
            self.ctrl_c = Self::ctrl_c();
            Poll::Ready(Received {
                name: "Ctrl-C",
                number: 2,
            })
        }
    }
}

/// The future to give `axum::serve(..).with_graceful_shutdown(..)` when the
/// app is wrapped in [`HealthCheckLayer`](crate::HealthCheckLayer) by hand:
/// it completes on SIGTERM (`docker stop`) or SIGINT (Ctrl-C), and says so in
/// the log. What still runs at the deadline, which ends before `docker
/// stop`'s SIGKILL (10 s unless [`stop_timeout`](StopSignal::stop_timeout)
/// says otherwise), or at a second signal, is cut: the process exits, with
/// status 0, after a line that says what was still running.
///
/// Signals are listened for from its first poll, that is, from when axum
/// serves. Without a handler for SIGTERM an app that is PID 1 of its
/// container, as apps deployed with Kamal are, ignores `docker stop` and is
/// killed after the timeout, on every deploy. `#[kamal_healthcheck]` on the
/// function that serves does all this itself, from its first statement.
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
        started: false,
        stop_timeout: crate::rules::STOP_TIMEOUT,
    }
}

/// The future [`stop_signal`] makes.
pub struct StopSignal {
    /// Whether the stop was started, at the first poll.
    started: bool,
    stop_timeout: Duration,
}

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

impl Future for StopSignal {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if !std::mem::replace(&mut self.started, true) {
            start(self.stop_timeout);
            state().unseen_servers += 1;
        }
        poll_begun(cx)
    }
}

impl std::fmt::Debug for StopSignal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StopSignal")
            .field("stop_timeout", &self.stop_timeout)
            .finish()
    }
}
