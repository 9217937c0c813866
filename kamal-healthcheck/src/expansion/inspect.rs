//! Facts about types that only rustc can decide, asked by the expansion of
//! `#[kamal_healthcheck]` on the user's tokens: whether a value given to
//! `.layer(..)`, or served, is a healthcheck placed by hand, whatever it is
//! called (`use .. as ..`, a re-export, a type alias). Not public API.
//!
//! The expansion writes, on the user's tokens,
//! `AllowedBesideTheAttribute::allowed(Inspect::of(&value).subject())`.
//! `subject` is the value itself for the healthcheck's own types (inherent
//! methods, found first) and `Other` for every other type (the trait
//! `NotHandPlaced`); only `Other` is allowed. The bound is the trait's own,
//! through an impl rustc does not recommend, so the error shows the message
//! below on the user's tokens and no bound of this module.

use crate::layer::{HealthCheck, HealthCheckLayer};

/// A value, to ask rustc about its type.
pub struct Inspect<'a, T>(&'a T);

impl<'a, T> Inspect<'a, T> {
    /// Asks about `value`.
    #[inline]
    pub fn of(value: &'a T) -> Self {
        Self(value)
    }
}

/// What every type but the healthcheck's own stands for.
pub struct Other;

/// For every type but the healthcheck's own, whose inherent methods below are
/// found first.
pub trait NotHandPlaced {
    /// A type that is allowed beside the attribute.
    #[inline]
    fn subject(&self) -> &'static Other {
        &Other
    }
}

impl<T> NotHandPlaced for Inspect<'_, T> {}

impl<'a, M> Inspect<'a, HealthCheckLayer<M>> {
    /// A `HealthCheckLayer`: refused beside the attribute.
    #[inline]
    pub fn subject(&self) -> &'a HealthCheckLayer<M> {
        self.0
    }
}

impl<'a, S, M> Inspect<'a, HealthCheck<S, M>> {
    /// A service inside a `HealthCheckLayer`: refused beside the attribute.
    #[inline]
    pub fn subject(&self) -> &'a HealthCheck<S, M> {
        self.0
    }
}

/// Implemented for `Other` alone: the bound that reports a healthcheck
/// placed by hand beside the attribute.
#[diagnostic::on_unimplemented(
    message = "a `HealthCheckLayer` placed by hand beside `#[kamal_healthcheck]`",
    label = "a healthcheck placed by hand",
    note = "the attribute answers the probe ahead of everything this function adds; this layer's settings and checks would never be used",
    note = "to fix it, remove this layer and give its path and checks to the attribute: `#[kamal_healthcheck(path = \"/healthz\", check(db = ..))]`"
)]
pub trait AllowedBesideTheAttribute {
    /// Nothing to report.
    #[inline]
    fn allowed(&self) {}
}

/// Only `Other` has it.
pub trait IsOther {}

impl IsOther for Other {}

// Through a bound of its own, which rustc does not show: the error names the
// user's type and the message above, not this impl.
#[diagnostic::do_not_recommend]
impl<T: IsOther> AllowedBesideTheAttribute for T {}
