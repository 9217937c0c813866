//! The service `#[kamal_healthcheck]` registers as an axum route at the healthcheck
//! path. Not public API: only the attribute's expansion names it.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use tower_service::Service;

use crate::answer::{Answering, By, begin};
use crate::layer::HealthCheckLayer;
use crate::readiness::Readiness;

/// Adds the healthcheck's route with `add`; if axum refuses it (it panics on a
/// route already at the path), panics again with what happened and what to do.
/// Runs once, when the router is built.
#[track_caller]
pub fn install<R>(path: &'static str, add: impl FnOnce() -> R) -> R {
    #[cfg(feature = "probe")]
    crate::probe::noted::answered_here(path);
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(add)) {
        Ok(router) => router,
        Err(payload) => {
            let axum = crate::outcome::panic_message(payload)
                .map(|message| format!(" (\"{message}\")"))
                .unwrap_or_default();
            panic!(
                "{}",
                crate::message::message(
                    &format!(
                        "#[kamal_healthcheck] cannot install its healthcheck at {path:?}: the \
                         router already has a route there{axum}"
                    ),
                    "a route of the app's own at a path the attribute cannot read (a constant, \
                     or a route in a router returned by another function), or a router merged \
                     in that already has the healthcheck",
                    &format!(
                        "remove that route (the attribute answers {path:?} itself), or put the \
                         attribute on the outer function only (or on `main`, around everything \
                         it serves)"
                    ),
                )
            )
        }
    }
}

/// Answers every request it is given with the healthcheck's answer. axum routes
/// only requests whose path is exactly the route's path to it.
///
/// Zero-sized: axum clones a route's boxed service for every request it routes
/// there, and cloning a box of nothing allocates nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Route;

impl<B> Service<Request<B>> for Route {
    type Response = Response<AnswerBody>;
    type Error = Infallible;
    type Future = RouteFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        RouteFuture(begin(&request, None, By::Route))
    }
}

/// [`Route`] with readiness checks or a start-up gate: answers as the layer it is
/// made from does (its checks and gate; not its path, which is the route's).
#[derive(Clone)]
pub struct CheckedRoute {
    readiness: Option<Arc<Readiness>>,
}

impl CheckedRoute {
    /// The route answering as `layer` does. Its checks are also offered to
    /// the attribute on the function that serves the app, on this runtime (see
    /// [`Served::new`](crate::expansion::serving::Served::new)).
    pub fn from_layer<M>(layer: &HealthCheckLayer<M>) -> Self {
        let readiness = layer.readiness().cloned();
        if let Some(readiness) = &readiness {
            crate::registry::offer(layer.path(), readiness);
        }
        Self { readiness }
    }
}

impl<B> Service<Request<B>> for CheckedRoute {
    type Response = Response<AnswerBody>;
    type Error = Infallible;
    type Future = RouteFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        RouteFuture(begin(&request, self.readiness.as_ref(), By::Route))
    }
}

/// The future of [`Route`] and [`CheckedRoute`].
pub struct RouteFuture(Answering<AnswerBody>);

impl Future for RouteFuture {
    type Output = Result<Response<AnswerBody>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(Ok)
    }
}

/// The body of [`Route`]'s answer, sent in one frame.
#[derive(Debug)]
pub struct AnswerBody(Bytes);

impl From<&'static str> for AnswerBody {
    fn from(text: &'static str) -> Self {
        Self(Bytes::from_static(text.as_bytes()))
    }
}

impl From<String> for AnswerBody {
    fn from(text: String) -> Self {
        Self(Bytes::from(text))
    }
}

impl Body for AnswerBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let data = std::mem::take(&mut self.0);
        Poll::Ready((!data.is_empty()).then(|| Ok(Frame::data(data))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.len() as u64)
    }
}
