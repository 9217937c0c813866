//! The request kamal-proxy sends, and its redirects, followed as Go's client
//! follows them.

use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::task::Poll;

use bytes::BufMut;
use http::header::{ACCEPT_ENCODING, HOST, LOCATION, REFERER, USER_AGENT};
use http::{HeaderValue, Method, Request, Response, StatusCode, Version};
use tower_service::Service;

use crate::answer::Probing;
use crate::outcome::panic_message;
use crate::rules::CONTAINER_HOST;

/// How much of a refusal's body the report quotes (its first line).
pub(super) const EXCERPT_BYTES: usize = 1024;
pub(super) const EXCERPT_CHARS: usize = 120;

/// Go's default client gives up after this many redirects.
pub(super) const MAX_REDIRECTS: usize = 10;

/// How the exchange of requests and redirects ended.
pub(super) enum Ended<B> {
    /// A response that is not a redirect to follow.
    Answer(Response<B>),
    /// A redirect that kamal-proxy's client does not end well.
    Redirect { status: StatusCode, location: Next },
    /// The service's error.
    Error(String),
}

/// Where a redirect leads.
pub(super) enum Next {
    /// The container again, at this path and query: followed.
    Follow(String),
    /// `https://`: kamal-proxy's client would speak TLS to a plain HTTP port.
    Https(String),
    /// Another host, an unusable location, or past the 10th redirect.
    Elsewhere(String),
}

impl Next {
    pub(super) fn into_location(self) -> String {
        match self {
            Self::Follow(location) | Self::Https(location) | Self::Elsewhere(location) => location,
        }
    }
}

/// Sends the probe and follows same-host plain-HTTP redirects; each followed
/// location is pushed to `redirects`, so a timeout still shows how far it got.
pub(super) async fn exchange<S, ResBody>(
    service: &mut S,
    path: &str,
    redirects: &mut Vec<String>,
    sent: &Sent,
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
        let Some(request) = kamal_proxy_request(&target, referer.as_deref(), sent) else {
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
pub(super) fn kamal_proxy_request(
    target: &str,
    referer: Option<&str>,
    sent: &Sent,
) -> Option<Request<String>> {
    let mut builder = Request::builder()
        .method(Method::GET)
        .uri(target)
        .version(Version::HTTP_11)
        .header(HOST, HeaderValue::from_static(CONTAINER_HOST))
        .header(USER_AGENT, HeaderValue::from_static("kamal-proxy"));
    if let Some(referer) = referer {
        builder = builder.header(REFERER, referer);
    }
    if sent.gzip {
        builder = builder.header(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
    }
    let mut request = builder.extension(Probing).body(String::new()).ok()?;
    request.extensions_mut().extend(sent.extensions.clone());
    Some(request)
}

/// What goes with each request besides kamal-proxy's headers: whether it asks
/// for gzip, as Go's client does, and the extensions a server adds per
/// connection (axum's `ConnectInfo`).
#[derive(Clone, Default)]
pub(super) struct Sent {
    pub(super) gzip: bool,
    pub(super) extensions: http::Extensions,
}

/// Where `location`, given in answer to a request for `current`, leads, as Go
/// resolves it against `http://7c7168a662c1:80{current}`.
pub(super) fn resolve(current: &str, location: &str) -> Next {
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
pub(super) fn same_host(authority: &str) -> bool {
    let (host, port) = CONTAINER_HOST
        .split_once(':')
        .unwrap_or((CONTAINER_HOST, "80"));
    let (other_host, other_port) = authority.split_once(':').unwrap_or((authority, "80"));
    other_host.eq_ignore_ascii_case(host) && other_port == port
}

/// Polls `future` until it is done, panics (caught) or `deadline` passes.
pub(super) async fn race<F: Future>(
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

pub(super) enum Raced<T> {
    Done(T),
    Panicked(Option<String>),
    TimedOut,
}

/// The first line of a body, if it is text: what a refusal says ("unknown host").
pub(super) async fn excerpt<B: http_body::Body>(body: B) -> Option<String> {
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
