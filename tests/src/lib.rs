//! Support for the end-to-end tests: serve an app on `127.0.0.1:0`, send it raw
//! HTTP/1.1 the way kamal-proxy does, and guards that count what reaches them.
#![allow(missing_docs)]

pub mod events;
pub mod redis;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// The `Host` kamal-proxy sends: the short container id and the app port.
pub const CONTAINER_HOST: &str = "7c7168a662c1:80";
/// The only `Host` the guarded apps serve.
pub const ALLOWED_HOST: &str = "example.com";

/// Starts `command` (one of the test apps, which print `listening on
/// ADDRESS` first) with its stdout piped, and returns it with that address.
pub fn spawn_listening(command: &mut std::process::Command) -> (std::process::Child, SocketAddr) {
    use std::io::BufRead;
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the app starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line
        .trim()
        .strip_prefix("listening on ")
        .expect("the app prints its address")
        .parse()
        .unwrap();
    (child, address)
}

/// A server on a free loopback port, stopped when dropped.
pub struct Server {
    pub address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// A listener on a free loopback port whose accept queue holds a burst of 1,000
/// connections. `TcpListener::bind` asks for 128, like the standard library: a
/// burst beyond that overflows the queue, and the kernel answers with SYN cookies,
/// retransmissions and, now and then, a reset, which would fail a flood test for a
/// reason that is not the code under test.
pub fn listener() -> TcpListener {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(([127, 0, 0, 1], 0).into()).unwrap();
    socket.listen(1024).unwrap()
}

/// Serves `app` (a `Router`, or a service wrapping one) with `axum::serve`, as the
/// app's `main` would.
pub async fn serve<S>(app: S) -> Server
where
    S: tower::Service<
            axum::extract::Request,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send,
{
    let listener = listener();
    let address = listener.local_addr().unwrap();
    let (shutdown, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(
            listener,
            axum::ServiceExt::<Request>::into_make_service(app),
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    Server {
        address,
        shutdown: Some(shutdown),
    }
}

/// Serves any tower HTTP service with hyper's HTTP/1 alone (no axum) on a free
/// loopback port; returns the address.
pub async fn serve_hyper<S, B>(service: S) -> SocketAddr
where
    S: tower::Service<http::Request<hyper::body::Incoming>, Response = http::Response<B>>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
    S::Error: Into<tower::BoxError>,
    B: hyper::body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<tower::BoxError>,
{
    let listener = listener();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let service = hyper_util::service::TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    address
}

/// A response as read off the wire.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Sends `method path` with kamal-proxy's headers (`Host` = the container's
/// address, `User-Agent: kamal-proxy`, nothing forwarded) and reads the response.
pub async fn probe(address: SocketAddr, method: &str, path: &str) -> RawResponse {
    request(address, method, path, CONTAINER_HOST, &[]).await
}

/// Serves the app with `serve` on a loopback listener, under a recording
/// subscriber, sends kamal-proxy's probe for `path`, which the healthcheck
/// answers `200`, and returns the `ERROR`s logged: exactly one.
pub async fn one_error_after_a_probe<F>(
    serve: impl FnOnce(TcpListener) -> F,
    path: &str,
) -> Vec<events::Event>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let recorder = events::Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(serve(listener));
    assert_eq!(probe(address, "GET", path).await.status, 200);
    let errors = recorder.errors().await;
    assert_eq!(errors.len(), 1, "{:?}", recorder.events());
    errors
}

/// Sends one raw HTTP/1.1 request and reads the whole response.
pub async fn request(
    address: SocketAddr,
    method: &str,
    path: &str,
    host: &str,
    extra_headers: &[(&str, &str)],
) -> RawResponse {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let mut raw = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: kamal-proxy\r\nAccept-Encoding: gzip\r\nConnection: close\r\n"
    );
    for (name, value) in extra_headers {
        raw.push_str(&format!("{name}: {value}\r\n"));
    }
    raw.push_str("\r\n");
    stream.write_all(raw.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.unwrap();
    parse(&String::from_utf8(bytes).unwrap())
}

fn parse(raw: &str) -> RawResponse {
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .expect("a complete response head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .map(|line| {
            let (key, value) = line.split_once(':').unwrap();
            (key.trim().to_owned(), value.trim().to_owned())
        })
        .collect();
    RawResponse {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// Counts the requests that reach a guard.
#[derive(Clone, Default)]
pub struct Hits(Arc<AtomicUsize>);

impl Hits {
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    pub fn hit(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }
}

/// A host allow-list: 400 unless `Host` is `example.com`; `hits` counts the
/// requests it sees.
pub async fn allowed_hosts_only(
    State(hits): State<Hits>,
    request: Request,
    next: Next,
) -> Response {
    hits.hit();
    allowed_host_or_400(request, next).await
}

/// The allow-list itself, counting nothing (the benchmarks' apps).
pub async fn allowed_host_or_400(request: Request, next: Next) -> Response {
    match request.headers().get(header::HOST) {
        Some(host) if host == ALLOWED_HOST => next.run(request).await,
        _ => (StatusCode::BAD_REQUEST, "unknown host").into_response(),
    }
}

/// An HTTPS redirect: 301 to `https://` unless a proxy says the request came over TLS.
pub async fn redirect_to_https(State(hits): State<Hits>, request: Request, next: Next) -> Response {
    hits.hit();
    let over_tls = request
        .headers()
        .get("x-forwarded-proto")
        .is_some_and(|proto| proto == "https");
    if over_tls {
        return next.run(request).await;
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or(ALLOWED_HOST);
    let location = format!("https://{host}{}", request.uri());
    (
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, location)],
    )
        .into_response()
}

/// A rate limiter that lets `LIMIT` requests through in all, then answers 429.
pub async fn rate_limit(State(hits): State<Hits>, request: Request, next: Next) -> Response {
    const LIMIT: usize = 3;
    if hits.hit() > LIMIT {
        return StatusCode::TOO_MANY_REQUESTS.into_response();
    }
    next.run(request).await
}

/// The README's examples, compiled (and, unless marked otherwise, run) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// A stand-in for a database pool, for readiness checks: `ping` fails with
/// "connection refused" until `up` is set.
#[derive(Clone, Default)]
pub struct Pool {
    pub up: Arc<AtomicBool>,
}

impl Pool {
    pub async fn ping(&self) -> Result<(), String> {
        match self.up.load(Ordering::SeqCst) {
            true => Ok(()),
            false => Err("connection refused".to_owned()),
        }
    }
}
