//! The service `#[kamal_healthcheck]` registers as an axum route at the healthcheck
//! path. Not public API: only the attribute's expansion names it.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use tower_service::Service;

use crate::answer::answer;

/// Answers every request it is given with the healthcheck's answer. axum routes
/// only requests whose path is exactly the route's path to it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Route;

impl<B> Service<Request<B>> for Route {
    type Response = Response<AnswerBody>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        ready(Ok(answer(request.method())))
    }
}

/// The body of [`Route`]'s answer: a static string, sent in one frame.
#[derive(Debug)]
pub struct AnswerBody(&'static str);

impl From<&'static str> for AnswerBody {
    fn from(text: &'static str) -> Self {
        Self(text)
    }
}

impl Body for AnswerBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let text = std::mem::take(&mut self.0);
        Poll::Ready(
            (!text.is_empty()).then(|| Ok(Frame::data(Bytes::from_static(text.as_bytes())))),
        )
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.len() as u64)
    }
}
