//! The future of [`HealthCheck`](crate::HealthCheck), as tower-http keeps its
//! services' futures in a module of their own: the healthcheck's answer, or
//! the inner service's own future polled in place (never boxed), after
//! waiting for the inner service to be ready if it was not.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::Response;
use pin_project_lite::pin_project;
use tower_service::Service;

use crate::answer::Answering;
use crate::body::{BodyMode, SameBody};

/// Not ready yet: a clone of the inner service waits for readiness in the
/// response future (as tower's `Oneshot` does), so that the healthcheck stays
/// ready for the probe. Off the path of a ready service.
#[cold]
#[inline(never)]
pub(crate) fn defer<S: Clone, R, F, B>(inner: &S, request: R) -> Kind<F, B, Deferred<S, R>> {
    Kind::Other {
        other: Other::Waiting(Box::new(Deferred {
            service: inner.clone(),
            request: Some(request),
        })),
    }
}

/// A request for the inner service held until the service is ready.
pub(crate) struct Deferred<S, R> {
    service: S,
    request: Option<R>,
}

impl<S, R> Deferred<S, R>
where
    S: Service<R>,
{
    /// `Ready(Ok(future))` once the service took the request.
    fn poll_call(&mut self, cx: &mut Context<'_>) -> Poll<Result<S::Future, S::Error>> {
        ready!(self.service.poll_ready(cx))?;
        let request = self
            .request
            .take()
            .expect("a deferred request is sent once");
        Poll::Ready(Ok(self.service.call(request)))
    }
}

pin_project! {
    /// The future of [`HealthCheck`] of a service `S` called with requests
    /// `R`: the healthcheck's answer (ready at once, or when the readiness
    /// checks are done), or the inner service's own future, polled in place
    /// (never boxed), after waiting for the inner service to be ready if it
    /// was not (holding a clone of the service and the request, as tower's
    /// `Oneshot` does). `B` is the responses' body, `M` the body mode.
    pub struct ResponseFuture<S, R, B, M = SameBody>
    where
        S: Service<R>,
    {
        #[pin]
        pub(crate) kind: Kind<S::Future, B, Deferred<S, R>>,
        pub(crate) mode: PhantomData<fn() -> M>,
    }
}

pin_project! {
    #[project = KindProj]
    #[project_replace = KindProjReplace]
    pub(crate) enum Kind<F, B, D> {
        Inner { #[pin] future: F },
        // The answer and the rarely held request share one variant, so the
        // waiting state adds no variant to the future's layout.
        Other { other: Other<B, D> },
    }
}

/// What the future holds when it is not the inner service's: the healthcheck's
/// answer, or a request waiting for the inner service to be ready.
pub(crate) enum Other<B, D> {
    Answer(Answering<B>),
    Waiting(Box<D>),
}

impl<S, R, B, M, ResBody> Future for ResponseFuture<S, R, B, M>
where
    S: Service<R, Response = Response<ResBody>>,
    M: BodyMode<ResBody, Body = B>,
    B: From<&'static str> + From<String>,
{
    type Output = Result<Response<B>, S::Error>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.as_mut().project().kind.project() {
            KindProj::Inner { future } => M::poll_inner(future, cx),
            KindProj::Other {
                other: Other::Answer(answer),
            } => Pin::new(answer).poll(cx).map(Ok),
            KindProj::Other {
                other: Other::Waiting(_),
            } => self.poll_deferred(cx),
        }
    }
}

impl<S, R, B, M, ResBody> ResponseFuture<S, R, B, M>
where
    S: Service<R, Response = Response<ResBody>>,
    M: BodyMode<ResBody, Body = B>,
    B: From<&'static str> + From<String>,
{
    /// Waits for the inner service, calls it, and goes on with its future.
    #[cold]
    #[inline(never)]
    fn poll_deferred(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Response<B>, S::Error>> {
        let KindProj::Other {
            other: Other::Waiting(deferred),
        } = self.as_mut().project().kind.project()
        else {
            unreachable!("only a waiting future is polled here");
        };
        let future = ready!(deferred.poll_call(cx))?;
        self.as_mut()
            .project()
            .kind
            .project_replace(Kind::Inner { future });
        self.poll(cx)
    }
}

impl<S, R, B, M> std::fmt::Debug for ResponseFuture<S, R, B, M>
where
    S: Service<R>,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.kind {
            Kind::Inner { .. } => "Inner",
            Kind::Other {
                other: Other::Answer(_),
            } => "Answer",
            Kind::Other {
                other: Other::Waiting(_),
            } => "Waiting",
        };
        f.debug_struct("ResponseFuture")
            .field("kind", &kind)
            .finish()
    }
}
