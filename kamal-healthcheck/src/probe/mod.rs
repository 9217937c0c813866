//! `probe`: the whole served app, probed in-process exactly as kamal-proxy
//! probes the container, with a [`ProbeReport`] that names what answered and
//! why a deploy would fail (feature `probe`). Its items are the crate root's.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::{Pin, pin};
use std::time::Duration;

use http::header::CONTENT_ENCODING;
use http::{Request, Response};
use tower_service::Service;

use crate::answer::{Answered, FailedChecks};
use crate::path::{DEFAULT_PATH, HealthCheckPath};
use crate::rules::PROXY_TIMEOUT;

pub(crate) mod noted;
mod report;
mod request;

use report::classify;
pub use report::{ProbeReport, Verdict};
use request::{Ended, Next, Raced, Sent, excerpt, exchange, race};

/// A peer address kamal-proxy's probe can come from: kamal-proxy runs in a
/// container of its own on Kamal's docker network (`kamal`), a private
/// network; the app sees the probe come from such an address. For
/// [`Probe::extension`], as axum's `ConnectInfo`.
pub const KAMAL_PEER: std::net::SocketAddr = std::net::SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(172, 18, 0, 2)),
    45_678,
);

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
/// `axum::serve`, with every layer added there; what it reports when that
/// fails is below:
///
/// ```
/// use axum::{Router, routing::get};
/// use kamal_healthcheck::kamal_healthcheck;
///
/// #[kamal_healthcheck]
/// fn app() -> Router {
///     Router::new().route("/", get(|| async { "home" }))
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // In a test (`#[tokio::test]`): kamal-proxy finds the app healthy.
/// kamal_healthcheck::probe(app()).await.assert_healthy();
/// # }
/// ```
///
/// When something ahead of the healthcheck answers, the [`ProbeReport`] names
/// it and why the deploy would fail:
///
/// ```
/// use axum::http::{StatusCode, header::HOST};
/// use axum::{Router, extract::Request, middleware, routing::get};
/// use kamal_healthcheck::kamal_healthcheck;
/// use kamal_healthcheck::Verdict;
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
///             _ => Err((StatusCode::BAD_REQUEST, "unknown host")),
///         }
///     }))
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let report = kamal_healthcheck::probe(served()).await;
/// assert_eq!(report.verdict(), Verdict::HostCheck);
/// # }
/// ```
///
/// In a test, `kamal_healthcheck::probe(served()).await.assert_healthy()` fails
/// with the report's message (its [`Display`](std::fmt::Display)): what
/// answered, why the deploy fails, and what to write instead:
///
/// ```text
/// kamal-proxy's probe (`GET /up`, plain HTTP, `Host: 7c7168a662c1:80`) was answered 400 Bad Request with "unknown host", not by the healthcheck
/// = note: a host check, most likely, runs first, and kamal-proxy's probe carries the container's own address as `Host`, which no allow-list contains, so the probe never gets a 2xx and the deploy fails with "target failed to become healthy"
/// = help: make the healthcheck the outermost layer of what is served: put `#[kamal_healthcheck]` on the function that calls `axum::serve` (such as `main`), or wrap the finished app last, `HealthCheckLayer::new().layer(app)`, right before `axum::serve`
/// ```
///
/// The attribute sees one function and `HealthCheckLayer` sees what it wraps;
/// what decides a deploy is the service handed to `axum::serve`, with the
/// middleware added in `main`, the prefixes it is nested under and the path
/// deploy.yml sets. Probing that service in a test finds a deploy's failure
/// before the build, the push and kamal-proxy's wait.
///
/// # The request
///
/// `probe` sends what kamal-proxy sends: `GET /up` (or the path the app's
/// healthcheck answers, when nothing answers `/up`), HTTP/1.1, `Host:
/// 7c7168a662c1:80` (the short container id and port Kamal registers),
/// `User-Agent: kamal-proxy`, `Accept-Encoding: gzip`, no body. It follows
/// redirects as kamal-proxy's Go client does (at most 10, on plain HTTP and the
/// container's address), and gives up after kamal-proxy's timeout (5 s unless
/// deploy.yml sets `proxy: healthcheck: timeout:`). [`Probe`] sets the path and
/// the timeout by hand; [`deploy_probe!`](crate::deploy_probe) reads them from
/// deploy.yml at compile time, so that a test fails when the app and the file
/// drift apart.
///
/// The probe's request asks the healthcheck, through a private request
/// extension, to mark its answer in the response's extensions: in-process only,
/// nothing on the wire, and nothing on normal requests or on kamal-proxy's real
/// probes. A refusal the app compresses is asked again without gzip, to be
/// quoted as it reads. An app that reads the peer's address (an allow-list of
/// private networks, with axum's `ConnectInfo`) sees no connection in-process:
/// give the request the address kamal-proxy's probe comes from,
/// `Probe::new().extension(ConnectInfo(KAMAL_PEER))`.
///
/// # Verdicts
///
/// [`ProbeReport::verdict`] names the cause by class; the report's message
/// says the rest (the status, the body it quotes, the `location` of a
/// redirect, each failed check with its error):
///
/// | [`Verdict`] | what answered the probe | the deploy |
/// |---|---|---|
/// | `Healthy` | the healthcheck, `2xx` | healthy |
/// | `AnsweredByApp` | a route of the app's own at the path, `2xx` | healthy, but no readiness check ran, and nothing keeps middleware from blocking it later |
/// | `AppRoute` | a route of the app's own at the path, not `2xx` (a `500` from a health route whose database is down), told apart from middleware ahead of every route by a second request, to a path no route has | fails: the fix is the route's, not to put the healthcheck in front of it, which would hide the failure |
/// | `HttpsRedirect` | a redirect to `https://` ahead of the healthcheck | fails |
/// | `OtherRedirect` | a redirect to another host or an unusable location, or more than 10 | fails |
/// | `HostCheck` | `400`, `403` or `421` ahead of the healthcheck: a host allow-list | fails |
/// | `Auth` | `401`, or `403` with `www-authenticate`: authentication | fails |
/// | `RateLimit` | `429`: a rate limit | fails |
/// | `NotFound` | `404`: a nest prefix, a path deploy.yml does not set, no healthcheck | fails |
/// | `NotReady` | the healthcheck's `503`: readiness checks failed (each check's error, which the body hides, is in the report) | fails until they pass |
/// | `Starting` | the healthcheck's `503 starting`: the start-up gate is closed | fails until it opens |
/// | `TimedOut` | no answer within the timeout: a middleware waiting on a full pool or limit, or one that blocks its thread (an answer that comes after the timeout is a timeout, as for kamal-proxy) | fails |
/// | `Error`, `Panicked` | the service returned an error, or panicked | fails |
/// | `OtherStatus` | any other status, not from the healthcheck | fails |
///
/// # In `main`
///
/// [`ProbeReport::ensure_reachable`] lets the app refuse to start when
/// kamal-proxy could never reach the healthcheck; a `503` from the healthcheck
/// itself (still starting, a database not up yet) is not such a failure.
///
/// # Limits
///
/// The probe's request body is an empty `String`, which axum's `Router`,
/// `HealthCheckLayer`, tower-http's middleware and tonic's `Routes` accept; a
/// service fixed to one body type is probed through
/// `.map_request(|request: Request<String>| request.map(Body::new))`. A hyper
/// service written for `Request<Incoming>` cannot be called in-process by
/// anyone (hyper cannot make that body): write it generic over the body.
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
    for path in noted::answered_paths() {
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
/// use kamal_healthcheck::Probe;
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
/// the probe from config/deploy.yml at compile time. Its `Debug` shows the
/// path and the timeout (`Probe { path: "/up", timeout: 5s }`), the two things
/// deploy.yml sets.
#[derive(Clone)]
pub struct Probe {
    path: HealthCheckPath,
    timeout: Duration,
    /// Extensions the request carries, as a server adds them per connection.
    extensions: http::Extensions,
}

impl Probe {
    /// kamal-proxy's probe with Kamal's defaults: `GET /up`, 5-second timeout.
    ///
    /// ```
    /// let probe = kamal_healthcheck::Probe::new();
    /// assert_eq!(format!("{probe:?}"), r#"Probe { path: "/up", timeout: 5s }"#);
    /// ```
    pub fn new() -> Self {
        Self {
            path: HealthCheckPath::Static(DEFAULT_PATH),
            timeout: PROXY_TIMEOUT,
            extensions: http::Extensions::new(),
        }
    }

    /// Probes `path`: `proxy: healthcheck: path:` of config/deploy.yml.
    ///
    /// ```
    /// let probe = kamal_healthcheck::Probe::new().path("/healthz");
    /// assert_eq!(format!("{probe:?}"), r#"Probe { path: "/healthz", timeout: 5s }"#);
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
    /// let probe = kamal_healthcheck::Probe::new().timeout(Duration::from_secs(10));
    /// assert_eq!(format!("{probe:?}"), r#"Probe { path: "/up", timeout: 10s }"#);
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Gives the probe's request `value` in its extensions, as the server
    /// adds it to every request of a connection: axum's `ConnectInfo`, for an
    /// app that reads the peer's address (an allow-list of private networks,
    /// say), with kamal-proxy's address on Kamal's network, [`KAMAL_PEER`].
    /// In-process there is no connection, and without it such an app answers
    /// otherwise than it does to kamal-proxy.
    ///
    /// ```
    /// use axum::extract::ConnectInfo;
    /// use kamal_healthcheck::{KAMAL_PEER, Probe};
    ///
    /// let probe = Probe::new().extension(ConnectInfo(KAMAL_PEER));
    /// ```
    pub fn extension<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.extensions.insert(value);
        self
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
    /// use kamal_healthcheck::{Probe, Verdict};
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
        // tokio's timer; outside a runtime with one, the probe waits for the
        // answer however long it takes.
        let timeout = self.timeout;
        let mut deadline = std::panic::catch_unwind(|| {
            Box::pin(tokio::time::sleep(timeout)) as Pin<Box<dyn Future<Output = ()> + Send>>
        })
        .ok();
        let mut report = ProbeReport {
            path: self.path.as_str().to_owned(),
            timeout: self.timeout,
            verdict: Verdict::TimedOut,
            status: None,
            answered: false,
            redirects: Vec::new(),
            location: None,
            detail: None,
            served_around: noted::served_around(self.path.as_str()),
        };
        let mut redirects = Vec::new();
        let sent = Sent {
            gzip: true,
            extensions: self.extensions.clone(),
        };
        let started = std::time::Instant::now();
        let ended = {
            let exchange = pin!(exchange(
                &mut service,
                self.path.as_str(),
                &mut redirects,
                &sent
            ));
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
                        pin!(exchange(&mut service, &elsewhere, &mut Vec::new(), &sent)),
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
                    // Quote the refusal ("unknown host"); a compressed one is
                    // asked again without `gzip`, to be quoted as it reads.
                    None if parts.headers.contains_key(CONTENT_ENCODING) => {
                        let plain = Sent {
                            gzip: false,
                            ..sent.clone()
                        };
                        let mut again_redirects = Vec::new();
                        let again = pin!(exchange(
                            &mut service,
                            self.path.as_str(),
                            &mut again_redirects,
                            &plain
                        ));
                        match race(again, &mut deadline).await {
                            Raced::Done(Ended::Answer(again))
                                if again.status() == parts.status
                                    && !again.headers().contains_key(CONTENT_ENCODING) =>
                            {
                                match race(pin!(excerpt(again.into_body())), &mut deadline).await {
                                    Raced::Done(excerpt) => excerpt,
                                    _ => None,
                                }
                            }
                            _ => None,
                        }
                    }
                    None => match race(pin!(excerpt(body)), &mut deadline).await {
                        Raced::Done(excerpt) => excerpt,
                        _ => None,
                    },
                };
                // axum's rejection for a `ConnectInfo` that is not there: the
                // app reads the peer's address, which only a connection has.
                let reads_peer = report.detail.as_deref().is_some_and(|detail| {
                    detail.contains("Missing request extension") && detail.contains("ConnectInfo")
                });
                if !report.answered && reads_peer {
                    report.verdict = Verdict::PeerAddress;
                }
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
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::request::*;
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
        assert_eq!(
            format!("{:?}", Probe::new()),
            format!("Probe {{ path: \"/up\", timeout: {PROXY_TIMEOUT:?} }}")
        );
        let sent = Sent {
            gzip: true,
            ..Sent::default()
        };
        let request = kamal_proxy_request("/up", None, &sent).unwrap();
        let headers: Vec<_> = request
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str(), value.to_str().unwrap()))
            .collect();
        assert_eq!(
            headers,
            [
                ("host", crate::rules::CONTAINER_HOST),
                ("user-agent", "kamal-proxy"),
                ("accept-encoding", "gzip")
            ]
        );
    }
}
