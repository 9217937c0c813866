//! The healthcheck's answer, the same whether a [`HealthCheck`](crate::HealthCheck)
//! service or the route installed by `#[kamal_healthcheck]` gives it.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{ALLOW, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use http::{Extensions, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};

use crate::outcome::{Outcome, report};
use crate::readiness::{Begin, Readiness, Waiting};

/// What the answer's body is made of. `ResBody: From<&'static str> + From<String>`
/// keeps the inner service's body type (axum's `Body`, hyper's `Full<Bytes>`).
pub(crate) enum Text {
    /// A fixed text and its length, written out: formatting a length at run time
    /// would allocate on every probe.
    Static(&'static str, &'static str),
    Owned(String),
}

const OK: Text = Text::Static("OK", "2");
/// A `HEAD` answer's body, and a `405`'s.
const EMPTY: Text = Text::Static("", "0");
const STARTING: Text = Text::Static("starting\n", "9");

impl Text {
    fn content_length(&self) -> HeaderValue {
        match self {
            Self::Static(_, length) => HeaderValue::from_static(length),
            Self::Owned(text) => HeaderValue::from(text.len()),
        }
    }

    pub(crate) fn into_body<B: From<&'static str> + From<String>>(self) -> B {
        match self {
            Self::Static(text, _) => B::from(text),
            Self::Owned(text) => B::from(text),
        }
    }
}

/// What the answer depends on besides the readiness state: whether it is for a
/// `HEAD`, and whether the in-process [`probe`](fn@crate::probe) asks for the marks.
#[derive(Clone, Copy)]
struct Asked {
    head: bool,
    mark: bool,
    /// Whether kamal-proxy sent it: only its probes count for the watch of
    /// the deploy (a Docker `HEALTHCHECK` or a local curl are not it).
    proxy: bool,
    /// Whether the attribute's route answers it (not a layer).
    route: bool,
}

/// Who answers a request for the healthcheck path.
#[derive(Clone, Copy)]
pub(crate) enum By {
    /// A `HealthCheckLayer`'s service, placed by hand or by the attribute on
    /// the function that serves.
    Layer,
    /// The route the attribute on a router function installs.
    Route,
}

/// Answers a request for the healthcheck path, running the readiness checks if
/// there are any (only for `GET` and `HEAD`).
pub(crate) fn begin<B, R>(
    request: &Request<R>,
    readiness: Option<&Arc<Readiness>>,
    by: By,
) -> Answering<B>
where
    B: From<&'static str> + From<String>,
{
    Answering {
        state: started(
            request.method(),
            request.headers(),
            request.extensions(),
            readiness,
            by,
        ),
        body: PhantomData,
    }
}

/// [`begin`] for any body: not generic, so that it is compiled here, once.
fn started(
    method: &Method,
    headers: &HeaderMap,
    extensions: &Extensions,
    readiness: Option<&Arc<Readiness>>,
    by: By,
) -> State {
    let head = *method == Method::HEAD;
    let mark = extensions.get::<Probing>().is_some();
    let asked = Asked {
        head,
        mark,
        // A marked request is the process's own (`probe`, the start-up
        // question), not kamal-proxy's.
        proxy: !mark && crate::waiting::from_proxy(headers),
        route: matches!(by, By::Route),
    };
    if asked.proxy {
        crate::waiting::probed();
    }
    if !(head || *method == Method::GET) {
        return State::Ready(Some(not_allowed(asked)));
    }
    let Some(readiness) = readiness else {
        return State::Ready(Some(respond(StatusCode::OK, OK, asked)));
    };
    let response = match readiness.begin() {
        Begin::Starting => respond(StatusCode::SERVICE_UNAVAILABLE, STARTING, asked),
        Begin::Ready => respond(StatusCode::OK, OK, asked),
        Begin::Done(outcome) => outcome_response(&outcome, readiness, asked),
        Begin::Wait(probe) => return State::Checking { probe, asked },
    };
    State::Ready(Some(response))
}

/// In the extensions of the request the in-process [`probe`](fn@crate::probe) sends:
/// asks the healthcheck to mark its answer. A request from the wire never carries
/// it, so kamal-proxy's real probes cost what they cost without the marks.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Probing;

/// Marks the healthcheck's answer to a [`Probing`] request, in the response's
/// extensions: in-process only, never on the wire. A
/// `ProbeReport` tells by it whether the healthcheck
/// answered the probe or something else did. Zero-sized, so inserting it
/// allocates no box for the value.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Answered;

/// On a `503` for failed readiness checks: one line per failed check, with each
/// error's text whatever `error_details` says (the body may hide them; this never
/// leaves the process).
#[derive(Clone, Debug)]
#[cfg(feature = "probe")]
pub(crate) struct FailedChecks(pub(crate) String);

/// Puts [`Answered`] in `response`'s extensions if the probe asked for it (in
/// place: taking and returning the response moved it, +16 to +34 instructions a
/// probe, measured).
fn mark(response: &mut Response<Text>, asked: Asked) {
    if asked.mark {
        response.extensions_mut().insert(Answered);
        if asked.route {
            response.extensions_mut().insert(AnsweredByRoute);
        }
    }
}

/// Beside [`Answered`], when the attribute's route on a router function
/// answered: the start-up question tells it from a `HealthCheckLayer` placed
/// by hand inside what is served.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AnsweredByRoute;

/// The answer to a `GET` (or, without its body, a `HEAD`): `content-length` is
/// always the `GET` body's, so a `HEAD` answer says what its `GET` twin carries.
fn respond(status: StatusCode, text: Text, asked: Asked) -> Response<Text> {
    if asked.proxy {
        crate::waiting::answered(status);
    }
    let length = text.content_length();
    let body = if asked.head { EMPTY } else { text };
    let mut response = Response::new(body);
    mark(&mut response, asked);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(CONTENT_LENGTH, length);
    response
}

fn not_allowed(asked: Asked) -> Response<Text> {
    let mut response = Response::new(EMPTY);
    mark(&mut response, asked);
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}

fn outcome_response(outcome: &Outcome, readiness: &Readiness, asked: Asked) -> Response<Text> {
    let details = readiness.config().error_details;
    let deadline = readiness.config().deadline;
    let Some(body) = report(outcome, deadline, details) else {
        return respond(StatusCode::OK, OK, asked);
    };
    // For `probe`'s report, the errors whatever the body shows.
    #[cfg(feature = "probe")]
    let failures = match (asked.mark, details) {
        (false, _) => None,
        (true, true) => Some(body.clone()),
        (true, false) => report(outcome, deadline, true),
    };
    #[cfg_attr(not(feature = "probe"), allow(unused_mut))]
    let mut response = respond(StatusCode::SERVICE_UNAVAILABLE, Text::Owned(body), asked);
    #[cfg(feature = "probe")]
    if let Some(failures) = failures {
        response.extensions_mut().insert(FailedChecks(failures));
    }
    response
}

/// The answer, ready at once or after the readiness checks have run, with the
/// body of type `B`.
pub(crate) struct Answering<B> {
    state: State,
    body: PhantomData<fn() -> B>,
}

enum State {
    Ready(Option<Response<Text>>),
    Checking { probe: Waiting, asked: Asked },
}

impl State {
    /// Not generic, so that it is compiled here, once.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Response<Text>> {
        match self {
            State::Ready(response) => Poll::Ready(
                response
                    .take()
                    .expect("the healthcheck's answer polled after completion"),
            ),
            State::Checking { probe, asked } => match Pin::new(&mut *probe).poll(cx) {
                Poll::Ready(outcome) => {
                    Poll::Ready(outcome_response(&outcome, probe.readiness(), *asked))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

// Nothing in it is pinned: the checks' futures are boxed inside the shared run.
impl<B> Unpin for Answering<B> {}

impl<B> Future for Answering<B>
where
    B: From<&'static str> + From<String>,
{
    type Output = Response<B>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response<B>> {
        self.state
            .poll(cx)
            .map(|response| response.map(Text::into_body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(method: Method) -> (StatusCode, Vec<(String, String)>, String) {
        let Answering {
            state: State::Ready(Some(response)),
            ..
        } = begin::<String, ()>(
            &Request::builder().method(method).body(()).unwrap(),
            None,
            By::Layer,
        )
        else {
            panic!("no checks: the answer is ready at once");
        };
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        (response.status(), headers, response.into_body().into_body())
    }

    #[test]
    fn get_is_ok_with_a_plain_uncached_body() {
        let (status, headers, body) = parts(Method::GET);
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "OK");
        assert_eq!(
            headers,
            [
                ("content-type", "text/plain; charset=utf-8"),
                ("cache-control", "no-store"),
                ("content-length", "2"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
    }

    #[test]
    fn head_has_the_headers_of_get_and_no_body() {
        let (status, headers, body) = parts(Method::HEAD);
        assert_eq!((status, body), (StatusCode::OK, String::new()));
        assert_eq!(headers, parts(Method::GET).1);
    }

    #[test]
    fn static_texts_state_their_length() {
        for text in [OK, STARTING] {
            let Text::Static(text, length) = text else {
                unreachable!()
            };
            assert_eq!(text.len().to_string(), length);
        }
    }

    #[test]
    fn only_the_in_process_probe_gets_its_answers_marked() {
        let answer = |request: Request<()>| {
            let Answering {
                state: State::Ready(Some(response)),
                ..
            } = begin::<String, ()>(&request, None, By::Layer)
            else {
                panic!("no checks: the answer is ready at once");
            };
            response.extensions().get::<Answered>().is_some()
        };
        let probing = Request::get("/up").extension(Probing).body(()).unwrap();
        assert!(answer(probing));
        let post = Request::post("/up").extension(Probing).body(()).unwrap();
        assert!(answer(post));
        assert!(!answer(Request::get("/up").body(()).unwrap()));
    }

    #[test]
    fn other_methods_are_not_allowed() {
        for method in [Method::POST, Method::PUT, Method::DELETE, Method::OPTIONS] {
            let (status, headers, body) = parts(method);
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
            assert_eq!(headers, [("allow".to_owned(), "GET, HEAD".to_owned())]);
            assert_eq!(body, "");
        }
    }
}
