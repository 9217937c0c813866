//! What a probe found: the [`Verdict`] and the [`ProbeReport`], whose message
//! names the cause and the fix.

use std::fmt;
use std::time::Duration;

use http::header::WWW_AUTHENTICATE;
use http::{HeaderMap, StatusCode};

use super::request::MAX_REDIRECTS;
use crate::answer::FailedChecks;
use crate::rules::CONTAINER_HOST;

pub(super) fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    answered: bool,
    failed: Option<&FailedChecks>,
) -> Verdict {
    if status.is_success() {
        return if answered {
            Verdict::Healthy
        } else {
            Verdict::AnsweredByApp
        };
    }
    if answered {
        return match (status, failed) {
            (StatusCode::SERVICE_UNAVAILABLE, Some(_)) => Verdict::NotReady,
            (StatusCode::SERVICE_UNAVAILABLE, None) => Verdict::Starting,
            _ => Verdict::OtherStatus,
        };
    }
    match status.as_u16() {
        401 => Verdict::Auth,
        403 if headers.contains_key(WWW_AUTHENTICATE) => Verdict::Auth,
        400 | 403 | 421 => Verdict::HostCheck,
        404 => Verdict::NotFound,
        429 => Verdict::RateLimit,
        _ => Verdict::OtherStatus,
    }
}

/// What answered kamal-proxy's probe, by the class of cause: see
/// [`ProbeReport::verdict`].
///
/// ```
/// use axum::{Router, routing::get};
/// use kamal_healthcheck::Verdict;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let app = Router::new().route("/up", get(|| async { "mine" }));
/// let report = kamal_healthcheck::probe(app).await;
/// assert_eq!(report.verdict(), Verdict::AnsweredByApp); // a 2xx, not the healthcheck's
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Verdict {
    /// The healthcheck answered `2xx`: the container becomes healthy.
    Healthy,
    /// A route of the app's own at the path answered, not `2xx` (a `500` from
    /// a health route whose database is down, say), and the healthcheck is not
    /// at that path: told apart from middleware ahead of every route by a
    /// second request to a path no route has, which gets another answer.
    AppRoute,
    /// Something other than the healthcheck (a route of the app at the path)
    /// answered `2xx`: healthy for kamal-proxy, but no readiness check ran and
    /// nothing keeps middleware from blocking it later.
    AnsweredByApp,
    /// A redirect to `https://` ahead of the healthcheck.
    HttpsRedirect,
    /// A redirect to another host or an unusable location, or more than 10.
    OtherRedirect,
    /// `400`, `403` or `421` not from the healthcheck: a host check.
    HostCheck,
    /// `401`, or `403` with `www-authenticate`: authentication.
    Auth,
    /// `429`: a rate limit.
    RateLimit,
    /// `404`: nothing answers the path (a nest prefix, another path in
    /// deploy.yml, no healthcheck installed).
    NotFound,
    /// `503` from the healthcheck: readiness checks failed.
    NotReady,
    /// `503 starting` from the healthcheck: the start-up gate is closed.
    Starting,
    /// No answer within the timeout.
    TimedOut,
    /// The service returned an error instead of a response.
    Error,
    /// The service panicked.
    Panicked,
    /// The app reads the peer's address (axum's `ConnectInfo`), which an
    /// in-process probe does not have: kamal-proxy's real probe, over a
    /// connection, does, so this says nothing about the deploy; probe again
    /// with [`Probe::extension`](super::Probe::extension).
    PeerAddress,
    /// Any other status, not from the healthcheck.
    OtherStatus,
}

/// What kamal-proxy's probe met: the final status, whether the healthcheck
/// itself answered, and, when the container would not become healthy, a message
/// that says what happened and what to do (its [`Display`](fmt::Display)).
///
/// Tests assert it in one line with [`assert_healthy`](Self::assert_healthy);
/// `main` checks the exact service it is about to serve with
/// [`ensure_reachable`](Self::ensure_reachable):
///
/// ```no_run
/// use axum::{Router, ServiceExt, extract::Request};
/// use kamal_healthcheck::HealthCheckLayer;
/// use tower::Layer;
///
/// #[tokio::main]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let app = HealthCheckLayer::new().layer(Router::new());
///     // Refuses to start when something other than the healthcheck answers.
///     kamal_healthcheck::probe(app.clone()).await.ensure_reachable()?;
///
///     let listener = tokio::net::TcpListener::bind("0.0.0.0:80").await?;
///     axum::serve(listener, ServiceExt::<Request>::into_make_service(app)).await?;
///     Ok(())
/// }
/// ```
///
/// Its `Debug` is the message too, so that `main` returning it shows the reason.
#[derive(Clone)]
pub struct ProbeReport {
    pub(super) path: String,
    pub(super) timeout: Duration,
    pub(super) verdict: Verdict,
    pub(super) status: Option<StatusCode>,
    pub(super) answered: bool,
    pub(super) redirects: Vec<String>,
    pub(super) location: Option<String>,
    pub(super) detail: Option<String>,
    /// Whether `#[kamal_healthcheck]` on a function that serves, running in
    /// this process, answers the path around what it serves: then the app
    /// probed is that function's before the healthcheck is put around it.
    pub(super) served_around: bool,
}

impl ProbeReport {
    /// The class of what answered.
    ///
    /// ```
    /// use kamal_healthcheck::HealthCheckLayer;
    /// use kamal_healthcheck::Verdict;
    /// use tower::Layer;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let app = HealthCheckLayer::new().layer(axum::Router::new());
    /// assert_eq!(kamal_healthcheck::probe(app).await.verdict(), Verdict::Healthy);
    /// # }
    /// ```
    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    /// The final status (after the redirects followed); `None` when no response
    /// came (a timeout, an error, a panic).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let report = kamal_healthcheck::probe(axum::Router::new()).await;
    /// assert_eq!(report.status(), Some(http::StatusCode::NOT_FOUND));
    /// # }
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// Whether the final answer came from the healthcheck (`HealthCheckLayer` or
    /// the route `#[kamal_healthcheck]` installs), whatever its status.
    ///
    /// ```
    /// use axum::{Router, routing::get};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let app = Router::new().route("/up", get(|| async { "fine" }));
    /// let report = kamal_healthcheck::probe(app).await;
    /// assert!(report.is_healthy() && !report.answered_by_healthcheck());
    /// # }
    /// ```
    pub fn answered_by_healthcheck(&self) -> bool {
        self.answered
    }

    /// Whether kamal-proxy takes the container for healthy: a `2xx`, from the
    /// healthcheck or not.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// assert!(!kamal_healthcheck::probe(axum::Router::new()).await.is_healthy());
    /// # }
    /// ```
    pub fn is_healthy(&self) -> bool {
        matches!(self.verdict, Verdict::Healthy | Verdict::AnsweredByApp)
    }

    /// Panics with the report's message unless kamal-proxy would take the
    /// container for healthy: the one line of a test.
    ///
    /// ```should_panic
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// // panics: "... was answered 404 Not Found ... the healthcheck is not at this path ..."
    /// kamal_healthcheck::probe(axum::Router::new()).await.assert_healthy();
    /// # }
    /// ```
    #[track_caller]
    pub fn assert_healthy(&self) {
        if !self.is_healthy() {
            panic!("{self}");
        }
    }

    /// For `main`: `Err` when the probe never reaches the healthcheck and cannot
    /// become healthy (something ahead of it answers, nothing answers, the
    /// service fails), so the app can refuse to start. A `503` from the
    /// healthcheck itself is `Ok`: the gate is still closed or a dependency is
    /// not up yet, and kamal-proxy keeps probing. So is any `2xx`.
    ///
    /// ```
    /// use kamal_healthcheck::{HealthCheckLayer, StartupGate};
    /// use tower::Layer;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let gate = StartupGate::new();
    /// let app = HealthCheckLayer::new().gate(gate.clone()).layer(axum::Router::new());
    /// let report = kamal_healthcheck::probe(app).await;
    /// assert!(!report.is_healthy()); // 503 starting
    /// assert!(report.ensure_reachable().is_ok());
    /// # }
    /// ```
    ///
    /// In a function that serves with `#[kamal_healthcheck]` on it, the app
    /// before `axum::serve` is not what kamal-proxy meets: the attribute puts
    /// the healthcheck around it, so there it is `Ok` too, and the report
    /// says so.
    pub fn ensure_reachable(self) -> Result<Self, Self> {
        if self.is_healthy() || self.answered || self.served_around {
            Ok(self)
        } else {
            Err(self)
        }
    }

    fn request(&self) -> String {
        format!(
            "kamal-proxy's probe (`GET {}`, plain HTTP, `Host: {CONTAINER_HOST}`)",
            self.path
        )
    }

    /// "was answered 400 Bad Request after 1 redirect (/old) with "unknown host"".
    fn answer(&self) -> String {
        let status = self
            .status
            .map_or_else(String::new, |status| status.to_string());
        let body = match &self.detail {
            Some(excerpt) if !self.answered => format!(" with \"{excerpt}\""),
            _ => String::new(),
        };
        format!(
            "{} was answered {status}{}{body}",
            self.request(),
            self.after()
        )
    }

    /// " after 2 redirects (/a -> /b)", or nothing.
    fn after(&self) -> String {
        match self.redirects.len() {
            0 => String::new(),
            count => format!(
                " after {count} redirect{} ({})",
                if count == 1 { "" } else { "s" },
                self.redirects.join(" -> ")
            ),
        }
    }

    /// "was redirected to https://... (301 Moved Permanently)".
    fn redirected(&self) -> String {
        format!(
            "{} was redirected to {} ({}){}",
            self.request(),
            self.location.as_deref().unwrap_or_default(),
            self.status
                .map_or_else(String::new, |status| status.to_string()),
            self.after()
        )
    }
}

/// The fix for everything that answers ahead of the healthcheck.
pub(super) const OUTERMOST: &str = "make the healthcheck the outermost layer of what is served: put \
    `#[kamal_healthcheck]` on the function that calls `axum::serve` (such as `main`), or wrap \
    the finished app last, `HealthCheckLayer::new().layer(app)`, right before `axum::serve`";
pub(super) const FAILS: &str = "the probe never gets a 2xx and the deploy fails with \"target failed to \
    become healthy\"";

impl ProbeReport {
    /// The message in rustc's shape: the verdict, then `= note:` with the
    /// cause and what it does to the deploy, then `= help:` with the fix.
    fn parts(&self) -> (String, String, Option<String>) {
        let answer = self.answer();
        let outermost = || Some(OUTERMOST.to_owned());
        if self.served_around && !self.answered && !self.is_healthy() {
            return (
                format!("{answer}, by the app as it is before `axum::serve`"),
                format!(
                    "`#[kamal_healthcheck]` on the function that serves answers `{}` around \
                     what `axum::serve` serves, ahead of everything in it, so kamal-proxy's \
                     probe never reaches this app: the answer says nothing about the deploy",
                    self.path
                ),
                Some(
                    "remove this probe: the attribute says at start-up what kamal-proxy probes, \
                     and in the log why a probe fails; test the app with `probe(..)` where the \
                     attribute is on the function that builds the router"
                        .to_owned(),
                ),
            );
        }
        match self.verdict {
            Verdict::Healthy => (
                format!("{answer} by the healthcheck"),
                "the container becomes healthy".to_owned(),
                None,
            ),
            Verdict::AnsweredByApp => (
                format!("{answer}, not by the healthcheck but by a route of the app"),
                "kamal-proxy takes it as healthy, but no readiness check ran and any middleware \
                 added ahead of that route can block it"
                    .to_owned(),
                Some(
                    "serve the path with the healthcheck (`HealthCheckLayer`, or \
                     `#[kamal_healthcheck]` on the router function)"
                        .to_owned(),
                ),
            ),
            Verdict::HttpsRedirect => (
                format!("{} before it reached the healthcheck", self.redirected()),
                format!(
                    "an HTTPS redirect runs first, and kamal-proxy probes the container over \
                     plain HTTP, so {FAILS}"
                ),
                outermost(),
            ),
            Verdict::OtherRedirect => (
                format!(
                    "{}, which does not lead back to the healthcheck",
                    self.redirected()
                ),
                format!(
                    "the redirect goes to another host or port, or past {MAX_REDIRECTS} \
                     redirects, where Go's client gives up, so {FAILS}"
                ),
                outermost(),
            ),
            Verdict::HostCheck => (
                format!("{answer}, not by the healthcheck"),
                format!(
                    "a host check, most likely, runs first, and kamal-proxy's probe carries the \
                     container's own address as `Host`, which no allow-list contains, so {FAILS}"
                ),
                outermost(),
            ),
            Verdict::Auth => (
                format!("{answer}, not by the healthcheck"),
                format!(
                    "authentication runs first, and kamal-proxy's probe carries no credentials, \
                     so {FAILS}"
                ),
                outermost(),
            ),
            Verdict::RateLimit => (
                format!("{answer}, not by the healthcheck"),
                "a rate limit runs first, and kamal-proxy probes every second, so a limited \
                 probe fails"
                    .to_owned(),
                outermost(),
            ),
            Verdict::NotFound => (
                format!("{answer}, not by the healthcheck"),
                format!(
                    "nothing in this service answers `{path}`: the router with the healthcheck \
                     may be nested under a prefix (`.nest(\"/app\", router)` moves it to \
                     `/app{path}`), `proxy: healthcheck: path:` in config/deploy.yml may differ \
                     from the path the app answers (`#[kamal_healthcheck(path = \"...\")]`, \
                     `HealthCheckLayer::with_path`), or no healthcheck is installed",
                    path = self.path
                ),
                Some(
                    "wrap the whole app in `HealthCheckLayer` at the path kamal-proxy probes"
                        .to_owned(),
                ),
            ),
            Verdict::NotReady => (
                format!(
                    "{} was answered 503 by the healthcheck: not ready",
                    self.request()
                ),
                format!(
                    "the app is reachable, but its readiness checks failed, and kamal-proxy \
                     keeps probing until the deploy times out:{}",
                    self.detail
                        .as_deref()
                        .unwrap_or_default()
                        .lines()
                        .map(|line| format!("\n  {line}"))
                        .collect::<String>()
                ),
                Some(
                    "make the failing checks pass (the app's log says why each failed)".to_owned(),
                ),
            ),
            Verdict::Starting => (
                format!(
                    "{} was answered 503 `starting` by the healthcheck",
                    self.request()
                ),
                "its start-up gate is still closed, and kamal-proxy keeps probing until the \
                 deploy times out"
                    .to_owned(),
                Some("call `StartupGate::open()` once start-up is done".to_owned()),
            ),
            Verdict::TimedOut => (
                format!(
                    "{}{} got no answer within {:?}, kamal-proxy's timeout",
                    self.request(),
                    self.after(),
                    self.timeout
                ),
                "something ahead of the healthcheck is waiting (a concurrency limit or buffer \
                 that is full, a lock, a pool with no free connection, a middleware that never \
                 returns), and kamal-proxy counts each such probe as failed"
                    .to_owned(),
                outermost(),
            ),
            Verdict::Error => (
                format!(
                    "{} got an error from the service instead of an answer: {}",
                    self.request(),
                    self.detail.as_deref().unwrap_or_default()
                ),
                "the connection is closed and kamal-proxy counts a failed probe".to_owned(),
                Some("make the service answer the probe instead of failing it".to_owned()),
            ),
            Verdict::Panicked => (
                format!(
                    "{} made the service panic{}",
                    self.request(),
                    match &self.detail {
                        Some(message) => format!(" (\"{message}\")"),
                        None => String::new(),
                    }
                ),
                "the connection is closed and kamal-proxy counts a failed probe; a middleware \
                 ahead of the healthcheck that expects a header kamal-proxy does not send \
                 (`X-Forwarded-For`, `X-Request-Id`) does this"
                    .to_owned(),
                outermost(),
            ),
            Verdict::AppRoute => (
                format!("{answer}, by a route of the app's own, not by the healthcheck"),
                format!(
                    "the app's own route at `{}` failed (other paths are answered otherwise), \
                     so {FAILS}; making the healthcheck outermost would hide the failure, not \
                     fix it",
                    self.path
                ),
                Some(
                    "fix what that route checks, or move its check into the healthcheck \
                     (`check(db = ..)` of `#[kamal_healthcheck]`, `HealthCheckLayer::check`) \
                     and remove the route"
                        .to_owned(),
                ),
            ),
            Verdict::PeerAddress => (
                format!("{answer}: the app reads the peer's address, which this probe has not"),
                "axum's `ConnectInfo` comes from the connection, and an in-process probe has \
                 none, while kamal-proxy's probe over TCP does: this answer is the probe's, not \
                 the deploy's"
                    .to_owned(),
                Some(
                    "give the probe kamal-proxy's address: \
                     `Probe::new().extension(axum::extract::ConnectInfo(kamal_healthcheck::KAMAL_PEER)).send(app)`"
                        .to_owned(),
                ),
            ),
            Verdict::OtherStatus if self.answered => (
                answer,
                format!(
                    "the healthcheck answered, but something around it changed its answer, so \
                     {FAILS}"
                ),
                outermost(),
            ),
            Verdict::OtherStatus => (
                format!("{answer}, not by the healthcheck"),
                format!(
                    "something ahead of it answered first, and kamal-proxy counts every status \
                     outside 2xx as a failed probe, so {FAILS}"
                ),
                outermost(),
            ),
        }
    }
}

impl fmt::Display for ProbeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (verdict, note, help) = self.parts();
        let message = crate::message::Message {
            headline: &verdict,
            note: &note,
            help: help.as_deref(),
        };
        write!(f, "{message}")
    }
}

impl fmt::Debug for ProbeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            return f
                .debug_struct("ProbeReport")
                .field("path", &self.path)
                .field("verdict", &self.verdict)
                .field("status", &self.status)
                .field("answered_by_healthcheck", &self.answered)
                .field("redirects", &self.redirects)
                .finish();
        }
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for ProbeReport {}
