//! [`probe`]: the whole served app, probed in-process exactly as kamal-proxy
//! probes the container, with a [`ProbeReport`] that names what answered and why
//! a deploy would fail.
//!
//! The attribute sees one function and `HealthCheckLayer` sees what it wraps;
//! what decides a deploy is the service handed to `axum::serve`, with the
//! middleware added in `main`, the prefixes it is nested under and the path
//! deploy.yml sets. Probing that service in a test finds a deploy's failure
//! before the build, the push and kamal-proxy's wait.

use std::borrow::Cow;
use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::BufMut;
use http::header::{
    ACCEPT_ENCODING, CONTENT_ENCODING, HOST, LOCATION, REFERER, USER_AGENT, WWW_AUTHENTICATE,
};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Version};
use tower_service::Service;

use crate::answer::{Answered, FailedChecks, Probing};
use crate::outcome::panic_message;
use crate::path::{DEFAULT_PATH, HealthCheckPath};
use crate::readiness::PROXY_TIMEOUT;
use crate::timer::Timer;

/// The `Host` of the probe: Kamal registers a target as the short container id
/// and the app's port, and kamal-proxy's probe carries it.
pub(crate) const CONTAINER_HOST: &str = "7c7168a662c1:80";
/// Go's default client gives up after this many redirects.
const MAX_REDIRECTS: usize = 10;
/// How much of a refusal's body the report quotes (its first line).
const EXCERPT_BYTES: usize = 1024;
const EXCERPT_CHARS: usize = 120;

/// Probes `service` as kamal-proxy probes a new container, with the defaults
/// Kamal sets (`GET /up`, a 5-second timeout): see [`Probe`]. When nothing
/// answers `/up`, it probes the path the app's healthcheck answers instead
/// (the path given to `#[kamal_healthcheck(path = ..)]` or to
/// [`HealthCheckLayer::with_path`](crate::HealthCheckLayer::with_path) in this
/// process), so that one line tests an app whatever its path; whether
/// deploy.yml probes that same path is [`deploy_probe!`](crate::deploy_probe)'s
/// to check.
///
/// Give it the service the app serves, exactly as `main` hands it to
/// `axum::serve`, with every layer added there:
///
/// ```
/// use axum::http::{StatusCode, header::HOST};
/// use axum::{Router, extract::Request, middleware, routing::get};
/// use kamal_healthcheck::probe::Verdict;
/// use kamal_healthcheck::{HealthCheckLayer, kamal_healthcheck};
/// use tower::Layer;
///
/// #[kamal_healthcheck]
/// fn app() -> Router {
///     Router::new().route("/", get(|| async { "home" }))
/// }
///
/// /// What `main` serves: the router inside a host allow-list added there.
/// fn served() -> Router {
///     app().layer(middleware::from_fn(|request: Request, next: middleware::Next| async {
///         match request.headers().get(HOST) {
///             Some(host) if host == "example.com" => Ok(next.run(request).await),
///             _ => Err(StatusCode::BAD_REQUEST),
///         }
///     }))
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let report = kamal_healthcheck::probe(served()).await;
/// assert_eq!(report.verdict(), Verdict::HostCheck); // 400: the allow-list runs first
///
/// let fixed = HealthCheckLayer::new().layer(served());
/// kamal_healthcheck::probe(fixed).await.assert_healthy();
/// # }
/// ```
pub async fn probe<S, ResBody>(mut service: S) -> ProbeReport
where
    S: Service<Request<String>, Response = Response<ResBody>>,
    S::Error: fmt::Display,
    ResBody: http_body::Body,
{
    let report = Probe::new().send(&mut service).await;
    if report.verdict != Verdict::NotFound {
        return report;
    }
    // Nothing at `/up`: the path this app's healthcheck answers, if a
    // healthcheck of this process answers another one.
    for path in crate::path::answered_paths() {
        let other = Probe::new().path(path.to_string()).send(&mut service).await;
        if other.answered || other.verdict != Verdict::NotFound {
            return other;
        }
    }
    report
}

/// kamal-proxy's healthcheck probe, sent in-process to a tower HTTP service.
///
/// The request is the one the service receives over TCP from kamal-proxy: `GET`
/// of the path (origin form, `/up` unless set) in HTTP/1.1, with the headers
/// `Host: 7c7168a662c1:80` (a container id and port, as Kamal registers
/// targets), `User-Agent: kamal-proxy` and `Accept-Encoding: gzip` (Go's client
/// adds it), and no body. Redirects are followed as Go's default client
/// follows them (at most 10, with a `Referer`) while they stay on plain HTTP and
/// the container's address; a redirect to `https://` or elsewhere ends the probe,
/// as it ends kamal-proxy's. The whole exchange must end within the timeout.
///
/// ```
/// use std::time::Duration;
/// use axum::Router;
/// use kamal_healthcheck::HealthCheckLayer;
/// use kamal_healthcheck::probe::Probe;
/// use tower::Layer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // deploy.yml: proxy: healthcheck: { path: /healthz, timeout: 10 }
/// let probe = Probe::new().path("/healthz").timeout(Duration::from_secs(10));
/// let app = HealthCheckLayer::with_path("/healthz").layer(Router::new());
/// probe.send(app).await.assert_healthy();
/// # }
/// ```
///
/// With the `deploy-yml` feature, [`deploy_probe!`](crate::deploy_probe) makes
/// the probe from config/deploy.yml at compile time.
#[derive(Clone)]
pub struct Probe {
    path: HealthCheckPath,
    timeout: Duration,
    timer: Option<Arc<dyn Timer>>,
}

impl Probe {
    /// kamal-proxy's probe with Kamal's defaults: `GET /up`, 5-second timeout.
    ///
    /// ```
    /// let probe = kamal_healthcheck::probe::Probe::new();
    /// assert_eq!(probe.get_path(), "/up");
    /// assert_eq!(probe.get_timeout(), std::time::Duration::from_secs(5));
    /// ```
    pub fn new() -> Self {
        Self {
            path: HealthCheckPath::Static(DEFAULT_PATH),
            timeout: PROXY_TIMEOUT,
            #[cfg(feature = "tokio")]
            timer: Some(Arc::new(crate::timer::TokioTimer)),
            #[cfg(not(feature = "tokio"))]
            timer: None,
        }
    }

    /// Probes `path`: `proxy: healthcheck: path:` of config/deploy.yml.
    ///
    /// ```
    /// let probe = kamal_healthcheck::probe::Probe::new().path("/healthz");
    /// assert_eq!(probe.get_path(), "/healthz");
    /// ```
    ///
    /// # Panics
    ///
    /// If no request could match `path`, as
    /// [`HealthCheckLayer::with_path`](crate::HealthCheckLayer::with_path).
    #[track_caller]
    pub fn path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        match HealthCheckPath::new(path.into()) {
            Ok(path) => self.path = path,
            Err(error) => panic!("{error}"),
        }
        self
    }

    /// Gives up after `timeout`, as kamal-proxy does: `proxy: healthcheck:
    /// timeout:` of config/deploy.yml (5 s unless set).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let probe = kamal_healthcheck::probe::Probe::new().timeout(Duration::from_secs(10));
    /// assert_eq!(probe.get_timeout(), Duration::from_secs(10));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The [`Timer`] that keeps the timeout; [`TokioTimer`](crate::TokioTimer)
    /// with the `tokio` feature (on by default). Without one the probe waits for
    /// the answer however long it takes.
    ///
    /// ```
    /// let probe = kamal_healthcheck::probe::Probe::new().timer(kamal_healthcheck::TokioTimer);
    /// ```
    pub fn timer(mut self, timer: impl Timer) -> Self {
        self.timer = Some(Arc::new(timer));
        self
    }

    /// The path probed.
    ///
    /// ```
    /// assert_eq!(kamal_healthcheck::probe::Probe::default().get_path(), "/up");
    /// ```
    pub fn get_path(&self) -> &str {
        self.path.as_str()
    }

    /// The timeout.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// assert_eq!(kamal_healthcheck::probe::Probe::default().get_timeout(), Duration::from_secs(5));
    /// ```
    pub fn get_timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends the probe to `service` and reports what answered. A panic in the
    /// service is caught and reported.
    ///
    /// The request's body is an empty `String` (an `http_body::Body` that never
    /// allocates when empty): an axum `Router`, [`HealthCheck`](crate::HealthCheck),
    /// tower-http's middleware and tonic's `Routes` take any body type. A service
    /// that takes only one (`Request<axum::body::Body>`, say) is probed through
    /// `ServiceExt::map_request(|request: Request<String>| request.map(Body::new))`.
    ///
    /// ```
    /// use axum::Router;
    /// use kamal_healthcheck::probe::{Probe, Verdict};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let report = Probe::new().send(Router::new()).await;
    /// assert_eq!(report.verdict(), Verdict::NotFound);
    /// # }
    /// ```
    pub async fn send<S, ResBody>(&self, mut service: S) -> ProbeReport
    where
        S: Service<Request<String>, Response = Response<ResBody>>,
        S::Error: fmt::Display,
        ResBody: http_body::Body,
    {
        let mut deadline = self.timer.as_ref().map(|timer| timer.sleep(self.timeout));
        let mut report = ProbeReport {
            path: self.path.as_str().to_owned(),
            timeout: self.timeout,
            verdict: Verdict::TimedOut,
            status: None,
            answered: false,
            redirects: Vec::new(),
            location: None,
            detail: None,
        };
        let mut redirects = Vec::new();
        let started = std::time::Instant::now();
        let ended = {
            let exchange = pin!(exchange(&mut service, self.path.as_str(), &mut redirects));
            race(exchange, &mut deadline).await
        };
        // A service that blocks its thread past the timeout cannot be
        // interrupted in-process; kamal-proxy's client has given up by then,
        // so an answer that came after the timeout is a timeout.
        let ended = match ended {
            Raced::Done(_) if deadline.is_some() && started.elapsed() > self.timeout => {
                Raced::TimedOut
            }
            ended => ended,
        };
        report.redirects = redirects;
        match ended {
            Raced::TimedOut => {}
            Raced::Panicked(message) => {
                report.verdict = Verdict::Panicked;
                report.detail = message;
            }
            Raced::Done(Ended::Error(error)) => {
                report.verdict = Verdict::Error;
                report.detail = Some(error);
            }
            Raced::Done(Ended::Redirect { status, location }) => {
                report.status = Some(status);
                report.verdict = match &location {
                    Next::Https(_) => Verdict::HttpsRedirect,
                    _ => Verdict::OtherRedirect,
                };
                report.location = Some(location.into_location());
            }
            Raced::Done(Ended::Answer(response)) => {
                let (parts, body) = response.into_parts();
                report.status = Some(parts.status);
                report.answered = parts.extensions.get::<Answered>().is_some();
                let failed = parts.extensions.get::<FailedChecks>();
                report.verdict = classify(parts.status, &parts.headers, report.answered, failed);
                // Another status than the healthcheck's, from something that
                // is not a guard the verdicts name: the app's own route at the
                // path answers it, or middleware ahead of every route does. A
                // path no route has tells them apart.
                if report.verdict == Verdict::OtherStatus && !report.answered {
                    let elsewhere = format!(
                        "{}/kamal-healthcheck-no-route",
                        self.path.as_str().trim_end_matches('/')
                    );
                    let other = race(
                        pin!(exchange(&mut service, &elsewhere, &mut Vec::new())),
                        &mut deadline,
                    )
                    .await;
                    if let Raced::Done(Ended::Answer(other)) = other {
                        if other.status() != parts.status {
                            report.verdict = Verdict::AppRoute;
                        }
                    }
                }
                report.detail = match failed {
                    Some(FailedChecks(lines)) => Some(lines.clone()),
                    None if report.answered || parts.status.is_success() => None,
                    // Quote the refusal ("unknown host"), unless it is compressed.
                    None if parts.headers.contains_key(CONTENT_ENCODING) => None,
                    None => match race(pin!(excerpt(body)), &mut deadline).await {
                        Raced::Done(excerpt) => excerpt,
                        _ => None,
                    },
                };
            }
        }
        report
    }
}

impl Default for Probe {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Probe")
            .field("path", &self.path.as_str())
            .field("timeout", &self.timeout)
            .field("timer", &self.timer.is_some())
            .finish()
    }
}

/// How the exchange of requests and redirects ended.
enum Ended<B> {
    /// A response that is not a redirect to follow.
    Answer(Response<B>),
    /// A redirect that kamal-proxy's client does not end well.
    Redirect { status: StatusCode, location: Next },
    /// The service's error.
    Error(String),
}

/// Where a redirect leads.
enum Next {
    /// The container again, at this path and query: followed.
    Follow(String),
    /// `https://`: kamal-proxy's client would speak TLS to a plain HTTP port.
    Https(String),
    /// Another host, an unusable location, or past the 10th redirect.
    Elsewhere(String),
}

impl Next {
    fn into_location(self) -> String {
        match self {
            Self::Follow(location) | Self::Https(location) | Self::Elsewhere(location) => location,
        }
    }
}

/// Sends the probe and follows same-host plain-HTTP redirects; each followed
/// location is pushed to `redirects`, so a timeout still shows how far it got.
async fn exchange<S, ResBody>(
    service: &mut S,
    path: &str,
    redirects: &mut Vec<String>,
) -> Ended<ResBody>
where
    S: Service<Request<String>, Response = Response<ResBody>>,
    S::Error: fmt::Display,
{
    let mut target = path.to_owned();
    let mut referer = None;
    loop {
        // The path is valid and each redirect's target was parsed before it is
        // followed, so the request can always be built.
        let Some(request) = kamal_proxy_request(&target, referer.as_deref()) else {
            return Ended::Error(format!("no request can be made for {target:?}"));
        };
        if let Err(error) = poll_fn(|cx| service.poll_ready(cx)).await {
            return Ended::Error(error.to_string());
        }
        let response = match service.call(request).await {
            Ok(response) => response,
            Err(error) => return Ended::Error(error.to_string()),
        };
        let status = response.status();
        let followed = matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308);
        let location = response
            .headers()
            .get(LOCATION)
            .map(|location| String::from_utf8_lossy(location.as_bytes()).into_owned());
        let (true, Some(location)) = (followed, location) else {
            return Ended::Answer(response);
        };
        let next = match resolve(&target, &location) {
            Next::Follow(next)
                if redirects.len() < MAX_REDIRECTS && next.parse::<http::Uri>().is_ok() =>
            {
                Next::Follow(next)
            }
            Next::Follow(_) => Next::Elsewhere(location.clone()),
            other => other,
        };
        let Next::Follow(next) = next else {
            return Ended::Redirect {
                status,
                location: next,
            };
        };
        redirects.push(location);
        referer = Some(format!("http://{CONTAINER_HOST}{target}"));
        target = next;
    }
}

/// The request kamal-proxy's Go client writes, header for header and in its
/// order, with [`Probing`] in its extensions (never on the wire) so that the
/// healthcheck marks its answer; `None` if `target` is not a usable request target.
fn kamal_proxy_request(target: &str, referer: Option<&str>) -> Option<Request<String>> {
    let mut builder = Request::builder()
        .method(Method::GET)
        .uri(target)
        .version(Version::HTTP_11)
        .header(HOST, HeaderValue::from_static(CONTAINER_HOST))
        .header(USER_AGENT, HeaderValue::from_static("kamal-proxy"));
    if let Some(referer) = referer {
        builder = builder.header(REFERER, referer);
    }
    builder
        .header(ACCEPT_ENCODING, HeaderValue::from_static("gzip"))
        .extension(Probing)
        .body(String::new())
        .ok()
}

/// Where `location`, given in answer to a request for `current`, leads, as Go
/// resolves it against `http://7c7168a662c1:80{current}`.
fn resolve(current: &str, location: &str) -> Next {
    let location_trimmed = location.split('#').next().unwrap_or_default();
    let lower = location_trimmed.to_ascii_lowercase();
    let authority_and_rest = if lower.starts_with("https://") {
        return Next::Https(location.to_owned());
    } else if lower.starts_with("http://") {
        &location_trimmed["http://".len()..]
    } else if let Some(rest) = location_trimmed.strip_prefix("//") {
        rest
    } else if location_trimmed.starts_with('/') {
        return Next::Follow(location_trimmed.to_owned());
    } else if location_trimmed.contains(':')
        && !location_trimmed
            .split(':')
            .next()
            .is_some_and(|head| head.contains(['/', '?']))
    {
        // Another scheme (`ftp:`, `mailto:`).
        return Next::Elsewhere(location.to_owned());
    } else {
        let (current_path, _) = current.split_once('?').unwrap_or((current, ""));
        if location_trimmed.starts_with('?') || location_trimmed.is_empty() {
            return Next::Follow(format!("{current_path}{location_trimmed}"));
        }
        let directory = &current_path[..=current_path.rfind('/').unwrap_or(0)];
        return Next::Follow(format!("{directory}{location_trimmed}"));
    };
    let end = authority_and_rest
        .find(['/', '?'])
        .unwrap_or(authority_and_rest.len());
    let (authority, rest) = authority_and_rest.split_at(end);
    if !same_host(authority) {
        return Next::Elsewhere(location.to_owned());
    }
    Next::Follow(match rest.strip_prefix('?') {
        Some(_) => format!("/{rest}"),
        None if rest.is_empty() => "/".to_owned(),
        None => rest.to_owned(),
    })
}

/// Whether `authority` is the container's address (`7c7168a662c1:80`, or the
/// same host without the default port).
fn same_host(authority: &str) -> bool {
    let (host, port) = CONTAINER_HOST
        .split_once(':')
        .unwrap_or((CONTAINER_HOST, "80"));
    let (other_host, other_port) = authority.split_once(':').unwrap_or((authority, "80"));
    other_host.eq_ignore_ascii_case(host) && other_port == port
}

/// Polls `future` until it is done, panics (caught) or `deadline` passes.
async fn race<F: Future>(
    mut future: Pin<&mut F>,
    deadline: &mut Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
) -> Raced<F::Output> {
    poll_fn(|cx| {
        match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(Poll::Ready(output)) => return Poll::Ready(Raced::Done(output)),
            Ok(Poll::Pending) => {}
            Err(payload) => return Poll::Ready(Raced::Panicked(panic_message(payload))),
        }
        match deadline.as_mut().map(|deadline| deadline.as_mut().poll(cx)) {
            Some(Poll::Ready(())) => Poll::Ready(Raced::TimedOut),
            _ => Poll::Pending,
        }
    })
    .await
}

enum Raced<T> {
    Done(T),
    Panicked(Option<String>),
    TimedOut,
}

/// The first line of a body, if it is text: what a refusal says ("unknown host").
async fn excerpt<B: http_body::Body>(body: B) -> Option<String> {
    let mut body = pin!(body);
    let mut bytes = Vec::new();
    while bytes.len() < EXCERPT_BYTES {
        let Some(Ok(frame)) = poll_fn(|cx| body.as_mut().poll_frame(cx)).await else {
            break;
        };
        if let Ok(data) = frame.into_data() {
            bytes.put(data);
        }
    }
    bytes.truncate(EXCERPT_BYTES);
    let text = String::from_utf8_lossy(&bytes);
    let line = text.lines().map(str::trim).find(|line| !line.is_empty())?;
    if line.contains('\u{FFFD}') {
        return None;
    }
    let mut line: String = line.chars().take(EXCERPT_CHARS).collect();
    if line.len() < text.trim().len() {
        line.push_str(" ...");
    }
    Some(line)
}

fn classify(
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
/// use kamal_healthcheck::probe::Verdict;
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
    path: String,
    timeout: Duration,
    verdict: Verdict,
    status: Option<StatusCode>,
    answered: bool,
    redirects: Vec<String>,
    location: Option<String>,
    detail: Option<String>,
}

impl ProbeReport {
    /// The class of what answered.
    ///
    /// ```
    /// use kamal_healthcheck::HealthCheckLayer;
    /// use kamal_healthcheck::probe::Verdict;
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
    /// let app = HealthCheckLayer::new().gate(&gate).layer(axum::Router::new());
    /// let report = kamal_healthcheck::probe(app).await;
    /// assert!(!report.is_healthy()); // 503 starting
    /// assert!(report.ensure_reachable().is_ok());
    /// # }
    /// ```
    pub fn ensure_reachable(self) -> Result<Self, Self> {
        if self.is_healthy() || self.answered {
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
const OUTERMOST: &str = "make the healthcheck the outermost layer of what is served: put \
    `#[kamal_healthcheck]` on the function that calls `axum::serve` (such as `main`), or wrap \
    the finished app last, `HealthCheckLayer::new().layer(app)`, right before `axum::serve`";
const FAILS: &str = "the probe never gets a 2xx and the deploy fails with \"target failed to \
    become healthy\"";

impl ProbeReport {
    /// The message in rustc's shape: the verdict, then `= note:` with the
    /// cause and what it does to the deploy, then `= help:` with the fix.
    fn parts(&self) -> (String, String, Option<String>) {
        let answer = self.answer();
        let outermost = || Some(OUTERMOST.to_owned());
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
        write!(f, "{verdict}\n= note: {note}")?;
        if let Some(help) = help {
            write!(f, "\n= help: {help}")?;
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn follow(current: &str, location: &str) -> Option<String> {
        match resolve(current, location) {
            Next::Follow(target) => Some(target),
            _ => None,
        }
    }

    #[test]
    fn same_host_plain_http_redirects_are_followed() {
        assert_eq!(follow("/up", "/up/").as_deref(), Some("/up/"));
        assert_eq!(
            follow("/up", "http://7c7168a662c1:80/ready?x=1").as_deref(),
            Some("/ready?x=1")
        );
        assert_eq!(
            follow("/up", "HTTP://7C7168A662C1/ready").as_deref(),
            Some("/ready")
        );
        assert_eq!(follow("/a/up", "ready#top").as_deref(), Some("/a/ready"));
        assert_eq!(follow("/up?x=1", "?y=2").as_deref(), Some("/up?y=2"));
        assert_eq!(follow("/up", "//7c7168a662c1:80").as_deref(), Some("/"));
    }

    #[test]
    fn https_and_other_hosts_end_the_probe() {
        assert!(matches!(
            resolve("/up", "https://7c7168a662c1:80/up"),
            Next::Https(_)
        ));
        for elsewhere in [
            "http://example.com/up",
            "http://7c7168a662c1:3000/up",
            "//example.com/up",
            "mailto:ops@example.com",
        ] {
            assert!(
                matches!(resolve("/up", elsewhere), Next::Elsewhere(_)),
                "{elsewhere}"
            );
        }
    }

    #[test]
    fn the_default_probe_is_kamal_proxys() {
        let probe = Probe::new();
        assert_eq!(
            (probe.get_path(), probe.get_timeout()),
            ("/up", PROXY_TIMEOUT)
        );
        let request = kamal_proxy_request("/up", None).unwrap();
        let headers: Vec<_> = request
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str(), value.to_str().unwrap()))
            .collect();
        assert_eq!(
            headers,
            [
                ("host", CONTAINER_HOST),
                ("user-agent", "kamal-proxy"),
                ("accept-encoding", "gzip")
            ]
        );
    }
}
