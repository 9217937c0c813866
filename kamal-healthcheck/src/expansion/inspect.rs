//! Facts about types that only rustc can decide, asked by the expansion of
//! `#[kamal_healthcheck]` on the user's tokens: whether a value given to
//! `.layer(..)`, or served, is a healthcheck placed by hand, whatever it is
//! called (`use .. as ..`, a re-export, a type alias). Not public API.

use std::marker::PhantomData;

use crate::layer::{HealthCheck, HealthCheckLayer};

/// The type of a value, to ask about.
pub struct Inspect<T>(PhantomData<fn() -> T>);

impl<T> Inspect<T> {
    /// The type of `value`.
    #[inline]
    pub fn of(_value: &T) -> Self {
        Self(PhantomData)
    }
}

/// Passes for every type but the healthcheck's own, whose inherent methods
/// below are found first.
pub trait NotHandPlaced {
    /// Nothing to report.
    #[inline]
    fn not_hand_placed(&self) {}
}

impl<T> NotHandPlaced for Inspect<T> {}

impl<M> Inspect<HealthCheckLayer<M>> {
    /// A `HealthCheckLayer` beside the attribute: reported by rustc.
    pub fn not_hand_placed(&self)
    where
        HealthCheckLayer<M>: HandPlaced,
    {
    }
}

impl<S, M> Inspect<HealthCheck<S, M>> {
    /// A service inside a `HealthCheckLayer` beside the attribute: reported
    /// by rustc.
    pub fn not_hand_placed(&self)
    where
        HealthCheck<S, M>: HandPlaced,
    {
    }
}

/// Implemented by no type: the bound that reports a healthcheck placed by
/// hand beside the attribute.
#[diagnostic::on_unimplemented(
    message = "a `HealthCheckLayer` placed by hand beside `#[kamal_healthcheck]`",
    label = "a healthcheck placed by hand",
    note = "the attribute answers the probe ahead of everything this function adds; this layer's settings and checks would never be used",
    note = "to fix it, remove this layer and give its path and checks to the attribute: `#[kamal_healthcheck(path = \"/healthz\", check(db = ..))]`"
)]
pub trait HandPlaced {}
