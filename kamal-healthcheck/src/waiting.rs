//! What the app says while a deploy waits for it, in the log Kamal prints when
//! the deploy fails: kamal-proxy probes a new container until it answers a
//! 2xx or `deploy_timeout` (30 s unless deploy.yml sets it) runs out. Under
//! Kamal only (its `KAMAL_*` variables are set), from the moment the listener
//! is bound:
//!
//! - no request for the healthcheck path a third of the way into the
//!   deadline: one `ERROR` with where kamal-proxy should be probing;
//! - a request from kamal-proxy (`User-Agent: kamal-proxy`) for another path:
//!   one `ERROR` with both paths. Normal requests pay one relaxed load of a
//!   flag for it, which is on only until the healthcheck is probed or the
//!   deadline has passed;
//! - no 2xx answered two thirds of the way: one `ERROR` that the deploy is
//!   about to fail, and why (the gate, the failing checks).
//!
//! The state is the process's: a deploy starts one app per container.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::readiness::Readiness;

/// A request for a healthcheck path has arrived.
static PROBED: AtomicBool = AtomicBool::new(false);
/// A healthcheck has answered a 2xx.
static HEALTHY: AtomicBool = AtomicBool::new(false);
/// Requests for other paths are looked at for kamal-proxy's User-Agent.
static WATCHING: AtomicBool = AtomicBool::new(false);
/// kamal-proxy has been seen probing another path.
static ELSEWHERE: AtomicBool = AtomicBool::new(false);
/// The watch was started (once per process).
static STARTED: AtomicBool = AtomicBool::new(false);

/// A request for the healthcheck path arrived from outside the process (not
/// `probe`'s, nor the start-up question's): kamal-proxy found it.
#[inline]
pub(crate) fn probed() {
    if !PROBED.load(Ordering::Relaxed) {
        PROBED.store(true, Ordering::Relaxed);
        WATCHING.store(false, Ordering::Relaxed);
    }
}

/// The healthcheck answered `status`.
#[inline]
pub(crate) fn answered(status: http::StatusCode) {
    if status.is_success() && !HEALTHY.load(Ordering::Relaxed) {
        HEALTHY.store(true, Ordering::Relaxed);
    }
}

/// Whether requests for other paths are to be looked at.
#[inline(always)]
pub(crate) fn watching() -> bool {
    WATCHING.load(Ordering::Relaxed)
}

/// Whether kamal-proxy sent `request`: its health check always says so in
/// its `User-Agent` (`kamal-proxy`), where a Docker `HEALTHCHECK`, a local
/// client or the app's self-probe do not.
#[inline]
pub(crate) fn from_proxy(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::USER_AGENT)
        .is_some_and(|agent| agent.as_bytes().starts_with(b"kamal-proxy"))
}

/// A request for a path other than `path` while watching: kamal-proxy's, it
/// probes another path, which is said once, and instead of the watch's
/// other lines.
#[cold]
#[inline(never)]
pub(crate) fn elsewhere<B>(request: &http::Request<B>, path: &str) {
    if !from_proxy(request.headers()) || !WATCHING.swap(false, Ordering::Relaxed) {
        return;
    }
    ELSEWHERE.store(true, Ordering::Relaxed);
    crate::log::probed_elsewhere(request.uri().path(), path);
}

/// When the process started, as near as the crate knows: the first
/// statement of the function with the attribute, else when the app first
/// said where it listens. kamal-proxy counts `deploy_timeout` from the
/// container's start, so the watch counts from here.
pub(crate) fn started() -> Instant {
    static STARTED_AT: OnceLock<Instant> = OnceLock::new();
    *STARTED_AT.get_or_init(Instant::now)
}

/// The addresses the app's servers listen on: the watch names the one
/// kamal-proxy probes, or says that none is on its port.
static LISTENERS: Mutex<Vec<std::net::SocketAddr>> = Mutex::new(Vec::new());

/// A server of the app's listens on `address`.
pub(crate) fn listens(address: std::net::SocketAddr) {
    let mut listeners = crate::outcome::lock(&LISTENERS);
    if !listeners.contains(&address) {
        listeners.push(address);
    }
}

/// What the watch needs to know.
pub(crate) struct Deploy<'a> {
    pub(crate) path: &'a str,
    /// The port kamal-proxy targets (deploy.yml's `proxy.app_port`), when read.
    pub(crate) app_port: Option<u16>,
    pub(crate) deploy_timeout: Duration,
    pub(crate) readiness: Option<Arc<Readiness>>,
}

/// Starts the watch, once per process, on a task of its own.
pub(crate) fn start(deploy: Deploy<'_>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    if STARTED.swap(true, Ordering::Relaxed) {
        return;
    }
    if !PROBED.load(Ordering::Relaxed) {
        WATCHING.store(true, Ordering::Relaxed);
    }
    let path = deploy.path.to_owned();
    let (app_port, deadline) = (deploy.app_port, deploy.deploy_timeout);
    let readiness = deploy.readiness;
    let since = tokio::time::Instant::from_std(started());
    crate::task::spawn(&runtime, async move {
        tokio::time::sleep_until(since + deadline / 3).await;
        let elsewhere = || ELSEWHERE.load(Ordering::Relaxed);
        // kamal-proxy probing another path was said already.
        if !PROBED.load(Ordering::Relaxed) && !elsewhere() {
            let listeners = crate::outcome::lock(&LISTENERS).clone();
            crate::log::never_probed(&path, &listeners, app_port, deadline / 3, deadline);
        }
        tokio::time::sleep_until(since + deadline * 2 / 3).await;
        if !HEALTHY.load(Ordering::Relaxed) {
            let why = match (PROBED.load(Ordering::Relaxed), &readiness) {
                (false, _) if elsewhere() => {
                    "kamal-proxy probes another path (said above)".to_owned()
                }
                (false, _) => "no request for it has reached the app".to_owned(),
                (true, Some(readiness)) => readiness
                    .not_ready()
                    .unwrap_or_else(|| "its answers were not 2xx".to_owned()),
                (true, None) => "its answers were not 2xx".to_owned(),
            };
            crate::log::deadline_near(&path, deadline * 2 / 3, deadline, &why);
        }
        tokio::time::sleep_until(since + deadline).await;
        WATCHING.store(false, Ordering::Relaxed);
        crate::log::watch_over(&path, deadline);
    });
}
