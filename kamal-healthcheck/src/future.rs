//! The future of [`HealthCheck`](crate::HealthCheck), as tower-http keeps its
//! services' futures in a module of their own.

pub use crate::layer::ResponseFuture;
