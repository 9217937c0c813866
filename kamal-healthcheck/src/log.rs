//! What the healthcheck says in the app's log, through `tracing`, under the
//! target `kamal_healthcheck`.
//!
//! When a new container never becomes healthy, Kamal prints its log in the
//! deploy's output: that is where the reason a probe got `503` belongs (the
//! body, on a public path, hides the checks' errors). So:
//! - `WARN` for each readiness check that did not pass, with its error's full
//!   text, at most once a second per check, and at once when its outcome
//!   changes;
//! - `INFO` when the checks pass again (and when the first run passes), when a
//!   check passes again while another still fails, when the start-up gate
//!   first turns a probe away, and when it opens after that;
//! - nothing for a healthy probe, and nothing on normal requests: the probe is
//!   as quiet as Rails' `silence_healthcheck_path` makes it.

use std::time::Duration;

use crate::outcome::{Failed, Failure, Outcome};

/// Fields are written in milliseconds.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The checks a run log speaks of: the healthcheck's path, the checks' names
/// in the order they were added, and their deadline.
pub(crate) struct Checks<'a> {
    pub(crate) path: &'a str,
    pub(crate) names: Vec<&'a str>,
    pub(crate) deadline: Duration,
}

/// What the log said last about each check of one layer, to keep its volume
/// bounded whatever the probe rate and `cache_for`.
#[derive(Default)]
pub(crate) struct RunLog {
    state: std::sync::Mutex<State>,
}

#[derive(Default)]
struct State {
    /// By check index; the last entry is the timer's.
    checks: Vec<Said>,
    /// Whether the last run passed, once there was one.
    ready: Option<bool>,
}

#[derive(Clone, Default)]
struct Said {
    /// The outcome of the check's last run.
    last: Option<&'static str>,
    /// When the last event about it was written.
    at: Option<std::time::Instant>,
    /// Runs with the same failure since that event, not written.
    repeats: u64,
}

/// A check failing the same way is written at most this often.
const EVERY: Duration = Duration::from_secs(1);

impl RunLog {
    /// Writes what a finished run found. Called once per run.
    pub(crate) fn finished(&self, checks: &Checks<'_>, outcome: &Outcome) {
        let path = checks.path;
        let now = std::time::Instant::now();
        let mut state = crate::outcome::lock(&self.state);
        let timer = checks.names.len();
        state.checks.resize(timer + 1, Said::default());
        let ready = outcome.failures.is_empty();
        for (index, &name) in checks.names.iter().enumerate() {
            let said = &mut state.checks[index];
            let failed = outcome.failures.iter().find(|f| f.check == Some(index));
            let Some(failed) = failed else {
                let was_failing = said.last.is_some_and(|last| last != "passed");
                if was_failing && !ready {
                    tracing::info!(
                        target: "kamal_healthcheck",
                        check = name,
                        outcome = "passed",
                        path,
                        "readiness check passes again; others still fail"
                    );
                    said.at = Some(now);
                }
                said.last = Some("passed");
                said.repeats = 0;
                continue;
            };
            warn(said, now, path, failed, checks.deadline);
        }
        match outcome.failures.iter().find(|f| f.check.is_none()) {
            Some(failed) => warn(&mut state.checks[timer], now, path, failed, checks.deadline),
            None => state.checks[timer].last = None,
        }
        if ready && state.ready != Some(true) {
            tracing::info!(
                target: "kamal_healthcheck",
                outcome = "passed",
                elapsed_ms = millis(outcome.elapsed),
                path,
                "readiness checks pass; the healthcheck answers 200"
            );
        }
        state.ready = Some(ready);
    }
}

/// The `WARN` for a check that did not pass, unless the same failure was
/// written less than a second ago.
fn warn(said: &mut Said, now: std::time::Instant, path: &str, failed: &Failed, deadline: Duration) {
    let (outcome, error) = match &failed.failure {
        Failure::Failed(error) => ("failed", error.clone()),
        Failure::TimedOut => (
            "timed out",
            format!("no result within the deadline of {deadline:?}"),
        ),
        Failure::Panicked(Some(message)) => ("panicked", message.clone()),
        Failure::Panicked(None) => ("panicked", "a panic without a message".to_owned()),
    };
    let changed = said.last != Some(outcome);
    let due = said.at.is_none_or(|at| now.duration_since(at) >= EVERY);
    said.last = Some(outcome);
    if !(changed || due) {
        said.repeats += 1;
        return;
    }
    tracing::warn!(
        target: "kamal_healthcheck",
        check = failed.name.as_ref(),
        outcome,
        error = error.as_str(),
        elapsed_ms = millis(failed.elapsed),
        path,
        repeats = said.repeats,
        "readiness check did not pass; the healthcheck answers 503"
    );
    said.at = Some(now);
    said.repeats = 0;
}

/// The start-up gate turned away its first probe.
pub(crate) fn gate_closed(path: &str) {
    tracing::info!(
        target: "kamal_healthcheck",
        outcome = "starting",
        path,
        "start-up gate closed; the healthcheck answers 503 `starting` until the app opens it"
    );
}

/// The start-up gate opened after turning probes away for `waited`.
pub(crate) fn gate_opened(path: &str, waited: Duration) {
    tracing::info!(
        target: "kamal_healthcheck",
        elapsed_ms = millis(waited),
        path,
        "start-up gate opened; the healthcheck runs its checks from now on"
    );
}

/// What the start-up line says: what kamal-proxy will probe, and where the app
/// answers it.
pub(crate) struct Listening<'a> {
    pub(crate) path: &'a str,
    /// The address the listener is bound to, when it is a socket address.
    pub(crate) address: Option<std::net::SocketAddr>,
    pub(crate) checks: Vec<&'a str>,
    pub(crate) deadline: Option<std::time::Duration>,
    /// kamal-proxy's timeout in force (5 s unless told otherwise).
    pub(crate) timeout: std::time::Duration,
    /// How long kamal-proxy gives the container to become healthy.
    pub(crate) deploy_timeout: std::time::Duration,
    /// `proxy.app_port` from deploy.yml, when the attribute read it.
    pub(crate) app_port: Option<u16>,
    /// Kamal's environment, when the app runs in a container Kamal started.
    pub(crate) kamal: Option<Kamal>,
    /// Whether kamal-proxy serves the container's role, as deploy.yml says
    /// (true when it was not read).
    pub(crate) proxied: bool,
}

/// What Kamal tells a container it starts, in its environment.
pub(crate) struct Kamal {
    pub(crate) destination: Option<String>,
}

impl Kamal {
    /// Kamal's environment, if this process runs in a container Kamal
    /// started (`KAMAL_CONTAINER_NAME` or `KAMAL_VERSION` is set).
    pub(crate) fn from_env() -> Option<Self> {
        let var = |name| {
            std::env::var(name)
                .ok()
                .filter(|value: &String| !value.is_empty())
        };
        var("KAMAL_CONTAINER_NAME").or_else(|| var("KAMAL_VERSION"))?;
        Some(Self {
            destination: var("KAMAL_DESTINATION"),
        })
    }
}

/// `items`, with `, ` between them.
fn comma_separated(items: &[&str]) -> String {
    let mut list = String::new();
    for item in items {
        if !list.is_empty() {
            list.push_str(", ");
        }
        list.push_str(item);
    }
    list
}

/// What the start-up line says: where kamal-proxy probes, or, for a role
/// it does not serve, that the healthcheck answers there all the same.
fn headline(at: &Listening<'_>) -> String {
    if at.proxied {
        format!(
            "kamal-proxy probes GET {} here; the healthcheck answers it ahead of the app",
            at.path
        )
    } else {
        format!(
            "kamal-proxy does not serve this role (deploy.yml); the healthcheck answers GET {} \
             here ahead of the app",
            at.path
        )
    }
}

/// The start-up line (`INFO`), and under Kamal an `ERROR` for a listener
/// kamal-proxy probes (on `proxy.app_port`, or any when it was not read) on
/// a loopback address, which it can never reach. A listener on another port
/// (a metrics router beside the app) is not kamal-proxy's: whether any
/// listener is on `proxy.app_port` is the watch's to say, once every one is
/// bound.
pub(crate) fn listening(at: &Listening<'_>) {
    let mut problems = Vec::new();
    // A role kamal-proxy does not serve may listen where it likes.
    if let (Some(_), Some(address), true) = (&at.kamal, at.address, at.proxied) {
        let probed = at.app_port.is_none_or(|port| port == address.port());
        if probed && address.ip().is_loopback() {
            let any = if address.is_ipv6() { "[::]" } else { "0.0.0.0" };
            problems.push(format!(
                "the app listens on {address}, a loopback address: kamal-proxy connects from \
                 its own container and can never reach it; bind {any}:{} instead",
                address.port()
            ));
        }
    }
    {
        let address = at.address.map(|address| address.to_string());
        tracing::info!(
            target: "kamal_healthcheck",
            path = at.path,
            address = address.as_deref().unwrap_or("(not a socket)"),
            port = at.address.map(|address| address.port()),
            checks = comma_separated(&at.checks),
            deadline_ms = at.deadline.map(millis),
            timeout_ms = millis(at.timeout),
            deploy_timeout_ms = millis(at.deploy_timeout),
            destination = at.kamal.as_ref().and_then(|kamal| kamal.destination.as_deref()),
            "{}",
            headline(at)
        );
        for problem in &problems {
            tracing::error!(target: "kamal_healthcheck", path = at.path, "{problem}");
        }
    }
}

/// The app answers the healthcheck path with a route of its own, which the
/// healthcheck keeps from ever running for kamal-proxy (an `ERROR`).
pub(crate) fn own_route(path: &str, status: http::StatusCode) {
    let message = format!(
        "the app answers {path} itself ({status}), with a route of its own that \
         #[kamal_healthcheck] cannot see (in a router returned by another function): the \
         healthcheck answers kamal-proxy's probe first, so that route never runs for it and \
         what it checks is lost; move its check into the attribute (`check(db = ..)`) and \
         remove the route"
    );
    tracing::error!(target: "kamal_healthcheck", path, status = status.as_u16(), "{message}");
}

/// The checks of router functions' attributes at `path` that cannot be tied
/// to one of the apps served there (an `ERROR`). Returns the error the
/// healthcheck then answers with.
pub(crate) fn pairing_ambiguous(path: &str, offers: usize, servings: usize) -> String {
    let calls = match servings {
        1 => "one `axum::serve` call".to_owned(),
        n => format!("{n} `axum::serve` calls"),
    };
    let routers = match offers {
        1 => "one router function's attribute has".to_owned(),
        n => format!("{n} router functions' attributes have"),
    };
    let message = format!(
        "#[kamal_healthcheck] cannot tell which app's readiness checks are which: {calls} \
         with the attribute answer {path}, and {routers} checks for it; the healthcheck \
         answers 503 rather than 200 without them; give the checks to the attribute on the \
         function that serves (`#[kamal_healthcheck(check(db = ..))]`), with each app served \
         by a function of its own"
    );
    error(path, &message);
    pairing_error(path)
}

/// The error the healthcheck answers with when router functions' checks at
/// `path` cannot be tied to one app.
pub(crate) fn pairing_error(path: &str) -> String {
    format!(
        "the checks of the router function's attribute cannot be tied to one app served at \
         {path} (see the ERROR at start-up)"
    )
}

/// Asked at start-up, the app's route at `path` panicked or did not answer
/// in time (`what`): a route of its own there, which the healthcheck keeps
/// from running for kamal-proxy (an `ERROR`).
pub(crate) fn own_route_failed(path: &str, what: &str) {
    let message = format!(
        "asked at start-up whether the app answers {path} itself (one request, User-Agent: \
         kamal-healthcheck), its route there {what}: a route of its own that \
         #[kamal_healthcheck] cannot see, which the healthcheck answers ahead of, so it never \
         runs for kamal-proxy; move its check into the attribute (`check(db = ..)`) and remove \
         the route"
    );
    error(path, &message);
}

/// A healthcheck inside what the attribute serves (a `HealthCheckLayer` placed
/// by hand where the attribute cannot see its type: inside
/// `Shared`, an `option_layer`) answers the path: its checks never run (an
/// `ERROR`).
pub(crate) fn healthcheck_inside(path: &str, status: http::StatusCode) {
    let message = format!(
        "a HealthCheckLayer inside the app served by #[kamal_healthcheck] answers {path} \
         ({status}): the attribute's healthcheck answers kamal-proxy's probe first, so that \
         layer's checks never run and the probe gets 200 whatever they find; give its checks \
         to the attribute (`#[kamal_healthcheck(check(db = ..))]`) and remove the layer"
    );
    tracing::error!(target: "kamal_healthcheck", path, status = status.as_u16(), "{message}");
}

/// A signal started the stop: one `INFO`.
pub(crate) fn stop_begins(signal: &str, deadline: Duration, stop_timeout: Duration) {
    let before = if Kamal::from_env().is_some() {
        format!(", before docker stop's SIGKILL at {stop_timeout:?}")
    } else {
        String::new()
    };
    let message = format!(
        "{signal} received: the app stops taking connections, finishes the requests in \
         flight, and cuts what still runs after {deadline:?}{before}"
    );
    tracing::info!(
        target: "kamal_healthcheck",
        signal,
        deadline_ms = millis(deadline),
        stop_timeout_ms = millis(stop_timeout),
        "{message}"
    );
}

/// The app has stopped, `elapsed` after the stop began: by itself, or cut
/// (`Some`) at the deadline or by a second signal (`why`), with what was
/// still running and the connections cut. One `INFO`.
pub(crate) fn stopped(elapsed: Duration, cut: Option<(&str, &str, usize)>) {
    let message = match cut {
        None => format!("the app has stopped, {elapsed:?} after the signal"),
        Some((why, running, _)) => {
            format!("the app has stopped at {why}, {elapsed:?} after the signal; {running}")
        }
    };
    tracing::info!(
        target: "kamal_healthcheck",
        elapsed_ms = millis(elapsed),
        cut = cut.map_or(0, |(_, _, connections)| connections),
        "{message}"
    );
}

/// The stop cannot listen for signals (no thread, or no signal handler
/// could be installed): one `WARN`.
pub(crate) fn no_signals() {
    let message = "SIGTERM and SIGINT cannot be listened for: the app will not stop on \
                   `docker stop` before its SIGKILL";
    tracing::warn!(target: "kamal_healthcheck", "{message}");
}

/// An `ERROR`.
fn error(path: &str, message: &str) {
    tracing::error!(target: "kamal_healthcheck", path, "{message}");
}

/// kamal-proxy probed `probed`, not the healthcheck's `path`.
pub(crate) fn probed_elsewhere(probed: &str, path: &str) {
    error(
        path,
        &format!(
            "kamal-proxy probes {probed}, but the healthcheck answers {path}: the probe goes to \
             the app, which does not answer it 2xx, and the deploy will fail with \"target \
             failed to become healthy\"; make the two the same: `proxy: healthcheck: path: \
             {path}` in config/deploy.yml (and in the destination's file, if it sets one), or \
             `#[kamal_healthcheck(deploy = \"config/deploy.yml\")]` to read it from there"
        ),
    );
}

/// No request for the healthcheck path `waited` after the listener was bound.
pub(crate) fn never_probed(
    path: &str,
    listeners: &[std::net::SocketAddr],
    app_port: Option<u16>,
    waited: Duration,
    deploy_timeout: Duration,
) {
    let list = |listeners: &[std::net::SocketAddr]| {
        let mut list = String::new();
        for (i, address) in listeners.iter().enumerate() {
            let before = match i {
                0 => "",
                i if i + 1 == listeners.len() => " and ",
                _ => ", ",
            };
            list.push_str(&format!("{before}{address}"));
        }
        if list.is_empty() {
            list.push_str("a socket that is not TCP");
        }
        list
    };
    let (port, listens) = match app_port {
        Some(port) => {
            let probed: Vec<_> = listeners
                .iter()
                .copied()
                .filter(|address| address.port() == port)
                .collect();
            let listens = if probed.is_empty() {
                let set = match listeners {
                    [one] => format!("`proxy.app_port: {}`", one.port()),
                    _ => "`proxy.app_port` to the app's port".to_owned(),
                };
                format!(
                    "the app listens on {}, none of them on port {port}: listen on it, or set \
                     {set}",
                    list(listeners)
                )
            } else {
                format!("the app listens on {}", list(&probed))
            };
            (
                format!("port {port} (deploy.yml's `proxy.app_port`)"),
                listens,
            )
        }
        None => (
            "deploy.yml's `proxy.app_port` (80 unless set)".to_owned(),
            format!("the app listens on {}", list(listeners)),
        ),
    };
    error(
        path,
        &format!(
            "no probe has reached the app {waited:?} after it started: kamal-proxy \
             should be sending GET {path} to the container's {port}, and {listens}; the deploy \
             fails after {deploy_timeout:?} (`deploy_timeout`) without one; check that \
             `proxy.app_port` is the port the app listens on, that it listens on 0.0.0.0 or \
             [::], and what `kamal proxy logs` says about the target"
        ),
    );
}

/// No 2xx answered at `elapsed` of `deploy_timeout`: the deploy is about to
/// fail, `why`.
pub(crate) fn deadline_near(path: &str, elapsed: Duration, deploy_timeout: Duration, why: &str) {
    error(
        path,
        &format!(
            "the deploy is about to fail: kamal-proxy gives the container {deploy_timeout:?} \
             (`deploy_timeout`) to answer GET {path} with a 2xx, {elapsed:?} have passed, and \
             none was answered: {why}"
        ),
    );
}

/// The deploy's deadline has passed: the watch ends (`DEBUG`).
pub(crate) fn watch_over(path: &str, deploy_timeout: Duration) {
    tracing::debug!(
        target: "kamal_healthcheck",
        path,
        deploy_timeout_ms = millis(deploy_timeout),
        "kamal-proxy's deploy_timeout has passed; the healthcheck no longer watches for its probe"
    );
}
