//! The body of [`HealthCheck`](crate::HealthCheck)'s responses: the wrapped
//! service's own body type where the answer can be made from text (axum's
//! `Body`, so that `axum::serve` still accepts the result), or
//! [`HealthCheckBody`] around any other body ([`HealthCheckLayer::any_body`](crate::HealthCheckLayer::any_body)).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::Response;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

/// The default body mode of [`HealthCheckLayer`](crate::HealthCheckLayer): the
/// responses keep the wrapped service's body type, whose values the healthcheck
/// makes its answer from (`From<&'static str> + From<String>`: axum's `Body`,
/// `http_body_util::Full<Bytes>`, `String`). An axum `Router` wrapped this way
/// is still accepted by `axum::serve`.
///
/// ```
/// use kamal_healthcheck::body::SameBody;
/// use kamal_healthcheck::{HealthCheck, HealthCheckLayer};
/// use tower::Layer;
///
/// // The default: the response type stays axum's.
/// let app: HealthCheck<axum::Router, SameBody> = HealthCheckLayer::new().layer(axum::Router::new());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SameBody;

/// The body mode of [`HealthCheckLayer::any_body`](crate::HealthCheckLayer::any_body):
/// the responses' body is [`HealthCheckBody`], the wrapped service's body (any
/// `http_body::Body<Data = Bytes>`) or the healthcheck's answer.
///
/// ```
/// use kamal_healthcheck::body::AnyBody;
/// use kamal_healthcheck::{HealthCheck, HealthCheckLayer};
/// use tower::Layer;
///
/// let app: HealthCheck<axum::Router, AnyBody> =
///     HealthCheckLayer::new().any_body().layer(axum::Router::new());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct AnyBody;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::SameBody {}
    impl Sealed for super::AnyBody {}
}

/// How a [`HealthCheck`](crate::HealthCheck) in this mode answers around a
/// service whose response body is `B`: [`SameBody`] or [`AnyBody`]. Sealed.
///
/// ```
/// use kamal_healthcheck::body::{AnyBody, BodyMode, HealthCheckBody, SameBody};
///
/// fn body_of<M: BodyMode<B>, B>() -> &'static str {
///     std::any::type_name::<M::Body>()
/// }
/// assert_eq!(body_of::<SameBody, String>(), "alloc::string::String");
/// assert!(body_of::<AnyBody, String>().contains("HealthCheckBody"));
/// ```
#[diagnostic::on_unimplemented(
    message = "the healthcheck's answer cannot be made in this response body",
    label = "the response body here is `{B}`, which cannot be made from text",
    note = "to fix it, write `HealthCheckLayer::new().any_body()`: it answers around any body \
            with `Data = Bytes` (tonic's, tower-http's `TraceLayer`, `UnsyncBoxBody`)",
    note = "`HealthCheckLayer::new()` keeps the service's response type, as `axum::serve` needs, \
            so it makes its answer from text (`From<&'static str> + From<String>`)"
)]
pub trait BodyMode<B>: sealed::Sealed {
    /// The body of the healthcheck's responses.
    type Body: From<&'static str> + From<String>;

    /// Polls the wrapped service's future, and passes its response on.
    #[doc(hidden)]
    fn poll_inner<F, E>(
        future: Pin<&mut F>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Response<Self::Body>, E>>
    where
        F: Future<Output = Result<Response<B>, E>>;
}

#[diagnostic::do_not_recommend]
impl<B: From<&'static str> + From<String>> BodyMode<B> for SameBody {
    type Body = B;

    /// The response as it is: not even moved.
    #[inline]
    fn poll_inner<F, E>(future: Pin<&mut F>, cx: &mut Context<'_>) -> Poll<Result<Response<B>, E>>
    where
        F: Future<Output = Result<Response<B>, E>>,
    {
        future.poll(cx)
    }
}

#[diagnostic::do_not_recommend]
impl<B: Body<Data = Bytes>> BodyMode<B> for AnyBody {
    type Body = HealthCheckBody<B>;

    #[inline]
    fn poll_inner<F, E>(
        future: Pin<&mut F>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Response<HealthCheckBody<B>>, E>>
    where
        F: Future<Output = Result<Response<B>, E>>,
    {
        future.poll(cx).map_ok(|response| {
            response.map(|body| HealthCheckBody {
                kind: Kind::Inner { body },
            })
        })
    }
}

pin_project! {
    /// The response body of [`HealthCheckLayer::any_body`](crate::HealthCheckLayer::any_body):
    /// the wrapped service's body, polled in place (never boxed), or the
    /// healthcheck's answer, sent in one frame. Its error is the wrapped body's.
    ///
    /// ```
    /// use http_body::Body as _;
    /// use kamal_healthcheck::body::HealthCheckBody;
    ///
    /// // Around a service whose body is a `String`, say.
    /// let answer = HealthCheckBody::<String>::from("OK");
    /// assert_eq!(answer.size_hint().exact(), Some(2));
    /// ```
    pub struct HealthCheckBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        Inner { #[pin] body: B },
        Answer { data: Bytes },
    }
}

impl<B> From<&'static str> for HealthCheckBody<B> {
    fn from(text: &'static str) -> Self {
        Self {
            kind: Kind::Answer {
                data: Bytes::from_static(text.as_bytes()),
            },
        }
    }
}

impl<B> From<String> for HealthCheckBody<B> {
    fn from(text: String) -> Self {
        Self {
            kind: Kind::Answer {
                data: Bytes::from(text),
            },
        }
    }
}

impl<B: Body<Data = Bytes>> Body for HealthCheckBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    #[inline]
    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        match self.project().kind.project() {
            KindProj::Inner { body } => body.poll_frame(cx),
            KindProj::Answer { data } => {
                let data = std::mem::take(data);
                Poll::Ready((!data.is_empty()).then(|| Ok(Frame::data(data))))
            }
        }
    }

    #[inline]
    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Answer { data } => data.is_empty(),
        }
    }

    #[inline]
    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Answer { data } => SizeHint::with_exact(data.len() as u64),
        }
    }
}

impl<B> std::fmt::Debug for HealthCheckBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.kind {
            Kind::Inner { .. } => "Inner",
            Kind::Answer { .. } => "Answer",
        };
        f.debug_struct("HealthCheckBody")
            .field("kind", &kind)
            .finish()
    }
}
