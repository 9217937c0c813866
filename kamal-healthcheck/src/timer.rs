//! The one runtime-specific piece: sleeping until a readiness check's deadline.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// Sleeps, for the deadlines of readiness checks. The healthcheck itself is
/// runtime-agnostic; with the `tokio` feature (on by default) [`TokioTimer`] is
/// used unless [`HealthCheckLayer::timer`](crate::HealthCheckLayer::timer) gives
/// another.
///
/// ```
/// use std::{future::Future, pin::Pin, time::Duration};
/// use kamal_healthcheck::Timer;
///
/// /// A timer for an app on another runtime (here: a thread per sleep).
/// struct ThreadTimer;
///
/// impl Timer for ThreadTimer {
///     fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
///         let (done, wait) = tokio::sync::oneshot::channel::<()>();
///         std::thread::spawn(move || {
///             std::thread::sleep(duration);
///             let _ = done.send(());
///         });
///         Box::pin(async move {
///             let _ = wait.await;
///         })
///     }
/// }
/// ```
pub trait Timer: Send + Sync + 'static {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// [`Timer`] on tokio's clock (`tokio::time::sleep`); needs a tokio runtime with
/// its time driver, as `#[tokio::main]` starts.
///
/// ```
/// use kamal_healthcheck::{HealthCheckLayer, TokioTimer};
///
/// // The default already; naming it documents the choice.
/// let layer = HealthCheckLayer::new().timer(TokioTimer);
/// ```
#[cfg(feature = "tokio")]
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioTimer;

#[cfg(feature = "tokio")]
impl Timer for TokioTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(duration))
    }
}
